/**
 * No acknowledged request is ever lost: the API answers "queued"/"started" only
 * once the request is durably recorded (release: signal-with-start to the
 * environment's queue; environment change: its own start, or the same change
 * already running), and 503 with Retry-After otherwise. A retried request
 * (same Idempotency-Key) is recorded once. The real Temporal dev server,
 * the local forge, workers spawned (and not) as the test needs.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import type { Client } from '@temporalio/client';
import { PlatformClient } from '@idp/core/client';
import type { WorkflowStatus } from '@idp/core';
import { startTestStack, TEST_USER, type TestStack } from '../testing/stack.js';
import { createRepo } from '@idp/providers/testing';
import { CHECKOUT_PAWS, eventually, RELEASE_PAWS } from './fixtures.js';

interface Answer {
  status: number;
  retryAfter: string | null;
  body: WorkflowStatus & { error?: { code: string; message: string } };
}

type Rpc = 'signalWithStartWorkflowExecution' | 'executeMultiOperation';

/**
 * Makes the next `times` calls of `rpc` on the API's Temporal connection fail:
 * before reaching the server (nothing recorded), or after it answered (recorded,
 * but the answer is lost, like a deadline hit on the way back).
 */
function failNext(client: Client, rpc: Rpc, times: number, when: 'before' | 'after'): void {
  const service = client.connection.workflowService as unknown as Record<Rpc, (req: unknown) => Promise<unknown>>;
  const original = service[rpc].bind(service);
  let left = times;
  service[rpc] = async (req: unknown) => {
    if (left <= 0) return original(req);
    left--;
    if (when === 'after') await original(req);
    throw Object.assign(new Error(`${when === 'after' ? '4 DEADLINE_EXCEEDED' : '8 RESOURCE_EXHAUSTED'}: injected by the test`), { code: when === 'after' ? 4 : 8 });
  };
}

