/**
 * Release activities on their own: the verdict on a forge that says who may
 * write (a small in-memory provider), and prepareRelease's deploy-access check
 * right before it writes (real bare repositories, MockActivityEnvironment).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/activity';
import { DEFAULT_RELEASE_FLOORS, parsePaws, releasePlan, SecretsConfig, type PullRequest, type ReleasePolicy, type Review } from '@idp/core';
import type { ReleaseInput } from '@idp/workflows/release-shared';
import { providerFor, releaseVerdict, type GitProvider } from '@idp/providers';
import { createRepo } from '@idp/providers/testing';
import { branches, git, kustomization, RELEASE_PAWS } from '../e2e/fixtures.js';
import { createReleaseActivities } from './releases.js';

const HEAD = 'c0ffee';
const policy: ReleasePolicy = { approvals: 1, approvers: [], requiredChecks: [], selfApproval: false, autoMerge: true, timeout: '7d', timeoutMs: 7 * 86_400_000 };
const review = (by: string, state: Review['state'], minute: number): Review => ({ by, state, commitSha: HEAD, at: new Date(Date.UTC(2026, 10, 26, 10, minute)).toISOString() });

/** A PR on a forge where only `writers` can write; counts canWrite calls per login. */
function forgeWith(writers: string[], reviews: Review[]) {
  const asked: string[] = [];
  const pull = { number: 7, state: 'open', headSha: HEAD, reviews } as PullRequest;
  const provider = {
    kind: 'github',
    repo: 'https://github.com/acme/deployments.git',
    id: 'github:github.com/acme/deployments',
    canWrite: async (login: string) => {
      asked.push(login);
      return writers.includes(login);
    },
  } as unknown as GitProvider;
  return { provider, pull, asked };
}

describe('releaseVerdict on a forge with write permissions', () => {
  it('approvals and change requests of reviewers who cannot write do not count; canWrite once per reviewer', async () => {
    const { provider, pull, asked } = forgeWith(['alice'], [
      review('reader', 'approved', 1),
      review('reader', 'approved', 2),
      review('outsider', 'changes_requested', 3),
      review('alice', 'commented', 4),
    ]);
    const v = await releaseVerdict(provider, pull, policy, { by: 'dev@example.com', login: 'dev' });
    assert.equal(v.satisfied, false);
    assert.deepEqual(v.approvedBy, []);
    assert.deepEqual(v.changesRequestedBy, [], "a read-only reviewer's change request does not reject the release");
    assert.deepEqual(v.ignored, [{ by: 'reader', why: 'cannot write to https://github.com/acme/deployments.git' }]);
    assert.deepEqual(asked.sort(), ['outsider', 'reader']);

    const ok = forgeWith(['alice'], [review('reader', 'approved', 1), review('alice', 'approved', 2)]);
    const counted = await releaseVerdict(ok.provider, ok.pull, policy, { by: 'dev@example.com', login: 'dev' });
    assert.deepEqual([counted.satisfied, counted.approvedBy], [true, ['alice']]);
  });

  it('the requester approving under another of their names (an alias, in any case) does not count', async () => {
    const { provider, pull } = forgeWith(['alice-gh', 'bob'], [review('alice-gh', 'approved', 1), review('bob', 'approved', 2)]);
    const requester = { by: 'user:default/alice', aliases: ['alice@corp.example', 'Alice-GH'] };
    const v = await releaseVerdict(provider, pull, { ...policy, approvals: 2 }, requester);
    assert.deepEqual([v.satisfied, v.approvedBy], [false, ['bob']]);
    assert.deepEqual(v.ignored, [{ by: 'alice-gh', why: 'is the author' }]);
    // Without the alias the same review would have counted: the alias is what excludes it.
    const unaware = await releaseVerdict(provider, pull, { ...policy, approvals: 2 }, { by: 'user:default/alice' });
    assert.deepEqual(unaware.approvedBy, ['alice-gh', 'bob']);
  });
});

describe('releasePlan', () => {
  it("raises releases and rollbacks to the platform's floor", () => {
    const spec = parsePaws(RELEASE_PAWS.replace('rollback: { approvals: 1 }', 'rollback: { approvals: 0, selfApproval: true }')).spec;
    const rollback = releasePlan(spec, { env: 'production', path: 'paws.yaml', kind: 'rollback' }, DEFAULT_RELEASE_FLOORS).policy;
    assert.deepEqual([rollback.approvals, rollback.selfApproval, rollback.floor?.raised], [1, false, ['approvals', 'selfApproval']]);
    assert.equal(releasePlan(spec, { env: 'production', path: 'paws.yaml', kind: 'rollback' }, {}).policy.approvals, 0);
    assert.equal(releasePlan(spec, { env: 'production', path: 'paws.yaml', kind: 'create' }, DEFAULT_RELEASE_FLOORS).policy.approvals, 2, 'never lowered');
  });
});

