/**
 * A release into a GitHub repository from Backstage, with no forge token: the requester's GitHub login is the one the
 * catalog vouches for (the User entity's `github.com/user-login`; the demo's alice is `alice-gh`), so four eyes
 * knows her approval from others'. Through the Platform API with her Backstage token (as `idp` signed in to
 * Backstage without GH_TOKEN), and through the Scaffolder's release-to-environment template, whose task has no forge
 * token at all. GitHub is idp's GitHub fake (HTTP, checked against GitHub's OpenAPI description), configured for
 * idp as a GitHub Enterprise host in IDP_FORGES; the release workflows poll it every second.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Connection } from '@temporalio/client';
import { GitHubProvider } from '@idp/providers';
import { startGitHubFake, type FakeRepo, type GitHubFake } from '@idp/providers/testing';
import { eventually } from '@idp/worker/testing';
import { startEmbedded, type EmbeddedStack } from '../testing/embedded.js';
import { runTemplate } from '../testing/tasks.js';

/** idp's own token for the GitHub host (its service account), and the people's own tokens (used here only to review on GitHub). */
const SERVICE_TOKEN = 'ghs_idp_service_for_tests';
const PEOPLE: Record<string, string> = { 'alice-gh': 'ghp_alice_for_tests', 'bob-gh': 'ghp_bob_for_tests' };
const REMOTE = 'https://github.test/acme/shop.git';

const PAWS = `apiVersion: paws.dev/v1
kind: Workload
metadata:
  name: shop
  owner: team-payments
containers:
  web:
    image: ghcr.io/acme/shop:1.0.0
environments:
  staging:
    release: { approvals: 1 }
  production:
    release: { approvals: 1 }
`;

