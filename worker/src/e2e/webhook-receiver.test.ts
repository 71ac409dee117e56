/**
 * The webhook receiver against the real stack: a Temporal dev server, the
 * worker running the real workflows, and a local bare repository standing in
 * for a GitHub repository. Workflows poll only every 10 minutes here, so a
 * workflow that reacts within seconds was woken by the delivery.
 *
 * The workflows are started the way the Platform API starts them, but for the
 * GitHub repository `Acme/Deployments` (its repository key is in the workflow
 * id, its provider id in IdpRepo) while their activities work on the local
 * forge: that is what a signed GitHub delivery about that repository addresses.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import { workflowId as makeWorkflowId } from '@idp/core';
import { envClone } from '@idp/workflows';
import { pullRequestUpdate, searchAttributesFor, type EnvChangeInput, type PrRef } from '@idp/workflows/shared';
import { startTestStack, TEST_USER, type TestStack } from '../testing/stack.js';
import { createRepo, type TestRepo } from '@idp/providers/testing';
import { LocalForge, repoKey } from '@idp/providers';
import { CHECKOUT_PAWS, completed, eventually } from './fixtures.js';
import { createWebhookReceiver, MAX_BODY_BYTES, startWebhookServer } from '@idp/api';

const SECRET = 'whsec-9f8e7d6c5b4a';
const GITHUB_REPO = { id: 186853002, full_name: 'Acme/Deployments' };
const REPO_ID = 'github:github.com/acme/deployments';
const KEY = repoKey({ id: REPO_ID });
/** Long enough that no test sees a poll: only signals wake a workflow. */
const NO_POLL_MS = 600_000;

