/**
 * `idp env clone` end to end: Platform API → Temporal workflow (real dev
 * server) → local forge on a real bare repository → PR → merge → outcome.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parsePaws } from '@idp/core';
import { startTestStack, type TestStack } from '../testing/stack.js';
import { createRepo } from '@idp/providers/testing';
import { LocalForge } from '@idp/providers';
import { CHECKOUT_PAWS, completed, branches, diffLines, eventually, git } from './fixtures.js';

describe('env clone', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack();
  });
  after(async () => {
    await stack?.stop();
  });

  it('opens a PR whose diff is exactly the new environment, leaving the base branch untouched', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const mainBefore = git(repo.bare, 'rev-parse', 'main').trim();

    const res = await stack.client.cloneEnvironment('staging', { repo: repo.bare, target: 'preview-123' });
    assert.match(res.workflowId, /^env-clone:checkout:preview-123@[0-9a-f]{10}$/);
    assert.equal(res.phase, 'open');
    assert.equal(res.joined, false);
    assert.ok(res.pr, 'the response carries the PR');
    assert.match(res.pr.url, /pulls\/1/);

    assert.equal(git(repo.bare, 'rev-parse', 'main').trim(), mainBefore, 'main did not move');
    const pr = await stack.client.pull({ repo: repo.bare }, res.pr.number);
    assert.equal(pr.head, 'idp/env-clone/checkout/preview-123');
    assert.equal(pr.base, 'main');
    assert.equal(pr.author, 'dev@example.com');
    const diff = diffLines(repo.bare, mainBefore, pr.headSha);
    assert.deepEqual(diff.removed, []);
    assert.deepEqual(diff.added, ['  preview-123:', '    from: staging']);
    // The head's parent is the base commit: a single commit on top of main.
    assert.equal(git(repo.bare, 'rev-parse', `${pr.headSha}^`).trim(), mainBefore);
  });

  it('follows the PR to its merge: the workflow ends merged and main has the environment', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const res = await stack.client.cloneEnvironment('staging', { repo: repo.bare, target: 'preview-7' });
    await stack.clientAs('reviewer@example.com').review(res.pr!.number, { repo: repo.bare, event: 'approve' });
    await stack.client.merge(res.pr!.number, { repo: repo.bare });
    const done = await completed(stack.client, res.workflowId);
    assert.equal(done.phase, 'merged');
    const text = git(repo.bare, 'show', 'main:paws.yaml');
    assert.equal(parsePaws(text).spec.environments?.['preview-7']?.from, 'staging');
    // The head branch is deleted after the merge, like GitHub's "delete branch on merge".
    await eventually(async () => !branches(repo.bare).includes('idp/env-clone/checkout/preview-7'), 10_000, 'branch deletion');
  });

  it('keeps its PRs mergeable: after a sibling merges, a conflicting clone is rebased onto main', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    // Both append to the end of `environments:`, so their diffs conflict once one is merged.
    const a = await stack.client.cloneEnvironment('staging', { repo: repo.bare, target: 'sib-a' });
    const b = await stack.client.cloneEnvironment('staging', { repo: repo.bare, target: 'sib-b' });
    await stack.client.merge(a.pr!.number, { repo: repo.bare });
    const rebased = await eventually(async () => {
      const pr = await stack.client.pull({ repo: repo.bare }, b.pr!.number);
      return pr.headSha !== b.pr!.headSha && pr;
    }, 15_000, 'PR b to be rebased');
    const mainNow = git(repo.bare, 'rev-parse', 'main').trim();
    assert.equal(git(repo.bare, 'rev-parse', `${rebased.headSha}^`).trim(), mainNow, 'one commit on top of the new main');
    assert.deepEqual(diffLines(repo.bare, mainNow, rebased.headSha), { added: ['  sib-b:', '    from: staging'], removed: [] });
    await stack.client.merge(b.pr!.number, { repo: repo.bare });
    assert.equal((await completed(stack.client, b.workflowId)).phase, 'merged');
    const envs = Object.keys(parsePaws(git(repo.bare, 'show', 'main:paws.yaml')).spec.environments ?? {});
    assert.deepEqual(envs, ['staging', 'production', 'sib-a', 'sib-b']);
  });

  it('a merge refused for a conflict says idp is rebasing, and the retry succeeds', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const b = await stack.client.cloneEnvironment('staging', { repo: repo.bare, target: 'late' });
    // main moves behind idp's back (a developer's push), so no workflow is told.
    await repo.push({ files: { 'paws.yaml': CHECKOUT_PAWS.replace(/\n$/, '\n  hand-made:\n    from: production\n') } });
    await assert.rejects(stack.client.merge(b.pr!.number, { repo: repo.bare }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'conflict');
      assert.match(e.message, /merge again in a few seconds/);
      return true;
    });
    await eventually(async () => {
      try {
        return (await stack.client.merge(b.pr!.number, { repo: repo.bare })).state === 'merged';
      } catch {
        return false;
      }
    }, 15_000, 'the retried merge');
    const envs = Object.keys(parsePaws(git(repo.bare, 'show', 'main:paws.yaml')).spec.environments ?? {});
    assert.deepEqual(envs, ['staging', 'production', 'hand-made', 'late']);
  });

  it('when the change no longer applies to main, it says so on the PR instead of rewriting it', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const res = await stack.client.cloneEnvironment('staging', { repo: repo.bare, target: 'taken' });
    await repo.push({ files: { 'paws.yaml': CHECKOUT_PAWS.replace(/\n$/, '\n  taken:\n    from: production\n') } });
    const pr = await eventually(async () => {
      const p = await stack.client.pull({ repo: repo.bare }, res.pr!.number);
      return p.comments.length > 0 && p;
    }, 15_000, 'a comment on the PR');
    assert.match(pr.comments[0]!.body, /could not bring this PR up to date.*"taken" already exists/s);
    assert.equal(pr.headSha, res.pr!.headSha, 'the branch is left as it was');
    assert.equal(pr.state, 'open');
  });

  it('a change that another merge made invalid cannot be merged: main keeps a valid paws.yaml', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    // Each is valid against main as it is now; together they would leave `from: staging` dangling.
    const clone = await stack.client.cloneEnvironment('staging', { repo: repo.bare, target: 'pv' });
    const destroy = await stack.client.destroyEnvironment('staging', { repo: repo.bare, confirm: 'staging' });
    await stack.client.merge(clone.pr!.number, { repo: repo.bare });
    const stuck = await eventually(async () => {
      const s = await stack.client.workflow(destroy.workflowId);
      return s.stuck ? s : undefined;
    }, 15_000, 'the destroy to notice');
    assert.match(stuck.stuck!, /pv is cloned from it/);
    await assert.rejects(stack.client.merge(destroy.pr!.number, { repo: repo.bare }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'conflict');
      assert.match(e.message, /cannot be merged as it is.*pv is cloned from it/s);
      return true;
    });
    const main = parsePaws(git(repo.bare, 'show', 'main:paws.yaml')).spec;
    assert.deepEqual(Object.keys(main.environments ?? {}), ['staging', 'production', 'pv']);
    const pr = await stack.client.pull({ repo: repo.bare }, destroy.pr!.number);
    assert.equal(pr.comments.length, 1, 'explained once on the PR');
  });

  it("never rewrites a human's commit on an idp branch; says so once instead", async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const res = await stack.client.cloneEnvironment('staging', { repo: repo.bare, target: 'tuned' });
    const branch = res.pr!.head;
    const withFlag = git(repo.bare, 'show', `${branch}:paws.yaml`).replace('    from: staging\n', '    from: staging\n    variables:\n      FEATURE_FLAG: "on"\n');
    const human = await repo.push({ branch, files: { 'paws.yaml': withFlag } });
    await repo.push({ files: { 'README.md': 'main moves on\n' } });
    const pr = await eventually(async () => {
      const p = await stack.client.pull({ repo: repo.bare }, res.pr!.number);
      return p.comments.length > 0 && p;
    }, 15_000, 'the comment');
    assert.match(pr.comments[0]!.body, /commits idp did not write/);
    await new Promise((r) => setTimeout(r, 3000)); // several more polls
    const later = await stack.client.pull({ repo: repo.bare }, res.pr!.number);
    assert.equal(later.headSha, human, 'the human commit is the head, untouched');
    assert.equal(later.comments.length, 1, 'said once, not at every poll');
  });

  it('notices a merge made behind its back (no signal) by polling the provider', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const res = await stack.client.cloneEnvironment('staging', { repo: repo.bare, target: 'polled' });
    // Merged straight on the forge, as a reviewer would in GitHub's UI with no webhook configured.
    await new LocalForge({ repo: repo.bare }).merge(res.pr!.number, { by: 'someone@example.com' });
    const done = await completed(stack.client, res.workflowId);
    assert.equal(done.phase, 'merged');
  });

  it('ends as closed when the PR is closed without merging; main is unchanged', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const mainBefore = git(repo.bare, 'rev-parse', 'main').trim();
    const res = await stack.client.cloneEnvironment('staging', { repo: repo.bare, target: 'preview-8' });
    await stack.client.close(res.pr!.number, { repo: repo.bare });
    const done = await completed(stack.client, res.workflowId);
    assert.equal(done.phase, 'closed');
    assert.equal(git(repo.bare, 'rev-parse', 'main').trim(), mainBefore);
  });

  it('joins the running workflow when the same request comes twice, and when 10 come at once: one workflow, one PR', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const first = await stack.client.cloneEnvironment('staging', { repo: repo.bare, target: 'preview-1' });
    const second = await stack.client.cloneEnvironment('staging', { repo: repo.bare, target: 'preview-1' });
    assert.equal(second.joined, true);
    assert.equal(second.pr?.number, first.pr?.number);

    const burst = await Promise.all(
      Array.from({ length: 10 }, () => stack.client.cloneEnvironment('staging', { repo: repo.bare, target: 'preview-2' })),
    );
    assert.equal(new Set(burst.map((r) => r.pr?.number)).size, 1, 'all ten got the same PR');
    assert.equal(burst.filter((r) => r.joined === false).length, 1, 'exactly one request started the workflow');
    const pulls = await stack.client.listPulls({ repo: repo.bare }, 'all');
    assert.deepEqual(pulls.map((p) => p.head).sort(), ['idp/env-clone/checkout/preview-1', 'idp/env-clone/checkout/preview-2']);

    const runs = [];
    for await (const wf of stack.api.temporal.workflow.list({ query: `WorkflowId = '${burst[0]!.workflowId}'` })) runs.push(wf);
    assert.equal(runs.length, 1, 'one workflow execution');
  });

  it('two repositories whose components share a name never share a workflow or a PR', async (t) => {
    const a = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    const b = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => Promise.all([a.cleanup(), b.cleanup()]));
    const [ra, rb] = await Promise.all([
      stack.client.cloneEnvironment('staging', { repo: a.bare, target: 'same' }),
      stack.client.cloneEnvironment('staging', { repo: b.bare, target: 'same' }),
    ]);
    assert.notEqual(ra.workflowId, rb.workflowId);
    assert.equal(ra.joined, false);
    assert.equal(rb.joined, false);
    assert.equal((await stack.client.listPulls({ repo: a.bare }, 'open')).length, 1);
    assert.equal((await stack.client.listPulls({ repo: b.bare }, 'open')).length, 1);
    // A merge in one repository completes only that repository's workflow.
    await stack.client.merge(rb.pr!.number, { repo: b.bare });
    assert.equal((await completed(stack.client, rb.workflowId)).phase, 'merged');
    assert.equal((await stack.client.workflow(ra.workflowId)).status, 'running');
  });

  it('a new request after its workflow was terminated reuses the open PR, rewritten to the new options', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const first = await stack.client.cloneEnvironment('staging', { repo: repo.bare, target: 'redo', ttl: '1h' });
    await stack.api.temporal.workflow.getHandle(first.workflowId).terminate('operator');
    const second = await stack.client.cloneEnvironment('staging', { repo: repo.bare, target: 'redo', ttl: '7d' });
    assert.equal(second.joined, false);
    assert.equal(second.pr?.number, first.pr?.number, 'the same PR');
    const text = git(repo.bare, 'show', `${second.pr!.headSha}:paws.yaml`);
    assert.equal(parsePaws(text).spec.environments?.redo?.lifecycle?.ttl, '7d', 'the branch now proposes the new TTL');
    assert.equal((await stack.client.listPulls({ repo: repo.bare }, 'all')).length, 1);
  });

  it('refuses to join a running clone of the same target with different options', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    await stack.client.cloneEnvironment('staging', { repo: repo.bare, target: 'preview-3' });
    await assert.rejects(stack.client.cloneEnvironment('production', { repo: repo.bare, target: 'preview-3' }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'conflict');
      assert.match(e.message, /already in progress.*PR #1/s);
      return true;
    });
  });

  it('opens 20 correct PRs for 20 different clones of one repository at once', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const mainBefore = git(repo.bare, 'rev-parse', 'main').trim();
    const targets = Array.from({ length: 20 }, (_, i) => `pr-${i + 1}`);
    const results = await Promise.all(targets.map((target) => stack.client.cloneEnvironment('staging', { repo: repo.bare, target })));
    assert.equal(new Set(results.map((r) => r.pr?.number)).size, 20);
    const pulls = await stack.client.listPulls({ repo: repo.bare }, 'open');
    assert.equal(pulls.length, 20);
    for (const pr of pulls) {
      const target = pr.head.split('/').pop()!;
      assert.deepEqual(diffLines(repo.bare, mainBefore, pr.headSha), { added: [`  ${target}:`, '    from: staging'], removed: [] });
    }
    assert.equal(git(repo.bare, 'rev-parse', 'main').trim(), mainBefore);
  });

  it('lists environments from paws.yaml with the pending clone and its PR', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const res = await stack.client.cloneEnvironment('staging', { repo: repo.bare, target: 'preview-9', ttl: '72h' });
    const list = await stack.client.listEnvironments({ repo: repo.bare });
    assert.equal(list.component, 'checkout');
    assert.deepEqual(list.environments.map((e) => [e.name, e.source]), [['staging', 'paws.yaml'], ['production', 'paws.yaml'], ['preview-9', 'pending']]);
    const pending = list.environments.find((e) => e.name === 'preview-9')!;
    assert.equal(pending.from, 'staging', 'described as its PR proposes it');
    assert.equal(pending.ttl, '72h');
    assert.equal(pending.expiresAt, res.expiresAt);
    assert.equal(pending.pulls[0]?.number, res.pr?.number);
    assert.equal(pending.workflows[0]?.workflowId, res.workflowId);
    assert.equal(pending.workflows[0]?.phase, 'open');
  });

  it('lists the image each environment runs when releases are written into paws.yaml: its own, inherited, or the container\'s', async (t) => {
    const paws = CHECKOUT_PAWS.replace(/\n  staging:\n/, '\n  staging:\n    image: ghcr.io/acme/checkout:1.5.0\n');
    assert.notEqual(paws, CHECKOUT_PAWS);
    const repo = await createRepo({ files: { 'paws.yaml': paws } });
    t.after(() => repo.cleanup());
    await stack.client.cloneEnvironment('staging', { repo: repo.bare, target: 'preview-8' });
    const list = await stack.client.listEnvironments({ repo: repo.bare });
    assert.deepEqual(
      list.environments.map((e) => [e.name, e.image]),
      [['staging', 'ghcr.io/acme/checkout:1.5.0'], ['production', 'ghcr.io/acme/checkout:1.4.2'], ['preview-8', 'ghcr.io/acme/checkout:1.5.0']],
    );
  });
});