describe('releases into GitHub from Backstage without a forge token: the User entity vouches for the login', () => {
  let github: GitHubFake;
  let repo: FakeRepo;
  let stack: EmbeddedStack;
  let temporal: Client;
  let connection: Connection;

  before(async () => {
    github = await startGitHubFake({ users: { [SERVICE_TOKEN]: 'idp-bot', ...Object.fromEntries(Object.entries(PEOPLE).map(([login, token]) => [token, login])) } });
    repo = await github.createRepo('acme/shop', { 'paws.yaml': PAWS });
    for (const login of Object.keys(PEOPLE)) github.setCollaborator(repo.fullName, login, 'write');
    stack = await startEmbedded({
      env: {
        IDP_FORGES: JSON.stringify({ 'github.test': { kind: 'github', apiUrl: github.url, tokenEnv: 'TEST_GITHUB_SERVICE_TOKEN' } }),
        TEST_GITHUB_SERVICE_TOKEN: SERVICE_TOKEN,
      },
      // The Component, found by its repository (the API) and naming it (the Scaffolder's actions); dave, a user whose
      // entity names no GitHub login.
      catalog: () => `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: shop
  annotations:
    backstage.io/source-location: url:https://github.test/acme/shop/tree/main/
spec:
  type: service
  lifecycle: production
  owner: group:default/team-payments
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: dave
spec:
  profile: { email: dave@example.com }
  memberOf: [team-payments]
`,
    });
    connection = await Connection.connect({ address: stack.temporalAddress });
    temporal = new Client({ connection });
    const alice = await stack.tokenFor('alice');
    for (const entity of ['component/default/shop', 'user/default/dave']) {
      await eventually(async () => (await fetch(`${stack.baseUrl}/api/catalog/entities/by-name/${entity}`, { headers: { authorization: `Bearer ${alice}` } })).ok, 30_000, `${entity} in the catalog`);
    }
  });
  after(async () => {
    await connection?.close();
    await stack?.stop();
    await github?.close();
    assert.deepEqual(github.violations, []);
  });

  /** The forge login the release workflow recorded for its requester (what four eyes excludes besides their aliases). */
  const recordedLogin = async (workflowId: string) => ((await temporal.workflow.getHandle(workflowId).query<{ requesterLogin?: string }>('state')).requesterLogin);

  /** A person approving on GitHub itself with their own token (not through idp). */
  const approveOnGitHub = (login: string, pr: number) =>
    new GitHubProvider({ repo: REMOTE, owner: 'acme', name: 'shop', host: 'github.test', apiUrl: github.url, auth: { token: SERVICE_TOKEN }, userToken: (u) => PEOPLE[u], paceWrites: false })
      .review(pr, { event: 'approve', by: login });

  it('alice requests a production release with only her Backstage token: accepted, the PR is on GitHub, her approval as alice-gh does not count, bob-gh\'s merges', async () => {
    const alice = await stack.clientAs('alice');
    const res = await alice.createRelease({ repo: REMOTE, env: 'production', image: 'ghcr.io/acme/shop:1.1.0' });
    assert.ok(res.pr, `a PR: ${JSON.stringify(res)}`);
    const pr = repo.pulls.get(res.pr.number)!;
    assert.equal(pr.state, 'open');
    assert.match(await repo.git.entry(pr.headSha, 'paws.yaml').then((e) => (e?.type === 'blob' ? e.text : '')), /image: ghcr\.io\/acme\/shop:1\.1\.0/);
    assert.equal(await recordedLogin(res.workflowId), 'alice-gh');

    await approveOnGitHub('alice-gh', pr.number);
    const shown = await alice.release({ repo: REMOTE }, 'production', 1);
    assert.equal(shown.release.requestedBy, 'user:default/alice');
    assert.deepEqual(shown.verdict?.approvedBy, []);
    assert.deepEqual(shown.verdict?.ignored, [{ by: 'alice-gh', why: 'is the author' }]);
    assert.equal(shown.verdict?.satisfied, false);

    await approveOnGitHub('bob-gh', pr.number);
    const merged = await eventually(async () => {
      const e = (await alice.listReleases({ repo: REMOTE })).environments.find((x) => x.env === 'production');
      return e?.releases[0]?.outcome === 'merged' && e.releases[0];
    }, 60_000, 'the release merged');
    assert.deepEqual(merged.approvers, ['bob-gh'], 'only bob-gh\'s approval counted');
    assert.equal(pr.state, 'closed');
  });

  it('a user whose entity names no GitHub login (dave) is refused with advice for the CLI and for a Backstage admin; nothing is written', async () => {
    const prs = repo.pulls.size;
    const dave = await stack.clientAs('dave');
    await assert.rejects(dave.createRelease({ repo: REMOTE, env: 'staging', image: 'ghcr.io/acme/shop:6.6.6' }), (e: Error & { status?: number; code?: string }) => {
      assert.equal(e.status, 401);
      assert.equal(e.code, 'unauthenticated');
      assert.match(e.message, /needs your GitHub identity.*Set GH_TOKEN.*a Backstage admin can add the annotation github\.com\/user-login: <your GitHub login> to your User entity/s);
      return true;
    });
    assert.equal(repo.pulls.size, prs, 'no PR');
    const staging = (await (await stack.clientAs('alice')).listReleases({ repo: REMOTE })).environments.find((x) => x.env === 'staging');
    assert.deepEqual(staging?.releases ?? [], [], 'nothing queued');
  });

  it('the release-to-environment template run by alice (a Scaffolder task: no forge token) opens the release PR on GitHub, recorded as alice-gh\'s', async () => {
    const task = await runTemplate(stack.baseUrl, await stack.tokenFor('alice'), 'release-to-environment', { component: 'component:default/shop', env: 'staging', image: 'ghcr.io/acme/shop:1.2.0' });
    assert.equal(task.status, 'completed', task.log);
    assert.equal(task.output.version, 'v1');
    const number = Number(String(task.output.prUrl).match(/\/pull\/(\d+)$/)?.[1]);
    const pr = repo.pulls.get(number);
    assert.ok(pr, `the PR ${String(task.output.prUrl)} on GitHub`);
    assert.equal(pr.state, 'open');
    assert.equal(await recordedLogin(String(task.output.workflowId)), 'alice-gh');
    assert.ok(!`${task.log}\n${stack.output()}`.includes(SERVICE_TOKEN), 'the service token is in no log');
  });
});
