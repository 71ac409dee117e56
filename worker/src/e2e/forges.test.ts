/**
 * `idp env clone` end to end on GitHub and on GitLab: Platform API → Temporal
 * workflow (real dev server) → provider (octokit / gitbeaker) → the forge fake
 * over HTTP → PR/MR → merge → outcome. The fakes send webhooks like the forges
 * do, and the workflows poll only every ten minutes here, so a quick reaction to
 * a merge made on the forge itself proves the webhook path.
 */
import { after, before, describe, it } from 'node:test';
import { once } from 'node:events';
import assert from 'node:assert/strict';
import { parsePaws } from '@idp/core';
import { PlatformClient } from '@idp/core/client';
import { startTestStack, type TestStack } from '../testing/stack.js';
import { type FakeGit, type GitHubFake, type GitLabFake, startGitHubFake, startGitLabFake } from '@idp/providers/testing';
import { type ForgeHost, GitHubProvider, GitLabProvider } from '@idp/providers';
import { CHECKOUT_PAWS, completed, eventually } from './fixtures.js';
import { freePort } from '../testing/ports.js';

const SERVICE = 'ghs_idp_service';
const REVIEWER = 'ghp_reviewer';
const HOOK_SECRET = 'webhook-secret';

describe('env clone on GitHub', () => {
  let fake: GitHubFake;
  let stack: TestStack;
  before(async () => {
    fake = await startGitHubFake({ users: { [SERVICE]: 'idp-bot', [REVIEWER]: 'rita' } });
    stack = await startTestStack({
      pollIntervalMs: 600_000,
      forges: [{ kind: 'github', host: 'github.test', apiUrl: fake.url, github: { token: SERVICE }, webhookSecret: HOOK_SECRET }],
    });
    fake.hook(stack.api.url.replace(/\/api\/idp$/, '/webhooks/github'), HOOK_SECRET);
  });
  after(async () => {
    await stack?.stop();
    await fake?.close();
    assert.deepEqual(fake.violations, []);
  });

  it('opens a labelled GitHub PR with exactly the new environment; a merge through idp ends the workflow merged', async () => {
    const gh = await fake.createRepo('acme/checkout', { 'paws.yaml': CHECKOUT_PAWS });
    const remote = 'https://github.test/acme/checkout.git';
    const mainBefore = (await gh.git.branchSha('main'))!;

    const res = await stack.client.cloneEnvironment('staging', { repo: remote, target: 'preview-123' });
    assert.equal(res.phase, 'open');
    assert.equal(res.pr?.url, `${fake.url}/acme/checkout/pull/1`);
    const pr = gh.pulls.get(1)!;
    assert.equal(pr.head, 'idp/env-clone/checkout/preview-123');
    assert.deepEqual(pr.labels.sort(), ['env-clone', 'idp']);
    assert.equal(pr.user.login, 'idp-bot');
    assert.equal(await gh.git.branchSha('main'), mainBefore, 'main did not move');
    const files = await gh.git.changedFiles(mainBefore, pr.headSha);
    assert.deepEqual(files.map((f) => f.path), ['paws.yaml']);
    assert.equal(parsePaws(files[0]!.after!).spec.environments?.['preview-123']?.from, 'staging');

    const viaApi = await stack.client.pull({ repo: remote }, 1);
    assert.equal(viaApi.headSha, pr.headSha);

    // Reviewing through idp needs the reviewer's own GitHub token (the CLI sends GH_TOKEN/GITHUB_TOKEN).
    await assert.rejects(stack.clientAs('rita@example.com').review(1, { repo: remote, event: 'approve' }), /own GitHub token/);
    const rita = new PlatformClient({ baseUrl: stack.api.url, token: stack.token, user: 'rita@example.com', forgeToken: REVIEWER });
    const reviewed = await rita.review(1, { repo: remote, event: 'approve', body: 'LGTM' });
    assert.deepEqual(reviewed.reviews.map((r) => [r.by, r.state, r.commitSha]), [['rita', 'approved', pr.headSha]]);

    const merged = await rita.merge(1, { repo: remote });
    assert.equal(merged.mergedBy, 'rita', 'GitHub records the person who merged, not the service account');
    const done = await completed(stack.client, res.workflowId);
    assert.equal(done.phase, 'merged');
    const main = await gh.git.entry((await gh.git.branchSha('main'))!, 'paws.yaml');
    assert.equal(main?.type === 'blob' && parsePaws(main.text).spec.environments?.['preview-123']?.from, 'staging');
    await eventually(async () => (await gh.git.branchSha(pr.head)) === null, 10_000, 'branch deletion after merge');
  });

  it('keeps its PRs mergeable on GitHub: after a sibling merges, the conflicting clone is rebased onto main (Git Data API + compare-and-swap)', async () => {
    const gh = await fake.createRepo('acme/siblings', { 'paws.yaml': CHECKOUT_PAWS });
    const remote = 'https://github.test/acme/siblings.git';
    const a = await stack.client.cloneEnvironment('staging', { repo: remote, target: 'sib-a' });
    const b = await stack.client.cloneEnvironment('staging', { repo: remote, target: 'sib-b' });
    await stack.client.merge(a.pr!.number, { repo: remote });
    const rebased = await eventually(async () => {
      const pr = await stack.client.pull({ repo: remote }, b.pr!.number);
      return pr.headSha !== b.pr!.headSha && pr;
    }, 15_000, 'PR b to be rebased');
    const mainNow = (await gh.git.branchSha('main'))!;
    assert.deepEqual((await gh.git.commit(rebased.headSha))?.parents, [mainNow], 'one commit on top of the new main');
    await stack.client.merge(b.pr!.number, { repo: remote });
    assert.equal((await completed(stack.client, b.workflowId)).phase, 'merged');
    const main = await gh.git.entry((await gh.git.branchSha('main'))!, 'paws.yaml');
    assert.deepEqual(Object.keys((main?.type === 'blob' && parsePaws(main.text).spec.environments) || {}), ['staging', 'production', 'sib-a', 'sib-b']);
  });

  it('a merge made on GitHub reaches the workflow through the signed webhook, not the 10-minute poll', async () => {
    const gh = await fake.createRepo('acme/payments', { 'paws.yaml': CHECKOUT_PAWS.replace('name: checkout', 'name: payments') });
    const remote = 'git@github.test:acme/payments.git';
    const res = await stack.client.cloneEnvironment('staging', { repo: remote, target: 'preview-9' });
    const number = res.pr!.number;
    const head = gh.pulls.get(number)!.headSha;

    // Rita reviews and merges on GitHub itself, not through idp.
    const rita = new GitHubProvider({
      repo: remote, owner: 'acme', name: 'payments', host: 'github.test', apiUrl: fake.url,
      auth: { token: SERVICE }, userToken: (u) => (u === 'rita' ? REVIEWER : undefined), paceWrites: false,
    });
    await rita.review(number, { event: 'approve', by: 'rita' });
    await rita.merge(number, { by: 'rita', expectedHeadSha: head });
    const started = Date.now();
    const done = await completed(stack.client, res.workflowId);
    assert.equal(done.phase, 'merged');
    assert.ok(Date.now() - started < 30_000, 'reacted within seconds');
    assert.ok(fake.deliveries.some((d) => d.event === 'pull_request' && d.action === 'closed' && d.status === 202), JSON.stringify(fake.deliveries));
  });
});


