/**
 * Releases end to end on the local forge and the real Temporal dev server:
 * the approval policy as idp evaluates it, promote and rollback, the
 * per-environment queue, rejection, timeout, cancellation.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { parsePaws, type WorkflowStatus } from '@idp/core';
import { prEventSignal } from '@idp/workflows/shared';
import { startTestStack, TEST_USER, type TestStack } from '../testing/stack.js';
import { createRepo, type TestRepo } from '@idp/providers/testing';
import { standaloneIdentity, startApiServer } from '@idp/api';
import { LocalForge } from '@idp/providers';
import { providersFor } from '@idp/api';
import { eventually, git, kustomization, releaseCommits, RELEASE_PAWS } from './fixtures.js';

/** The real Temporal client, except that describing a workflow fails (Temporal overloaded, a network fault). */
function describeFails(real: Client): Client {
  const workflow = new Proxy(real.workflow, {
    get: (target, key) =>
      key === 'getHandle'
        ? (...args: Parameters<Client['workflow']['getHandle']>) =>
            new Proxy(target.getHandle(...args), {
              get: (h, k) => (k === 'describe' ? () => Promise.reject(new Error('14 UNAVAILABLE: upstream connect error')) : Reflect.get(h, k)),
            })
        : Reflect.get(target, key),
  });
  return new Proxy(real, { get: (target, key) => (key === 'workflow' ? workflow : Reflect.get(target, key)) });
}

/** The state of a release, long-polled until `done` holds. */
async function until(stack: TestStack, id: string, done: (s: WorkflowStatus) => boolean, what: string): Promise<WorkflowStatus> {
  return eventually(async () => {
    const s = await stack.client.workflow(id, 2);
    return done(s) && s;
  }, 30_000, what);
}
const ended = (s: WorkflowStatus) => s.status !== 'running';
const hasPr = (s: WorkflowStatus) => s.pr !== undefined;

function pawsOnMain(repo: TestRepo): string {
  return git(repo.bare, 'show', 'main:paws.yaml');
}
const imageOnMain = (repo: TestRepo, env: string) => parsePaws(pawsOnMain(repo)).spec.environments?.[env]?.image;