describe('prepareRelease and deployment repositories', () => {
  const run = <A extends unknown[], R>(fn: (...a: A) => Promise<R>, ...args: A): Promise<R> => new MockActivityEnvironment().run(fn, ...args) as Promise<R>;

  it('refuses (non-retryable, forbidden) to write into another repository that has not opted in, however the request got there', async (t) => {
    const deploy = await createRepo({ files: { 'apps/payments/production/kustomization.yaml': kustomization('1.0.0') } });
    t.after(() => deploy.cleanup());
    const paws = RELEASE_PAWS.replace('environments:\n', `deploy:\n  repo: ${deploy.bare}\n  path: apps/payments/{env}\n  format: kustomize\nenvironments:\n`);
    const component = await createRepo({ files: { 'paws.yaml': paws } });
    t.after(() => component.cleanup());
    const acts = createReleaseActivities((r) => providerFor(r), DEFAULT_RELEASE_FLOORS);
    const input: ReleaseInput & { workflowId: string } = {
      repo: component.bare, path: 'paws.yaml', component: 'checkout', env: 'production', kind: 'create', image: 'ghcr.io/evil/payments:6.6.6',
      requestedBy: 'mallory', requestedAt: new Date().toISOString(), requestId: 'r1', number: 1, queueId: 'releases:checkout:production@0123456789', workflowId: 'release:checkout:production:v1@0123456789',
    };
    await assert.rejects(run(acts.prepareRelease, input), (e: unknown) => {
      assert.ok(e instanceof ApplicationFailure, String(e));
      assert.equal(e.type, 'forbidden');
      assert.equal(e.nonRetryable, true);
      assert.match(e.message, /does not take releases from .*\.idp\/deploy-access\.yaml/s);
      return true;
    });
    assert.deepEqual(branches(deploy.bare), ['main'], 'nothing written');

    // The deployment repository's owners opt in for that path: the same request is prepared.
    await deploy.push({ files: { '.idp/deploy-access.yaml': `apiVersion: paws.dev/v1\nkind: DeployAccess\ngrants:\n  - repo: ${component.bare}\n    paths: [apps/payments/**]\n` } });
    const prepared = await run(acts.prepareRelease, input);
    assert.equal(prepared.repo, deploy.bare);
    assert.equal(prepared.policy.approvals, 2);
  });
});