/** A forge fake with the settings a stack and a separately started worker need to use it. */
interface KillTarget {
  host: ForgeHost;
  /** The same forge for a worker process, which reads it from the environment as a deployed worker does. */
  workerEnv: Record<string, string>;
  repo(name: string): Promise<{ remote: string; git: FakeGit }>;
  violations: string[];
  close(): Promise<void>;
}

const killTargets: { forge: string; start(): Promise<KillTarget> }[] = [
  {
    forge: 'GitHub',
    async start() {
      const fake = await startGitHubFake({ users: { [SERVICE]: 'idp-bot' } });
      return {
        host: { kind: 'github', host: 'github.test', apiUrl: fake.url, github: { token: SERVICE } },
        workerEnv: { IDP_FORGES: JSON.stringify({ 'github.test': { kind: 'github', apiUrl: fake.url, tokenEnv: 'TEST_FORGE_TOKEN' } }), TEST_FORGE_TOKEN: SERVICE },
        repo: async (name) => ({ remote: `https://github.test/acme/${name}.git`, git: (await fake.createRepo(`acme/${name}`, { 'paws.yaml': CHECKOUT_PAWS })).git }),
        violations: fake.violations,
        close: () => fake.close(),
      };
    },
  },
  {
    forge: 'GitLab',
    async start() {
      const token = 'glpat-idp-service';
      const fake = await startGitLabFake({ users: { [token]: 'idp-bot' } });
      return {
        host: { kind: 'gitlab', host: 'gitlab.test', apiUrl: fake.url, gitlabToken: token },
        workerEnv: { IDP_FORGES: JSON.stringify({ 'gitlab.test': { kind: 'gitlab', apiUrl: fake.url, tokenEnv: 'TEST_FORGE_TOKEN' } }), TEST_FORGE_TOKEN: token },
        repo: async (name) => ({ remote: `https://gitlab.test/platform/${name}.git`, git: (await fake.project(`platform/${name}`, { 'paws.yaml': CHECKOUT_PAWS })).git }),
        violations: fake.violations,
        close: () => fake.close(),
      };
    },
  },
];

