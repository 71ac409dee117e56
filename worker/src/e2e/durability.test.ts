/**
 * Durability: the worker is killed (SIGKILL, no clean-up) at the worst moments
 * — after the branch is pushed but before the activity reports it, and after
 * the PR is opened but before it is recorded — then restarted. The workflow
 * completes with exactly one PR.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { startTestStack, type TestStack } from '../testing/stack.js';
import { createRepo } from '@idp/providers/testing';
import { CHECKOUT_PAWS, completed, diffLines, eventually, git } from './fixtures.js';

describe('worker killed mid-workflow', () => {
  let stack: TestStack;
  /** The same, but the API gives up waiting for the PR after 2 s. */
  let impatient: TestStack;
  before(async () => {
    stack = await startTestStack({ inProcessWorker: false });
    impatient = await startTestStack({ inProcessWorker: false, prWaitMs: 2_000 });
  });
  after(async () => {
    await stack?.stop();
    await impatient?.stop();
  });

  it('with no worker running, a request answers "started, no PR yet"; a worker started later opens the PR', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const res = await impatient.client.cloneEnvironment('staging', { repo: repo.bare, target: 'no-worker' });
    assert.equal(res.status, 'running');
    assert.equal(res.phase, 'proposing');
    assert.equal(res.pr, undefined);
    assert.deepEqual(await impatient.client.listPulls({ repo: repo.bare }, 'all'), []);

    const worker = impatient.spawnWorker();
    t.after(() => worker.kill('SIGTERM'));
    const later = await eventually(async () => {
      const s = await impatient.client.workflow(res.workflowId);
      return s.pr && s;
    }, 30_000, 'the PR');
    assert.equal(later.phase, 'open');
    assert.equal((await impatient.client.listPulls({ repo: repo.bare }, 'open')).length, 1);
  });

  it('with no worker running, a second request with other options is refused, the same one joins', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const first = await impatient.client.cloneEnvironment('staging', { repo: repo.bare, target: 'waiting', ttl: '1h' });
    assert.equal(first.joined, false);
    const again = await impatient.client.cloneEnvironment('staging', { repo: repo.bare, target: 'waiting', ttl: '1h' });
    assert.equal(again.joined, true);
    await assert.rejects(impatient.client.cloneEnvironment('staging', { repo: repo.bare, target: 'waiting' }), /already in progress.*different options/s);
    await impatient.api.temporal.workflow.getHandle(first.workflowId).terminate('test over');
  });

  for (const point of ['after-push', 'after-open'] as const) {
    it(`${point}: restart → the workflow completes with exactly one PR`, async (t) => {
      const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
      t.after(() => repo.cleanup());
      const mainBefore = git(repo.bare, 'rev-parse', 'main').trim();

      const doomed = stack.spawnWorker({ IDP_FAULT: point });
      const request = stack.client.cloneEnvironment('staging', { repo: repo.bare, target: `kill-${point}` });
      const [, signal] = await once(doomed, 'exit');
      assert.equal(signal, 'SIGKILL', 'the worker died at the fault point');
      // What the dead worker left behind: the branch is pushed (and, after-open, the PR exists).
      assert.ok(git(repo.bare, 'branch', '--list', `idp/env-clone/checkout/kill-${point}`).trim());

      const healthy = stack.spawnWorker();
      t.after(async () => {
        healthy.kill('SIGTERM');
        if (healthy.exitCode === null && healthy.signalCode === null) await once(healthy, 'exit');
      });
      const res = await request;
      assert.equal(res.phase, 'open');
      const pulls = await stack.client.listPulls({ repo: repo.bare }, 'all');
      assert.equal(pulls.length, 1, 'exactly one PR');
      assert.equal(pulls[0]!.number, res.pr?.number);
      assert.deepEqual(diffLines(repo.bare, mainBefore, pulls[0]!.headSha).added, [`  kill-${point}:`, '    from: staging']);

      await stack.client.merge(res.pr!.number, { repo: repo.bare });
      const done = await completed(stack.client, res.workflowId);
      assert.equal(done.phase, 'merged');
    });
  }
});
