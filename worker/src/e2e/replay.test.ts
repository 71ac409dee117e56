/**
 * Determinism: workflow histories replay against the current workflow code.
 * `worker/histories/*.json` were recorded from real runs of an earlier version;
 * a change to a workflow that would break the workflows already running in a
 * team's cluster fails here (use `patched()` for such changes). Fresh histories
 * from this version's own runs are replayed too. Set IDP_RECORD_HISTORIES=1 to
 * (re)write the files.
 *
 * (The root package.json pins protobufjs 8 so npm keeps one copy for all
 * @temporalio packages: their JSON history codec checks types by identity.)
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { startTestStack, type TestStack } from '../testing/stack.js';
import { createRepo } from '@idp/providers/testing';
import { workflowsPath } from '../worker.js';
import { CHECKOUT_PAWS, completed, eventually, RELEASE_PAWS } from './fixtures.js';

const dir = fileURLToPath(new URL('../../histories/', import.meta.url));
const replayOptions = { workflowsPath: workflowsPath(), bundlerOptions: { ignoreModules: [] } };

describe('workflow replay', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack({ pollIntervalMs: 500 });
  });
  after(async () => {
    await stack?.stop();
  });

  it('replays histories of a full lifecycle: clone with TTL, rebase after a sibling merged, extend, expiry, destroy', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const ref = { repo: repo.bare };
    const sibling = await stack.client.cloneEnvironment('staging', { ...ref, target: 'sibling' });
    const clone = await stack.client.cloneEnvironment('staging', { ...ref, target: 'replayed', ttl: '3s' });
    await stack.client.merge(sibling.pr!.number, ref);
    await eventually(async () => (await stack.client.pull(ref, clone.pr!.number)).headSha !== clone.pr!.headSha, 15_000, 'the rebase');
    await stack.client.merge(clone.pr!.number, ref);
    await completed(stack.client, clone.workflowId);
    const extend = await stack.client.extendEnvironment('replayed', { ...ref, ttl: '2s' });
    await stack.client.merge(extend.pr!.number, ref);
    await completed(stack.client, extend.workflowId);
    const teardown = await eventually(async () => (await stack.client.listPulls(ref, 'open')).find((p) => p.head.startsWith('idp/env-destroy/')), 30_000, 'the teardown PR');
    await stack.client.merge(teardown.number, ref);
    const destroyId = clone.workflowId.replace('env-clone:', 'env-destroy:');
    const ttlId = clone.workflowId.replace('env-clone:', 'env-ttl:');
    await completed(stack.client, destroyId);
    await eventually(async () => (await stack.api.temporal.workflow.getHandle(ttlId).describe()).status.name === 'COMPLETED', 15_000, 'the TTL workflow');

    const ids = [sibling.workflowId, clone.workflowId, extend.workflowId, ttlId, destroyId];
    for (const id of ids) {
      const history = await stack.api.temporal.workflow.getHandle(id).fetchHistory();
      await Worker.runReplayHistory(replayOptions, history, id);
      if (process.env.IDP_RECORD_HISTORIES) writeFileSync(join(dir, `${id.split('@')[0]!.replaceAll(':', '_')}.json`), historyToJSON(history));
    }
  });

  it('replays the history of a variables change (env-vars): two variables set in one PR, merged', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const ref = { repo: repo.bare };
    const vars = await stack.client.setVariables('staging', { ...ref, set: { FEATURE_X: 'on', LOG_LEVEL: 'debug' } });
    await stack.client.merge(vars.pr!.number, ref);
    await completed(stack.client, vars.workflowId);
    const history = await stack.api.temporal.workflow.getHandle(vars.workflowId).fetchHistory();
    await Worker.runReplayHistory(replayOptions, history, vars.workflowId);
    if (process.env.IDP_RECORD_HISTORIES) writeFileSync(join(dir, `${vars.workflowId.split('@')[0]!.replaceAll(':', '_')}.json`), historyToJSON(history));
  });

  it('replays histories of releases: the queue, a release merged after approval, one queued behind it and rejected', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': RELEASE_PAWS } });
    t.after(() => repo.cleanup());
    const ref = { repo: repo.bare };
    const first = await stack.client.createRelease({ ...ref, env: 'staging', image: 'ghcr.io/acme/checkout:2.0.0' });
    const second = await stack.client.createRelease({ ...ref, env: 'staging', image: 'ghcr.io/acme/checkout:2.0.1' });
    await stack.clientAs('alice').review(first.pr!.number, { ...ref, event: 'approve' });
    await completed(stack.client, first.workflowId);
    const next = await eventually(async () => (await stack.client.workflow(second.workflowId)).pr, 15_000, 'the second PR');
    await stack.clientAs('bob').review(next.number, { ...ref, event: 'request_changes' });
    await eventually(async () => (await stack.client.workflow(second.workflowId)).status === 'failed', 15_000, 'the rejection');
    const queue = first.workflowId.replace(/^release:(.*):v1@/, 'releases:$1@');
    await eventually(async () => {
      const ledger = (await stack.api.temporal.workflow.getHandle(queue).describe()).memo?.ledger as { outcome: string }[] | undefined;
      return ledger?.[0]?.outcome === 'rejected';
    }, 15_000, 'the ledger');

    for (const id of [queue, first.workflowId, second.workflowId]) {
      const history = await stack.api.temporal.workflow.getHandle(id).fetchHistory();
      await Worker.runReplayHistory(replayOptions, history, id);
      if (process.env.IDP_RECORD_HISTORIES) writeFileSync(join(dir, `${id.split('@')[0]!.replaceAll(':', '_')}.json`), historyToJSON(history));
    }
  });

  it('replays the histories recorded from earlier versions', async () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    assert.ok(files.length >= 5, 'recorded histories are present');
    for (const file of files) {
      const id = file.replace(/\.json$/, '').replaceAll('_', ':');
      await Worker.runReplayHistory(replayOptions, historyFromJSON(JSON.parse(readFileSync(join(dir, file), 'utf8'))), id);
    }
  });
});