for (const { forge, start } of killTargets) {
  describe(`${forge}: the worker killed at the worst moments`, () => {
    let target: KillTarget;
    let stack: TestStack;
    before(async () => {
      target = await start();
      stack = await startTestStack({ inProcessWorker: false, forges: [target.host] });
    });
    after(async () => {
      await stack?.stop();
      await target?.close();
      assert.deepEqual(target.violations, []);
    });

    for (const point of ['after-push', 'after-open'] as const) {
      it(`${point}: restart → exactly one branch commit and one PR/MR`, async (t) => {
        const { remote, git } = await target.repo(`kill-${point}`);
        const branch = `idp/env-clone/checkout/kill-${point}`;
        const doomed = stack.spawnWorker({ ...target.workerEnv, IDP_FAULT: point });
        const request = stack.client.cloneEnvironment('staging', { repo: remote, target: `kill-${point}` });
        const [, signal] = await once(doomed, 'exit');
        assert.equal(signal, 'SIGKILL', 'the worker died at the fault point');
        assert.ok(await git.branchSha(branch), 'it had pushed the branch');

        const healthy = stack.spawnWorker(target.workerEnv);
        t.after(async () => {
          healthy.kill('SIGTERM');
          if (healthy.exitCode === null && healthy.signalCode === null) await once(healthy, 'exit');
        });
        const res = await request;
        assert.equal(res.phase, 'open');
        const pulls = await stack.client.listPulls({ repo: remote }, 'all');
        assert.equal(pulls.length, 1, `exactly one PR/MR on ${forge}`);
        assert.equal(pulls[0]!.number, res.pr?.number);
        const head = (await git.branchSha(branch))!;
        assert.deepEqual((await git.commit(head))?.parents, [await git.branchSha('main')], 'one commit on top of main, not two');
      });
    }
  });
}

describe('env clone on GitLab', () => {
  const GL_SERVICE = 'glpat-idp-service';
  const GL_REVIEWER = 'glpat-rita';
  let fake: GitLabFake;
  let stack: TestStack;
  before(async () => {
    fake = await startGitLabFake({ users: { [GL_SERVICE]: 'idp-bot', [GL_REVIEWER]: 'rita' } });
    stack = await startTestStack({
      pollIntervalMs: 600_000,
      forges: [{ kind: 'gitlab', host: 'gitlab.test', apiUrl: fake.url, gitlabToken: GL_SERVICE, webhookSecret: HOOK_SECRET }],
    });
    fake.hook(stack.api.url.replace(/\/api\/idp$/, '/webhooks/gitlab'), HOOK_SECRET);
  });
  after(async () => {
    await stack?.stop();
    await fake?.close();
    assert.deepEqual(fake.violations, []);
  });

  /** Rita, acting on GitLab directly (not through idp). */
  const onGitLab = (project: string, asService = false) =>
    new GitLabProvider({
      repo: project, baseUrl: fake.url, host: 'gitlab.test', projectPath: project, token: GL_SERVICE,
      ...(asService ? {} : { userToken: (u: string) => (u === 'rita' ? GL_REVIEWER : undefined) }), retry: { minDelayMs: 10 },
    });

  it('opens a labelled MR with exactly the new environment; a merge through idp ends the workflow merged', async () => {
    const project = await fake.project('platform/checkout', { 'paws.yaml': CHECKOUT_PAWS });
    const remote = 'https://gitlab.test/platform/checkout.git';
    const mainBefore = (await project.git.branchSha('main'))!;

    const res = await stack.client.cloneEnvironment('staging', { repo: remote, target: 'preview-123' });
    assert.equal(res.phase, 'open');
    assert.equal(res.pr?.url, `${fake.url}/platform/checkout/-/merge_requests/1`);
    const mr = (await onGitLab('platform/checkout', true).getPullRequest(1));
    assert.equal(mr.head, 'idp/env-clone/checkout/preview-123');
    assert.deepEqual(mr.labels.sort(), ['env-clone', 'idp']);
    assert.equal(mr.author, 'idp-bot');
    assert.equal(await project.git.branchSha('main'), mainBefore, 'main did not move');
    const files = await project.git.changedFiles(mainBefore, mr.headSha);
    assert.deepEqual(files.map((f) => f.path), ['paws.yaml']);
    assert.equal(parsePaws(files[0]!.after!).spec.environments?.['preview-123']?.from, 'staging');

    await stack.client.merge(1, { repo: remote });
    const done = await completed(stack.client, res.workflowId);
    assert.equal(done.phase, 'merged');
    const main = await project.git.entry((await project.git.branchSha('main'))!, 'paws.yaml');
    assert.equal(main?.type === 'blob' && parsePaws(main.text).spec.environments?.['preview-123']?.from, 'staging');
    await eventually(async () => (await project.git.branchSha(mr.head)) === null, 10_000, 'branch deletion after merge');
  });

  it('a merge made on GitLab reaches the workflow through the Merge Request Hook, not the 10-minute poll', async () => {
    await fake.project('platform/payments', { 'paws.yaml': CHECKOUT_PAWS.replace('name: checkout', 'name: payments') });
    const res = await stack.client.cloneEnvironment('staging', { repo: 'git@gitlab.test:platform/payments.git', target: 'preview-9' });
    const rita = onGitLab('platform/payments');
    const mr = await rita.getPullRequest(res.pr!.number);
    await rita.review(mr.number, { event: 'approve', by: 'rita' });
    await eventually(() => rita.mergeable(mr.number), 10_000, 'GitLab to finish its merge check');
    await rita.merge(mr.number, { by: 'rita', expectedHeadSha: mr.headSha });
    const started = Date.now();
    const done = await completed(stack.client, res.workflowId);
    assert.equal(done.phase, 'merged');
    assert.ok(Date.now() - started < 30_000, 'reacted within seconds');
    assert.ok(fake.deliveries.some((d) => d.event === 'Merge Request Hook' && d.action === 'merge' && d.status === 202), JSON.stringify(fake.deliveries));
  });
});

