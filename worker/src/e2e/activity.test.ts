/**
 * GET /activity against the real stack (Temporal dev server with SQLite visibility, worker, local forge): after real
 * environment changes and a release, one call answers the component's workflows newest first — who asked, the PR, a
 * link to each run in the Temporal Web UI — and idp's PRs that no workflow follows; nothing of another repository.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ActivityList } from '@idp/core';
import type { IdpError } from '@idp/core/errors';
import { PlatformClient } from '@idp/core/client';
import { LocalForge } from '@idp/providers';
import { createRepo } from '@idp/providers/testing';
import { providersFor, startApiServer, standaloneIdentity } from '@idp/api';
import { startTestStack, type TestStack } from '../testing/stack.js';
import { CHECKOUT_PAWS, completed, eventually } from './fixtures.js';

const WEB = 'http://temporal-ui.test:8233/';

describe('GET /activity', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack({ temporalWebUrl: WEB });
  });
  after(async () => {
    await stack?.stop();
  });

  it('lists the component\'s workflows newest first with requester, PR and Temporal link, and the PRs none follows', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    const other = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => Promise.all([repo.cleanup(), other.cleanup()]));
    const ref = { repo: repo.bare };
    const [alice, bob, carol] = ['alice@example.com', 'bob@example.com', 'carol@example.com'].map((u) => stack.clientAs(u));

    // Merged (with a TTL: its timer starts, and is no activity of its own), then one still open, then a release.
    const first = await alice!.cloneEnvironment('staging', { ...ref, target: 'a-1', ttl: '72h' });
    await bob!.review(first.pr!.number, { ...ref, event: 'approve' });
    await alice!.merge(first.pr!.number, ref);
    await completed(stack.client, first.workflowId);
    const second = await bob!.cloneEnvironment('staging', { ...ref, target: 'b-1' });
    const release = await carol!.createRelease({ ...ref, env: 'staging', image: 'ghcr.io/acme/checkout:1.5.0' });
    // The same component name in another repository is another component.
    await stack.client.cloneEnvironment('staging', { repo: other.bare, target: 'elsewhere' });
    // An idp PR whose workflow Temporal no longer knows (older than its retention): opened on the forge directly.
    await repo.push({ branch: 'idp/env-create/checkout/old-1', files: { 'old.txt': 'old' } });
    const orphan = await new LocalForge({ repo: repo.bare }).openPullRequest({ head: 'idp/env-create/checkout/old-1', base: 'main', title: 'Create environment old-1', body: '', author: 'dave@example.com' });

    // Visibility is updated asynchronously: wait until it shows the merge.
    const list = await eventually(async () => {
      const l = await stack.client.activity(ref);
      return l.workflows.find((w) => w.workflowId === first.workflowId)?.phase === 'merged' && l;
    }, 15_000, 'the merge in the activity');
    ActivityList.parse(list);
    assert.equal(list.component, 'checkout');
    const rows = list.workflows.map((w) => [w.workflowId, w.kind, w.environment, w.status, w.phase, w.requestedBy, w.pr?.url]);
    assert.deepEqual(rows, [
      [release.workflowId, 'release', 'staging', 'running', 'open', 'carol@example.com', release.pr!.url],
      [second.workflowId, 'env-clone', 'b-1', 'running', 'open', 'bob@example.com', second.pr!.url],
      [first.workflowId, 'env-clone', 'a-1', 'completed', 'merged', 'alice@example.com', first.pr!.url],
    ]);
    const merged = list.workflows[2]!;
    assert.ok(merged.closedAt && merged.startedAt && merged.closedAt >= merged.startedAt);
    const handle = await stack.api.temporal.workflow.getHandle(first.workflowId).describe();
    assert.equal(merged.runId, handle.runId);
    assert.equal(merged.temporalUrl, `http://temporal-ui.test:8233/namespaces/default/workflows/${encodeURIComponent(first.workflowId)}/${handle.runId}/history`);
    assert.deepEqual(list.pulls.map((p) => [p.number, p.url, p.kind, p.environment, p.author]), [[orphan.number, (await stack.client.pull(ref, orphan.number)).url, 'env-create', 'old-1', 'dave@example.com']]);

    // The newest `limit`: the running ones come first.
    assert.deepEqual((await stack.client.activity(ref, { limit: 1 })).workflows.map((w) => w.workflowId), [release.workflowId]);
    for (const bad of [0, 101, 1.5]) {
      await assert.rejects(stack.client.activity(ref, { limit: bad }), (e: IdpError) => e.code === 'invalid_request' && /limit/.test(e.message), String(bad));
    }

    // A server that does not know the Web UI's address links nowhere (rather than to a guess).
    const plain = await startApiServer({
      host: '127.0.0.1', port: 0, temporal: stack.api.temporal, taskQueue: stack.cfg.taskQueue, providers: providersFor(stack.cfg),
      pollIntervalMs: 1000, version: 'test', temporalAddress: stack.cfg.temporalAddress, namespace: 'default', identity: standaloneIdentity({ user: 'dev@example.com' }),
    });
    t.after(() => plain.close());
    const unlinked = await new PlatformClient({ baseUrl: plain.url }).activity(ref);
    assert.equal(unlinked.workflows.length, 3);
    assert.ok(unlinked.workflows.every((w) => !('temporalUrl' in w)));
  });
});
