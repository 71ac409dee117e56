/**
 * `idp activity` against a fake Platform API: the request it sends (the working copy's component, --limit), the table
 * (workflows and PRs no workflow follows, newest first, with PR and Temporal links), --json, the empty state, and
 * the local check of --limit that sends nothing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ActivityList, ActivityWorkflow } from '@idp/core';

import { api, at, H, ref, run, useFakeApi } from './testing/harness.js';

useFakeApi();

const wf = (over: Partial<ActivityWorkflow>): ActivityWorkflow => ({
  workflowId: 'env-clone:checkout:preview-1@1a2b3c',
  runId: 'run-1',
  kind: 'env-clone',
  component: 'checkout',
  environment: 'preview-1',
  status: 'running',
  phase: 'open',
  startedAt: at(-5 * 60_000),
  requestedBy: 'alice@example.com',
  pr: { number: 3, url: 'http://forge/checkout/pulls/3', state: 'open', head: 'idp/env-clone/checkout/preview-1', headSha: 'abc' },
  temporalUrl: 'http://ui/namespaces/default/workflows/env-clone%3Acheckout%3Apreview-1%401a2b3c/run-1/history',
  ...over,
});

const list: ActivityList = {
  component: 'checkout',
  repo: 'x',
  workflows: [
    wf({}),
    wf({
      workflowId: 'release:checkout:staging:v2@1a2b3c', runId: 'run-2', kind: 'release', environment: 'staging', status: 'completed', phase: 'merged',
      startedAt: at(-2 * H), closedAt: at(-H), requestedBy: 'bob@example.com', temporalUrl: undefined,
      pr: { number: 2, url: 'http://forge/checkout/pulls/2', state: 'merged', head: 'idp/release/checkout/staging/v2@1a2b3c', headSha: 'def' },
    }),
    wf({ workflowId: 'env-destroy:checkout:qa@1a2b3c', runId: 'run-3', kind: 'env-destroy', environment: 'qa', status: 'terminated', phase: 'failed', startedAt: at(-50 * H), pr: undefined, requestedBy: undefined, temporalUrl: undefined }),
  ],
  pulls: [
    { number: 1, url: 'http://forge/checkout/pulls/1', state: 'closed', head: 'idp/env-create/checkout/old', headSha: 'f00', title: 'Create old', author: 'carol@example.com', createdAt: at(-3 * H), updatedAt: at(-3 * H), workflowId: 'env-create:checkout:old@1a2b3c', kind: 'env-create', environment: 'old' },
  ],
};

describe('activity', () => {
  it('GETs /activity for the working copy\'s component and prints one table, newest first', async () => {
    api.on('GET /activity', { body: list });
    const r = await run(['activity']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(api.requests[0]!.query, ref());
    const lines = r.out.trimEnd().split('\n');
    assert.match(lines[0]!, /^WHEN\s+KIND\s+ENV\s+STATUS\s+BY\s+PR\s+WORKFLOW\s+TEMPORAL$/);
    assert.deepEqual(lines.slice(1).map((l) => l.split(/\s{2,}/)), [
      ['5m ago', 'env-clone', 'preview-1', 'open', 'alice@example.com', 'http://forge/checkout/pulls/3', 'env-clone:checkout:preview-1@1a2b3c', list.workflows[0]!.temporalUrl],
      ['2h ago', 'release', 'staging', 'merged', 'bob@example.com', 'http://forge/checkout/pulls/2', 'release:checkout:staging:v2@1a2b3c', '-'],
      ['3h ago', 'env-create', 'old', 'PR closed', 'carol@example.com', 'http://forge/checkout/pulls/1', '-', '-'],
      ['50h ago', 'env-destroy', 'qa', 'terminated', '-', '-', 'env-destroy:checkout:qa@1a2b3c', '-'],
    ]);
  });

  it('--limit is sent; --json prints the ActivityList', async () => {
    api.on('GET /activity', { body: list });
    const r = await run(['activity', '--limit', '5', '--json']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(api.requests[0]!.query, { ...ref(), limit: '5' });
    assert.deepEqual(JSON.parse(r.out), JSON.parse(JSON.stringify(list)));
  });

  it('a bad --limit is a usage error (exit 2) and sends nothing', async () => {
    for (const bad of ['0', '101', 'ten', '2.5']) {
      const r = await run(['activity', '--limit', bad]);
      assert.equal(r.code, 2, bad);
      assert.match(r.err, /--limit must be a whole number from 1 to 100/);
    }
    assert.equal(api.requests.length, 0);
  });

  it('with no activity, says what starts some', async () => {
    api.on('GET /activity', { body: { component: 'checkout', repo: 'x', workflows: [], pulls: [] } });
    const r = await run(['activity']);
    assert.equal(r.code, 0);
    assert.equal(r.out, '');
    assert.match(r.err, /No idp activity for checkout yet\. Changes start it: `idp env clone staging preview-1`/);
  });

  it('the API\'s error is shown as it says it', async () => {
    api.on('GET /activity', { status: 403, body: { error: { code: 'forbidden', message: 'user:default/carol may not read component:default/checkout.' } } });
    const r = await run(['activity']);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /user:default\/carol may not read component:default\/checkout\./);
  });
});