describe('prepareRelease and the ExternalSecret of a kustomize overlay', () => {
  const run = <A extends unknown[], R>(fn: (...a: A) => Promise<R>, ...args: A): Promise<R> => new MockActivityEnvironment().run(fn, ...args) as Promise<R>;
  const AWS_V = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
  const secrets = SecretsConfig.parse({
    stores: {
      vault: { type: 'vault', address: 'http://127.0.0.1:8200', mount: 'secret', tokenEnv: 'VAULT_TOKEN' },
      aws: { type: 'aws-sm', region: 'eu-west-1' },
      local: { type: 'sops', repo: '/var/idp/secrets.git', ageKeyFile: '/var/idp/age.key' },
    },
    rules: [{ environments: 'prod*', store: 'aws' }],
    default: 'vault',
  });
  const paws = (deployRepo: string) =>
    RELEASE_PAWS.replace('environments:\n', `deploy:\n  repo: ${deployRepo}\n  path: apps/payments/{env}\n  format: kustomize\nenvironments:\n`).replace(
      '  production:\n',
      [
        '  production:',
        '    secrets:',
        `      STRIPE_KEY: { ref: "aws-sm://idp/checkout/production/STRIPE_KEY", version: "${AWS_V}" }`,
        '      DB_PASSWORD: { ref: "vault://secret/idp/checkout/production/DB_PASSWORD#value", version: "3" }',
        '      LOCAL_ONLY: { ref: "sops://checkout/production.enc.yaml#LOCAL_ONLY" }',
        '',
      ].join('\n'),
    );
  const inputFor = (repo: string, n: number): ReleaseInput & { workflowId: string } => ({
    repo, path: 'paws.yaml', component: 'checkout', env: 'production', kind: 'create', image: `ghcr.io/acme/checkout:2.0.${n}`,
    requestedBy: 'dev', requestedAt: new Date().toISOString(), requestId: `r${n}`, number: n, queueId: 'releases:checkout:production@0123456789', workflowId: `release:checkout:production:v${n}@0123456789`,
  });
  const show = (bare: string, ref: string, path: string) => git(bare, 'show', `${ref}:${path}`);

  it('writes externalsecret.yaml beside the overlay and lists it; a retry reuses the branch; the PR says what it fetches', async (t) => {
    const deploy = await createRepo({ files: { 'apps/payments/production/kustomization.yaml': kustomization('1.0.0') } });
    t.after(() => deploy.cleanup());
    const component = await createRepo({ files: { 'paws.yaml': paws(deploy.bare) } });
    t.after(() => component.cleanup());
    await deploy.push({ files: { '.idp/deploy-access.yaml': `apiVersion: paws.dev/v1\nkind: DeployAccess\ngrants:\n  - repo: ${component.bare}\n    paths: [apps/payments/**]\n` } });
    const acts = createReleaseActivities((r) => providerFor(r), DEFAULT_RELEASE_FLOORS, secrets);

    const input = inputFor(component.bare, 1);
    const prepared = await run(acts.prepareRelease, input);
    const k = show(deploy.bare, prepared.headSha, 'apps/payments/production/kustomization.yaml');
    assert.match(k, /resources:\n {2}- \.\.\/\.\.\/base\n {2}- externalsecret\.yaml\nimages:/);
    assert.match(k, /newTag: "2\.0\.1"/);
    const es = show(deploy.bare, prepared.headSha, 'apps/payments/production/externalsecret.yaml');
    assert.match(es, /^# Written by idp/);
    assert.match(es, /secretStoreRef:\n {4}kind: ClusterSecretStore\n {4}name: idp-aws\n/);
    assert.match(es, new RegExp(`key: idp/checkout/production/STRIPE_KEY\\n {8}version: uuid/${AWS_V}\\n`));
    assert.match(es, /key: idp\/checkout\/production\/DB_PASSWORD\n {8}property: value\n {8}version: "3"\n {6}sourceRef:\n {8}storeRef:\n {10}kind: ClusterSecretStore\n {10}name: idp-vault/);
    assert.match(es, /# Not fetched through External Secrets: LOCAL_ONLY \(sops: /);
    assert.match(prepared.body, /Writes `apps\/payments\/production\/externalsecret\.yaml`, the ExternalSecret that fetches `DB_PASSWORD`, `STRIPE_KEY`/);
    assert.match(prepared.body, /Not fetched by an ExternalSecret: `LOCAL_ONLY`/);

    // A retry (the activity ran again after a crash) finds the branch with both files and writes nothing new.
    const again = await run(acts.prepareRelease, input);
    assert.equal(again.headSha, prepared.headSha);
    assert.equal(git(deploy.bare, 'rev-parse', `${again.headSha}^`).trim(), git(deploy.bare, 'rev-parse', 'main').trim(), 'one commit on top of main');

    // Merged, the next release changes only the tag: the ExternalSecret is already there and the same.
    git(deploy.bare, 'update-ref', 'refs/heads/main', prepared.headSha);
    const next = await run(acts.prepareRelease, inputFor(component.bare, 2));
    assert.deepEqual(git(deploy.bare, 'diff', '--name-only', 'main', next.headSha).trim().split('\n'), ['apps/payments/production/kustomization.yaml']);
    assert.match(next.body, /`apps\/payments\/production\/externalsecret\.yaml` \(the ExternalSecret\) already fetches `DB_PASSWORD`, `STRIPE_KEY`\./);
  });

  it('a grant that covers only the kustomization: the release goes ahead without an ExternalSecret, and the PR says why', async (t) => {
    const deploy = await createRepo({ files: { 'apps/payments/production/kustomization.yaml': kustomization('1.0.0') } });
    t.after(() => deploy.cleanup());
    const component = await createRepo({ files: { 'paws.yaml': paws(deploy.bare) } });
    t.after(() => component.cleanup());
    await deploy.push({ files: { '.idp/deploy-access.yaml': `apiVersion: paws.dev/v1\nkind: DeployAccess\ngrants:\n  - repo: ${component.bare}\n    paths: [apps/payments/production/kustomization.yaml]\n` } });
    const prepared = await run(createReleaseActivities((r) => providerFor(r), DEFAULT_RELEASE_FLOORS, secrets).prepareRelease, inputFor(component.bare, 1));
    assert.deepEqual(git(deploy.bare, 'diff', '--name-only', 'main', prepared.headSha).trim().split('\n'), ['apps/payments/production/kustomization.yaml']);
    assert.doesNotMatch(show(deploy.bare, prepared.headSha, 'apps/payments/production/kustomization.yaml'), /externalsecret/);
    assert.match(prepared.body, /`STRIPE_KEY` \(.* does not let this component write apps\/payments\/production\/externalsecret\.yaml \(\.idp\/deploy-access\.yaml\)\)/);
  });

  it('without a secrets config: one ClusterSecretStore per store kind, a Vault key with its mount', async (t) => {
    const deploy = await createRepo({ files: { 'apps/payments/production/kustomization.yaml': kustomization('1.0.0') } });
    t.after(() => deploy.cleanup());
    const component = await createRepo({ files: { 'paws.yaml': paws(deploy.bare) } });
    t.after(() => component.cleanup());
    await deploy.push({ files: { '.idp/deploy-access.yaml': `apiVersion: paws.dev/v1\nkind: DeployAccess\ngrants:\n  - repo: ${component.bare}\n    paths: [apps/payments/**]\n` } });
    const prepared = await run(createReleaseActivities((r) => providerFor(r), DEFAULT_RELEASE_FLOORS).prepareRelease, inputFor(component.bare, 1));
    const es = show(deploy.bare, prepared.headSha, 'apps/payments/production/externalsecret.yaml');
    assert.match(es, /secretStoreRef:\n {4}kind: ClusterSecretStore\n {4}name: idp-aws-sm\n/);
    assert.match(es, /key: secret\/idp\/checkout\/production\/DB_PASSWORD\n {8}property: value\n {8}version: "3"\n {6}sourceRef:\n {8}storeRef:\n {10}kind: ClusterSecretStore\n {10}name: idp-vault/);
  });
});
