/**
 * The local forge: a bare git repository on disk acting as "GitHub".
 *
 * Branches and commits are real git objects written with isomorphic-git
 * (no working tree, no git binary needed). Pull requests live inside the bare
 * repository (see local-pulls.ts) plus a `refs/pull/<n>/head` ref like GitHub's,
 * so any process or clone using the same repository sees the same PRs.
 */
import fs, { existsSync, realpathSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import git from 'isomorphic-git';
import type { FileDiff, PullRequest, PullRequestState, Review, ReviewEvent } from '@idp/core';
import { createTwoFilesPatch } from 'diff';
import { ConflictError, InvalidRequestError, NotFoundError, ProviderError } from '@idp/core/errors';
import type { ChecksSummary, CommitRequest, DirectoryEntry, FileAtRef, GitProvider, OpenPullRequest, RepoSnapshot } from './provider.js';
import { listWindow, type ListFilter, type PullRequestPage } from './provider.js';
import {
  applyChanges,
  changedFiles,
  assertBranchName,
  assertBranchCanBeCreated,
  deleteRef,
  gitErrorCode,
  isValidBranchName,
  normalizePath,
  readRef,
  resolveCommit,
  updateRef,
} from './local-git.js';
import { PullStore, type StoredPull } from './local-pulls.js';
import { approvalsOf } from './reviews.js';
import type { CheckRun, CommitStatus } from './provider.js';

export interface LocalForgeOptions {
  /** Path or file:// URL of a bare git repository. */
  repo: string;
  /** Where the web UI serves PRs; without it PR URLs are file:// URLs. */
  webBaseUrl?: string;
  /** The local forge has no accounts: teams (release approvers) come from the server's IDP_TEAMS. */
  teams?: Record<string, string[]>;
}

const REVIEW_STATE: Record<ReviewEvent, Review['state']> = {
  approve: 'approved',
  request_changes: 'changes_requested',
  comment: 'commented',
};

export class LocalForge implements GitProvider {
  readonly kind = 'local' as const;
  readonly repo: string;
  /** Absolute (real) path of the bare repository. */
  readonly gitdir: string;
  get id(): string {
    return this.gitdir;
  }
  private readonly webBaseUrl: string | undefined;
  private readonly pulls: PullStore;
  private readonly teams: Record<string, string[]>;

  constructor(opts: LocalForgeOptions) {
    this.repo = opts.repo;
    this.teams = opts.teams ?? {};
    this.gitdir = locateBareRepo(opts.repo);
    this.webBaseUrl = opts.webBaseUrl?.replace(/\/+$/, '');
    this.pulls = new PullStore(this.gitdir);
  }

  async teamMembers(name: string): Promise<string[] | null> {
    const team = name.replace(/^@/, '');
    return Object.hasOwn(this.teams, team) ? [...this.teams[team]!] : null;
  }

  // ---- branches and files -------------------------------------------------

  async defaultBranch(): Promise<string> {
    const head = (await readFile(join(this.gitdir, 'HEAD'), 'utf8')).trim();
    const match = /^ref: refs\/heads\/(.+)$/.exec(head);
    if (!match?.[1]) {
      throw new ProviderError(`HEAD of ${this.gitdir} is not a branch; set it with: git --git-dir ${this.gitdir} symbolic-ref HEAD refs/heads/main`);
    }
    return match[1];
  }

  async branchSha(branch: string): Promise<string | null> {
    // An invalid name cannot exist (and must not be used to read outside refs/).
    return isValidBranchName(branch) ? readRef(this.gitdir, `refs/heads/${branch}`) : null;
  }

  async readFile(path: string, ref: string): Promise<FileAtRef | null> {
    const commitSha = await this.requireCommit(ref);
    try {
      const { oid, blob } = await git.readBlob({ fs, gitdir: this.gitdir, oid: commitSha, filepath: normalizePath(path) });
      return { content: Buffer.from(blob).toString('utf8'), sha: oid, commitSha };
    } catch (err) {
      // Missing path, or a path that is a folder: either way there is no such file.
      const code = gitErrorCode(err);
      if (code === 'NotFoundError' || code === 'ObjectTypeError') return null;
      throw err;
    }
  }

  async snapshot(path: string, branch?: string): Promise<RepoSnapshot> {
    const defaultBranch = await this.defaultBranch();
    const baseSha = await this.branchSha(defaultBranch);
    if (!baseSha) throw new NotFoundError(`The default branch ${defaultBranch} of ${this.gitdir} has no commits.`);
    return { defaultBranch, baseSha, file: await this.readFile(path, baseSha), branchSha: branch ? await this.branchSha(branch) : null };
  }

  async listDirectory(path: string, ref: string): Promise<DirectoryEntry[] | null> {
    const commitSha = await this.requireCommit(ref);
    const folder = path.replace(/^\/+|\/+$/g, '');
    try {
      const { tree } = await git.readTree({ fs, gitdir: this.gitdir, oid: commitSha, ...(folder ? { filepath: normalizePath(folder) } : {}) });
      const prefix = folder ? `${folder}/` : '';
      return tree
        .map((e): DirectoryEntry => ({ name: e.path, path: prefix + e.path, type: e.type === 'tree' ? 'dir' : 'file' }))
        .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    } catch (err) {
      const code = gitErrorCode(err);
      if (code === 'NotFoundError' || code === 'ObjectTypeError') return null;
      throw err;
    }
  }

  async commitToNewBranch(req: CommitRequest): Promise<{ sha: string; created: boolean }> {
    const { baseSha, tree } = await this.prepareCommit(req, 'commit onto');
    return this.pulls.withLock(async () => {
      const ref = `refs/heads/${req.branch}`;
      const existing = await readRef(this.gitdir, ref);
      if (existing) {
        const { commit } = await git.readCommit({ fs, gitdir: this.gitdir, oid: existing });
        if (commit.tree === tree && commit.parent.length === 1 && commit.parent[0] === baseSha) {
          return { sha: existing, created: false };
        }
        throw new ConflictError(
          `Branch ${req.branch} already exists with different content (head ${existing.slice(0, 12)}). Delete the branch or use another name.`,
          { branch: req.branch, sha: existing },
        );
      }
      await assertBranchCanBeCreated(this.gitdir, req.branch);
      const sha = await this.writeCommit(req, tree, baseSha);
      await updateRef(this.gitdir, ref, sha, null);
      return { sha, created: true };
    });
  }

  async updateBranch(req: CommitRequest & { expectedSha: string }): Promise<{ sha: string }> {
    const { baseSha, tree } = await this.prepareCommit(req, 'rewrite');
    return this.pulls.withLock(async () => {
      const ref = `refs/heads/${req.branch}`;
      const current = await readRef(this.gitdir, ref);
      if (current !== req.expectedSha) {
        throw new ConflictError(
          `Branch ${req.branch} is at ${current?.slice(0, 12) ?? 'nothing'}, not ${req.expectedSha.slice(0, 12)}: someone else changed it. Leaving it alone.`,
          { branch: req.branch, sha: current },
        );
      }
      const sha = await this.writeCommit(req, tree, baseSha);
      await updateRef(this.gitdir, ref, sha, req.expectedSha);
      // The open PR on this branch now starts from the new base.
      for (const pull of await this.pulls.all()) {
        if (pull.state !== 'open' || pull.head !== req.branch) continue;
        await updateRef(this.gitdir, pullRef(pull.number), sha);
        await this.pulls.put({ ...pull, headSha: sha, baseSha, updatedAt: new Date().toISOString() });
      }
      return { sha };
    });
  }

  /**
   * Check the branch and build the change's tree on top of the base commit —
   * before taking the lock, which keeps the lock short (unused objects are harmless).
   */
  private async prepareCommit(req: CommitRequest, verb: string): Promise<{ baseSha: string; tree: string }> {
    assertBranchName(req.branch);
    if (req.branch === (await this.defaultBranch())) {
      throw new InvalidRequestError(`Refusing to ${verb} ${req.branch}: it is the default branch; changes go through another branch and a pull request.`);
    }
    const baseSha = await this.requireCommit(req.baseSha);
    const baseTree = (await git.readCommit({ fs, gitdir: this.gitdir, oid: baseSha })).commit.tree;
    return { baseSha, tree: await applyChanges(this.gitdir, baseTree, req.changes) };
  }

  private writeCommit(req: CommitRequest, tree: string, parent: string): Promise<string> {
    const person = { name: req.author.name, email: req.author.email, timestamp: Math.floor(Date.now() / 1000), timezoneOffset: 0 };
    return git.writeCommit({ fs, gitdir: this.gitdir, commit: { tree, parent: [parent], author: person, committer: person, message: ensureNewline(req.message) } });
  }

  async deleteBranch(branch: string): Promise<void> {
    assertBranchName(branch);
    if (branch === (await this.defaultBranch())) {
      throw new InvalidRequestError(`Refusing to delete ${branch}: it is the default branch of ${this.gitdir}.`);
    }
    await this.pulls.withLock(() => deleteRef(this.gitdir, `refs/heads/${branch}`));
  }

  // ---- pull requests ------------------------------------------------------

  async openPullRequest(req: OpenPullRequest): Promise<PullRequest> {
    if (req.head === req.base) throw new InvalidRequestError(`A pull request needs two different branches; head and base are both ${req.head}.`);
    return this.pulls.withLock(async () => {
      const headSha = await this.branchSha(req.head);
      if (!headSha) throw new NotFoundError(`Branch ${req.head} does not exist in ${this.gitdir}; push it (or commit to it) before opening a pull request.`);
      const baseTip = await this.branchSha(req.base);
      if (!baseTip) throw new NotFoundError(`Base branch ${req.base} does not exist in ${this.gitdir}.`);

      // One open PR per head branch: a retried "open" after a crash finds the first one instead.
      const open = (await this.pulls.all()).find((p) => p.head === req.head && p.state === 'open');
      if (open) {
        throw new ConflictError(`Branch ${req.head} already has an open pull request: #${open.number} (${this.url(open.number)}).`, {
          number: open.number,
          url: this.url(open.number),
        });
      }

      const number = await this.pulls.nextNumber();
      const [mergeBase] = await git.findMergeBase({ fs, gitdir: this.gitdir, oids: [headSha, baseTip] });
      const now = new Date().toISOString();
      const pull: StoredPull = {
        number,
        title: req.title,
        body: req.body,
        head: req.head,
        base: req.base,
        headSha,
        baseSha: (mergeBase as string | undefined) ?? baseTip,
        state: 'open',
        author: req.author,
        labels: [...(req.labels ?? [])],
        createdAt: now,
        updatedAt: now,
        reviews: [],
        comments: [],
      };
      // Ref first, metadata last: a crash in between leaves no PR, and the retry reuses the number.
      await updateRef(this.gitdir, pullRef(number), headSha);
      await this.pulls.put(pull);
      return this.present(pull);
    });
  }

  async findPullRequestByBranch(branch: string, state: PullRequestState | 'all' = 'all'): Promise<PullRequest | null> {
    // All of the branch's PRs, not a listing's page: an older PR is still found after a crash.
    const newest = (await this.pulls.all())
      .filter((p) => p.head === branch && (state === 'all' || p.state === state))
      .sort((a, b) => a.number - b.number)
      .at(-1);
    return newest ? this.present(newest) : null;
  }

  async getPullRequest(number: number): Promise<PullRequest> {
    return this.present(await this.pulls.require(number));
  }

  async listPullRequests(filter: ListFilter = {}): Promise<PullRequestPage> {
    const { state, headPrefix, limit, page } = listWindow(filter);
    const newestFirst = (await this.pulls.all())
      .filter((p) => (state === 'all' || p.state === state) && (headPrefix === undefined || p.head.startsWith(headPrefix)))
      .sort((a, b) => b.number - a.number);
    const pulls = newestFirst.slice((page - 1) * limit, page * limit).reverse();
    // The local forge knows whether more follow (a prefix listing has one page).
    const more = headPrefix === undefined && newestFirst.length > page * limit;
    return { pulls: await Promise.all(pulls.map((p) => this.present(p))), ...(more ? { nextPage: page + 1 } : {}) };
  }

  async comment(number: number, body: string, by: string): Promise<void> {
    if (!body.trim()) throw new InvalidRequestError('A comment needs a body.');
    await this.mutate(number, async (pull) => {
      pull.comments.push({ by, body, at: new Date().toISOString() });
      return pull;
    });
  }

  async addLabels(number: number, labels: string[]): Promise<string[]> {
    const pull = await this.mutate(number, async (p) => ({ ...p, labels: [...new Set([...p.labels, ...labels])] }));
    return pull.labels;
  }

  /** Like GitHub's commit statuses: one per context on a commit, the latest report replacing the earlier one. */
  async setCommitStatus(sha: string, status: CommitStatus): Promise<void> {
    if (!status.context.trim()) throw new InvalidRequestError('A commit status needs a context (its name, e.g. idp/policy).');
    // GitHub refuses longer descriptions (422 "description is too long (maximum is 140 characters)").
    if (status.description.length > 140) throw new InvalidRequestError(`A commit status description is at most 140 characters; this one has ${status.description.length}.`);
    const commit = await resolveCommit(this.gitdir, sha);
    if (commit !== sha) throw new NotFoundError(`No commit ${sha} in ${this.gitdir}.`);
    await this.pulls.withLock(() => this.pulls.putStatus(sha, status));
  }

  /** The local forge runs no CI: what it reports are the commit statuses set on the PR's head (idp's own among them). */
  async checks(number: number): Promise<ChecksSummary> {
    const pull = await this.getPullRequest(number);
    const checks = (await this.pulls.statuses(pull.headSha)).map((s): CheckRun => ({ name: s.context, state: s.state, ...(s.targetUrl ? { url: s.targetUrl } : {}) }));
    const worst = (['failure', 'pending', 'success'] as const).find((state) => checks.some((c) => c.state === state));
    return { state: worst ?? 'none', checks };
  }

  async review(number: number, review: { event: ReviewEvent; body?: string; by: string }): Promise<PullRequest> {
    return this.mutate(number, async (pull) => {
      if (pull.state !== 'open') throw new ConflictError(`Pull request #${number} is ${pull.state}; only open pull requests can be reviewed.`);
      const state = REVIEW_STATE[review.event];
      if (!state) throw new InvalidRequestError(`Unknown review event "${String(review.event)}"; use approve, request_changes or comment.`);
      pull.reviews.push({
        by: review.by,
        state,
        ...(review.body === undefined ? {} : { body: review.body }),
        commitSha: pull.headSha,
        at: new Date().toISOString(),
      });
      return pull;
    });
  }

  async approvals(number: number): Promise<string[]> {
    return approvalsOf(await this.getPullRequest(number));
  }

  async mergeable(number: number): Promise<boolean | null> {
    const pull = await this.getPullRequest(number);
    if (pull.state !== 'open') return false;
    const baseTip = await readRef(this.gitdir, `refs/heads/${pull.base}`);
    if (!baseTip || !(await this.branchSha(pull.head))) return false;
    try {
      await git.merge({ fs, gitdir: this.gitdir, ours: baseTip, theirs: pull.headSha, dryRun: true, noUpdateBranch: true, abortOnConflict: true, author: DRY_RUN_PERSON });
      return true;
    } catch (err) {
      const code = gitErrorCode(err);
      if (code === 'MergeConflictError' || code === 'MergeNotSupportedError') return false;
      throw err;
    }
  }

  async diff(number: number): Promise<FileDiff[]> {
    const pull = await this.getPullRequest(number);
    const [forkPoint] = await git.findMergeBase({ fs, gitdir: this.gitdir, oids: [pull.baseSha, pull.headSha] });
    const files = await changedFiles(this.gitdir, (forkPoint as string | undefined) ?? pull.baseSha, pull.headSha);
    return files.map(({ path, before, after }) => ({
      path,
      status: before === null ? 'added' : after === null ? 'deleted' : 'modified',
      // jsdiff's first line is a '====' rule; git's format starts at the file headers.
      patch: createTwoFilesPatch(before === null ? '/dev/null' : `a/${path}`, after === null ? '/dev/null' : `b/${path}`, before ?? '', after ?? '').replace(/^=+\n/, ''),
    }));
  }

  async merge(number: number, opts: { by: string; expectedHeadSha?: string; message?: string }): Promise<PullRequest> {
    return this.mutate(number, async (pull) => {
      if (pull.state === 'merged') return pull;
      if (pull.state === 'closed') throw new ConflictError(`Pull request #${number} is closed; open a new pull request to merge ${pull.head}.`);
      const head = await this.branchSha(pull.head);
      if (!head) throw new ConflictError(`Branch ${pull.head} of pull request #${number} no longer exists; push it again or close the pull request.`);
      if (opts.expectedHeadSha && head !== opts.expectedHeadSha) {
        throw new ConflictError(
          `Pull request #${number} changed: its head is ${head.slice(0, 12)}, not the reviewed ${opts.expectedHeadSha.slice(0, 12)}. Review the new commits and merge again.`,
          { headSha: head, expectedHeadSha: opts.expectedHeadSha },
        );
      }
      const baseRef = `refs/heads/${pull.base}`;
      const baseTip = await readRef(this.gitdir, baseRef);
      if (!baseTip) throw new ConflictError(`Base branch ${pull.base} of pull request #${number} no longer exists.`);

      const mergeSha = await this.mergeCommit(pull, head, baseTip, opts);
      // Compare-and-swap: refuse if someone pushed to the base while we merged.
      if (mergeSha !== baseTip) await updateRef(this.gitdir, baseRef, mergeSha, baseTip);
      const now = new Date().toISOString();
      return { ...pull, headSha: head, state: 'merged', mergedAt: now, mergedBy: opts.by, mergeSha };
    });
  }

  async close(number: number, by: string): Promise<PullRequest> {
    return this.mutate(number, async (pull) => {
      if (pull.state === 'closed') return pull;
      if (pull.state === 'merged') throw new ConflictError(`Pull request #${number} is already merged; revert it with a new pull request instead.`);
      return { ...pull, state: 'closed', closedAt: new Date().toISOString(), closedBy: by };
    });
  }

  // ---- helpers ------------------------------------------------------------

  /** PR URL: the web UI when configured, else a file:// URL naming the repo and PR. */
  url(number: number): string {
    return this.webBaseUrl
      ? `${this.webBaseUrl}/pulls/${number}?repo=${encodeURIComponent(this.gitdir)}`
      : `file://${this.gitdir}#pull/${number}`;
  }

  /** Commit sha for a ref, or NotFoundError. */
  private async requireCommit(ref: string): Promise<string> {
    const sha = await resolveCommit(this.gitdir, ref);
    if (!sha) throw new NotFoundError(`${ref} is neither a branch nor a commit in ${this.gitdir}.`);
    return sha;
  }

  /**
   * The commit the base should point to after merging `head` into `baseTip`:
   * the base itself when already contained, `head` for a fast-forward,
   * otherwise a new two-parent merge commit (written, not yet referenced).
   */
  private async mergeCommit(pull: StoredPull, head: string, baseTip: string, opts: { by: string; message?: string }): Promise<string> {
    const person = { name: opts.by, email: opts.by.includes('@') ? opts.by : `${opts.by}@localhost`, timestamp: Math.floor(Date.now() / 1000), timezoneOffset: 0 };
    try {
      const result = await git.merge({
        fs,
        gitdir: this.gitdir,
        ours: baseTip,
        theirs: head,
        noUpdateBranch: true, // we move the base ourselves, with a compare-and-swap
        abortOnConflict: true,
        message: ensureNewline(opts.message ?? `Merge pull request #${pull.number} from ${pull.head}\n\n${pull.title}`),
        author: person,
        committer: person,
      });
      if (!result.oid) throw new ProviderError(`Merging pull request #${pull.number} produced no commit.`);
      return result.oid;
    } catch (err) {
      const code = gitErrorCode(err);
      if (code === 'MergeConflictError' || code === 'MergeNotSupportedError') {
        const files = (err as { data?: { filepaths?: string[] } }).data?.filepaths ?? [];
        throw new ConflictError(
          `Pull request #${pull.number} conflicts with ${pull.base}${files.length ? ` in ${files.join(', ')}` : ''}. ` +
            `Update ${pull.head} from ${pull.base} and resolve the conflicts (or recreate the change on top of ${pull.base}), then merge again.`,
          { files },
        );
      }
      throw err;
    }
  }

  /**
   * Load, change and store one PR under the lock. `change` sees the PR with its
   * live head; whatever is stored is brought in step with it, including
   * refs/pull/<n>/head.
   */
  private async mutate(number: number, change: (pull: StoredPull) => Promise<StoredPull>): Promise<PullRequest> {
    return this.pulls.withLock(async () => {
      const stored = await this.pulls.require(number);
      const current = await this.withLiveHead(stored);
      const after = await change(structuredClone(current));
      if (!isDeepStrictEqual(after, current)) after.updatedAt = new Date().toISOString();
      if (!isDeepStrictEqual(after, stored)) {
        if ((await readRef(this.gitdir, pullRef(number))) !== after.headSha) await updateRef(this.gitdir, pullRef(number), after.headSha);
        await this.pulls.put(after);
      }
      return this.present(after);
    });
  }

  /**
   * An open PR follows its branch (a push updates it); merged/closed PRs keep
   * the head they ended with. When the branch moved past the stored record
   * (a push, or updateBranch between moving the ref and rewriting the record,
   * which readers do not wait for), the fork point comes from git, so head and
   * base never disagree.
   */
  private async withLiveHead(pull: StoredPull): Promise<StoredPull> {
    if (pull.state !== 'open') return pull;
    const head = await this.branchSha(pull.head);
    if (!head || head === pull.headSha) return pull;
    const baseTip = await readRef(this.gitdir, `refs/heads/${pull.base}`);
    const [forkPoint] = baseTip ? await git.findMergeBase({ fs, gitdir: this.gitdir, oids: [baseTip, head] }) : [];
    return { ...pull, headSha: head, baseSha: (forkPoint as string | undefined) ?? pull.baseSha };
  }

  private async present(pull: StoredPull): Promise<PullRequest> {
    const live = await this.withLiveHead(pull);
    return { url: this.url(live.number), ...live };
  }
}

/** isomorphic-git wants an author even for a dry-run merge; nothing is written with it. */
const DRY_RUN_PERSON = { name: 'idp', email: 'idp@localhost', timestamp: 0, timezoneOffset: 0 };

function pullRef(number: number): string {
  return `refs/pull/${number}/head`;
}

function ensureNewline(message: string): string {
  return message.endsWith('\n') ? message : `${message}\n`;
}

/** Absolute real path of the bare repository `repo` names, or NotFoundError saying what was expected. */
/**
 * A local repository that is absent, or outside the folders the server serves:
 * one message for both (naming only what the caller gave), so the API tells no
 * one which paths exist on the server's disk.
 */
export function noSuchRepository(repo: string): NotFoundError {
  return new NotFoundError(
    `No repository ${repo} on this server: give the path (or file:// URL) of a bare git repository ("git init --bare") in the folders the server serves (IDP_REPO_ROOTS).`,
  );
}

function locateBareRepo(repo: string): string {
  let path: string;
  try {
    path = repo.startsWith('file:') ? fileURLToPath(repo) : resolve(repo);
  } catch {
    throw new InvalidRequestError(`${repo} is not a usable file:// URL; use file:///absolute/path/to/repo.git or a plain path.`);
  }
  if (!existsSync(path)) throw noSuchRepository(repo);
  path = realpathSync(path);
  if (existsSync(join(path, '.git'))) {
    throw new NotFoundError(
      `${path} is a working copy, not a bare repository. Point the local forge at the bare repository it pushes to (git -C ${path} remote get-url origin).`,
    );
  }
  const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();
  if (!existsSync(join(path, 'HEAD')) || !isDir(join(path, 'objects')) || !isDir(join(path, 'refs'))) {
    throw new NotFoundError(`${path} is not a bare git repository (expected HEAD, objects/ and refs/ in it); create one with "git init --bare ${path}".`);
  }
  return path;
}
