/**
 * A Scaffolder task cut short by a crash of the whole embedded stack (Backstage, its worker and the Temporal dev server
 * killed at once, mid-task) is recovered when the stack starts again on the same state: the Scaffolder starts it over
 * (scaffolder.taskRecovery + the template's EXPERIMENTAL_recovery: startOver) from its last completed step, waits on the
 * PR it had opened — one workflow, one PR — and ends as the change does.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PullRequest } from '@idp/core';
import { eventually } from '@idp/worker/testing';
import { startEmbedded, type EmbeddedStack } from '../testing/embedded.js';

interface TaskEvent {
  type: string;
  body: { message?: string; output?: Record<string, unknown>; error?: { message: string }; status?: string };
}

describe('a task cut short by a crash of the whole stack', () => {
  let stack: EmbeddedStack;
  before(async () => {
    // A task whose heartbeat is 2 s old is stale (default 30 s): the recovery loop picks it up on its next round.
    stack = await startEmbedded({ env: { APP_CONFIG_scaffolder_taskRecovery_staleTimeout: JSON.stringify({ seconds: 2 }) } });
  });
  after(async () => {
    await stack?.stop();
  });

  const headers = async (user: string) => ({ authorization: `Bearer ${await stack.tokenFor(user)}`, 'content-type': 'application/json' });
  const task = async (id: string) => (await (await fetch(`${stack.baseUrl}/api/scaffolder/v2/tasks/${id}`, { headers: await headers('alice') })).json()) as { status: string };
  const events = async (id: string) => (await (await fetch(`${stack.baseUrl}/api/scaffolder/v2/tasks/${id}/events`, { headers: await headers('alice') })).json()) as TaskEvent[];
  const log = async (id: string) => (await events(id)).filter((e) => e.type === 'log').map((e) => e.body.message ?? '').join('\n');
  async function api<T>(user: string, path: string, body?: unknown): Promise<T> {
    const url = `${stack.apiUrl}${path}${path.includes('?') ? '&' : '?'}repo=${encodeURIComponent(stack.demo.bare)}&path=paws.yaml`;
    const res = await fetch(url, { method: body ? 'POST' : 'GET', headers: await headers(user), ...(body ? { body: JSON.stringify(body) } : {}) });
    const json = (await res.json()) as T;
    assert.ok(res.ok, `${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  it('starts the task over after the restart: the same PR (no second one), and the task completes when it is merged', async () => {
    const res = await fetch(`${stack.baseUrl}/api/scaffolder/v2/tasks`, {
      method: 'POST',
      headers: await headers('alice'),
      body: JSON.stringify({ templateRef: 'template:default/add-preview-environment', values: { component: 'component:default/checkout', source: 'staging', name: 'preview-crash', wait: true } }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const { id } = (await res.json()) as { id: string };

    // Mid-task: the PR is open and the wait step is following it.
    const before = await eventually(async () => {
      const text = await log(id);
      const pr = text.match(/PR #(\d+): (\S+)/);
      return pr && /Waiting for workflow/.test(text) && { number: Number(pr[1]), url: pr[2]! };
    }, 120_000, 'the task to open its PR and start waiting');

    await stack.crashAndRestart();

    // Recovered: the Scaffolder resumes after the last completed step (the clone), or a step cut short starts over and
    // answers from its checkpoint; either way no request is sent again, and the wait follows the same PR.
    await eventually(async () => (await events(id)).some((e) => e.type === 'recovered'), 120_000, 'the task to be recovered');
    await eventually(async () => /Waiting for workflow/.test(await log(id)) && (await task(id)).status === 'processing', 120_000, 'the recovered task to wait again');
    const again = await log(id);
    assert.match(again, /Task recovered/);
    assert.match(again, new RegExp(`Waiting for workflow \\S+ \\(open, PR #${before.number} `));
    assert.doesNotMatch(again, /Started workflow|Joined workflow/, 'the recovered task sent no second request');

    // The change is merged (bob approves, alice merges): the recovered task ends with it.
    await api('bob', `/pulls/${before.number}/reviews`, { repo: stack.demo.bare, path: 'paws.yaml', event: 'approve' });
    await api('alice', `/pulls/${before.number}/merge`, { repo: stack.demo.bare, path: 'paws.yaml' });
    const end = await eventually(async () => {
      const t = await task(id);
      return ['completed', 'failed', 'cancelled'].includes(t.status) && t;
    }, 120_000, 'the recovered task to end');
    const completion = (await events(id)).filter((e) => e.type === 'completion').at(-1);
    assert.equal(end.status, 'completed', `${completion?.body.error?.message}\n${await log(id)}`);
    assert.equal(completion?.body.output?.prUrl, before.url);

    // One PR for preview-crash, ever.
    const { pulls } = await api<{ pulls: PullRequest[] }>('alice', '/pulls?state=all');
    const mine = pulls.filter((p) => p.head.includes('preview-crash'));
    assert.deepEqual(mine.map((p) => [p.number, p.state]), [[before.number, 'merged']]);
  });
});
