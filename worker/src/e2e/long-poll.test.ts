/**
 * `GET /workflows/:id?wait=` leaves nothing behind once it is answered: the
 * SDK's long poll for the workflow's result (GetWorkflowExecutionHistory,
 * re-issued every ~20 s until the workflow ends) is cancelled with the wait.
 * Counted on the API's own Temporal connection, against a workflow that never
 * ends while no worker runs.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '@temporalio/client';
import { startTestStack, type TestStack } from '../testing/stack.js';
import { createRepo } from '@idp/providers/testing';
import { CHECKOUT_PAWS, eventually } from './fixtures.js';

/** Counts the history long polls of `client` in flight (wraps its connection's workflow service). */
function countHistoryPolls(client: Client): { inFlight: number; started: number } {
  const count = { inFlight: 0, started: 0 };
  const service = client.connection.workflowService;
  const original = service.getWorkflowExecutionHistory.bind(service);
  service.getWorkflowExecutionHistory = ((req: Parameters<typeof original>[0]) => {
    count.inFlight++;
    count.started++;
    return original(req).finally(() => count.inFlight--);
  }) as typeof original;
  return count;
}

describe('long waits', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack({ inProcessWorker: false, prWaitMs: 1_000 });
  });
  after(async () => {
    await stack?.stop();
  });

  it('20 answered waits on a running workflow leave 0 long polls in flight', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    // No worker: the workflow is started and stays running.
    const res = await stack.client.cloneEnvironment('staging', { repo: repo.bare, target: 'waited-on' });
    const polls = countHistoryPolls(stack.api.temporal);

    const answers = await Promise.all(Array.from({ length: 20 }, () => stack.client.workflow(res.workflowId, 1)));
    assert.ok(answers.every((a) => a.status === 'running'), 'every wait was answered: still running');
    assert.ok(polls.started >= 20, 'each wait long-polled the result');
    // Cancelling a call is asynchronous (a gRPC status comes back); a leaked poll would stay for ~20 s, then be re-issued.
    await eventually(async () => polls.inFlight === 0, 5_000, '0 long polls in flight');
  });
});
