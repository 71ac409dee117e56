/**
 * The contract every GitProvider must pass (local forge now, GitHub and GitLab
 * fakes later). A provider's test file calls `providerContract(name, setup)`
 * at top level; every case gets a fresh repository from `setup`.
 *
 * The fixture is deliberately small so a fake can implement it:
 *  - `setup({ files, defaultBranch })` creates a repository whose default
 *    branch holds `files` in one commit and returns a provider for it;
 *  - `push(branch, files)` changes a branch from OUTSIDE the provider, the way
 *    a developer's `git push` would (used to move the base and to add commits
 *    to a PR branch);
 *  - `cleanup()` removes it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PullRequest } from '@idp/core';
import { ConflictError, InvalidRequestError, NotFoundError } from '@idp/core/errors';
import { LIST_MAX_PAGE, type FileChange, type GitProvider } from './provider.js';

export interface ContractRepo {
  provider: GitProvider;
  /**
   * Commit `files` (null deletes) onto `branch` outside the provider, creating
   * the branch from `from` (default: the default branch) when it does not exist.
   * Returns the branch's new head sha.
   */
  push(branch: string, files: Record<string, string | null>, opts?: { from?: string; message?: string }): Promise<string>;
  /**
   * Report a CI check on a commit from outside (a CI system would). Providers
   * whose forge has no checks (the local forge) leave it out, and the
   * check cases only assert that such a PR reports none.
   */
  setCheck?(sha: string, name: string, state: 'pending' | 'success' | 'failure'): Promise<void>;
  cleanup(): Promise<void>;
}

export interface ContractOptions {
  /**
   * Three users as the forge names them (emails on the local forge, logins on
   * GitHub/GitLab). Each must be able to act through the provider (a forge
   * fixture gives the provider a token per user).
   */
  users?: [string, string, string];
}

export type ContractSetup = (init: { files: Record<string, string>; defaultBranch: string }) => Promise<ContractRepo>;

const AUTHOR = { name: 'Contract Test', email: 'contract@idp.invalid' };

const SEED: Record<string, string> = {
  'paws.yaml': 'apiVersion: paws.dev/v1\nkind: Workload\nmetadata: { name: checkout }\n',
  'README.md': '# checkout\n',
  'deploy/staging/values.yaml': 'replicas: 1\n',
  'deploy/staging/extra/config.yaml': 'debug: true\n',
  'docs/only.md': 'this folder disappears when its only file is deleted\n',
};

function rejectsWith(type: new (...args: never[]) => Error, pattern?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof type, `expected ${type.name}, got ${String(err)}`);
    if (pattern) assert.match(err.message, pattern);
    return true;
  };
}

