/**
 * `idp releases` end to end: the real bin in a working copy of a repository
 * with release policies (RELEASE_PAWS), against the real stack. Approvals,
 * change requests and closures come from other people through the Platform
 * API while the CLI waits; the exit code says how the release ended.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ReleaseDetail, ReleaseList, WorkflowStatus } from '@idp/core';
import type { PullRequest } from '@idp/core';
import { prEventSignal } from '@idp/workflows/shared';
import { LocalForge } from '@idp/providers';
import { startTestStack, type TestStack } from '../testing/stack.js';
import { createRepo, type TestRepo } from '@idp/providers/testing';
import { branches, eventually, git, RELEASE_PAWS } from './fixtures.js';

const IDP = fileURLToPath(new URL('../../../cli/bin/idp.js', import.meta.url));
const USER = 'cli@example.com';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Commands still running: killed when the suite ends (a failed assertion must not leave a `--wait` behind). */
const live = new Set<ChildProcess>();

/** Runs the bin; `running()` tells whether it has not exited yet (for commands started in the background). */
function idp(cwd: string, env: Record<string, string>, ...args: string[]): Promise<Run> & { running(): boolean } {
  let exited = false;
  const done = new Promise<Run>((resolve, reject) => {
    const child = spawn(process.execPath, [IDP, ...args], { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1', ...env } });
    live.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => {
      exited = true;
      live.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
  return Object.assign(done, { running: () => !exited });
}

const out = (r: Run) => `exit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
const pawsOnMain = (repo: TestRepo) => git(repo.bare, 'show', 'main:paws.yaml');

describe('idp releases end to end', () => {
  let stack: TestStack;
  let env: Record<string, string>;
  before(async () => {
    // A long poll interval: reviews and closures made through the API reach the release at once.
    stack = await startTestStack({ pollIntervalMs: 60_000 });
    env = { IDP_API_URL: stack.api.url, IDP_API_TOKEN: stack.token, IDP_USER: USER };
  });
  after(async () => {
    for (const child of live) child.kill('SIGKILL');
    await stack?.stop();
  });

  /** The open PRs of `repo`, once there are `n`. */
  const openPulls = (repo: TestRepo, n: number) =>
    eventually(async () => {
      const pulls = await stack.client.listPulls({ repo: repo.bare }, 'open');
      return pulls.length === n && pulls;
    }, 15_000, `${n} open PRs`);
  const forEnv = (pulls: PullRequest[], name: string) => {
    const found = pulls.find((p) => p.head.startsWith(`idp/release/checkout/${name}/`));
    assert.ok(found, `a PR for ${name} among ${pulls.map((p) => p.head).join(', ')}`);
    return found;
  };
  /** Runs `idp ...args` until `done` holds: the ledger is read from Temporal's visibility, which may lag a moment behind a release's end. */
  const settled = (repo: TestRepo, done: (r: Run) => boolean, what: string, ...args: string[]) =>
    eventually(async () => {
      const r = await idp(repo.workdir, env, ...args);
      return r.code === 0 && done(r) && r;
    }, 10_000, what);
  /** Approve as each of `who`, then wait for the release to end. */
  const approve = async (repo: TestRepo, workflowId: string, n: number, who: string[]) => {
    for (const u of who) await stack.clientAs(u).review(n, { repo: repo.bare, event: 'approve' });
    return eventually(async () => {
      const s = await stack.client.workflow(workflowId, 2);
      return s.status !== 'running' && s;
    }, 20_000, `${workflowId} to end`);
  };

  it('create --wait: stdout is the PR URL, stderr narrates; the author\'s approval does not count, another person\'s merges it (exit 0); the ledger and show tell it', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': RELEASE_PAWS } });
    t.after(() => repo.cleanup());
    const ref = { repo: repo.bare };
    const create = idp(repo.workdir, env, 'releases', 'create', '--env', 'staging', '--image', 'ghcr.io/acme/checkout:1.4.3', '--wait');
    const [pr] = await openPulls(repo, 1);
    assert.equal(pr!.head.startsWith('idp/release/checkout/staging/v1@'), true, pr!.head);

    // While it waits: the author's own approval (through the CLI) is not counted.
    const own = await idp(repo.workdir, env, 'pr', 'review', String(pr!.number), '--approve');
    assert.equal(own.code, 0, out(own));
    const open = await idp(repo.workdir, env, 'releases', 'show', 'v1', '--env', 'staging');
    assert.equal(open.code, 0, out(open));
    assert.match(open.stdout, /^Outcome +open$/m);
    assert.match(open.stdout, /^Approved by +nobody yet$/m);
    assert.match(open.stdout, new RegExp(`^Not counted +${USER.replaceAll('.', '\\.')}: `, 'm'));
    assert.match(open.stdout, /^Verdict +waiting for \S/m);
    assert.match(open.stdout, /^Deadline +in 6d \(\d{4}-\d\d-\d\dT[\d:.]+Z\): idp closes the PR if the policy does not hold by then$/m, 'staging times out after 7d');
    assert.equal(create.running(), true, 'still waiting for an approval that counts');

    await stack.clientAs('alice').review(pr!.number, { ...ref, event: 'approve' });
    const done = await create;
    assert.equal(done.code, 0, out(done));
    assert.equal(done.stdout, `${pr!.url}\n`, 'stdout is the PR URL alone');
    assert.match(done.stderr, /^Releasing ghcr\.io\/acme\/checkout:1\.4\.3 to staging in checkout\.\.\. done$/m);
    assert.match(done.stderr, /^Release v1 of checkout to staging: ghcr\.io\/acme\/checkout:1\.4\.2 → 1\.4\.3$/m);
    assert.match(done.stderr, new RegExp(`^PR #${pr!.number} opened; it merges once the release policy holds\\.$`, 'm'));
    assert.match(done.stderr, new RegExp(`^Waiting for PR #${pr!.number} to be approved and merged\\.\\.\\. merged$`, 'm'));
    assert.match(done.stderr, /^v1 is released: staging is set to ghcr\.io\/acme\/checkout:1\.4\.3 \(approved by alice\)\.$/m);
    assert.match(pawsOnMain(repo), /staging:\n {4}release: \{ approvals: 1 \}\n {4}image: ghcr\.io\/acme\/checkout:1\.4\.3\n/);

    // `idp releases` (bare): each environment's ledger.
    const list = await settled(repo, (r) => /merged \(current\)/.test(r.stdout), 'v1 merged in the ledger', 'releases');
    assert.equal(list.stderr, '');
    assert.match(list.stdout, /^=== staging {2}current v1: ghcr\.io\/acme\/checkout:1\.4\.3$/m);
    assert.match(list.stdout, /^VERSION +IMAGE +PR +REQUESTED BY +APPROVED BY +WHEN +OUTCOME$/m);
    assert.match(list.stdout, new RegExp(`^v1 +ghcr\\.io/acme/checkout:1\\.4\\.3 +#${pr!.number} +cli@example\\.com +alice +.+ +merged \\(current\\)$`, 'm'));
    assert.match(list.stdout, /^=== production {2}no release merged yet\nNo releases yet: `idp releases create --env production --image <image:tag>`\.$/m);
    assert.deepEqual([...list.stdout.matchAll(/^=== (\S+)/gm)].map((m) => m[1]), ['staging', 'production', 'demo']);

    const shown = await idp(repo.workdir, env, 'releases', 'show', 'v1', '--env', 'staging');
    assert.equal(shown.code, 0, out(shown));
    assert.match(shown.stdout, /^Release v1 of checkout to staging$/m);
    assert.match(shown.stdout, /^Outcome +merged$/m);
    assert.match(shown.stdout, /^Kind +create$/m);
    assert.match(shown.stdout, /^Previous +ghcr\.io\/acme\/checkout:1\.4\.2$/m);
    assert.match(shown.stdout, new RegExp(`^PR +#${pr!.number} merged {2}\\S+pulls/${pr!.number}`, 'm'));
    assert.match(shown.stdout, /^Policy +1 approval; no required checks; no self-approval; idp merges once it holds; times out after 7d$/m);
    assert.match(shown.stdout, /^Approved by +alice$/m);
    assert.match(shown.stdout, /^Diff\n--- a\/paws\.yaml\n\+\+\+ b\/paws\.yaml$/m);
    assert.match(shown.stdout, /^\+ {4}image: ghcr\.io\/acme\/checkout:1\.4\.3$/m);

    // --json: the contract's shapes, and nothing else on stdout.
    const listJson = await idp(repo.workdir, env, 'releases', '--env', 'staging', '--json');
    assert.equal(listJson.code, 0, out(listJson));
    const ledger = ReleaseList.parse(JSON.parse(listJson.stdout));
    assert.equal(ledger.component, 'checkout');
    assert.deepEqual(ledger.environments.map((e) => e.env), ['staging']);
    assert.equal(ledger.environments[0]?.current?.number, 1);
    assert.deepEqual(ledger.environments[0]?.releases.map((r) => [r.number, r.kind, r.outcome, r.approvers, r.requestedBy]), [[1, 'create', 'merged', ['alice'], USER]]);
    const showJson = await idp(repo.workdir, env, 'releases', 'show', '1', '--env', 'staging', '--json');
    assert.equal(showJson.code, 0, out(showJson));
    const detail = ReleaseDetail.parse(JSON.parse(showJson.stdout));
    assert.equal(detail.release.image, 'ghcr.io/acme/checkout:1.4.3');
    assert.equal(detail.workflow.phase, 'merged');
    assert.deepEqual([detail.policy.approvals, detail.policy.selfApproval], [1, false]);
    assert.deepEqual(detail.diff.map((f) => f.path), ['paws.yaml']);
    assert.equal(detail.deadline, undefined, 'an ended release has no deadline');
    assert.doesNotMatch(shown.stdout, /^Deadline/m);

    const missing = await idp(repo.workdir, env, 'releases', 'show', 'v7', '--env', 'staging');
    assert.equal(missing.code, 3, out(missing));
  });

  it('a queued release: --wait follows it through the queue, prints its PR URL once the PR opens, then waits for its approval', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': RELEASE_PAWS } });
    t.after(() => repo.cleanup());
    const ref = { repo: repo.bare };
    const ahead = await stack.client.createRelease({ ...ref, env: 'staging', image: 'ghcr.io/acme/checkout:7.0.0' });
    const queued = idp(repo.workdir, env, 'releases', 'create', '--env', 'staging', '--image', 'ghcr.io/acme/checkout:7.0.1', '--wait');
    await eventually(async () => (await stack.client.listReleases(ref)).environments[0]?.releases.length === 2, 10_000, 'v2 queued');
    assert.equal(queued.running(), true);
    await approve(repo, ahead.workflowId, ahead.pr!.number, ['alice']);
    const [pr] = await openPulls(repo, 1);
    assert.match(pr!.head, /^idp\/release\/checkout\/staging\/v2@/);
    assert.equal(queued.running(), true, 'v2 waits for its own approval');
    await stack.clientAs('bob').review(pr!.number, { ...ref, event: 'approve' });
    const done = await queued;
    assert.equal(done.code, 0, out(done));
    assert.equal(done.stdout, `${pr!.url}\n`, out(done));
    assert.match(done.stderr, /^Release v2 of checkout to staging: ghcr\.io\/acme\/checkout:1\.4\.2 → 7\.0\.1$/m);
    assert.match(done.stderr, /^v2 is queued behind the release in progress for staging; its PR opens when that one ends\.$/m);
    // bob approves as soon as the PR exists, so the CLI may first hear of v2 when it is already merged.
    const dequeued = new RegExp(`^Waiting for the release ahead of v2 in staging to end\\.\\.\\. (PR #${pr!.number} opened|merged)$`, 'm').exec(done.stderr);
    assert.ok(dequeued, out(done));
    if (dequeued[1] !== 'merged') assert.match(done.stderr, new RegExp(`^Waiting for PR #${pr!.number} to be approved and merged\\.\\.\\. merged$`, 'm'));
    assert.match(done.stderr, /^v2 is released: staging is set to ghcr\.io\/acme\/checkout:7\.0\.1 \(approved by bob\)\.$/m);
  });

  it('promote and rollback print the release and its PR; --json gives the WorkflowStatus with its release', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': RELEASE_PAWS } });
    t.after(() => repo.cleanup());
    const ref = { repo: repo.bare };
    const staged = await stack.client.createRelease({ ...ref, env: 'staging', image: 'ghcr.io/acme/checkout:2.0.0' });
    await approve(repo, staged.workflowId, staged.pr!.number, ['alice']);

    const promote = await idp(repo.workdir, env, 'releases', 'promote', 'staging', 'production');
    assert.equal(promote.code, 0, out(promote));
    const [promotePr] = await openPulls(repo, 1);
    assert.equal(promote.stdout, `${promotePr!.url}\n`);
    assert.match(promote.stderr, /^Promoting staging → production in checkout\.\.\. done$/m);
    assert.match(promote.stderr, /^Release v1 of checkout to production \(promote from staging\): ghcr\.io\/acme\/checkout:1\.4\.2 → 2\.0\.0$/m);
    assert.match(promote.stderr, /it merges once the release policy holds/);
    const promoted = await stack.client.listReleases(ref);
    const wf = promoted.environments.find((e) => e.env === 'production')!.releases[0]!.workflowId;
    assert.equal((await approve(repo, wf, promotePr!.number, ['alice', 'bob'])).phase, 'merged');

    const next = await stack.client.createRelease({ ...ref, env: 'production', image: 'ghcr.io/acme/checkout:2.1.0' });
    await approve(repo, next.workflowId, next.pr!.number, ['alice', 'bob']);

    // v2 (2.1.0) → back to v1 (2.0.0).
    const rollback = await idp(repo.workdir, env, 'releases', 'rollback', 'production', '--json');
    assert.equal(rollback.code, 0, out(rollback));
    assert.equal(rollback.stderr, '', '--json: no progress');
    const status = WorkflowStatus.parse(JSON.parse(rollback.stdout));
    assert.equal(status.kind, 'release');
    assert.equal(status.release?.number, 3);
    assert.equal(status.release?.kind, 'rollback');
    assert.equal(status.release?.rollbackTo, 1);
    assert.equal(status.release?.image, 'ghcr.io/acme/checkout:2.0.0');
    assert.equal(status.release?.previousImage, 'ghcr.io/acme/checkout:2.1.0');
    assert.ok(status.pr, 'the PR is open when the command returns');

    // The same rollback asked again joins it.
    const again = await idp(repo.workdir, env, 'releases', 'rollback', 'production', '--to', 'v1');
    assert.equal(again.code, 0, out(again));
    assert.equal(again.stdout, `${status.pr.url}\n`);
    assert.match(again.stderr, /^Rolling back production to v1 in checkout\.\.\. done \(joined the same release, already requested\)$/m);
    assert.match(again.stderr, /^Release v3 of checkout to production \(rollback to v1\): ghcr\.io\/acme\/checkout:2\.1\.0 → 2\.0\.0$/m);
    assert.match(again.stderr, new RegExp(`^PR #${status.pr.number} is open for this release`, 'm'));

    // The rollback path needs one approval.
    assert.equal((await approve(repo, status.workflowId, status.pr.number, ['carol'])).phase, 'merged');
    const json = await settled(repo, (r) => JSON.parse(r.stdout).environments[0]?.current?.number === 3, 'v3 merged in the ledger', 'releases', '--env', 'production', '--json');
    const ledger = ReleaseList.parse(JSON.parse(json.stdout));
    assert.deepEqual(ledger.environments[0]!.releases.map((r) => [r.number, r.kind, r.image.split(':')[1], r.outcome]), [
      [3, 'rollback', '2.0.0', 'merged'],
      [2, 'create', '2.1.0', 'merged'],
      [1, 'promote', '2.0.0', 'merged'],
    ]);
    const list = await idp(repo.workdir, env, 'releases', '--env', 'production');
    assert.match(list.stdout, /^v3 +ghcr\.io\/acme\/checkout:2\.0\.0 \(rollback to v1\) +#\d+ +cli@example\.com +carol +.+ merged \(current\)$/m);
    assert.match(list.stdout, /^v1 +ghcr\.io\/acme\/checkout:2\.0\.0 \(promote from staging\) +#\d+ +cli@example\.com +alice, bob +.+ merged$/m);
    assert.doesNotMatch(list.stdout, /=== staging/);
  });

  it('a release merged in the forge\'s own UI while its policy did not hold: `idp releases`, `show` and --json say so', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': RELEASE_PAWS } });
    t.after(() => repo.cleanup());
    const res = await stack.client.createRelease({ repo: repo.bare, env: 'staging', image: 'ghcr.io/acme/checkout:1.6.0' });
    const n = res.pr!.number;
    const refused = await idp(repo.workdir, env, 'pr', 'merge', String(n));
    assert.equal(refused.code, 4, out(refused));
    assert.match(refused.stderr, /release policy does not hold yet: 1 more approval/);

    // Merged on the forge itself (its UI), then its webhook tells the release.
    await new LocalForge({ repo: repo.bare }).merge(n, { by: 'mallory' });
    await stack.api.temporal.workflow.getHandle(res.workflowId).signal(prEventSignal, { number: n, state: 'merged' });
    const list = await settled(repo, (r) => /outside policy/.test(r.stdout), 'the ledger', 'releases', '--env', 'staging');
    assert.match(list.stdout, /^v1 .* merged outside policy \(current\)$/m);
    assert.match(list.stdout, /^v1 was merged outside its release policy; missing: 1 more approval from anyone but the author$/m);
    const show = await idp(repo.workdir, env, 'releases', 'show', 'v1', '--env', 'staging');
    assert.equal(show.code, 0, out(show));
    assert.match(show.stdout, /^Outcome +merged\nWarning +merged outside its release policy \(it did not hold on the merged head\); missing: 1 more approval/m);
    const json = await idp(repo.workdir, env, 'releases', '--json');
    const staging = ReleaseList.parse(JSON.parse(json.stdout)).environments.find((e) => e.env === 'staging');
    assert.match(staging?.current?.outsidePolicy ?? '', /^1 more approval/, 'still the current release: it is deployed');
  });

  it('--wait exit codes from the real server: rejected → 8, timed out → 9, PR closed by a person → 7', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': RELEASE_PAWS } });
    t.after(() => repo.cleanup());
    const ref = { repo: repo.bare };
    const rejected = idp(repo.workdir, env, 'releases', 'create', '--env', 'production', '--image', 'ghcr.io/acme/checkout:6.0.0', '--wait', '--json');
    const timedOut = idp(repo.workdir, env, 'releases', 'create', '--env', 'demo', '--image', 'ghcr.io/acme/checkout:6.0.0', '--wait');
    const cancelled = idp(repo.workdir, env, 'releases', 'create', '--env', 'staging', '--image', 'ghcr.io/acme/checkout:6.0.0', '--wait');
    const pulls = await openPulls(repo, 3);
    const prod = forEnv(pulls, 'production');
    const demo = forEnv(pulls, 'demo');
    const staging = forEnv(pulls, 'staging');
    await stack.clientAs('bob').review(prod.number, { ...ref, event: 'request_changes', body: 'not on a Friday' });
    await stack.clientAs('carol').close(staging.number, ref);

    const r = await rejected;
    assert.equal(r.code, 8, out(r));
    const final = WorkflowStatus.parse(JSON.parse(r.stdout));
    assert.equal(final.status, 'failed');
    assert.equal(final.error?.code, 'rejected');
    assert.equal(final.release?.outcome, 'rejected');
    const err = JSON.parse(r.stderr) as { error: { code: string; message: string } };
    assert.equal(err.error.code, 'release_rejected');
    assert.match(err.error.message, /^Release v1 to production was rejected: bob requested changes/);

    const c = await cancelled;
    assert.equal(c.code, 7, out(c));
    assert.equal(c.stdout, `${staging.url}\n`);
    assert.match(c.stderr, new RegExp(`^Waiting for PR #${staging.number} to be approved and merged\\.\\.\\. closed without merging$`, 'm'));
    assert.match(c.stderr, new RegExp(`^idp: PR #${staging.number} was closed without being merged; release v1 to staging is cancelled and nothing changed\\.$`, 'm'));

    const s = await timedOut;
    assert.equal(s.code, 9, out(s));
    assert.equal(s.stdout, `${demo.url}\n`);
    assert.match(s.stderr, /^Release v1 of checkout to demo: ghcr\.io\/acme\/checkout:1\.4\.2 → 6\.0\.0$/m);
    assert.match(s.stderr, /\.\.\. timed out$/m);
    assert.match(s.stderr, new RegExp(`^idp: Release v1 to demo timed out: .*3s.* PR #${demo.number} is closed; nothing changed\\.$`, 'm'));

    for (const p of [prod, demo, staging]) assert.equal((await stack.client.pull(ref, p.number)).state, 'closed');
    const list = await settled(repo, (r) => ['rejected', 'timed out', 'cancelled'].every((o) => r.stdout.includes(` ${o}\n`)), 'the three outcomes in the ledger', 'releases');
    assert.match(list.stdout, /^v1 +ghcr\.io\/acme\/checkout:6\.0\.0 +#\d+ +cli@example\.com +- +.+ rejected$/m);
    assert.match(list.stdout, /^v1 +ghcr\.io\/acme\/checkout:6\.0\.0 +#\d+ +cli@example\.com +- +.+ timed out$/m);
    assert.match(list.stdout, /^v1 +ghcr\.io\/acme\/checkout:6\.0\.0 +#\d+ +cli@example\.com +- +.+ cancelled$/m);
    assert.equal(pawsOnMain(repo), RELEASE_PAWS, 'nothing was released');
  });

  it('bad input: refused locally (exit 2) or by the server (3, 4); no PR, no branch, no release', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': RELEASE_PAWS } });
    t.after(() => repo.cleanup());
    const noTag = await idp(repo.workdir, env, 'releases', 'create', '--env', 'staging', '--image', 'checkout');
    assert.equal(noTag.code, 2, out(noTag));
    assert.equal(noTag.stdout, '');
    assert.match(noTag.stderr, /^idp: Invalid --image: "checkout" is not a versioned image: give a tag or digest/m);
    const json = await idp(repo.workdir, env, 'releases', 'create', '--env', 'staging', '--image', 'checkout', '--json');
    assert.equal(json.code, 2, out(json));
    assert.equal(json.stdout, '');
    assert.equal((JSON.parse(json.stderr) as { error: { code: string } }).error.code, 'usage');
    const noEnv = await idp(repo.workdir, env, 'releases', 'create', '--image', 'ghcr.io/acme/checkout:1.4.3');
    assert.equal(noEnv.code, 2, out(noEnv));
    assert.match(noEnv.stderr, /--env is required/);
    const badNumber = await idp(repo.workdir, env, 'releases', 'show', 'latest', '--env', 'staging');
    assert.equal(badNumber.code, 2, out(badNumber));
    const itself = await idp(repo.workdir, env, 'releases', 'promote', 'staging', 'staging');
    assert.equal(itself.code, 2, out(itself));
    // Refused by the server, before anything is written.
    const unknown = await idp(repo.workdir, env, 'releases', 'create', '--env', 'nope', '--image', 'ghcr.io/acme/checkout:1.4.3');
    assert.equal(unknown.code, 3, out(unknown));
    assert.match(unknown.stderr, /"nope" does not exist/);
    const same = await idp(repo.workdir, env, 'releases', 'create', '--env', 'staging', '--image', 'ghcr.io/acme/checkout:1.4.2');
    assert.equal(same.code, 4, out(same));
    assert.match(same.stderr, /staging already runs ghcr\.io\/acme\/checkout:1\.4\.2/);
    const noEarlier = await idp(repo.workdir, env, 'releases', 'rollback', 'staging');
    assert.equal(noEarlier.code, 4, out(noEarlier));
    assert.match(noEarlier.stderr, /no earlier merged release/);

    assert.deepEqual(await stack.client.listPulls({ repo: repo.bare }, 'all'), []);
    assert.deepEqual(branches(repo.bare), ['main']);
    const ledger = await stack.client.listReleases({ repo: repo.bare });
    assert.deepEqual(ledger.environments.map((e) => e.releases.length), [0, 0, 0]);
  });
});