describe('a worker deployed on its own receives the webhooks (IDP_WEBHOOK_PORT)', () => {
  let fake: GitHubFake;
  let stack: TestStack;
  before(async () => {
    fake = await startGitHubFake({ users: { [SERVICE]: 'idp-bot', [REVIEWER]: 'rita' } });
    stack = await startTestStack({ inProcessWorker: false, pollIntervalMs: 600_000, forges: [{ kind: 'github', host: 'github.test', apiUrl: fake.url, github: { token: SERVICE } }] });
  });
  after(async () => {
    await stack?.stop();
    await fake?.close();
    assert.deepEqual(fake.violations, []);
  });

  it('a merge on GitHub ends the workflow within seconds through the worker process\'s receiver', async (t) => {
    const port = await freePort();
    const worker = stack.spawnWorker({
      IDP_FORGES: JSON.stringify({ 'github.test': { kind: 'github', apiUrl: fake.url, tokenEnv: 'TEST_GITHUB_TOKEN', webhookSecretEnv: 'TEST_HOOK_SECRET' } }),
      TEST_GITHUB_TOKEN: SERVICE,
      TEST_HOOK_SECRET: HOOK_SECRET,
      IDP_WEBHOOK_PORT: String(port),
    });
    t.after(async () => {
      worker.kill('SIGTERM');
      if (worker.exitCode === null && worker.signalCode === null) await once(worker, 'exit');
    });
    fake.hook(`http://127.0.0.1:${port}/webhooks/github`, HOOK_SECRET);
    await fake.createRepo('acme/standalone', { 'paws.yaml': CHECKOUT_PAWS });
    const res = await stack.client.cloneEnvironment('staging', { repo: 'https://github.test/acme/standalone.git', target: 'preview-5' });
    const rita = new GitHubProvider({
      repo: 'acme/standalone', owner: 'acme', name: 'standalone', host: 'github.test', apiUrl: fake.url,
      auth: { token: SERVICE }, userToken: (u) => (u === 'rita' ? REVIEWER : undefined), paceWrites: false,
    });
    await rita.merge(res.pr!.number, { by: 'rita' });
    const done = await completed(stack.client, res.workflowId);
    assert.equal(done.phase, 'merged');
    assert.ok(fake.deliveries.some((d) => d.event === 'pull_request' && d.action === 'closed' && d.status === 202), JSON.stringify(fake.deliveries));
  });
});