const sign = (body: Buffer, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

interface Delivery {
  event: string;
  payload: unknown;
  delivery?: string;
  /** Sign with this secret instead; null: send no signature. */
  secret?: string | null;
  tamper?: (body: Buffer) => Buffer;
}

function pullPayload(action: string, pr: PrRef, o: { merged?: boolean; repository?: object } = {}) {
  const repository = { ...GITHUB_REPO, name: 'Deployments', private: true, default_branch: 'main', ...o.repository };
  return {
    action,
    number: pr.number,
    pull_request: {
      number: pr.number,
      state: action === 'closed' ? 'closed' : 'open',
      title: 'env clone',
      body: 'secret-looking PR body text',
      merged: o.merged ?? false,
      head: { ref: pr.head, sha: pr.headSha, repo: repository },
      base: { ref: 'main', sha: pr.baseTip ?? '0'.repeat(40), repo: repository },
    },
    repository,
    sender: { login: 'octocat', id: 1 },
  };
}

describe('webhook receiver on the real stack', () => {
  let stack: TestStack;
  let hooks: Awaited<ReturnType<typeof startWebhookServer>>;
  const logs: string[] = [];

  before(async () => {
    stack = await startTestStack({ pollIntervalMs: NO_POLL_MS });
    hooks = await startWebhookServer({ port: 0, temporal: stack.api.temporal, github: { secret: SECRET }, log: (m) => logs.push(m) });
  });
  after(async () => {
    await hooks?.close();
    await stack?.stop();
    // Nothing secret was ever logged: neither the secret nor anything from a body.
    for (const line of logs) {
      assert.ok(!line.includes(SECRET), `the secret is not logged: ${line}`);
      assert.ok(!line.includes('secret-looking'), `the body is not logged: ${line}`);
    }
  });

  async function deliver(d: Delivery): Promise<{ status: number; body: Record<string, unknown> }> {
    let body = Buffer.from(JSON.stringify(d.payload));
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/044aadd',
      'x-github-event': d.event,
      'x-github-delivery': d.delivery ?? randomUUID(),
    };
    if (d.secret !== null) headers['x-hub-signature-256'] = sign(body, d.secret ?? SECRET);
    if (d.tamper) body = d.tamper(body);
    const res = await fetch(`${hooks.url}/webhooks/github`, { method: 'POST', headers, body });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  /** An env clone of the checkout component, as the API starts it, for the GitHub repository. */
  async function startClone(repo: TestRepo, target: string): Promise<{ id: string; pr: PrRef }> {
    const id = makeWorkflowId('env-clone', 'checkout', target, KEY);
    const input: EnvChangeInput = {
      kind: 'env-clone',
      repo: repo.bare,
      repoKey: KEY,
      path: 'paws.yaml',
      component: 'checkout',
      env: target,
      source: 'staging',
      requestedBy: TEST_USER,
      requestedAt: new Date().toISOString(),
      requestId: randomUUID(),
      pollIntervalMs: NO_POLL_MS,
    };
    const state = await stack.api.temporal.workflow.executeUpdateWithStart(pullRequestUpdate, {
      startWorkflowOperation: new WithStartWorkflowOperation(envClone, {
        workflowId: id,
        taskQueue: stack.cfg.taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        typedSearchAttributes: searchAttributesFor('env-clone', REPO_ID, 'checkout', target),
      }),
    });
    assert.ok(state.pr, 'the PR is open');
    assert.equal(state.pr.head, `idp/env-clone/checkout/${target}`);
    return { id, pr: state.pr };
  }

  /** Signals the workflow has received, by name. */
  async function signals(id: string): Promise<string[]> {
    const history = await stack.api.temporal.workflow.getHandle(id).fetchHistory();
    return (history.events ?? []).flatMap((e) => (e.workflowExecutionSignaledEventAttributes ? [e.workflowExecutionSignaledEventAttributes.signalName ?? ''] : []));
  }

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('a signed "merged" delivery ends the workflow at once; its redelivery is a duplicate', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const { id, pr } = await startClone(repo, 'wh-merged');
    // Merged on the forge, behind idp's back: without a delivery the workflow would only notice in 10 minutes.
    await new LocalForge({ repo: repo.bare }).merge(pr.number, { by: 'reviewer@example.com' });
    await sleep(1000);
    assert.equal((await stack.client.workflow(id)).status, 'running', 'no poll noticed the merge');

    const delivery = randomUUID();
    const first = await deliver({ event: 'pull_request', delivery, payload: pullPayload('closed', pr, { merged: true }) });
    assert.equal(first.status, 202);
    assert.deepEqual(first.body, { signalled: 1, baseMoved: true });
    const done = await completed(stack.client, id);
    assert.equal(done.phase, 'merged');
    assert.equal(done.pr?.state, 'merged');

    const again = await deliver({ event: 'pull_request', delivery, payload: pullPayload('closed', pr, { merged: true }) });
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, { duplicate: true });
    assert.deepEqual((await signals(id)).filter((s) => s === 'prEvent'), ['prEvent'], 'one prEvent signal for two deliveries');
  });

  it('unsigned, wrongly signed and tampered deliveries get 401 and signal nothing; the signed one closes', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const { id, pr } = await startClone(repo, 'wh-closed');
    await new LocalForge({ repo: repo.bare }).close(pr.number, 'reviewer@example.com');
    const payload = pullPayload('closed', pr);
    const delivery = randomUUID();

    const forged = [
      await deliver({ event: 'pull_request', payload, delivery, secret: null }),
      await deliver({ event: 'pull_request', payload, delivery, secret: 'guessed-secret' }),
      await deliver({ event: 'pull_request', payload, delivery, tamper: (b) => Buffer.from(b.toString().replace('"action":"closed"', '"action":"closed" ')) }),
    ];
    for (const res of forged) {
      assert.equal(res.status, 401);
      assert.equal((res.body.error as { code: string }).code, 'unauthenticated');
    }
    await sleep(1000);
    assert.deepEqual(await signals(id), [], 'nothing was signalled');
    const still = await stack.client.workflow(id);
    assert.equal(still.status, 'running');
    assert.equal(still.phase, 'open');

    // A rejected delivery id is not remembered: the genuine delivery with the same id goes through.
    const res = await deliver({ event: 'pull_request', payload, delivery });
    assert.deepEqual(res, { status: 202, body: { signalled: 1, baseMoved: false } });
    assert.equal((await completed(stack.client, id)).phase, 'closed');
  });

  it("a push to main wakes the repository's running changes (baseMoved), not another repository's", async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const { id, pr } = await startClone(repo, 'wh-rebase');
    // Another repository's change (same component name) on the same server.
    const other = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => other.cleanup());
    const otherId = makeWorkflowId('env-clone', 'checkout', 'wh-other', repoKey({ id: 'github:github.com/acme/other' }));
    await stack.api.temporal.workflow.start(envClone, {
      workflowId: otherId,
      taskQueue: stack.cfg.taskQueue,
      args: [{ kind: 'env-clone', repo: other.bare, repoKey: repoKey({ id: 'github:github.com/acme/other' }), path: 'paws.yaml', component: 'checkout', env: 'wh-other', source: 'staging', requestedBy: TEST_USER, requestedAt: new Date().toISOString(), pollIntervalMs: NO_POLL_MS }],
      typedSearchAttributes: searchAttributesFor('env-clone', 'github:github.com/acme/other', 'checkout', 'wh-other'),
    });

    // baseMoved finds running changes with a visibility query: wait until both are listed.
    await eventually(async () => {
      const ids: string[] = [];
      for await (const wf of stack.api.temporal.workflow.list({ query: `WorkflowId IN ('${id}', '${otherId}') AND ExecutionStatus = 'Running'` })) ids.push(wf.workflowId);
      return ids.length === 2;
    }, 10_000, 'both workflows to be listed');
    const main = await repo.push({ files: { 'README.md': 'main moves on\n' } });
    const res = await deliver({
      event: 'push',
      payload: { ref: 'refs/heads/main', before: pr.baseTip, after: main, created: false, deleted: false, forced: false, commits: [{ id: main }], head_commit: { id: main }, repository: { ...GITHUB_REPO, default_branch: 'main' }, pusher: { name: 'dev' } },
    });
    assert.deepEqual(res, { status: 202, body: { signalled: 0, baseMoved: true } });
    const forge = new LocalForge({ repo: repo.bare });
    const rebased = await eventually(async () => {
      const now = await forge.getPullRequest(pr.number);
      return now.headSha !== pr.headSha && now;
    }, 15_000, 'the PR to be rebased onto the new main');
    assert.equal(rebased.baseSha, main);
    assert.deepEqual(await signals(id), ['baseMoved']);
    assert.deepEqual(await signals(otherId), [], "the other repository's change was not woken");
  });

  it('answers without signalling: ignored events, unknown branches, finished or unknown workflows', async () => {
    const ping = await deliver({ event: 'ping', payload: { zen: 'Keep it logically awesome.', hook_id: 1, repository: GITHUB_REPO } });
    assert.deepEqual(ping, { status: 200, body: { ignored: true } });
    const labeled = await deliver({ event: 'pull_request', payload: { ...pullPayload('assigned', { number: 1, head: 'feature', headSha: 'a'.repeat(40) } as PrRef) } });
    assert.deepEqual(labeled, { status: 200, body: { ignored: true } });
    const notIdp = await deliver({ event: 'pull_request', payload: pullPayload('opened', { number: 2, head: 'feature/login', headSha: 'b'.repeat(40) } as PrRef) });
    assert.deepEqual(notIdp, { status: 202, body: { signalled: 0, baseMoved: false } });
    const noWorkflow = await deliver({ event: 'pull_request', payload: pullPayload('synchronize', { number: 3, head: 'idp/env-clone/checkout/nobody', headSha: 'c'.repeat(40) } as PrRef) });
    assert.deepEqual(noWorkflow, { status: 202, body: { signalled: 0, baseMoved: false } });
    const unreadable = await fetch(`${hooks.url}/webhooks/github`, {
      method: 'POST',
      headers: { 'x-github-event': 'push', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': sign(Buffer.from('{not json')) },
      body: '{not json',
    });
    assert.equal(unreadable.status, 400);
    assert.equal(((await unreadable.json()) as { error: { code: string } }).error.code, 'invalid_request');
  });

  it('routes: 404 elsewhere and for a forge not configured, 405 for other methods, 413 past 25 MB', async () => {
    assert.equal((await fetch(`${hooks.url}/webhooks/bitbucket`, { method: 'POST', body: '{}' })).status, 404);
    assert.equal((await fetch(`${hooks.url}/`, { method: 'POST', body: '{}' })).status, 404);
    const gitlab = await fetch(`${hooks.url}/webhooks/gitlab`, { method: 'POST', body: '{}', headers: { 'x-gitlab-token': SECRET } });
    assert.equal(gitlab.status, 404);
    assert.match(((await gitlab.json()) as { error: { message: string } }).error.message, /gitlab webhooks are not enabled/);
    const get = await fetch(`${hooks.url}/webhooks/github`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    // A query string (some proxies add one) does not change the route.
    const withQuery = await fetch(`${hooks.url}/webhooks/github?source=proxy`, { method: 'POST', body: '{}' });
    assert.equal(withQuery.status, 401);

    assert.equal(await oversized(true), 413, 'declared too large (Content-Length)');
    assert.equal(await oversized(false), 413, 'streamed past the limit (chunked)');
    // The server still answers afterwards.
    assert.equal((await fetch(`${hooks.url}/webhooks/github`, { method: 'POST', body: '{}' })).status, 401);
  });

  /** POST a body over the limit; the status the server answers with. */
  function oversized(declared: boolean): Promise<number> {
    return new Promise((resolve, reject) => {
      const chunk = Buffer.alloc(1024 * 1024, 'a');
      const total = Math.ceil(MAX_BODY_BYTES / chunk.length) + 2;
      const req = request(`${hooks.url}/webhooks/github`, {
        method: 'POST',
        // Well-formed (if wrong) signature: an unsigned delivery is refused before its body is read.
        headers: { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${'0'.repeat(64)}`, ...(declared ? { 'content-length': String(total * chunk.length) } : {}) },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      // The server may close the connection while the rest is still being sent.
      req.on('error', (err) => reject(err));
      let sent = 0;
      const write = () => {
        while (sent < total) {
          sent++;
          if (!req.write(chunk)) {
            req.once('drain', write);
            return;
          }
        }
        req.end();
      };
      write();
    });
  }
});

describe('webhook receiver without Temporal', () => {
  it('answers 503 when Temporal is unreachable, and lets the redelivery try again', async () => {
    const connection = Connection.lazy({ address: '127.0.0.1:1' });
    const temporal = new Client({ connection });
    const hooks = await startWebhookServer({ port: 0, temporal, github: { secret: SECRET }, signalTimeoutMs: 300 });
    try {
      const body = Buffer.from(JSON.stringify({ ref: 'refs/heads/main', after: 'd'.repeat(40), repository: GITHUB_REPO }));
      const headers = { 'x-github-event': 'push', 'x-github-delivery': 'retry-me', 'x-hub-signature-256': sign(body) };
      for (let i = 0; i < 2; i++) {
        const started = Date.now();
        const res = await fetch(`${hooks.url}/webhooks/github`, { method: 'POST', headers, body });
        assert.equal(res.status, 503, `attempt ${i + 1} is not a duplicate`);
        assert.ok(Date.now() - started < 3000, 'answered within the time limit');
      }
    } finally {
      await hooks.close();
      await connection.close();
    }
  });

  it('serves several hosts of one forge, each with its own secret, at /webhooks/<forge>/<host>', async () => {
    const temporal = {} as Client; // ping deliveries are verified and ignored: nothing reaches Temporal
    const hooks = await startWebhookServer({
      port: 0,
      temporal,
      hosts: [
        { forge: 'github', host: 'github.com', secret: 'dotcom-secret' },
        { forge: 'github', host: 'ghe.acme.internal', secret: 'ghe-secret' },
      ],
    });
    try {
      const body = Buffer.from(JSON.stringify({ zen: 'Keep it logically awesome.', repository: GITHUB_REPO }));
      const post = (path: string, secret: string) =>
        fetch(`${hooks.url}${path}`, { method: 'POST', headers: { 'x-github-event': 'ping', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': sign(body, secret) }, body }).then((r) => r.status);
      assert.equal(await post('/webhooks/github/ghe.acme.internal', 'ghe-secret'), 200);
      assert.equal(await post('/webhooks/github/ghe.acme.internal', 'dotcom-secret'), 401, "another host's secret does not verify");
      assert.equal(await post('/webhooks/github', 'dotcom-secret'), 200, 'the first host also answers at /webhooks/github');
      assert.equal(await post('/webhooks/github/github.com', 'dotcom-secret'), 200);
      assert.equal(await post('/webhooks/github/other.example', 'dotcom-secret'), 404);
      assert.equal(await post('/webhooks/gitlab', 'dotcom-secret'), 404, 'no GitLab configured');
    } finally {
      await hooks.close();
    }
  });

  /**
   * POST headers (declaring a body of `declared` bytes) and `sent` bytes of
   * it, keeping the request open; resolves with the answer the server gives
   * while the body is still incomplete, or 'no answer' after `waitMs`.
   */
  function partial(url: string, headers: Record<string, string>, o: { declared: number; sent: number; waitMs?: number }): { answer: Promise<{ status: number; retryAfter?: string } | 'no answer'>; abort(): void } {
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': String(o.declared) } });
    const answer = new Promise<{ status: number; retryAfter?: string } | 'no answer'>((resolve) => {
      const timer = setTimeout(() => resolve('no answer'), o.waitMs ?? 2000);
      req.on('response', (res) => {
        clearTimeout(timer);
        res.resume();
        resolve({ status: res.statusCode ?? 0, ...(res.headers['retry-after'] ? { retryAfter: String(res.headers['retry-after']) } : {}) });
      });
      req.on('error', () => undefined); // the server may close the connection on us: that is the point
    });
    req.write(Buffer.alloc(o.sent, 'a'));
    return { answer, abort: () => req.destroy() };
  }

  it('refuses unsigned deliveries before reading their body (401), for GitHub and GitLab', async () => {
    const temporal = {} as Client; // nothing may reach Temporal
    const hooks = await startWebhookServer({ port: 0, temporal, github: { secret: SECRET }, gitlab: { secret: SECRET, host: 'gitlab.example.com' } });
    const pending: { abort(): void }[] = [];
    try {
      // 20 MB declared, 1 KB sent: a receiver that buffers before checking never answers.
      const ask = (path: string, headers: Record<string, string>) => {
        const p = partial(`${hooks.url}${path}`, { 'x-github-event': 'push', 'x-gitlab-event': 'Push Hook', ...headers }, { declared: 20 * 1024 * 1024, sent: 1024 });
        pending.push(p);
        return p.answer;
      };
      assert.deepEqual(await ask('/webhooks/github', {}), { status: 401 }, 'GitHub, no signature');
      assert.deepEqual(await ask('/webhooks/github', { 'x-hub-signature-256': 'sha1=abc' }), { status: 401 }, 'GitHub, not a sha256 signature');
      assert.deepEqual(await ask('/webhooks/gitlab', {}), { status: 401 }, 'GitLab, no token');
      assert.deepEqual(await ask('/webhooks/gitlab', { 'x-gitlab-token': 'guessed' }), { status: 401 }, 'GitLab, wrong token');
      // A signed one is read (and, its body never completing, not answered yet).
      assert.equal(await ask('/webhooks/github', { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` }), 'no answer');
    } finally {
      for (const p of pending) p.abort();
      await hooks.close();
    }
  });

  it('bounds the deliveries in flight: beyond the limit, 503 with Retry-After before reading the body', async () => {
    const temporal = {} as Client;
    const hooks = await startWebhookServer({ port: 0, temporal, github: { secret: SECRET }, maxInFlight: 2 });
    const signed = { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` };
    // The receiver takes a slot synchronously when the request arrives (it runs before this listener): two requests seen = two slots held.
    const twoSeen = new Promise<void>((resolve) => {
      let n = 0;
      hooks.server.on('request', () => ++n === 2 && resolve());
    });
    const held = [0, 1].map(() => partial(`${hooks.url}/webhooks/github`, signed, { declared: 1024 * 1024, sent: 10 }));
    try {
      await twoSeen;
      const third = partial(`${hooks.url}/webhooks/github`, signed, { declared: 1024 * 1024, sent: 10 });
      held.push(third);
      assert.deepEqual(await third.answer, { status: 503, retryAfter: '5' });
      // Slots are given back when a delivery ends: a complete signed delivery is handled again.
      for (const h of held) h.abort();
      const body = Buffer.from(JSON.stringify({ zen: 'Half measures are as bad as nothing at all.', repository: GITHUB_REPO }));
      const status = await eventually(async () => {
        const res = await fetch(`${hooks.url}/webhooks/github`, { method: 'POST', headers: { 'x-github-event': 'ping', 'x-hub-signature-256': sign(body) }, body });
        return res.status === 200 && res.status;
      }, 5000, 'a free slot');
      assert.equal(status, 200);
    } finally {
      for (const h of held) h.abort();
      await hooks.close();
    }
  });

  it('a body that trickles holds its slot only so long (408); one over the configured limit gets 413', async () => {
    const temporal = {} as Client;
    const hooks = await startWebhookServer({ port: 0, temporal, github: { secret: SECRET }, bodyTimeoutMs: 300, maxBodyBytes: 1024 });
    const signed = { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` };
    const slow = partial(`${hooks.url}/webhooks/github`, signed, { declared: 1000, sent: 10 });
    const big = partial(`${hooks.url}/webhooks/github`, signed, { declared: 2048, sent: 10 });
    try {
      assert.deepEqual(await slow.answer, { status: 408 });
      assert.deepEqual(await big.answer, { status: 413 });
    } finally {
      slow.abort();
      big.abort();
      await hooks.close();
    }
  });

  it('refuses to start with an empty secret', () => {
    const temporal = {} as Client;
    assert.throws(() => createWebhookReceiver({ temporal, github: { secret: '' } }), /secret is empty/);
  });
});
