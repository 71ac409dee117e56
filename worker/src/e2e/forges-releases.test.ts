/**
 * Releases end to end on GitHub and GitLab: Platform API → release queue and
 * release workflow (real Temporal dev server) → provider → the forge fakes over
 * HTTP. Workflows poll only every ten minutes here, so every step that happens
 * within seconds (counting an approval, seeing a check turn green, voiding an
 * approval after a push, merging) was driven by a signed webhook delivery.
 *
 * The fakes deliver pull_request / pull_request_review / push (GitHub) and
 * Merge Request Hook open/merge/close (GitLab) themselves. They do not deliver
 * what a CI system or a developer's `git push` makes the forge send (GitHub
 * `status`, `check_run`, `pull_request` synchronize) nor GitLab's approval
 * hooks, so this file sends those deliveries itself, shaped and signed as the
 * forge does, to the same receiver.
 */
import { PlatformClient } from '@idp/core/client';
import { after, before, describe, it } from 'node:test';
import { createHmac, randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { parsePaws, type WorkflowStatus } from '@idp/core';
import { parseAllDocuments } from 'yaml';
import { startTestStack, type TestStack } from '../testing/stack.js';
import { type FakeRepo, type GitHubFake, type GitLabFake, startGitHubFake, startGitLabFake } from '@idp/providers/testing';
import { GitHubProvider, GitLabProvider } from '@idp/providers';
import { eventually, kustomization, RELEASE_PAWS } from './fixtures.js';

const HOOK_SECRET = 'webhook-secret';
const GH_SERVICE = 'ghs_idp_service';
/**
 * GitHub users and their tokens: alice, bob, rita and rory are in acme/payments; mallory and dev (who requests
 * releases) are not. All can write to the deployment repositories but rory, who can only read them.
 */
const GH_TOKENS: Record<string, string> = { alice: 'ghp_alice', bob: 'ghp_bob', rita: 'ghp_rita', mallory: 'ghp_mallory', rory: 'ghp_rory', dev: 'ghp_dev' };
const GL_SERVICE = 'glpat-idp-service';
/** GitLab users and their tokens: all Developers of the projects below; dev requests releases. */
const GL_TOKENS: Record<string, string> = { rita: 'glpat-rita', carol: 'glpat-carol', eve: 'glpat-eve', dev: 'glpat-dev' };

/** paws.yaml of a component released into acme/<deployments> on the GitHub fake, production gated by the acme/payments team and ci/build. */
const componentPaws = (deployments: string) => `apiVersion: paws.dev/v1
kind: Workload
metadata:
  name: checkout
containers:
  web:
    image: ghcr.io/acme/checkout:1.4.2
deploy:
  repo: github.test/acme/${deployments}
  path: apps/checkout/{env}
  format: kustomize
environments:
  staging:
    release: { approvals: 1 }
  production:
    release:
      approvals: 1
      approvers: [acme/payments]
      requiredChecks: [ci/build]
`;

const ended = (s: WorkflowStatus) => s.status !== 'running';

describe('releases on GitHub and GitLab, driven by webhooks (polling every 10 minutes)', () => {
  let gh: GitHubFake;
  let gl: GitLabFake;
  let stack: TestStack;
  let hooks: { github: string; gitlab: string };

  before(async () => {
    gh = await startGitHubFake({ users: { [GH_SERVICE]: 'idp-bot', ...Object.fromEntries(Object.entries(GH_TOKENS).map(([u, t]) => [t, u])) } });
    gh.addTeam('acme', 'payments', ['alice', 'bob', 'rita', 'rory']);
    gl = await startGitLabFake({ users: { [GL_SERVICE]: 'idp-bot', ...Object.fromEntries(Object.entries(GL_TOKENS).map(([u, t]) => [t, u])) } });
    stack = await startTestStack({
      pollIntervalMs: 600_000,
      forges: [
        { kind: 'github', host: 'github.test', apiUrl: gh.url, github: { token: GH_SERVICE }, webhookSecret: HOOK_SECRET },
        { kind: 'gitlab', host: 'gitlab.test', apiUrl: gl.url, gitlabToken: GL_SERVICE, webhookSecret: HOOK_SECRET },
      ],
    });
    const base = stack.api.url.replace(/\/api\/idp$/, '');
    hooks = { github: `${base}/webhooks/github`, gitlab: `${base}/webhooks/gitlab` };
    gh.hook(hooks.github, HOOK_SECRET);
    gl.hook(hooks.gitlab, HOOK_SECRET);
  });
  after(async () => {
    await stack?.stop();
    await gh?.close();
    await gl?.close();
    assert.deepEqual(gh.violations, []);
    assert.deepEqual(gl.violations, []);
  });

  /** dev@example.com as the CLI sends their requests: with their own forge token, so idp knows their forge login. */
  const asDev = (forgeToken: string) => new PlatformClient({ baseUrl: stack.api.url, token: stack.token, user: 'dev@example.com', forgeToken });

  /** The release's workflow state, long-polled until `done` holds. */
  const until = (id: string, done: (s: WorkflowStatus) => boolean, what: string) =>
    eventually(async () => {
      const s = await stack.client.workflow(id, 2);
      return done(s) && s;
    }, 30_000, what);

  /**
   * The workflow has handled every signal sent to it and waits again: no workflow task or activity pending, and a
   * workflow task completed after the last signal. What it did not do by then (merge), it did not do for them.
   */
  const handledSignals = (id: string) =>
    eventually(async () => {
      const handle = stack.api.temporal.workflow.getHandle(id);
      const { raw } = await handle.describe();
      if (raw.pendingWorkflowTask || raw.pendingActivities?.length) return false;
      const events = (await handle.fetchHistory()).events ?? [];
      return events.findLastIndex((e) => e.workflowTaskCompletedEventAttributes) > events.findLastIndex((e) => e.workflowExecutionSignaledEventAttributes);
    }, 30_000, 'the release to handle its signals');

  /** A person acting on GitHub itself with their own token (not through idp). */
  const onGitHub = (fullName: string) => {
    const [owner, name] = fullName.split('/') as [string, string];
    return new GitHubProvider({
      repo: `https://github.test/${fullName}.git`, owner, name, host: 'github.test', apiUrl: gh.url,
      auth: { token: GH_SERVICE }, userToken: (u) => GH_TOKENS[u], paceWrites: false,
    });
  };

  /** A delivery as GitHub sends it (signed with the hook's secret); the receiver's answer. */
  async function deliverGitHub(event: string, repo: FakeRepo, payload: Record<string, unknown>): Promise<{ status: number; body: { signalled?: number } }> {
    const body = JSON.stringify({ ...payload, repository: { id: repo.id, full_name: repo.fullName, name: repo.name, owner: { login: repo.owner.login } }, sender: { login: 'ci-bot' } });
    const res = await fetch(hooks.github, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': event,
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': `sha256=${createHmac('sha256', HOOK_SECRET).update(body).digest('hex')}`,
      },
      body,
    });
    return { status: res.status, body: (await res.json()) as { signalled?: number } };
  }

  /** CI reports a commit status on `sha`, and GitHub tells the hook (`status` event: no PR number, the branches holding the commit). */
  async function ciStatus(repo: FakeRepo, sha: string, branch: string, context: string, state: 'pending' | 'success' | 'failure') {
    gh.setStatus(repo.fullName, sha, context, state);
    return deliverGitHub('status', repo, {
      id: Date.now(), sha, name: repo.fullName, context, state, description: null, target_url: `https://ci.example.com/${context}`,
      branches: [{ name: branch, commit: { sha, url: `${gh.url}/repos/${repo.fullName}/commits/${sha}` }, protected: false }],
      commit: { sha }, created_at: new Date().toISOString(), updated_at: new Date().toISOString(),
    });
  }

  /** A GitHub Actions check run completes on `sha`, and GitHub tells the hook (`check_run` completed, naming the PR). */
  async function ciCheckRun(repo: FakeRepo, sha: string, prNumber: number, name: string) {
    gh.setCheckRun(repo.fullName, sha, name, 'completed', 'success');
    const p = repo.pulls.get(prNumber)!;
    return deliverGitHub('check_run', repo, {
      action: 'completed',
      check_run: {
        id: Date.now(), name, head_sha: sha, status: 'completed', conclusion: 'success',
        check_suite: { head_branch: p.head, head_sha: sha },
        pull_requests: [{ number: prNumber, head: { ref: p.head, sha, repo: { id: repo.id } }, base: { ref: p.base, sha: p.baseSha, repo: { id: repo.id } } }],
      },
    });
  }

  /**
   * The fake's own deliveries of `event`/`action`: `mark()` now, then `answered(n)`
   * waits for the next n to be answered (a delivery is recorded when answered) and returns their statuses.
   */
  function deliveriesOf(fake: GitHubFake | GitLabFake, event: string, action: string) {
    const all = () => fake.deliveries.filter((d) => d.event === event && d.action === action);
    const from = all().length;
    return {
      answered: (n: number) =>
        eventually(async () => {
          const got = all().slice(from);
          return got.length >= n && got.map((d) => d.status);
        }, 10_000, `${n} ${event}/${action} deliveries answered`),
    };
  }

  /** An environment's ledger, as `idp releases` shows it, once `ready` holds. */
  async function ledger(repo: string, env: string, ready: (r: NonNullable<Awaited<ReturnType<TestStack['client']['listReleases']>>['environments'][number]>) => boolean, what: string) {
    return eventually(async () => {
      const e = (await stack.client.listReleases({ repo })).environments.find((x) => x.env === env);
      return e && ready(e) && e;
    }, 15_000, what);
  }

  async function deploymentFile(repo: FakeRepo, path: string): Promise<string | undefined> {
    const entry = await repo.git.entry((await repo.git.branchSha(repo.defaultBranch))!, path);
    return entry?.type === 'blob' ? entry.text : undefined;
  }

  /** A component on GitHub whose releases go into a kustomize overlay in another repository. */
  async function githubComponent(name: string, pawsFor: (deployments: string) => string = componentPaws) {
    const deployments = await gh.createRepo(`acme/${name}-deployments`, {
      'apps/checkout/production/kustomization.yaml': kustomization('1.4.2'),
      'apps/checkout/staging/kustomization.yaml': kustomization('1.4.2'),
      // The deployment repository opts the component in (any spelling of its remote).
      '.idp/deploy-access.yaml': `apiVersion: paws.dev/v1\nkind: DeployAccess\ngrants:\n  - repo: github.test/acme/${name}\n    paths: [apps/checkout/**]\n`,
    });
    const paws = pawsFor(`${name}-deployments`);
    const component = await gh.createRepo(`acme/${name}`, { 'paws.yaml': paws });
    for (const login of ['alice', 'bob', 'rita', 'mallory']) gh.setCollaborator(deployments.fullName, login, 'write');
    gh.setCollaborator(deployments.fullName, 'rory', 'read');
    return { deployments, component, paws, remote: `https://github.test/acme/${name}.git` };
  }

  describe('GitHub', () => {
    it('a release PR in the deployment repository: a team member\'s approval waits for ci/build; the status webhook merges it in seconds; the ledger records the approver', async () => {
      const { deployments, component, paws, remote } = await githubComponent('checkout');
      const res = await asDev(GH_TOKENS.dev!).createRelease({ repo: remote, env: 'production', image: 'ghcr.io/acme/checkout:1.5.0' });
      assert.equal(res.kind, 'release');
      assert.equal(res.phase, 'open');
      assert.equal(res.release?.number, 1);
      assert.equal(res.release?.previousImage, 'ghcr.io/acme/checkout:1.4.2');

      // The PR is in the deployment repository and changes only production's newTag.
      assert.equal(component.pulls.size, 0, 'no PR in the component repository');
      const pr = deployments.pulls.get(res.pr!.number)!;
      assert.ok(pr, 'the PR is in acme/checkout-deployments');
      assert.equal(res.pr?.url, `${gh.url}/acme/checkout-deployments/pull/${pr.number}`);
      assert.match(pr.head, /^idp\/release\/checkout\/production\/v1@[0-9a-f]+$/);
      assert.equal(pr.user.login, 'idp-bot');
      assert.match(pr.body, /Approvals:\*\* 1 from acme\/payments/);
      assert.match(pr.body, /Required checks:\*\* `ci\/build`/);
      const files = await deployments.git.changedFiles(pr.baseSha, pr.headSha);
      assert.deepEqual(files.map((f) => f.path), ['apps/checkout/production/kustomization.yaml']);
      assert.equal(files[0]!.after, kustomization('1.5.0'));

      // CI starts; alice (payments) approves on GitHub; her review's webhook makes idp count it, but ci/build is pending.
      gh.setStatus(deployments.fullName, pr.headSha, 'ci/build', 'pending');
      const reviews = deliveriesOf(gh, 'pull_request_review', 'submitted');
      await onGitHub(deployments.fullName).review(pr.number, { event: 'approve', by: 'alice' });
      assert.deepEqual(await reviews.answered(1), [202]);
      const counted = await ledger(remote, 'production', (e) => e.releases[0]?.approvers.includes('alice') === true, 'alice\'s approval in the ledger');
      assert.equal(counted.releases[0]?.outcome, 'open');
      const waiting = await stack.client.release({ repo: remote }, 'production', 1);
      assert.deepEqual(waiting.verdict?.approvedBy, ['alice']);
      assert.equal(waiting.verdict?.satisfied, false);
      assert.deepEqual(waiting.verdict?.checks, [{ name: 'ci/build', state: 'pending' }]);
      assert.deepEqual(waiting.verdict?.waitingFor, ['check ci/build (pending)']);
      assert.deepEqual(waiting.policy.approvers, ['acme/payments']);
      assert.equal((await stack.client.workflow(res.workflowId)).phase, 'open');
      assert.equal(pr.merged, false);

      // ci/build turns green: only the status webhook can wake the release before its 10-minute poll.
      const delivered = await ciStatus(deployments, pr.headSha, pr.head, 'ci/build', 'success');
      assert.equal(delivered.status, 202);
      assert.equal(delivered.body.signalled, 1, 'the status woke the release that owns the branch');
      // Within until()'s 30 s, far inside the 10-minute poll: the hook woke it.
      const final = await until(res.workflowId, ended, 'the merge');
      assert.equal(final.status, 'completed');
      assert.equal(final.phase, 'merged');
      assert.equal(pr.merged, true);
      assert.equal(pr.mergedBy?.login, 'idp-bot');

      assert.equal(await deploymentFile(deployments, 'apps/checkout/production/kustomization.yaml'), kustomization('1.5.0'));
      assert.equal(await deploymentFile(deployments, 'apps/checkout/staging/kustomization.yaml'), kustomization('1.4.2'));
      assert.equal(await deploymentFile(component, 'paws.yaml'), paws, 'the component repository is untouched');
      await eventually(async () => (await deployments.git.branchSha(pr.head)) === null, 10_000, 'the release branch deleted');

      const prod = await ledger(remote, 'production', (e) => e.releases[0]?.outcome === 'merged', 'the ledger');
      assert.equal(prod.current?.number, 1);
      assert.equal(prod.current?.image, 'ghcr.io/acme/checkout:1.5.0');
      assert.deepEqual(prod.releases[0]?.approvers, ['alice']);
      assert.equal(prod.releases[0]?.pr?.number, pr.number);
    });

    it('a kustomize release also writes the environment\'s secrets as an ExternalSecret beside the overlay: references and versions, never a value', async () => {
      const withSecrets = (deployments: string) =>
        componentPaws(deployments).replace(
          '  production:\n',
          '  production:\n    secrets:\n      STRIPE_KEY: { ref: "aws-sm://idp/checkout/production/STRIPE_KEY", version: "0a1b2c3d-0000-4000-8000-000000000001" }\n      DB_PASSWORD: { ref: "vault://secret/idp/checkout/production/DB_PASSWORD#value", version: "3" }\n      LOCAL_ONLY: { ref: "sops://checkout/production.enc.yaml#LOCAL_ONLY", version: "0123456789abcdef0123456789abcdef01234567" }\n',
        );
      const { deployments, remote } = await githubComponent('vaulted', withSecrets);
      const res = await asDev(GH_TOKENS.dev!).createRelease({ repo: remote, env: 'production', image: 'ghcr.io/acme/checkout:1.5.0' });
      const pr = deployments.pulls.get(res.pr!.number)!;
      const files = await deployments.git.changedFiles(pr.baseSha, pr.headSha);
      assert.deepEqual(files.map((f) => f.path).sort(), ['apps/checkout/production/externalsecret.yaml', 'apps/checkout/production/kustomization.yaml']);
      const overlay = files.find((f) => f.path.endsWith('kustomization.yaml'))!.after!;
      assert.equal(overlay, kustomization('1.5.0').replace('  - ../../base\n', '  - ../../base\n  - externalsecret.yaml\n'));
      const docs = parseAllDocuments(files.find((f) => f.path.endsWith('externalsecret.yaml'))!.after!).map((d) => d.toJS());
      // One ExternalSecret, so the workload reads one Secret; a key of another store names that store (sourceRef).
      // sops is decrypted from git in the cluster, so it is left out (and said so).
      assert.deepEqual(docs.map((d) => [d.apiVersion, d.kind, d.spec.secretStoreRef.name, d.spec.target.name]), [['external-secrets.io/v1', 'ExternalSecret', 'idp-aws-sm', 'checkout-secrets']]);
      assert.deepEqual(docs[0].spec.data, [
        {
          secretKey: 'DB_PASSWORD',
          remoteRef: { key: 'secret/idp/checkout/production/DB_PASSWORD', property: 'value', version: '3' },
          sourceRef: { storeRef: { kind: 'ClusterSecretStore', name: 'idp-vault' } },
        },
        { secretKey: 'STRIPE_KEY', remoteRef: { key: 'idp/checkout/production/STRIPE_KEY', version: 'uuid/0a1b2c3d-0000-4000-8000-000000000001' } },
      ]);
      assert.match(files.find((f) => f.path.endsWith('externalsecret.yaml'))!.after!, /Not fetched through External Secrets: LOCAL_ONLY \(sops/);
    });

    it('approvals by a non-member and by the requester do not count; a team member\'s then merges at once', async () => {
      const { deployments, remote } = await githubComponent('cart');
      // rita (a payments member) requests the release under her email, sending her GitHub token as the
      // CLI does: idp reads her login with it, so her own approval is four-eyes-ignored.
      const asRita = new PlatformClient({ baseUrl: stack.api.url, token: stack.token, user: 'r.gomez@acme.example', forgeToken: GH_TOKENS.rita! });
      const res = await asRita.createRelease({ repo: remote, env: 'production', image: 'ghcr.io/acme/checkout:2.0.0' });
      const pr = deployments.pulls.get(res.pr!.number)!;
      assert.equal((await ciStatus(deployments, pr.headSha, pr.head, 'ci/build', 'success')).status, 202);

      const onGh = onGitHub(deployments.fullName);
      const reviews = deliveriesOf(gh, 'pull_request_review', 'submitted');
      await onGh.review(pr.number, { event: 'approve', by: 'mallory' });
      await onGh.review(pr.number, { event: 'approve', by: 'rita' });
      assert.deepEqual(await reviews.answered(2), [202, 202], 'both reviews reached idp');
      const shown = await stack.client.release({ repo: remote }, 'production', 1);
      assert.equal(shown.release.requestedBy, 'r.gomez@acme.example');
      assert.deepEqual(shown.verdict?.approvedBy, []);
      assert.deepEqual(
        shown.verdict?.ignored.slice().sort((a, b) => a.by.localeCompare(b.by)),
        [{ by: 'mallory', why: 'is not an allowed approver' }, { by: 'rita', why: 'is the author' }],
      );
      assert.deepEqual(shown.verdict?.checks, [{ name: 'ci/build', state: 'success' }]);
      assert.deepEqual(shown.verdict?.waitingFor, ['1 more approval from acme/payments']);
      // Both webhooks were answered after signalling; the release handled them, and did not merge.
      await handledSignals(res.workflowId);
      assert.equal((await stack.client.workflow(res.workflowId)).phase, 'open');
      assert.equal(pr.state, 'open');

      await onGh.review(pr.number, { event: 'approve', by: 'bob' });
      const final = await until(res.workflowId, ended, 'the merge');
      assert.equal(final.phase, 'merged');
      const prod = await ledger(remote, 'production', (e) => e.releases[0]?.outcome === 'merged', 'the ledger');
      assert.deepEqual(prod.releases[0]?.approvers, ['bob'], 'only bob\'s approval counted');
      assert.equal(await deploymentFile(deployments, 'apps/checkout/production/kustomization.yaml'), kustomization('2.0.0'));
    });

    it('an approval by a payments member who can only read the deployment repository does not count; a writer\'s merges', async () => {
      const { deployments, remote } = await githubComponent('invoicing');
      const res = await asDev(GH_TOKENS.dev!).createRelease({ repo: remote, env: 'production', image: 'ghcr.io/acme/checkout:4.0.0' });
      const pr = deployments.pulls.get(res.pr!.number)!;
      assert.equal((await ciStatus(deployments, pr.headSha, pr.head, 'ci/build', 'success')).status, 202);

      // GitHub lets anyone who can read the repository approve; its webhook reaches idp.
      const onGh = onGitHub(deployments.fullName);
      const reviews = deliveriesOf(gh, 'pull_request_review', 'submitted');
      await onGh.review(pr.number, { event: 'approve', by: 'rory' });
      assert.deepEqual(await reviews.answered(1), [202]);
      const shown = await stack.client.release({ repo: remote }, 'production', 1);
      assert.deepEqual(shown.verdict?.approvedBy, []);
      assert.equal(shown.verdict?.satisfied, false);
      assert.deepEqual(shown.verdict?.waitingFor, ['1 more approval from acme/payments']);
      // No sleep to prove a negative: had rory's approval counted, the merge below would list rory.

      await onGh.review(pr.number, { event: 'approve', by: 'bob' });
      const final = await until(res.workflowId, ended, 'the merge');
      assert.equal(final.phase, 'merged');
      const prod = await ledger(remote, 'production', (e) => e.releases[0]?.outcome === 'merged', 'the ledger');
      assert.deepEqual(prod.releases[0]?.approvers, ['bob'], 'only bob\'s approval counted');
    });

    it("a deployment repository that has not opted the component in is not written to; a grant for another spelling of another repository does not count", async () => {
      const deployments = await gh.createRepo('acme/ledger-deployments', {
        'apps/checkout/production/kustomization.yaml': kustomization('1.4.2'),
        '.idp/deploy-access.yaml': 'apiVersion: paws.dev/v1\nkind: DeployAccess\ngrants:\n  - repo: https://github.test/acme/ledger-other.git\n    paths: ["**"]\n',
      });
      await gh.createRepo('acme/ledger', { 'paws.yaml': componentPaws('ledger-deployments') });
      const remote = 'git@github.test:acme/ledger.git';
      await assert.rejects(asDev(GH_TOKENS.dev!).createRelease({ repo: remote, env: 'production', image: 'ghcr.io/evil/payments:6.6.6' }), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'forbidden');
        assert.match(e.message, /^github\.test\/acme\/ledger-deployments does not take releases from git@github\.test:acme\/ledger\.git: its \.idp\/deploy-access\.yaml \(on main\) grants it nothing\./);
        return true;
      });
      assert.equal(deployments.pulls.size, 0, 'no PR');
      assert.deepEqual((await stack.client.listReleases({ repo: remote })).environments.flatMap((e) => e.releases), [], 'nothing queued');
    });

    it('a release request that cannot be tied to a GitHub account is refused, saying how to fix it; nothing is written', async () => {
      const { deployments, remote } = await githubComponent('billing');
      // bob@acme.com could approve as his GitHub login and count as the second pair of eyes: idp must know who asks.
      await assert.rejects(stack.clientAs('bob@acme.com').createRelease({ repo: remote, env: 'production', image: 'ghcr.io/acme/checkout:6.6.6' }), (e: Error & { code?: string; status?: number }) => {
        assert.equal(e.status, 401);
        assert.equal(e.code, 'unauthenticated');
        assert.match(e.message, /needs your GitHub identity, so idp can tell your approvals from others'.*Set GH_TOKEN/s);
        return true;
      });
      assert.equal(deployments.pulls.size, 0, 'no PR');
      assert.deepEqual((await stack.client.listReleases({ repo: remote })).environments.flatMap((e) => e.releases), [], 'nothing queued');
    });

    it('a push to the release branch after the approval voids it: green checks on the new head do not merge it', async () => {
      const { deployments, remote } = await githubComponent('orders');
      const res = await asDev(GH_TOKENS.dev!).createRelease({ repo: remote, env: 'production', image: 'ghcr.io/acme/checkout:3.0.0' });
      const pr = deployments.pulls.get(res.pr!.number)!;
      const first = pr.headSha;
      const onGh = onGitHub(deployments.fullName);
      await onGh.review(pr.number, { event: 'approve', by: 'alice' });
      await ledger(remote, 'production', (e) => e.releases[0]?.approvers.includes('alice') === true, 'alice\'s approval counted');

      // Someone pushes to the release branch (a developer's git push); GitHub sends pull_request synchronize.
      const pushed = await deployments.git.push(pr.head, { 'apps/checkout/production/NOTES.md': 'why\n' });
      assert.notEqual(pushed, first);
      const sync = await deliverGitHub('pull_request', deployments, {
        action: 'synchronize', number: pr.number, before: first, after: pushed,
        pull_request: { number: pr.number, state: 'open', merged: false, head: { ref: pr.head, sha: pushed, repo: { id: deployments.id } }, base: { ref: pr.base, sha: pr.baseSha, repo: { id: deployments.id } } },
      });
      assert.equal(sync.status, 202);
      assert.equal(sync.body.signalled, 1);
      const voided = await ledger(remote, 'production', (e) => e.releases[0]?.approvers.length === 0, 'the approval voided in the ledger');
      assert.equal(voided.releases[0]?.outcome, 'open');
      let shown = await stack.client.release({ repo: remote }, 'production', 1);
      assert.deepEqual(shown.verdict?.approvedBy, []);
      assert.ok(shown.verdict?.waitingFor.includes('1 more approval from acme/payments'), JSON.stringify(shown.verdict));

      // ci/build (a check run) passes on the new head; the webhook wakes the release, which still waits for a fresh approval.
      const check = await ciCheckRun(deployments, pushed, pr.number, 'ci/build');
      assert.equal(check.status, 202);
      assert.equal(check.body.signalled, 1);
      await handledSignals(res.workflowId);
      shown = await stack.client.release({ repo: remote }, 'production', 1);
      assert.deepEqual(shown.verdict?.approvedBy, []);
      assert.deepEqual(shown.verdict?.checks, [{ name: 'ci/build', state: 'success' }]);
      assert.deepEqual(shown.verdict?.waitingFor, ['1 more approval from acme/payments']);
      assert.equal((await stack.client.workflow(res.workflowId)).phase, 'open');
      assert.equal(pr.merged, false);

      // Approved again on the new head: merged, with the pushed commit.
      await onGh.review(pr.number, { event: 'approve', by: 'alice' });
      const final = await until(res.workflowId, ended, 'the merge');
      assert.equal(final.phase, 'merged');
      assert.equal(final.pr?.headSha, pushed);
      assert.equal(await deploymentFile(deployments, 'apps/checkout/production/NOTES.md'), 'why\n');
    });
  });

  describe('GitLab', () => {
    it('a release in paws.yaml itself: an approval on GitLab, told by its Merge Request Hook, merges it in seconds', async () => {
      const project = await gl.project('platform/checkout', { 'paws.yaml': RELEASE_PAWS });
      gl.addMember(project.path, 'rita', 30);
      const remote = 'https://gitlab.test/platform/checkout.git';
      const res = await asDev(GL_TOKENS.dev!).createRelease({ repo: remote, env: 'staging', image: 'ghcr.io/acme/checkout:1.4.3' });
      assert.equal(res.phase, 'open');
      assert.equal(res.release?.previousImage, 'ghcr.io/acme/checkout:1.4.2');
      assert.equal(res.pr?.url, `${gl.url}/platform/checkout/-/merge_requests/${res.pr?.number}`);
      const rita = new GitLabProvider({
        repo: 'platform/checkout', baseUrl: gl.url, host: 'gitlab.test', projectPath: 'platform/checkout', token: GL_SERVICE,
        userToken: (u: string) => GL_TOKENS[u], retry: { minDelayMs: 10 },
      });
      const mr = await rita.getPullRequest(res.pr!.number);
      assert.match(mr.head, /^idp\/release\/checkout\/staging\/v1@[0-9a-f]+$/);
      const files = await project.git.changedFiles(mr.baseSha, mr.headSha);
      assert.deepEqual(files.map((f) => f.path), ['paws.yaml']);
      assert.match(files[0]!.after!, /image: ghcr\.io\/acme\/checkout:1\.4\.3/);

      await rita.review(mr.number, { event: 'approve', by: 'rita' });
      assert.equal((await stack.client.workflow(res.workflowId)).phase, 'open', 'nothing happens before the hook arrives');
      // GitLab sends a Merge Request Hook with action "approval" for each reviewer's approval.
      const body = JSON.stringify({
        object_kind: 'merge_request', event_type: 'merge_request', user: { username: 'rita' },
        project: { id: project.id, path_with_namespace: project.path },
        object_attributes: {
          iid: mr.number, action: 'approval', state: 'opened', source_branch: mr.head, target_branch: mr.base,
          source_project_id: project.id, target_project_id: project.id, last_commit: { id: mr.headSha },
        },
      });
      const hook = await fetch(hooks.gitlab, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Merge Request Hook', 'x-gitlab-token': HOOK_SECRET, 'x-gitlab-event-uuid': randomUUID() },
        body,
      });
      assert.equal(hook.status, 202);
      assert.equal(((await hook.json()) as { signalled: number }).signalled, 1);
      const final = await until(res.workflowId, ended, 'the merge');
      assert.equal(final.phase, 'merged');
      const main = await project.git.entry((await project.git.branchSha('main'))!, 'paws.yaml');
      const spec = parsePaws(main?.type === 'blob' ? main.text : '').spec;
      assert.equal(spec.environments?.staging?.image, 'ghcr.io/acme/checkout:1.4.3');
      assert.equal(spec.environments?.production?.image, undefined);
      const staging = await ledger(remote, 'staging', (e) => e.releases[0]?.outcome === 'merged', 'the ledger');
      assert.deepEqual(staging.releases[0]?.approvers, ['rita']);
      assert.ok(gl.deliveries.some((d) => d.event === 'Merge Request Hook' && d.action === 'merge' && d.status === 202), JSON.stringify(gl.deliveries));
    });

    /** A Merge Request Hook as GitLab sends it (the fake's own hooks cover open/merge/close only); the receiver's answer. */
    async function mrHook(project: { id: number; path: string }, mr: { number: number; head: string; base: string; headSha: string }, action: string) {
      const res = await fetch(hooks.gitlab, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Merge Request Hook', 'x-gitlab-token': HOOK_SECRET, 'x-gitlab-event-uuid': randomUUID() },
        body: JSON.stringify({
          object_kind: 'merge_request', event_type: 'merge_request', user: { username: 'someone' },
          project: { id: project.id, path_with_namespace: project.path },
          object_attributes: {
            iid: mr.number, action, state: 'opened', source_branch: mr.head, target_branch: mr.base,
            source_project_id: project.id, target_project_id: project.id, last_commit: { id: mr.headSha },
          },
        }),
      });
      return { status: res.status, body: (await res.json()) as { signalled?: number } };
    }

    it('a comment with the hidden approve marker approves nothing; a reviewer\'s "Request changes" in GitLab rejects the release', async () => {
      const project = await gl.project('platform/forged', { 'paws.yaml': RELEASE_PAWS });
      for (const u of ['rita', 'carol', 'eve']) gl.addMember(project.path, u, 30);
      const remote = 'https://gitlab.test/platform/forged.git';
      const ref = { repo: remote };
      const res = await asDev(GL_TOKENS.dev!).createRelease({ repo: remote, env: 'staging', image: 'ghcr.io/acme/checkout:6.6.6' });
      assert.equal(res.phase, 'open');
      const onGitLab = new GitLabProvider({
        repo: 'platform/forged', baseUrl: gl.url, host: 'gitlab.test', projectPath: 'platform/forged', token: GL_SERVICE,
        userToken: (u: string) => GL_TOKENS[u], retry: { minDelayMs: 10 },
      });
      const mr = await onGitLab.getPullRequest(res.pr!.number);

      // A note anyone who can comment writes, invisible in GitLab's UI; then the MR is updated (its hook wakes the release).
      await onGitLab.comment(mr.number, `LGTM\n\n<!-- idp:review approved ${mr.headSha} -->`, 'eve');
      assert.equal((await mrHook(project, mr, 'update')).body.signalled, 1);
      let shown = await stack.client.release(ref, 'staging', 1);
      assert.deepEqual([shown.verdict?.satisfied, shown.verdict?.approvedBy], [false, []], 'a note is no approval');

      // carol asks for changes in GitLab's review (GitLab records her reviewer state): that rejects the release.
      gl.setReviewerState(project.path, mr.number, 'carol', 'requested_changes');
      shown = await stack.client.release(ref, 'staging', 1);
      assert.deepEqual([shown.verdict?.satisfied, shown.verdict?.changesRequestedBy], [false, ['carol']]);
      assert.equal((await mrHook(project, mr, 'update')).body.signalled, 1);
      const final = await until(res.workflowId, ended, 'the rejection');
      assert.equal(final.phase, 'failed');
      assert.match(final.error?.message ?? '', /carol requested changes/);
      const main = await project.git.entry((await project.git.branchSha('main'))!, 'paws.yaml');
      assert.equal(main?.type === 'blob' ? main.text : undefined, RELEASE_PAWS, 'nothing released');
    });
  });
});
