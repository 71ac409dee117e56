/**
 * `idp env clone` end to end on GitHub: Platform API → Temporal workflow (real
 * dev server) → GitHub provider (octokit) → the GitHub fake over HTTP → PR →
 * merge → outcome. The fake sends signed webhooks like GitHub does, and the
 * workflows poll only every ten minutes here, so a quick reaction to a merge
 * made on GitHub itself proves the webhook path.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parsePaws } from '@idp/core';
import { startTestStack, type TestStack } from '../testing/stack.js';
import { startGitHubFake, type GitHubFake } from '../testing/github-fake.js';
import { GitHubProvider } from '../providers/github.js';
import { CHECKOUT_PAWS, completed, eventually } from './fixtures.js';

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

    await stack.client.merge(1, { repo: remote });
    const done = await completed(stack.client, res.workflowId);
    assert.equal(done.phase, 'merged');
    const main = await gh.git.entry((await gh.git.branchSha('main'))!, 'paws.yaml');
    assert.equal(main?.type === 'blob' && parsePaws(main.text).spec.environments?.['preview-123']?.from, 'staging');
    await eventually(async () => (await gh.git.branchSha(pr.head)) === null, 10_000, 'branch deletion after merge');
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
