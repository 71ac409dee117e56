/**
 * Ephemeral environments: a short real TTL (no mocked clock) expires and a
 * teardown PR is opened; extend moves the timer; create and destroy.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defaultPayloadConverter } from '@temporalio/common';
import { parsePaws, workflowId } from '@idp/core';
import { providerFor, repoKey } from '@idp/providers';
import { envClone } from '@idp/workflows';
import { searchAttributesFor, type EnvChangeInput } from '@idp/workflows/shared';
import { startTestStack, type TestStack } from '../testing/stack.js';
import { createRepo } from '@idp/providers/testing';
import { CHECKOUT_PAWS, completed, diffLines, eventually, git } from './fixtures.js';

describe('environment lifecycle', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack({ pollIntervalMs: 500 });
  });
  after(async () => {
    await stack?.stop();
  });

  async function mergeAndWait(repo: string, res: { workflowId: string; pr?: { number: number } }) {
    await stack.client.merge(res.pr!.number, { repo });
    return completed(stack.client, res.workflowId);
  }

  it('opens a teardown PR when the TTL expires', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const res = await stack.client.cloneEnvironment('staging', { repo: repo.bare, target: 'short-lived', ttl: '4s' });
    assert.ok(res.expiresAt);
    const added = diffLines(repo.bare, 'main', res.pr!.headSha).added;
    assert.deepEqual(added.slice(0, 4), ['  short-lived:', '    from: staging', '    lifecycle:', '      ttl: 4s']);
    await mergeAndWait(repo.bare, res);

    const teardown = await eventually(async () => {
      const pulls = await stack.client.listPulls({ repo: repo.bare }, 'open');
      return pulls.find((p) => p.head === 'idp/env-destroy/checkout/short-lived');
    }, 30_000, 'the teardown PR');
    assert.ok(Date.now() >= Date.parse(res.expiresAt!), 'not before expiry');
    const diff = diffLines(repo.bare, 'main', teardown.headSha);
    assert.deepEqual(diff.added, []);
    assert.equal(diff.removed[0], '  short-lived:');
    assert.match(teardown.body, /TTL expired/);

    await stack.client.merge(teardown.number, { repo: repo.bare });
    const destroyed = await completed(stack.client, res.workflowId.replace('env-clone:', 'env-destroy:'));
    assert.equal(destroyed.phase, 'merged');
    assert.equal('short-lived' in (parsePaws(git(repo.bare, 'show', 'main:paws.yaml')).spec.environments ?? {}), false);
  });

  it('extend moves the expiry, and the timer follows it', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const res = await stack.client.cloneEnvironment('staging', { repo: repo.bare, target: 'extended', ttl: '3s' });
    await mergeAndWait(repo.bare, res);
    const ext = await stack.client.extendEnvironment('extended', { repo: repo.bare, ttl: '1h' });
    assert.ok(Date.parse(ext.expiresAt!) >= Date.parse(res.expiresAt!) + 3_600_000 - 1000);
    await mergeAndWait(repo.bare, ext);
    // Past the original expiry, no teardown PR.
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(res.expiresAt!) - Date.now()) + 3000));
    const pulls = await stack.client.listPulls({ repo: repo.bare }, 'open');
    assert.equal(pulls.find((p) => p.head.startsWith('idp/env-destroy/')), undefined);
    const ttl = await stack.api.temporal.workflow.getHandle(res.workflowId.replace('env-clone:', 'env-ttl:')).describe();
    assert.equal(ttl.status.name, 'RUNNING');
  });

  it('extending while the teardown PR is open closes it and the timer sleeps again', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const ref = { repo: repo.bare };
    const res = await stack.client.cloneEnvironment('staging', { ...ref, target: 'saved', ttl: '2s' });
    await mergeAndWait(repo.bare, res);
    const ttlId = res.workflowId.replace('env-clone:', 'env-ttl:');
    const teardownOpen = () => stack.client.listPulls(ref, 'open').then((ps) => ps.find((p) => p.head === 'idp/env-destroy/checkout/saved'));
    const first = await eventually(teardownOpen, 30_000, 'the teardown PR');

    const ext = await stack.client.extendEnvironment('saved', { ...ref, ttl: '1h' });
    await mergeAndWait(repo.bare, ext);
    const closed = await eventually(async () => {
      const p = await stack.client.pull(ref, first.number);
      return p.state === 'closed' && p;
    }, 15_000, 'the teardown PR to be closed');
    assert.match(closed.comments.at(-1)!.body, /extended until/);
    const timer = await stack.client.workflow(ttlId);
    assert.equal(timer.status, 'running');
    assert.equal(timer.expiresAt, ext.expiresAt, 'sleeping until the new expiry');
    assert.ok('saved' in (parsePaws(git(repo.bare, 'show', 'main:paws.yaml')).spec.environments ?? {}));
  });

  it('a teardown PR closed by hand keeps the environment and its timer waits for an extend', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const ref = { repo: repo.bare };
    const res = await stack.client.cloneEnvironment('staging', { ...ref, target: 'kept', ttl: '2s' });
    await mergeAndWait(repo.bare, res);
    const teardown = await eventually(async () => (await stack.client.listPulls(ref, 'open')).find((p) => p.head.startsWith('idp/env-destroy/')), 30_000, 'the teardown PR');
    await stack.client.close(teardown.number, ref);
    const ttlId = res.workflowId.replace('env-clone:', 'env-ttl:');
    const waiting = await eventually(async () => {
      const s = await stack.client.workflow(ttlId);
      return s.stuck ? s : undefined;
    }, 15_000, 'the timer to wait');
    assert.equal(waiting.status, 'running');
    assert.match(waiting.stuck!, /closed; extend/);
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal((await stack.client.listPulls(ref, 'open')).length, 0, 'no new teardown PR behind the human\'s back');
  });

  it('the timer follows what was merged: a reviewer who changes the expiry in the PR is respected', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const res = await stack.client.cloneEnvironment('staging', { repo: repo.bare, target: 'reviewed', ttl: '2s' });
    const text = git(repo.bare, 'show', `${res.pr!.head}:paws.yaml`).replace(/expiresAt: "[^"]+"/, 'expiresAt: "2099-01-01T00:00:00Z"');
    await repo.push({ branch: res.pr!.head, files: { 'paws.yaml': text } });
    const done = await mergeAndWait(repo.bare, res);
    assert.equal(done.expiresAt, '2099-01-01T00:00:00Z');
    const timer = await stack.client.workflow(res.workflowId.replace('env-clone:', 'env-ttl:'));
    assert.equal(timer.expiresAt, '2099-01-01T00:00:00Z');
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal((await stack.client.listPulls({ repo: repo.bare }, 'open')).length, 0, 'no teardown at the requested expiry');
  });

  it('the timer starts with its expiry in its memo: no reader ever sees a timer without one', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const res = await stack.client.cloneEnvironment('staging', { repo: repo.bare, target: 'memo-at-start', ttl: '1h' });
    const done = await mergeAndWait(repo.bare, res);
    const ttlId = res.workflowId.replace('env-clone:', 'env-ttl:');
    // The memo the server stored when the timer started, before any worker ran it (what `describe()` gives until then).
    const history = await stack.api.temporal.workflow.getHandle(ttlId).fetchHistory();
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    const field = started?.memo?.fields?.state;
    assert.ok(field, 'the timer was started with a memo');
    const state = defaultPayloadConverter.fromPayload<{ phase: string; expiresAt: string }>(field);
    assert.deepEqual(state, { phase: 'open', expiresAt: done.expiresAt });
  });

  it('a PR waiting long for review continues as new and loses nothing', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const key = repoKey(providerFor(repo.bare));
    const id = workflowId('env-clone', 'checkout', 'patient', key);
    // Started as the API starts it, with a tiny history limit so the test need not wait weeks.
    const input: EnvChangeInput = {
      kind: 'env-clone', repo: repo.bare, repoKey: key, path: 'paws.yaml', component: 'checkout', env: 'patient', source: 'staging', ttl: '1h',
      requestedBy: 'dev@example.com', requestedAt: new Date().toISOString(), pollIntervalMs: 100, historyLimit: 40,
    };
    const handle = await stack.api.temporal.workflow.start(envClone, {
      workflowId: id, taskQueue: stack.cfg.taskQueue, args: [input], typedSearchAttributes: searchAttributesFor('env-clone', repo.bare, 'checkout', 'patient'),
    });
    await eventually(async () => {
      const runs = [];
      for await (const wf of stack.api.temporal.workflow.list({ query: `WorkflowId = '${id}'` })) runs.push(wf);
      return runs.length >= 3;
    }, 30_000, 'two continue-as-new');
    const during = await stack.client.workflow(id);
    assert.equal(during.status, 'running');
    assert.equal(during.phase, 'open');
    assert.equal(during.pr?.number, 1, 'the new run still knows its PR');
    const env = (await stack.client.listEnvironments({ repo: repo.bare })).environments.find((e) => e.name === 'patient');
    assert.equal(env?.workflows[0]?.workflowId, id, 'still found by its search attributes');

    await stack.client.merge(1, { repo: repo.bare });
    const done = await completed(stack.client, id);
    assert.equal(done.phase, 'merged');
    assert.equal((await stack.client.listPulls({ repo: repo.bare }, 'all')).length, 1, 'one PR across all runs');
    assert.equal((await handle.describe()).runId === handle.firstExecutionRunId, false);
  });

  it('create adds an environment with defaults; destroy of a permanent one needs --confirm', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const created = await stack.client.createEnvironment({ repo: repo.bare, name: 'qa' });
    assert.deepEqual(diffLines(repo.bare, 'main', created.pr!.headSha), { added: ['  qa: {}'], removed: [] });
    await mergeAndWait(repo.bare, created);

    await assert.rejects(stack.client.destroyEnvironment('qa', { repo: repo.bare }), /--confirm qa/);
    const destroyed = await stack.client.destroyEnvironment('qa', { repo: repo.bare, confirm: 'qa' });
    assert.deepEqual(diffLines(repo.bare, 'main', destroyed.pr!.headSha), { added: [], removed: ['  qa: {}'] });
  });
});