describe('acknowledged requests', () => {
  let stack: TestStack;
  let worker: ChildProcess | undefined;
  before(async () => {
    stack = await startTestStack({ inProcessWorker: false, pollIntervalMs: 60_000, prWaitMs: 10_000 });
  });
  after(async () => {
    await stack?.stop();
  });
  /** A worker, polling the task queue (so an answer within prWaitMs does not depend on its start-up). */
  async function ensureWorker(): Promise<void> {
    worker ??= stack.spawnWorker();
    const pollers = async () =>
      (
        await stack.api.temporal.workflowService.describeTaskQueue({
          namespace: stack.cfg.namespace,
          taskQueue: { name: stack.cfg.taskQueue },
          taskQueueType: 1, // TASK_QUEUE_TYPE_WORKFLOW
        })
      ).pollers?.length;
    await eventually(pollers, 30_000, 'the worker polling');
  }

  /** A POST as it is on the wire: no client-side retries, the status and Retry-After visible; status 0: no answer in 30 s. */
  async function post(path: string, body: unknown, key?: string): Promise<Answer> {
    const res = await fetch(stack.api.url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...stack.headersAs(TEST_USER), ...(key ? { 'idempotency-key': key } : {}) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    }).catch(() => undefined);
    if (!res) return { status: 0, retryAfter: null, body: { error: { code: 'none', message: 'no answer in 30 s' } } as Answer['body'] };
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Answer['body'] };
  }
  const stagingLedger = async (repo: string) => (await stack.client.listReleases({ repo })).environments.find((e) => e.env === 'staging')?.releases ?? [];

  it('no worker, 50 concurrent releases: every acknowledged one is in the ledger once a worker runs, the others got 503 + Retry-After', async (t) => {
    assert.equal(worker, undefined, 'runs first, with no worker');
    const repo = await createRepo({ files: { 'paws.yaml': RELEASE_PAWS } });
    t.after(() => repo.cleanup());
    const images = Array.from({ length: 50 }, (_, i) => `ghcr.io/acme/checkout:10.0.${i}`);
    const answers = await Promise.all(images.map((image) => post('/releases', { repo: repo.bare, env: 'staging', image })));

    const acknowledged: string[] = [];
    for (const [i, a] of answers.entries()) {
      if (a.status === 202) {
        assert.equal(a.body.phase, 'queued', images[i]);
        acknowledged.push(images[i]!);
        continue;
      }
      assert.equal(a.status, 503, `${images[i]}: ${JSON.stringify(a.body)}`);
      assert.match(a.retryAfter ?? '', /^\d+$/, 'a 503 says when to retry');
      assert.equal(a.body.error?.code, 'unavailable');
    }
    assert.ok(acknowledged.length > 0, 'some requests were acknowledged');

    await ensureWorker();
    const recorded = async () => new Set((await stagingLedger(repo.bare)).map((r) => r.image));
    await eventually(async () => {
      const seen = await recorded();
      return acknowledged.every((image) => seen.has(image));
    }, 60_000, 'every acknowledged release in the ledger').catch(() => undefined);
    const seen = await recorded();
    assert.deepEqual(acknowledged.filter((image) => !seen.has(image)), [], '0 acknowledged-and-lost');

    // Numbered once each, in one sequence.
    const ledger = await stagingLedger(repo.bare);
    assert.equal(new Set(ledger.map((r) => r.image)).size, ledger.length, 'each image once');
    assert.deepEqual(ledger.map((r) => r.number).sort((a, b) => a - b), ledger.map((_, i) => i + 1));
  });

  it('a retried request (same Idempotency-Key) is one release, even after it ended; a reused key with another request is refused', async (t) => {
    await ensureWorker();
    const repo = await createRepo({ files: { 'paws.yaml': RELEASE_PAWS } });
    t.after(() => repo.cleanup());
    const ref = { repo: repo.bare };
    const key = randomUUID();
    const body = { ...ref, env: 'staging', image: 'ghcr.io/acme/checkout:11.0.0' };

    const first = await post('/releases', body, key);
    assert.equal(first.status, 202, JSON.stringify(first.body));
    assert.equal(first.body.release?.number, 1);
    const again = await post('/releases', body, key);
    assert.equal(again.status, 202);
    assert.equal(again.body.workflowId, first.body.workflowId);
    assert.equal(again.body.joined, false, 'the same request, not a second one joining it');

    const pr = await eventually(async () => (await stack.client.workflow(first.body.workflowId)).pr, 30_000, 'the PR of v1');
    await stack.client.close(pr.number, ref);
    await eventually(async () => (await stack.client.workflow(first.body.workflowId, 2)).status !== 'running', 30_000, 'v1 cancelled');
    const late = await post('/releases', body, key);
    assert.equal(late.status, 202);
    assert.equal(late.body.release?.number, 1, 'a retry arriving after the release ended is still that release');

    const reused = await post('/releases', { ...body, image: 'ghcr.io/acme/checkout:11.0.1' }, key);
    assert.equal(reused.status, 409);
    assert.match(reused.body.error?.message ?? '', /Idempotency-Key was already used/);
    const bad = await post('/releases', body, 'no spaces allowed');
    assert.equal(bad.status, 400);

    // A new request for the same image is a new release.
    const next = await post('/releases', body, randomUUID());
    assert.equal(next.body.release?.number, 2);
    assert.deepEqual((await stagingLedger(repo.bare)).map((r) => r.number), [2, 1]);
    await stack.api.temporal.workflow.getHandle(next.body.workflowId).terminate('test over');
  });

  it('Temporal does not take the request: 503 + Retry-After, nothing queued; the typed client retries with the same key, recorded once', async (t) => {
    await ensureWorker();
    const repo = await createRepo({ files: { 'paws.yaml': RELEASE_PAWS } });
    t.after(() => repo.cleanup());
    const ref = { repo: repo.bare };

    failNext(stack.api.temporal, 'signalWithStartWorkflowExecution', 1, 'before');
    const refused = await post('/releases', { ...ref, env: 'staging', image: 'ghcr.io/acme/checkout:12.0.0' }, randomUUID());
    assert.equal(refused.status, 503);
    assert.equal(refused.retryAfter, '2');
    assert.equal(refused.body.error?.code, 'unavailable');
    assert.match(refused.body.error?.message ?? '', /could not be recorded.*again/);
    assert.deepEqual(await stagingLedger(repo.bare), []);

    // Recorded, but the answer lost on the way back: the client's retry (same key) is the same release.
    const sleeps: number[] = [];
    const client = new PlatformClient({ baseUrl: stack.api.url, token: stack.token, user: TEST_USER, sleep: async (ms) => void sleeps.push(ms) });
    failNext(stack.api.temporal, 'signalWithStartWorkflowExecution', 1, 'after');
    const res = await client.createRelease({ ...ref, env: 'staging', image: 'ghcr.io/acme/checkout:12.0.0' });
    assert.deepEqual(sleeps, [2_000], 'retried once, after Retry-After');
    assert.equal(res.release?.number, 1);
    assert.equal(res.joined, false, 'the retry was recognised as the same request');
    assert.deepEqual((await stagingLedger(repo.bare)).map((r) => r.number), [1]);
    await stack.api.temporal.workflow.getHandle(res.workflowId).terminate('test over');
  });

  it('an environment change is "started" only once started: 503 + Retry-After when its start failed; the retry starts it', async (t) => {
    await ensureWorker();
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const ref = { repo: repo.bare };

    failNext(stack.api.temporal, 'executeMultiOperation', 1, 'before');
    const refused = await post('/environments/staging/clone', { ...ref, target: 'unstarted' }, randomUUID());
    assert.equal(refused.status, 503, JSON.stringify(refused.body));
    assert.equal(refused.retryAfter, '2');
    assert.equal(refused.body.error?.code, 'unavailable');

    failNext(stack.api.temporal, 'executeMultiOperation', 1, 'before');
    const client = new PlatformClient({ baseUrl: stack.api.url, token: stack.token, user: TEST_USER, sleep: async () => undefined });
    const started = await client.cloneEnvironment('staging', { ...ref, target: 'unstarted' });
    assert.equal(started.status, 'running');
    assert.equal(started.joined, false);
    await stack.api.temporal.workflow.getHandle(started.workflowId).terminate('test over');
  });
});
