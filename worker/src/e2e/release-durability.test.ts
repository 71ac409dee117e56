/**
 * Releases survive a killed worker: killed while the release waits for
 * approval (the approval arrives while no worker runs), and killed right after
 * the merge before the workflow heard of it. Either way the PR is merged once
 * and the release completes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { workflowForBranch } from '@idp/core';
import type { ReleaseState } from '@idp/workflows/release-shared';
import { startTestStack, type TestStack } from '../testing/stack.js';
import { createRepo } from '@idp/providers/testing';
import { eventually, releaseCommits, RELEASE_PAWS } from './fixtures.js';

describe('release: worker killed', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack({ inProcessWorker: false, pollIntervalMs: 60_000 });
  });
  after(async () => {
    await stack?.stop();
  });

  const finished = (id: string) =>
    eventually(async () => {
      const s = await stack.client.workflow(id, 5);
      return s.status !== 'running' && s;
    }, 60_000, `${id} to end`);

  it('while waiting for approval: approvals given meanwhile count, and the merge happens once', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': RELEASE_PAWS } });
    t.after(() => repo.cleanup());
    const ref = { repo: repo.bare };
    const first = stack.spawnWorker();
    const res = await stack.client.createRelease({ ...ref, env: 'production', image: 'ghcr.io/acme/checkout:9.0.0' });
    assert.ok(res.pr);
    first.kill('SIGKILL');
    await once(first, 'exit');

    await stack.clientAs('alice').review(res.pr.number, { ...ref, event: 'approve' });
    await stack.clientAs('bob').review(res.pr.number, { ...ref, event: 'approve' });
    assert.equal((await stack.client.pull(ref, res.pr.number)).state, 'open', 'nothing merges without a worker');

    const second = stack.spawnWorker();
    t.after(() => second.kill('SIGTERM'));
    const final = await finished(res.workflowId);
    assert.equal(final.phase, 'merged');
    assert.deepEqual(final.release?.approvers.sort(), ['alice', 'bob']);
    assert.equal(releaseCommits(repo.bare, 'v1'), 1);
    assert.equal((await stack.client.listPulls(ref, 'all')).length, 1, 'one PR');
  });

  it('the policy is published before the PR exists: a PR whose opening was cut short (worker killed) is still held to it', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': RELEASE_PAWS } });
    t.after(() => repo.cleanup());
    const ref = { repo: repo.bare };
    const doomed = stack.spawnWorker({ IDP_FAULT: 'after-open' });
    // No answer until a worker runs again: the request is left waiting.
    const answer = stack.client.createRelease({ ...ref, env: 'staging', image: 'ghcr.io/acme/checkout:9.2.0' }).catch((err: unknown) => err);
    const [, signal] = await once(doomed, 'exit');
    assert.equal(signal, 'SIGKILL', 'the worker died right after opening the PR');
    const [pr] = await stack.client.listPulls(ref);
    assert.ok(pr, 'the PR exists');

    await assert.rejects(stack.client.merge(pr.number, ref), /release policy does not hold yet: 1 more approval/);
    assert.equal((await stack.client.pull(ref, pr.number)).state, 'open', 'not merged with 0 approvals');
    const id = workflowForBranch(pr.head)!;
    const state = (await stack.api.temporal.workflow.getHandle(id).describe()).memo?.state as ReleaseState;
    assert.equal(state.pr, undefined, 'the workflow has not heard of its PR yet');
    assert.equal(state.policy?.approvals, 1, 'its policy is in the memo all the same');
    await stack.api.temporal.workflow.getHandle(id).terminate('test over');
    await answer;
  });

  it('right after the merge, before the workflow recorded it: the restarted worker completes it without merging again', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': RELEASE_PAWS } });
    t.after(() => repo.cleanup());
    const ref = { repo: repo.bare };
    const doomed = stack.spawnWorker({ IDP_FAULT: 'after-merge' });
    const res = await stack.client.createRelease({ ...ref, env: 'staging', image: 'ghcr.io/acme/checkout:9.1.0' });
    await stack.clientAs('alice').review(res.pr!.number, { ...ref, event: 'approve' });
    const [, signal] = await once(doomed, 'exit');
    assert.equal(signal, 'SIGKILL', 'the worker died right after merging');
    assert.equal((await stack.client.pull(ref, res.pr!.number)).state, 'merged');

    const healthy = stack.spawnWorker();
    t.after(() => healthy.kill('SIGTERM'));
    const final = await finished(res.workflowId);
    assert.equal(final.status, 'completed');
    assert.equal(final.phase, 'merged');
    assert.equal(releaseCommits(repo.bare, 'v1'), 1, 'merged once');
    assert.equal((await stack.client.listPulls(ref, 'all')).length, 1, 'one PR');
    await eventually(async () => (await stack.client.listReleases(ref)).environments.find((e) => e.env === 'staging')?.current?.number === 1, 10_000, 'the ledger');
  });
});
