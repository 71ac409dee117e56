/**
 * Activities on their own, against a real bare repository (no Temporal server:
 * MockActivityEnvironment gives them an activity context). Each is idempotent,
 * and a refusal is a non-retryable failure typed with the API error code.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/activity';
import type { EnvChangeInput } from '@idp/workflows/shared';
import { createActivities } from './index.js';
import { providerFor } from '@idp/providers';
import { createRepo, type TestRepo } from '@idp/providers/testing';
import { CHECKOUT_PAWS } from '../e2e/fixtures.js';

const run = <A extends unknown[], R>(fn: (...a: A) => Promise<R>, ...args: A): Promise<R> => new MockActivityEnvironment().run(fn, ...args) as Promise<R>;

describe('activities', () => {
  let repo: TestRepo;
  const acts = createActivities((r) => providerFor(r));
  const input = (env: string, extra: Partial<EnvChangeInput> = {}): EnvChangeInput & { workflowId: string } => ({
    kind: 'env-clone', repo: repo.bare, path: 'paws.yaml', component: 'checkout', env, source: 'staging',
    requestedBy: 'dev@example.com', requestedAt: '2026-11-24T10:00:00.000Z', workflowId: `env-clone:checkout:${env}@abc`, ...extra,
  });
  before(async () => {
    repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
  });
  after(() => repo.cleanup());

  it('prepareEnvChange twice pushes one commit and returns it both times', async () => {
    const a = await run(acts.prepareEnvChange, input('twice'));
    const b = await run(acts.prepareEnvChange, input('twice'));
    assert.equal(a.headSha, b.headSha);
    assert.equal(a.branch, 'idp/env-clone/checkout/twice');
  });

  it('openPullRequest attempts racing each other end with one PR', async () => {
    const change = await run(acts.prepareEnvChange, input('raced'));
    const prs = await Promise.all(Array.from({ length: 5 }, () => run(acts.openPullRequest, { repo: repo.bare, change, author: 'dev@example.com', labels: ['idp'] })));
    assert.equal(new Set(prs.map((p) => p.number)).size, 1);
    assert.equal((await providerFor(repo.bare).listPullRequests({ state: 'all', headPrefix: 'idp/env-clone/checkout/raced' })).pulls.length, 1);
  });

  it('a refused change is a non-retryable failure typed with the error code, and writes nothing', async () => {
    await assert.rejects(run(acts.prepareEnvChange, input('orphan', { source: 'nope' })), (e: unknown) => {
      assert.ok(e instanceof ApplicationFailure);
      assert.equal(e.type, 'not_found');
      assert.equal(e.nonRetryable, true);
      return true;
    });
    assert.equal(await providerFor(repo.bare).branchSha('idp/env-clone/checkout/orphan'), null);
  });

  it('commentOnPullRequest says a thing once, however often it is retried', async () => {
    const change = await run(acts.prepareEnvChange, input('chatty'));
    const pr = await run(acts.openPullRequest, { repo: repo.bare, change, author: 'dev@example.com', labels: [] });
    for (let i = 0; i < 3; i++) await run(acts.commentOnPullRequest, { repo: repo.bare, number: pr.number, body: 'once', marker: 'm1' });
    assert.equal((await providerFor(repo.bare).getPullRequest(pr.number)).comments.length, 1);
  });
});