describe('releases', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack({ pollIntervalMs: 60_000 });
  });
  after(async () => {
    await stack?.stop();
  });
  const as = (user: string) => stack.clientAs(user);

  it('create: a PR sets the image; the author\'s own approval does not count; one allowed approval merges it; the ledger records it', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': RELEASE_PAWS } });
    t.after(() => repo.cleanup());
    const ref = { repo: repo.bare };
    const res = await stack.client.createRelease({ ...ref, env: 'staging', image: 'ghcr.io/acme/checkout:1.4.3' });
    assert.equal(res.kind, 'release');
    assert.equal(res.release?.number, 1);
    assert.equal(res.release?.previousImage, 'ghcr.io/acme/checkout:1.4.2');
    assert.ok(res.pr, 'the PR is open when the request returns');
    const pull = await stack.client.pull(ref, res.pr.number);
    assert.match(pull.body, /ghcr\.io\/acme\/checkout:1\.4\.2.*→.*ghcr\.io\/acme\/checkout:1\.4\.3/);
    assert.match(pull.body, /\+\s+image: ghcr\.io\/acme\/checkout:1\.4\.3/, 'the body shows the diff');
    assert.match(pull.body, /Approvals:\*\* 1 from anyone but the author/);

    // Four eyes: the requester's approval is not counted.
    await stack.client.review(res.pr.number, { ...ref, event: 'approve' });
    const shown = await stack.client.release(ref, 'staging', 1);
    assert.deepEqual(shown.verdict?.approvedBy, []);
    assert.deepEqual(shown.verdict?.ignored.map((i) => i.by), [TEST_USER]);
    assert.equal((await stack.client.workflow(res.workflowId)).phase, 'open');
    // idp env list shows the open release PR on its environment, and not the queue (the ledger) as a change.
    const envs = await stack.client.listEnvironments(ref);
    const stagingView = envs.environments.find((e) => e.name === 'staging')!;
    assert.deepEqual(stagingView.pulls.map((p) => [p.number, p.kind]), [[res.pr.number, 'release']]);
    assert.deepEqual(stagingView.workflows.map((w) => w.kind), ['release']);

    await as('alice').review(res.pr.number, { ...ref, event: 'approve' });
    const final = await until(stack, res.workflowId, ended, 'the merge');
    assert.equal(final.status, 'completed');
    assert.equal(final.phase, 'merged');
    assert.equal(imageOnMain(repo, 'staging'), 'ghcr.io/acme/checkout:1.4.3');
    assert.equal(imageOnMain(repo, 'production'), undefined);
    assert.match(pawsOnMain(repo), /# where developers try things/, 'comments stay');

    const list = await eventually(async () => {
      const l = await stack.client.listReleases(ref);
      return l.environments.find((e) => e.env === 'staging')?.current && l;
    }, 10_000, 'the ledger');
    const staging = list.environments.find((e) => e.env === 'staging')!;
    assert.equal(staging.current?.number, 1);
    assert.equal(staging.releases[0]?.outcome, 'merged');
    assert.deepEqual(staging.releases[0]?.approvers, ['alice']);
    assert.equal(staging.releases[0]?.pr?.number, res.pr.number);
    assert.deepEqual(list.environments.find((e) => e.env === 'production')?.releases, []);
  });

  it('approvals are counted on the current head: same user twice = 1, non-approver = 0, approval then new push = 0', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': RELEASE_PAWS } });
    t.after(() => repo.cleanup());
    const ref = { repo: repo.bare };
    const res = await stack.client.createRelease({ ...ref, env: 'production', image: 'ghcr.io/acme/checkout:2.0.0' });
    const n = res.pr!.number;
    await as('alice').review(n, { ...ref, event: 'approve' });
    await as('alice').review(n, { ...ref, event: 'approve' });
    await as('mallory').review(n, { ...ref, event: 'approve' });
    let shown = await stack.client.release(ref, 'production', 1);
    assert.deepEqual(shown.verdict?.approvedBy, ['alice']);
    assert.ok(shown.verdict?.ignored.some((i) => i.by === 'mallory'));
    assert.equal(shown.verdict?.satisfied, false);

    // A push after the approvals voids them.
    const head = res.pr!.head;
    await repo.push({ branch: head, from: `origin/${head}`, files: { 'NOTES.md': 'why\n' } });
    await as('bob').review(n, { ...ref, event: 'comment', body: 'looking' });
    shown = await stack.client.release(ref, 'production', 1);
    assert.deepEqual(shown.verdict?.approvedBy, []);
    assert.equal((await stack.client.workflow(res.workflowId)).phase, 'open');

    await as('alice').review(n, { ...ref, event: 'approve' });
    await as('bob').review(n, { ...ref, event: 'approve' });
    const final = await until(stack, res.workflowId, ended, 'the merge');
    assert.equal(final.phase, 'merged');
    assert.deepEqual(final.release?.approvers.sort(), ['alice', 'bob']);
    assert.equal(releaseCommits(repo.bare, 'v1'), 1, 'merged once');
  });

  it('promote copies exactly what the source runs; rollback returns to v(n-1) or --to, under the rollback policy', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': RELEASE_PAWS } });
    t.after(() => repo.cleanup());
    const ref = { repo: repo.bare };
    const ship = async (res: WorkflowStatus, approvers: string[]) => {
      for (const who of approvers) await as(who).review(res.pr!.number, { ...ref, event: 'approve' });
      return until(stack, res.workflowId, ended, `${res.workflowId} merged`);
    };
    await ship(await stack.client.createRelease({ ...ref, env: 'staging', image: 'ghcr.io/acme/checkout:3.0.0' }), ['alice']);

    const promoted = await stack.client.promoteRelease({ ...ref, from: 'staging', to: 'production' });
    assert.equal(promoted.release?.image, 'ghcr.io/acme/checkout:3.0.0');
    assert.equal(promoted.release?.from, 'staging');
    assert.equal((await ship(promoted, ['alice', 'bob'])).phase, 'merged');
    assert.equal(imageOnMain(repo, 'production'), 'ghcr.io/acme/checkout:3.0.0');
    await assert.rejects(stack.client.promoteRelease({ ...ref, from: 'staging', to: 'production' }), /already runs/);

    await ship(await stack.client.createRelease({ ...ref, env: 'production', image: 'ghcr.io/acme/checkout:3.1.0' }), ['alice', 'bob']);
    await ship(await stack.client.createRelease({ ...ref, env: 'production', image: 'ghcr.io/acme/checkout:3.2.0' }), ['alice', 'bob']);

    // v4 → back to v3 (3.1.0), and the rollback path needs one approval only.
    const back = await stack.client.rollbackRelease({ ...ref, env: 'production' });
    assert.equal(back.release?.rollbackTo, 2);
    assert.equal(back.release?.image, 'ghcr.io/acme/checkout:3.1.0');
    assert.equal((await ship(back, ['carol'])).phase, 'merged');

    const to = await stack.client.rollbackRelease({ ...ref, env: 'production', to: 1 });
    assert.equal(to.release?.image, 'ghcr.io/acme/checkout:3.0.0');
    await ship(to, ['carol']);
    const prod = await eventually(async () => {
      const p = (await stack.client.listReleases(ref)).environments.find((e) => e.env === 'production');
      return p?.releases[0]?.outcome === 'merged' && p;
    }, 10_000, 'the ledger');
    assert.deepEqual(prod.releases.map((r) => [r.number, r.kind, r.image.split(':')[1], r.outcome]), [
      [5, 'rollback', '3.0.0', 'merged'],
      [4, 'rollback', '3.1.0', 'merged'],
      [3, 'create', '3.2.0', 'merged'],
      [2, 'create', '3.1.0', 'merged'],
      [1, 'promote', '3.0.0', 'merged'],
    ]);
    await assert.rejects(stack.client.rollbackRelease({ ...ref, env: 'production', to: 9 }), /no release v9/);
  });

  it('a kustomize overlay in a separate deployment repository: newTag changes, one line', async (t) => {
    const deploy = await createRepo({ files: { 'apps/checkout/production/kustomization.yaml': kustomization('1.4.2'), 'apps/checkout/staging/kustomization.yaml': kustomization('1.4.2') } });
    t.after(() => deploy.cleanup());
    const paws = RELEASE_PAWS.replace('environments:\n', `deploy:\n  repo: ${deploy.bare}\n  path: apps/checkout/{env}\n  format: kustomize\nenvironments:\n`);
    const repo = await createRepo({ files: { 'paws.yaml': paws } });
    t.after(() => repo.cleanup());
    // The deployment repository opts the component in (its own file, under its own review).
    await deploy.push({ files: { '.idp/deploy-access.yaml': `apiVersion: paws.dev/v1\nkind: DeployAccess\ngrants:\n  - repo: ${repo.bare}\n    paths: [apps/checkout/**]\n` } });
    const ref = { repo: repo.bare };
    const res = await stack.client.createRelease({ ...ref, env: 'staging', image: 'ghcr.io/acme/checkout:1.5.0' });
    assert.equal(res.release?.previousImage, 'ghcr.io/acme/checkout:1.4.2');
    assert.deepEqual(await stack.client.listPulls(ref), [], 'the PR is in the deployment repository');
    const [pull] = await stack.client.listPulls({ repo: deploy.bare });
    assert.equal(pull?.number, res.pr?.number);
    await as('alice').review(pull!.number, { repo: deploy.bare, event: 'approve' });
    assert.equal((await until(stack, res.workflowId, ended, 'the merge')).phase, 'merged');
    assert.equal(git(deploy.bare, 'show', 'main:apps/checkout/staging/kustomization.yaml'), kustomization('1.5.0'));
    assert.equal(git(deploy.bare, 'show', 'main:apps/checkout/production/kustomization.yaml'), kustomization('1.4.2'));
    assert.equal(git(repo.bare, 'show', 'main:paws.yaml'), paws, 'the component repository is untouched');

    const promoted = await stack.client.promoteRelease({ ...ref, from: 'staging', to: 'production' });
    assert.equal(promoted.release?.image, 'ghcr.io/acme/checkout:1.5.0');
    await stack.api.temporal.workflow.getHandle(promoted.workflowId).terminate('test over');
  });

  it('two releases to one environment serialize; other environments run in parallel', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': RELEASE_PAWS } });
    t.after(() => repo.cleanup());
    const ref = { repo: repo.bare };
    const first = await stack.client.createRelease({ ...ref, env: 'staging', image: 'ghcr.io/acme/checkout:5.0.0' });
    const second = await stack.client.createRelease({ ...ref, env: 'staging', image: 'ghcr.io/acme/checkout:5.0.1' });
    const other = await stack.client.createRelease({ ...ref, env: 'production', image: 'ghcr.io/acme/checkout:4.0.0' });
    assert.equal(second.phase, 'queued');
    assert.equal(second.pr, undefined);
    assert.equal(second.release?.number, 2);
    assert.ok(first.pr && other.pr, 'staging v1 and production v1 have PRs at once');
    const again = await stack.client.createRelease({ ...ref, env: 'staging', image: 'ghcr.io/acme/checkout:5.0.1' });
    assert.equal(again.joined, true);
    assert.equal(again.workflowId, second.workflowId);
    assert.equal((await stack.client.listPulls(ref)).length, 2);

    await as('alice').review(first.pr.number, { ...ref, event: 'approve' });
    await until(stack, first.workflowId, ended, 'v1 merged');
    const next = await until(stack, second.workflowId, hasPr, 'v2 opens its PR after v1 ended');
    assert.equal(next.release?.previousImage, 'ghcr.io/acme/checkout:5.0.0', 'v2 is made on top of v1');
    await as('alice').review(next.pr!.number, { ...ref, event: 'approve' });
    assert.equal((await until(stack, second.workflowId, ended, 'v2 merged')).phase, 'merged');
    assert.equal(imageOnMain(repo, 'staging'), 'ghcr.io/acme/checkout:5.0.1');
    await stack.api.temporal.workflow.getHandle(other.workflowId).terminate('test over');
  });

  it('rejection (changes requested by an approver), timeout and closure by a person end the release, with its PR closed', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': RELEASE_PAWS } });
    t.after(() => repo.cleanup());
    const ref = { repo: repo.bare };

    const rejected = await stack.client.createRelease({ ...ref, env: 'production', image: 'ghcr.io/acme/checkout:6.0.0' });
    await as('bob').review(rejected.pr!.number, { ...ref, event: 'request_changes', body: 'not on a Friday' });
    const r = await until(stack, rejected.workflowId, ended, 'the rejection');
    assert.equal(r.status, 'failed');
    assert.equal(r.error?.code, 'rejected');
    assert.match(r.error?.message ?? '', /bob requested changes/);
    assert.equal((await stack.client.pull(ref, rejected.pr!.number)).state, 'closed');
    const forge = new LocalForge({ repo: repo.bare });
    const policyStatus = async (n: number) => (await forge.checks(n)).checks.find((c) => c.name === 'idp/policy')?.state;
    assert.equal(await policyStatus(rejected.pr!.number), 'failure', 'idp/policy fails on a rejected head');

    const slow = await stack.client.createRelease({ ...ref, env: 'demo', image: 'ghcr.io/acme/checkout:6.0.0' });
    const s = await until(stack, slow.workflowId, ended, 'the timeout');
    assert.equal(s.status, 'failed');
    assert.equal(s.error?.code, 'timed_out');
    const closedPull = await stack.client.pull(ref, slow.pr!.number);
    assert.equal(closedPull.state, 'closed');
    assert.match(closedPull.comments.at(-1)?.body ?? '', /timed out/);
    assert.equal(await policyStatus(slow.pr!.number), 'failure', 'and on a timed-out one');

    const dropped = await stack.client.createRelease({ ...ref, env: 'staging', image: 'ghcr.io/acme/checkout:6.0.0' });
    await stack.client.close(dropped.pr!.number, ref);
    const c = await until(stack, dropped.workflowId, ended, 'the cancellation');
    assert.equal(c.phase, 'closed');
    assert.equal(c.release?.outcome, 'cancelled');

    const outcomes = async () => {
      const list = await stack.client.listReleases(ref);
      return ['production', 'demo', 'staging'].map((env) => list.environments.find((e) => e.env === env)?.releases[0]?.outcome);
    };
    await eventually(async () => JSON.stringify(await outcomes()) === JSON.stringify(['rejected', 'timed_out', 'cancelled']), 10_000, 'the ledger');
    assert.equal(pawsOnMain(repo), RELEASE_PAWS, 'nothing was released');
  });

  it('a base change that conflicts with the release is rebased by idp, which voids the approvals; \`idp pr merge\` is held to the policy', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': RELEASE_PAWS } });
    t.after(() => repo.cleanup());
    const ref = { repo: repo.bare };
    const res = await stack.client.createRelease({ ...ref, env: 'staging', image: 'ghcr.io/acme/checkout:7.0.0' });
    const first = res.pr!;
    // Merging by hand before the policy holds is refused, with what is missing.
    await assert.rejects(stack.client.merge(first.number, ref), /release policy does not hold yet: 1 more approval/);

    // Someone edits the line next to the release's own on main: the PR now conflicts.
    await repo.push({ files: { 'paws.yaml': RELEASE_PAWS.replace('release: { approvals: 1 }', 'release: { approvals: 1, timeout: 14d }') } });
    await as('alice').review(first.number, { ...ref, event: 'approve' });
    const rebased = await eventually(async () => {
      const pull = await stack.client.pull(ref, first.number);
      return pull.headSha !== first.headSha && /re-applied/.test(pull.comments.at(-1)?.body ?? '') && pull;
    }, 15_000, 'the rebase and its comment');
    assert.match(rebased.comments.at(-1)?.body ?? '', /re-applied it on top.*review again/s);
    assert.equal((await stack.client.workflow(res.workflowId)).phase, 'open', 'the approval of the old head does not merge the new one');
    assert.deepEqual((await stack.client.release(ref, 'staging', 1)).verdict?.approvedBy, []);
    // idp/policy is set on the rebased head too: pending there until it is approved.
    const forge = new LocalForge({ repo: repo.bare });
    await eventually(async () => (await forge.checks(first.number)).checks.find((c) => c.name === 'idp/policy')?.state === 'pending', 15_000, 'idp/policy on the rebased head');

    await as('alice').review(first.number, { ...ref, event: 'approve' });
    assert.equal((await until(stack, res.workflowId, ended, 'the merge')).phase, 'merged');
    const spec = parsePaws(pawsOnMain(repo)).spec.environments?.staging;
    assert.equal(spec?.image, 'ghcr.io/acme/checkout:7.0.0');
    assert.equal(spec?.release?.timeout, '14d', "the other change on main is kept");
  });

  it("a component cannot release into another team's deployment repository unless that repository opted it in, for that path; production's floor holds", async (t) => {
    // Team B's deployment repository; team A's component names it in its own paws.yaml, with no approvals.
    const teamB = await createRepo({ files: { 'apps/payments/production/kustomization.yaml': kustomization('1.4.2'), 'apps/payments/staging/kustomization.yaml': kustomization('1.4.2') } });
    t.after(() => teamB.cleanup());
    const attack = `apiVersion: paws.dev/v1
kind: Workload
metadata:
  name: payments
containers:
  web:
    image: ghcr.io/acme/checkout:1.4.2
deploy:
  repo: ${teamB.bare}
  path: apps/payments/{env}
  format: kustomize
environments:
  production:
    release: { approvals: 0 }
`;
    const teamA = await createRepo({ files: { 'paws.yaml': attack } });
    t.after(() => teamA.cleanup());
    const ref = { repo: teamA.bare };
    const ask = { ...ref, env: 'production', image: 'ghcr.io/acme/checkout:6.6.6' };
    const nothingWritten = async () => {
      assert.deepEqual(await stack.client.listPulls({ repo: teamB.bare }, 'all'), [], 'no PR');
      assert.deepEqual(git(teamB.bare, 'for-each-ref', '--format=%(refname)', 'refs/heads').trim().split('\n'), ['refs/heads/main'], 'no branch');
      assert.equal(git(teamB.bare, 'show', 'main:apps/payments/production/kustomization.yaml'), kustomization('1.4.2'));
    };

    // No opt-in: refused, saying which file to add where.
    await assert.rejects(stack.client.createRelease(ask), (e: Error & { code?: string; status?: number }) => {
      assert.equal(e.code, 'forbidden');
      assert.equal(e.status, 403);
      assert.ok(e.message.startsWith(`${teamB.bare} does not take releases from ${teamA.bare}: it has no .idp/deploy-access.yaml on main.`), e.message);
      assert.match(e.message, /paths: \[apps\/payments\/production\/\*\*\]/);
      return true;
    });
    await nothingWritten();

    // Team B opts A in for staging only: production is outside the grant.
    const grant = (paths: string) => `apiVersion: paws.dev/v1\nkind: DeployAccess\ngrants:\n  - repo: ${teamA.bare}\n    paths: [${paths}]\n`;
    await teamB.push({ files: { '.idp/deploy-access.yaml': grant('apps/payments/staging/**') } });
    await assert.rejects(stack.client.createRelease(ask), /lets .* write only apps\/payments\/staging\/\*\*.*not apps\/payments\/production\/kustomization\.yaml/s);
    await nothingWritten();

    // Granted: the release is proposed in B, but production's platform floor (one approval, four eyes) overrides approvals: 0.
    await teamB.push({ files: { '.idp/deploy-access.yaml': grant('apps/payments/**') } });
    const res = await stack.client.createRelease(ask);
    assert.ok(res.pr, 'the PR is open');
    const pull = await stack.client.pull({ repo: teamB.bare }, res.pr.number);
    assert.match(pull.body, /Approvals:\*\* 1 from anyone but the author _\(platform floor for `prod\*`\)_/);
    await stack.client.review(res.pr.number, { repo: teamB.bare, event: 'approve' });
    const shown = await stack.client.release(ref, 'production', 1);
    assert.equal(shown.policy.approvals, 1);
    assert.equal(shown.verdict?.satisfied, false);
    assert.deepEqual(shown.verdict?.ignored, [{ by: TEST_USER, why: 'is the author' }]);
    assert.equal((await stack.client.workflow(res.workflowId)).phase, 'open');
    assert.equal(git(teamB.bare, 'show', 'main:apps/payments/production/kustomization.yaml'), kustomization('1.4.2'), 'not merged');

    await as('alice').review(res.pr.number, { repo: teamB.bare, event: 'approve' });
    assert.equal((await until(stack, res.workflowId, ended, 'the merge')).phase, 'merged');
    assert.equal(git(teamB.bare, 'show', 'main:apps/payments/production/kustomization.yaml'), kustomization('6.6.6'));
  });

  it("production's platform floor (one approval, four eyes) holds whatever paws.yaml says", async (t) => {
    const lowered = RELEASE_PAWS.replace(/  production:\n    release:\n      approvals: 2\n      approvers: \[alice, bob, carol\]\n      rollback: \{ approvals: 1 \}\n/, '  production:\n    release: { approvals: 0, selfApproval: true }\n');
    assert.notEqual(lowered, RELEASE_PAWS);
    const repo = await createRepo({ files: { 'paws.yaml': lowered } });
    t.after(() => repo.cleanup());
    const ref = { repo: repo.bare };
    const res = await stack.client.createRelease({ ...ref, env: 'production', image: 'ghcr.io/acme/checkout:9.0.0' });
    assert.ok(res.pr, 'a PR is opened rather than merged at once');
    assert.match((await stack.client.pull(ref, res.pr.number)).body, /Four-eyes rule:\*\* the author's own approval does not count _\(platform floor for `prod\*`\)_/);
    await stack.client.review(res.pr.number, { ...ref, event: 'approve' });
    const shown = await stack.client.release(ref, 'production', 1);
    assert.deepEqual([shown.policy.approvals, shown.policy.selfApproval], [1, false]);
    assert.deepEqual(shown.verdict?.ignored, [{ by: TEST_USER, why: 'is the author' }]);
    assert.equal((await stack.client.workflow(res.workflowId)).phase, 'open');
    assert.equal(imageOnMain(repo, 'production'), undefined, 'not merged on the requester\'s own approval');
    await as('carol').review(res.pr.number, { ...ref, event: 'approve' });
    assert.equal((await until(stack, res.workflowId, ended, 'the merge')).phase, 'merged');
    assert.equal(imageOnMain(repo, 'production'), 'ghcr.io/acme/checkout:9.0.0');
  });

  it('the policy is read from the default branch: a release PR lowering it in paws.yaml changes nothing', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': RELEASE_PAWS } });
    t.after(() => repo.cleanup());
    const ref = { repo: repo.bare };
    const res = await stack.client.createRelease({ ...ref, env: 'staging', image: 'ghcr.io/acme/checkout:8.0.0' });
    const head = res.pr!.head;
    // Someone pushes to the release branch: the same release, with staging's policy lowered to no approvals.
    const proposed = git(repo.bare, 'show', `${head}:paws.yaml`);
    assert.match(proposed, /image: ghcr\.io\/acme\/checkout:8\.0\.0/);
    await repo.push({ branch: head, from: `origin/${head}`, files: { 'paws.yaml': proposed.replace('release: { approvals: 1 }', 'release: { approvals: 0, selfApproval: true }') } });
    await as('bob').review(res.pr!.number, { ...ref, event: 'comment', body: 'wake up' });
    const shown = await stack.client.release(ref, 'staging', 1);
    assert.equal(shown.policy.approvals, 1);
    assert.equal(shown.policy.selfApproval, false);
    assert.equal(shown.verdict?.satisfied, false);
    assert.deepEqual(shown.verdict?.waitingFor, ['1 more approval from anyone but the author']);
    assert.equal((await stack.client.workflow(res.workflowId)).phase, 'open');
    assert.equal(imageOnMain(repo, 'staging'), undefined, 'not merged');
    await stack.client.close(res.pr!.number, ref);
  });

  it('bad input is refused before anything is written', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': RELEASE_PAWS } });
    t.after(() => repo.cleanup());
    const ref = { repo: repo.bare };
    await assert.rejects(stack.client.createRelease({ ...ref, env: 'staging', image: 'checkout' }), /tag or digest/);
    await assert.rejects(stack.client.createRelease({ ...ref, env: 'nope', image: 'ghcr.io/acme/checkout:1.0.0' }), /nope/);
    await assert.rejects(stack.client.createRelease({ ...ref, env: 'staging', image: 'ghcr.io/acme/checkout:1.4.2' }), /already runs/);
    await assert.rejects(stack.client.rollbackRelease({ ...ref, env: 'staging' }), /no earlier merged release/);
    await assert.rejects(stack.client.promoteRelease({ ...ref, from: 'staging', to: 'staging' }), /itself/);
    assert.deepEqual(await stack.client.listPulls(ref, 'all'), []);
    assert.deepEqual(git(repo.bare, 'for-each-ref', '--format=%(refname)', 'refs/heads').trim().split('\n'), ['refs/heads/main']);
  });

  it('the merge gate fails closed: Temporal not answering (503), the release ended (409) or unknown (409); PR left open', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': RELEASE_PAWS } });
    t.after(() => repo.cleanup());
    const ref = { repo: repo.bare };
    const res = await stack.client.createRelease({ ...ref, env: 'staging', image: 'ghcr.io/acme/checkout:8.0.0' });
    const n = res.pr!.number;

    // The same API, but its Temporal client cannot describe the release: the policy cannot be evaluated.
    const { cfg } = stack;
    const blind = await startApiServer({
      host: '127.0.0.1', port: 0, temporal: describeFails(stack.api.temporal), taskQueue: cfg.taskQueue, providers: providersFor(cfg),
      pollIntervalMs: cfg.pollIntervalMs, version: 'test', temporalAddress: cfg.temporalAddress, namespace: cfg.namespace, identity: standaloneIdentity({ user: TEST_USER, sharedSecret: stack.token }),
    });
    t.after(() => blind.close());
    const merge = (url: string) => fetch(`${url}/pulls/${n}/merge`, { method: 'POST', headers: { 'content-type': 'application/json', ...stack.headersAs(TEST_USER) }, body: JSON.stringify(ref) });
    const unavailable = await merge(blind.url);
    const body = (await unavailable.json()) as { error: { message: string } };
    assert.equal(unavailable.status, 503, JSON.stringify(body));
    assert.match(body.error.message, /cannot check the release policy of PR #\d+ now.*retry/);
    assert.equal((await stack.client.pull(ref, n)).state, 'open', 'nothing merged with 0 approvals');

    // The release ended (an operator terminated it): its policy is no longer followed, so its PR is not merged.
    await as('alice').review(n, { ...ref, event: 'comment', body: 'later' });
    await stack.api.temporal.workflow.getHandle(res.workflowId).terminate('operator');
    const ended = await merge(stack.api.url);
    assert.equal(ended.status, 409);
    assert.match(((await ended.json()) as { error: { message: string } }).error.message, /release v1 to staging, which has ended \(workflow terminated\).*idp releases create --env staging --image ghcr\.io\/acme\/checkout:8\.0\.0/);
    assert.equal((await stack.client.pull(ref, n)).state, 'open');

    // A PR on a release branch no release of idp owns (pushed by a person): refused too.
    const forge = new LocalForge({ repo: repo.bare });
    await repo.push({ branch: 'idp/release/checkout/staging/v9', files: { 'paws.yaml': RELEASE_PAWS.replace('1.4.2', '6.6.6') } });
    const fake = await forge.openPullRequest({ head: 'idp/release/checkout/staging/v9', base: 'main', title: 'v9', body: '', author: 'mallory' });
    await assert.rejects(stack.client.merge(fake.number, ref), /idp has no release release:checkout:staging:v9/);
    assert.equal(imageOnMain(repo, 'staging'), undefined, 'nothing was released');
  });

  it('idp/policy on the release PR head: pending while waiting (saying what is missing), set again on a new head, success once the policy holds', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': RELEASE_PAWS } });
    t.after(() => repo.cleanup());
    const ref = { repo: repo.bare };
    const forge = new LocalForge({ repo: repo.bare });
    const res = await stack.client.createRelease({ ...ref, env: 'production', image: 'ghcr.io/acme/checkout:8.1.0' });
    const n = res.pr!.number;
    /** The idp/policy status on the PR's current head, once it says `text`. */
    const status = (state: string, text: RegExp, what: string) =>
      eventually(async () => {
        const pull = await forge.getPullRequest(n);
        const found = (await forge.checks(n)).checks.find((c) => c.name === 'idp/policy');
        return found?.state === state && text.test((await statusOf(pull.headSha)) ?? '') && { ...found, sha: pull.headSha };
      }, 15_000, what);
    /** The description of idp/policy on `sha`, as the local forge stores it (its checks carry no descriptions). */
    const statusOf = async (sha: string) => {
      const stored = JSON.parse(await readFile(join(repo.bare, 'idp', 'statuses', `${sha}.json`), 'utf8').catch(() => '[]')) as { context: string; description: string }[];
      return stored.find((x) => x.context === 'idp/policy')?.description;
    };

    const first = await status('pending', /^Waiting for 2 more approvals from alice, bob or carol/, 'pending on the first head');
    assert.equal(first.sha, res.pr!.headSha);
    await as('alice').review(n, { ...ref, event: 'approve' });
    await status('pending', /^Waiting for 1 more approval /, 'the new verdict');

    // A person pushes: the new head has a status of its own (and the approval no longer counts).
    const pushed = await repo.push({ branch: res.pr!.head, from: `origin/${res.pr!.head}`, files: { 'NOTES.md': 'why\n' } });
    await as('bob').review(n, { ...ref, event: 'comment', body: 'looking' });
    const second = await status('pending', /^Waiting for 2 more approvals/, 'pending on the pushed head');
    assert.equal(second.sha, pushed);

    await as('alice').review(n, { ...ref, event: 'approve' });
    await as('bob').review(n, { ...ref, event: 'approve' });
    assert.equal((await until(stack, res.workflowId, ended, 'the merge')).phase, 'merged');
    assert.deepEqual((await forge.checks(n)).checks.map((c) => [c.name, c.state]), [['idp/policy', 'success']], 'green on the merged head, set before idp merged');
    assert.equal((await forge.getPullRequest(n)).headSha, pushed);
  });

  it('a release PR merged behind idp\'s back (the forge\'s own merge, as in its UI) is recorded as merged outside the policy', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': RELEASE_PAWS } });
    t.after(() => repo.cleanup());
    const ref = { repo: repo.bare };
    const res = await stack.client.createRelease({ ...ref, env: 'staging', image: 'ghcr.io/acme/checkout:8.2.0' });
    const n = res.pr!.number;
    await new LocalForge({ repo: repo.bare }).merge(n, { by: 'mallory' });
    // What the forge's webhook does for a merged PR.
    await stack.api.temporal.workflow.getHandle(res.workflowId).signal(prEventSignal, { number: n, state: 'merged' });

    const final = await until(stack, res.workflowId, ended, 'the release to see the merge');
    assert.equal(final.phase, 'merged', 'it is deployed: recorded as merged');
    assert.match(final.release?.outsidePolicy ?? '', /^1 more approval from anyone but the author/);
    assert.equal(imageOnMain(repo, 'staging'), 'ghcr.io/acme/checkout:8.2.0');
    const staging = await eventually(async () => {
      const e = (await stack.client.listReleases(ref)).environments.find((x) => x.env === 'staging');
      return e?.current?.number === 1 && e;
    }, 10_000, 'the ledger');
    assert.match(staging.releases[0]?.outsidePolicy ?? '', /1 more approval/, 'the ledger says so');
    assert.match((await stack.client.release(ref, 'staging', 1)).release.outsidePolicy ?? '', /1 more approval/);
    assert.match((await stack.client.pull(ref, n)).comments.at(-1)?.body ?? '', /merged outside its policy/);

    // Rollback sees it as the current release.
    await assert.rejects(stack.client.rollbackRelease({ ...ref, env: 'staging' }), /v1 is the only one/);
  });
});