export function providerContract(name: string, setup: ContractSetup, opts: ContractOptions = {}): void {
  const [ALICE, BOB, CAROL] = opts.users ?? ['alice@example.com', 'bob@example.com', 'carol@example.com'];
  /** A fresh repository for one test, always cleaned up. */
  async function withRepo(fn: (repo: ContractRepo & { p: GitProvider; main: string }) => Promise<void>, files = SEED): Promise<void> {
    const repo = await setup({ files, defaultBranch: 'main' });
    try {
      await fn({ ...repo, p: repo.provider, main: 'main' });
    } finally {
      await repo.cleanup();
    }
  }

  /** Create `branch` off the default branch with `files` through the provider. */
  async function branchWith(p: GitProvider, branch: string, files: Record<string, string | null>): Promise<string> {
    const baseSha = await p.branchSha(await p.defaultBranch());
    assert.ok(baseSha);
    const changes: FileChange[] = Object.entries(files).map(([path, content]) => ({ path, content }));
    return (await p.commitToNewBranch({ branch, baseSha, message: `Change ${branch}`, changes, author: AUTHOR })).sha;
  }

  async function openPr(p: GitProvider, head: string, extra: Partial<{ title: string; labels: string[]; author: string }> = {}): Promise<PullRequest> {
    return p.openPullRequest({ head, base: 'main', title: extra.title ?? `PR for ${head}`, body: 'Body', author: extra.author ?? ALICE, ...(extra.labels ? { labels: extra.labels } : {}) });
  }

  describe(`GitProvider contract: ${name}`, () => {
    describe('branches and files', () => {
      it('names the default branch and its head', () =>
        withRepo(async ({ p }) => {
          assert.equal(await p.defaultBranch(), 'main');
          assert.match((await p.branchSha('main')) ?? '', /^[0-9a-f]{40}$/);
          assert.equal(await p.branchSha('no-such-branch'), null);
        }));

      it('reads files (also nested) at a branch and at a commit sha', () =>
        withRepo(async ({ p, push }) => {
          const first = await p.branchSha('main');
          const atBranch = await p.readFile('paws.yaml', 'main');
          assert.equal(atBranch?.content, SEED['paws.yaml']);
          assert.equal(atBranch?.commitSha, first);
          assert.match(atBranch?.sha ?? '', /^[0-9a-f]{40}$/);
          assert.equal((await p.readFile('deploy/staging/extra/config.yaml', 'main'))?.content, 'debug: true\n');

          const second = await push('main', { 'paws.yaml': 'changed\n' });
          assert.equal((await p.readFile('paws.yaml', 'main'))?.content, 'changed\n');
          assert.equal((await p.readFile('paws.yaml', 'main'))?.commitSha, second);
          const old = await p.readFile('paws.yaml', first!);
          assert.equal(old?.content, SEED['paws.yaml']);
          assert.equal(old?.commitSha, first);
          assert.equal(old?.sha, atBranch?.sha, 'same content, same blob id');
        }));

      it('reads a snapshot: default branch, its head, a file there and a branch head, together', () =>
        withRepo(async ({ p, push }) => {
          const head = (await p.branchSha('main'))!;
          const snap = await p.snapshot('paws.yaml');
          assert.deepEqual(snap, { defaultBranch: 'main', baseSha: head, file: await p.readFile('paws.yaml', head), branchSha: null });
          const feature = await push('feature/snap', { 'x.txt': 'x' });
          const withBranch = await p.snapshot('missing.yaml', 'feature/snap');
          assert.equal(withBranch.file, null);
          assert.equal(withBranch.branchSha, feature);
          assert.equal((await p.snapshot('paws.yaml', 'no-such-branch')).branchSha, null);
        }));

      it('returns null for a missing file and NotFoundError for an unknown ref', () =>
        withRepo(async ({ p }) => {
          assert.equal(await p.readFile('missing.txt', 'main'), null);
          assert.equal(await p.readFile('deploy/staging/missing.yaml', 'main'), null);
          await assert.rejects(p.readFile('paws.yaml', 'no-such-branch'), rejectsWith(NotFoundError));
          await assert.rejects(p.readFile('paws.yaml', 'deadbeef'.repeat(5)), rejectsWith(NotFoundError));
        }));

      it('commits adds, updates and deletes in nested paths onto a new branch, leaving the base untouched', () =>
        withRepo(async ({ p }) => {
          const base = (await p.branchSha('main'))!;
          const { sha, created } = await p.commitToNewBranch({
            branch: 'idp/env-clone/checkout/preview-1',
            baseSha: base,
            message: 'Clone staging to preview-1',
            author: AUTHOR,
            changes: [
              { path: 'paws.yaml', content: 'updated\n' },
              { path: 'deploy/preview-1/values.yaml', content: 'replicas: 2\n' },
              { path: 'deploy/staging/extra/config.yaml', content: null },
              { path: 'docs/only.md', content: null },
              { path: 'new/deeply/nested/file.txt', content: 'hello\n' },
            ],
          });
          assert.equal(created, true);
          assert.equal(await p.branchSha('idp/env-clone/checkout/preview-1'), sha);
          assert.notEqual(sha, base);

          const at = (path: string) => p.readFile(path, sha).then((f) => f?.content ?? null);
          assert.equal(await at('paws.yaml'), 'updated\n');
          assert.equal(await at('deploy/preview-1/values.yaml'), 'replicas: 2\n');
          assert.equal(await at('new/deeply/nested/file.txt'), 'hello\n');
          assert.equal(await at('deploy/staging/extra/config.yaml'), null);
          assert.equal(await at('docs/only.md'), null);
          assert.equal(await at('deploy/staging/values.yaml'), 'replicas: 1\n', 'untouched files stay');
          assert.equal(await at('README.md'), '# checkout\n');

          assert.equal(await p.branchSha('main'), base, 'base branch did not move');
          for (const [path, content] of Object.entries(SEED)) {
            assert.equal((await p.readFile(path, 'main'))?.content, content, `${path} unchanged on main`);
          }
        }));

      it('commitToNewBranch is idempotent, and refuses different content or the default branch', () =>
        withRepo(async ({ p }) => {
          const baseSha = (await p.branchSha('main'))!;
          const req = { branch: 'feature/x', baseSha, message: 'x', author: AUTHOR, changes: [{ path: 'a/b.txt', content: 'one\n' }] };
          const first = await p.commitToNewBranch(req);
          const again = await p.commitToNewBranch(req);
          assert.deepEqual(again, { sha: first.sha, created: false });
          await assert.rejects(p.commitToNewBranch({ ...req, changes: [{ path: 'a/b.txt', content: 'two\n' }] }), rejectsWith(ConflictError, /feature\/x/));
          assert.equal(await p.branchSha('feature/x'), first.sha);
          await assert.rejects(p.commitToNewBranch({ ...req, branch: 'main' }), rejectsWith(InvalidRequestError));
          assert.equal(await p.branchSha('main'), baseSha);
        }));

      it('lists a folder at a ref (files and subfolders, sorted); null for a missing folder or a file', () =>
        withRepo(async ({ p }) => {
          assert.deepEqual(await p.listDirectory('deploy/staging', 'main'), [
            { name: 'extra', path: 'deploy/staging/extra', type: 'dir' },
            { name: 'values.yaml', path: 'deploy/staging/values.yaml', type: 'file' },
          ]);
          assert.deepEqual((await p.listDirectory('', 'main'))?.map((e) => e.path), ['README.md', 'deploy', 'docs', 'paws.yaml']);
          assert.equal(await p.listDirectory('deploy/production', 'main'), null);
          assert.equal(await p.listDirectory('README.md', 'main'), null);
          await assert.rejects(p.listDirectory('deploy', 'no-such-branch'), rejectsWith(NotFoundError));
        }));

      it('deletes a branch; deleting a missing branch is fine', () =>
        withRepo(async ({ p }) => {
          await branchWith(p, 'to-delete', { 'x.txt': 'x' });
          await p.deleteBranch('to-delete');
          assert.equal(await p.branchSha('to-delete'), null);
          await p.deleteBranch('to-delete');
        }));
    });

    describe('pull requests', () => {
      it('opens, gets, finds by branch and lists pull requests', () =>
        withRepo(async ({ p }) => {
          const base = await p.branchSha('main');
          const head = await branchWith(p, 'idp/a', { 'a.txt': 'a' });
          const pr = await openPr(p, 'idp/a', { title: 'Add a', labels: ['idp'] });
          assert.equal(pr.state, 'open');
          assert.equal(pr.title, 'Add a');
          assert.equal(pr.body, 'Body');
          assert.equal(pr.head, 'idp/a');
          assert.equal(pr.base, 'main');
          assert.equal(pr.headSha, head);
          assert.equal(pr.baseSha, base);
          assert.equal(pr.author, ALICE);
          assert.deepEqual(pr.labels, ['idp']);
          assert.deepEqual(pr.reviews, []);
          assert.deepEqual(pr.comments, []);
          assert.ok(pr.url.length > 0);
          assert.ok(!Number.isNaN(Date.parse(pr.createdAt)));

          // updatedAt aside: a forge bumps it when the labels land, a moment after opening (1 s resolution on GitHub).
          const same = (x: PullRequest | null) => ({ ...x, updatedAt: pr.updatedAt });
          assert.deepEqual(same(await p.getPullRequest(pr.number)), pr);
          assert.deepEqual(same(await p.findPullRequestByBranch('idp/a')), pr);
          assert.deepEqual(same(await p.findPullRequestByBranch('idp/a', 'open')), pr);
          assert.equal(await p.findPullRequestByBranch('idp/a', 'merged'), null);
          assert.equal(await p.findPullRequestByBranch('idp/none'), null);

          await branchWith(p, 'other/b', { 'b.txt': 'b' });
          const prB = await openPr(p, 'other/b');
          assert.notEqual(prB.number, pr.number);
          assert.deepEqual((await p.listPullRequests()).pulls.map((x) => x.number), [pr.number, prB.number].sort((a, b) => a - b));
          assert.deepEqual((await p.listPullRequests({ headPrefix: 'idp/' })).pulls.map((x) => x.head), ['idp/a']);
          await p.close(prB.number, BOB);
          assert.deepEqual((await p.listPullRequests()).pulls.map((x) => x.head), ['idp/a'], 'the default lists open PRs only');
          assert.deepEqual((await p.listPullRequests({ state: 'open' })).pulls.map((x) => x.head), ['idp/a']);
          assert.deepEqual((await p.listPullRequests({ state: 'closed' })).pulls.map((x) => x.head), ['other/b']);
          assert.equal((await p.listPullRequests({ state: 'all' })).pulls.length, 2);

          await assert.rejects(p.getPullRequest(999), rejectsWith(NotFoundError));
          await assert.rejects(openPr(p, 'no-such-branch'), rejectsWith(NotFoundError));
        }));

      it('refuses a second open pull request for the same branch; a closed one does not block', () =>
        withRepo(async ({ p }) => {
          await branchWith(p, 'idp/x', { 'x.txt': 'x' });
          const first = await openPr(p, 'idp/x');
          await assert.rejects(openPr(p, 'idp/x'), rejectsWith(ConflictError, new RegExp(`#${first.number}`)));
          await p.close(first.number, ALICE);
          const second = await openPr(p, 'idp/x');
          assert.ok(second.number > first.number);
          assert.equal((await p.findPullRequestByBranch('idp/x'))?.number, second.number, 'newest match');
          assert.equal((await p.findPullRequestByBranch('idp/x', 'closed'))?.number, first.number);
        }));

      it('concurrent opens for one branch: exactly one succeeds', () =>
        withRepo(async ({ p }) => {
          await branchWith(p, 'idp/race', { 'r.txt': 'r' });
          const results = await Promise.allSettled(Array.from({ length: 5 }, () => openPr(p, 'idp/race')));
          const ok = results.filter((r) => r.status === 'fulfilled');
          assert.equal(ok.length, 1);
          for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof ConflictError, String(r.reason));
          assert.equal((await p.listPullRequests({ state: 'all' })).pulls.length, 1);
        }));

      it('20 concurrent opens on 20 branches get distinct numbers 1..20, none lost', () =>
        withRepo(async ({ p }) => {
          const branches = Array.from({ length: 20 }, (_, i) => `idp/many-${i}`);
          await Promise.all(branches.map((b) => branchWith(p, b, { [`${b}.txt`]: b })));
          const prs = await Promise.all(branches.map((b) => openPr(p, b)));
          const numbers = prs.map((pr) => pr.number).sort((a, b) => a - b);
          assert.deepEqual(numbers, Array.from({ length: 20 }, (_, i) => i + 1));
          const { pulls: listed } = await p.listPullRequests({ state: 'all' });
          assert.deepEqual(listed.map((pr) => pr.number), numbers, 'sorted by number');
          for (const pr of prs) assert.equal((await p.getPullRequest(pr.number)).head, pr.head);
        }));

      it('pages through a listing newest first: each PR once, nextPage until the last page; bad pages refused', () =>
        withRepo(async ({ p }) => {
          const numbers: number[] = [];
          // One after the other: creation order is number order.
          for (let i = 1; i <= 5; i++) {
            await branchWith(p, `idp/page-${i}`, { [`page-${i}.txt`]: String(i) });
            numbers.push((await openPr(p, `idp/page-${i}`)).number);
          }
          const [n1, n2, n3, n4, n5] = numbers;
          const pages = [];
          for (const page of [1, 2, 3]) pages.push(await p.listPullRequests({ limit: 2, page }));
          assert.deepEqual(pages.map((x) => x.pulls.map((pr) => pr.number)), [[n4, n5], [n2, n3], [n1]], 'newest first, each page sorted by number');
          assert.deepEqual(pages.map((x) => x.nextPage), [2, 3, undefined], 'no nextPage on the last page');
          assert.deepEqual((await p.listPullRequests({ limit: 2 })).pulls.map((pr) => pr.number), [n4, n5], 'page 1 by default');
          assert.deepEqual((await p.listPullRequests({ limit: 2, page: 4 })).pulls, [], 'past the end: nothing');
          for (const page of [0, 1.5, LIST_MAX_PAGE + 1]) await assert.rejects(p.listPullRequests({ page }), rejectsWith(InvalidRequestError, /page/));
          await assert.rejects(p.listPullRequests({ headPrefix: 'idp/', page: 2 }), rejectsWith(InvalidRequestError, /head prefix/));
        }));

      it('adds labels, keeping the ones it had', () =>
        withRepo(async ({ p }) => {
          await branchWith(p, 'idp/l', { 'l.txt': 'l' });
          const pr = await openPr(p, 'idp/l', { labels: ['idp'] });
          assert.deepEqual((await p.addLabels(pr.number, ['env-clone', 'idp'])).sort(), ['env-clone', 'idp']);
          assert.deepEqual((await p.getPullRequest(pr.number)).labels.sort(), ['env-clone', 'idp']);
          await assert.rejects(p.addLabels(999, ['x']), rejectsWith(NotFoundError));
        }));

      it("summarizes the checks reported on the PR's current head", () =>
        withRepo(async ({ p, push, setCheck }) => {
          const head = await branchWith(p, 'idp/checks', { 'c.txt': 'c' });
          const pr = await openPr(p, 'idp/checks');
          assert.deepEqual(await p.checks(pr.number), { state: 'none', checks: [] });
          if (!setCheck) return;
          await setCheck(head, 'build', 'pending');
          assert.equal((await p.checks(pr.number)).state, 'pending');
          await setCheck(head, 'build', 'success');
          await setCheck(head, 'lint', 'success');
          const green = await p.checks(pr.number);
          assert.equal(green.state, 'success');
          assert.deepEqual(green.checks.map((c) => [c.name, c.state]).sort(), [['build', 'success'], ['lint', 'success']]);
          await setCheck(head, 'lint', 'failure');
          assert.equal((await p.checks(pr.number)).state, 'failure');
          await push('idp/checks', { 'c.txt': 'changed' });
          assert.deepEqual(await p.checks(pr.number), { state: 'none', checks: [] }, 'checks belong to a commit; a new head has none yet');
        }));

      it('records comments', () =>
        withRepo(async ({ p }) => {
          await branchWith(p, 'idp/c', { 'c.txt': 'c' });
          const pr = await openPr(p, 'idp/c');
          await p.comment(pr.number, 'Looks good so far', BOB);
          await p.comment(pr.number, 'One more thing', CAROL);
          const after = await p.getPullRequest(pr.number);
          assert.deepEqual(after.comments.map((c) => [c.by, c.body]), [[BOB, 'Looks good so far'], [CAROL, 'One more thing']]);
        }));

      it('counts approvals of the current head only; a push makes them stale', () =>
        withRepo(async ({ p, push }) => {
          const head = await branchWith(p, 'idp/r', { 'r.txt': 'one' });
          // Opened by the service identity, so all three users review someone else's PR (GitHub refuses self-approval).
          const pr = await openPr(p, 'idp/r', { author: 'idp' });
          const reviewed = await p.review(pr.number, { event: 'approve', by: BOB, body: 'LGTM' });
          assert.deepEqual(reviewed.reviews.map((r) => [r.by, r.state, r.commitSha, r.body]), [[BOB, 'approved', head, 'LGTM']]);
          await p.review(pr.number, { event: 'request_changes', by: CAROL, body: 'no' });
          await p.review(pr.number, { event: 'approve', by: ALICE });
          assert.deepEqual((await p.approvals(pr.number)).sort(), [ALICE, BOB]);

          await p.review(pr.number, { event: 'approve', by: CAROL });
          await p.review(pr.number, { event: 'request_changes', by: ALICE, body: 'changed my mind' });
          await p.review(pr.number, { event: 'comment', by: BOB, body: 'a note' });
          assert.deepEqual((await p.approvals(pr.number)).sort(), [BOB, CAROL], 'latest verdict counts; a comment keeps the approval');

          const newHead = await push('idp/r', { 'r.txt': 'two' });
          const moved = await p.getPullRequest(pr.number);
          assert.equal(moved.headSha, newHead, 'PR follows its branch');
          assert.deepEqual(await p.approvals(pr.number), [], 'approvals of the old head are stale');

          await p.review(pr.number, { event: 'approve', by: CAROL });
          assert.deepEqual(await p.approvals(pr.number), [CAROL]);
          assert.equal((await p.getPullRequest(pr.number)).reviews.at(-1)?.commitSha, newHead);
        }));

      it('merges (the base then holds the change); merging again returns it unchanged', () =>
        withRepo(async ({ p }) => {
          const head = await branchWith(p, 'idp/ff', { 'paws.yaml': 'ff\n' });
          const pr = await openPr(p, 'idp/ff');
          const merged = await p.merge(pr.number, { by: BOB, expectedHeadSha: head });
          assert.equal(merged.state, 'merged');
          assert.equal(merged.mergedBy, BOB);
          assert.ok(merged.mergedAt);
          // The local forge fast-forwards; GitHub and GitLab write a merge commit. Either way the base's new tip is mergeSha.
          assert.equal(await p.branchSha('main'), merged.mergeSha);
          assert.equal(merged.headSha, head);
          assert.equal((await p.readFile('paws.yaml', 'main'))?.content, 'ff\n');
          assert.deepEqual(await p.merge(pr.number, { by: CAROL }), merged);
          assert.deepEqual(await p.getPullRequest(pr.number), merged);
          await assert.rejects(p.close(pr.number, BOB), rejectsWith(ConflictError));
        }));

      it('merges with a merge commit when the base moved, keeping both changes', () =>
        withRepo(async ({ p, push }) => {
          const head = await branchWith(p, 'idp/mc', { 'deploy/preview/values.yaml': 'replicas: 3\n' });
          const pr = await openPr(p, 'idp/mc');
          const moved = await push('main', { 'README.md': '# checkout, moved on\n' });
          const merged = await p.merge(pr.number, { by: BOB, expectedHeadSha: head, message: 'Merge the preview' });
          assert.equal(merged.state, 'merged');
          const tip = await p.branchSha('main');
          assert.equal(merged.mergeSha, tip);
          assert.notEqual(tip, head);
          assert.notEqual(tip, moved);
          assert.equal((await p.readFile('deploy/preview/values.yaml', 'main'))?.content, 'replicas: 3\n');
          assert.equal((await p.readFile('README.md', 'main'))?.content, '# checkout, moved on\n');
          assert.equal((await p.readFile('paws.yaml', 'main'))?.content, SEED['paws.yaml']);
        }));

      it('refuses to merge when the head is not the expected (reviewed) sha', () =>
        withRepo(async ({ p, push }) => {
          const reviewed = await branchWith(p, 'idp/w', { 'w.txt': 'one' });
          const pr = await openPr(p, 'idp/w');
          await push('idp/w', { 'w.txt': 'sneaky' });
          const base = await p.branchSha('main');
          await assert.rejects(p.merge(pr.number, { by: BOB, expectedHeadSha: reviewed }), rejectsWith(ConflictError));
          assert.equal(await p.branchSha('main'), base);
          assert.equal((await p.getPullRequest(pr.number)).state, 'open');
        }));

      it('tells whether an open PR merges cleanly; updateBranch rebases it onto the new base', () =>
        withRepo(async ({ p, push }) => {
          const head = await branchWith(p, 'idp/rebase', { 'paws.yaml': 'ours\n' });
          const pr = await openPr(p, 'idp/rebase');
          assert.equal(await p.mergeable(pr.number), true);
          await push('main', { 'README.md': 'elsewhere\n' });
          assert.equal(await p.mergeable(pr.number), true, 'a change elsewhere does not conflict');
          const base = await push('main', { 'paws.yaml': 'theirs\n' });
          assert.equal(await p.mergeable(pr.number), false, 'both changed paws.yaml');

          const { sha } = await p.updateBranch({
            branch: 'idp/rebase', expectedSha: head, baseSha: base, message: 'redo', author: AUTHOR,
            changes: [{ path: 'paws.yaml', content: 'theirs\nours\n' }],
          });
          assert.equal(await p.branchSha('idp/rebase'), sha);
          const rebased = await p.getPullRequest(pr.number);
          assert.equal(rebased.headSha, sha, 'the PR follows its rebased branch');
          assert.equal(await p.mergeable(pr.number), true);
          assert.equal(rebased.baseSha, base, 'the PR now starts from the new base');
          assert.deepEqual((await p.diff(pr.number)).map((f) => f.patch.split('\n').filter((l) => /^[-+][^-+]/.test(l))), [['+ours']]);
          const merged = await p.merge(pr.number, { by: BOB, expectedHeadSha: sha });
          assert.equal(merged.mergeSha, await p.branchSha('main'));
          assert.equal((await p.readFile('paws.yaml', 'main'))?.content, 'theirs\nours\n');
        }));

      it('diffs a PR against the commit it started from, even after the base moved', () =>
        withRepo(async ({ p, push }) => {
          await branchWith(p, 'idp/diff', { 'README.md': '# checkout\nmore\n', 'new/file.txt': 'hello\n', 'docs/only.md': null });
          const pr = await openPr(p, 'idp/diff');
          await push('main', { 'unrelated.txt': 'moved on\n' });
          const diff = await p.diff(pr.number);
          assert.deepEqual(diff.map((f) => [f.path, f.status]), [['README.md', 'modified'], ['docs/only.md', 'deleted'], ['new/file.txt', 'added']]);
          const readme = diff[0]!.patch.split('\n');
          assert.deepEqual(readme.slice(0, 2), ['--- a/README.md', '+++ b/README.md']);
          assert.ok(readme.includes('+more'));
          assert.ok(diff[2]!.patch.startsWith('--- /dev/null\n+++ b/new/file.txt'));
          assert.ok(diff[1]!.patch.includes('+++ /dev/null'));
        }));

      it('updateBranch refuses when someone else moved the branch (compare-and-swap)', () =>
        withRepo(async ({ p, push }) => {
          const head = await branchWith(p, 'idp/cas', { 'a.txt': 'one\n' });
          const theirs = await push('idp/cas', { 'a.txt': 'human edit\n' });
          const base = (await p.branchSha('main'))!;
          await assert.rejects(
            p.updateBranch({ branch: 'idp/cas', expectedSha: head, baseSha: base, message: 'x', author: AUTHOR, changes: [{ path: 'a.txt', content: 'two\n' }] }),
            rejectsWith(ConflictError),
          );
          assert.equal(await p.branchSha('idp/cas'), theirs, 'the human commit is kept');
        }));

      it('refuses a conflicting merge and leaves the base unchanged', () =>
        withRepo(async ({ p, push }) => {
          await branchWith(p, 'idp/conflict', { 'paws.yaml': 'ours\n' });
          const pr = await openPr(p, 'idp/conflict');
          const base = await push('main', { 'paws.yaml': 'theirs\n' });
          await assert.rejects(p.merge(pr.number, { by: BOB }), rejectsWith(ConflictError, /conflict/i));
          assert.equal(await p.branchSha('main'), base);
          assert.equal((await p.readFile('paws.yaml', 'main'))?.content, 'theirs\n');
          assert.equal((await p.getPullRequest(pr.number)).state, 'open');
        }));

      it('refuses add/add and modify/delete conflicts too', () =>
        withRepo(async ({ p, push }) => {
          await branchWith(p, 'idp/add', { 'new.txt': 'ours\n' });
          await branchWith(p, 'idp/modify', { 'README.md': 'ours\n' });
          const add = await openPr(p, 'idp/add');
          const modify = await openPr(p, 'idp/modify');
          const base = await push('main', { 'new.txt': 'theirs\n', 'README.md': null });
          await assert.rejects(p.merge(add.number, { by: BOB }), rejectsWith(ConflictError));
          await assert.rejects(p.merge(modify.number, { by: BOB }), rejectsWith(ConflictError));
          assert.equal(await p.branchSha('main'), base);
        }));

      it('closes; closing again returns it unchanged; a closed PR cannot be merged', () =>
        withRepo(async ({ p }) => {
          await branchWith(p, 'idp/close', { 'c.txt': 'c' });
          const pr = await openPr(p, 'idp/close');
          const base = await p.branchSha('main');
          const closed = await p.close(pr.number, CAROL);
          assert.equal(closed.state, 'closed');
          assert.equal(closed.closedBy, CAROL);
          assert.ok(closed.closedAt);
          assert.deepEqual(await p.close(pr.number, BOB), closed);
          await assert.rejects(p.merge(pr.number, { by: BOB }), rejectsWith(ConflictError));
          assert.equal(await p.branchSha('main'), base);
        }));
    });
  });
}
