/**
 * The git provider contract. The local forge implements it now; GitHub and
 * GitLab implement the same interface next and must pass the same contract
 * suite (providers/contract.ts). Activities and the Platform API only ever
 * talk to this interface.
 */
import type { FileDiff, PullRequest, PullRequestState, ReviewEvent } from '@idp/core';
import { InvalidRequestError } from '@idp/core/errors';

/** The most PRs a listing returns (the Platform API pages through the rest). */
export const LIST_LIMIT = 100;
/** The deepest page a listing serves: forges answer deep offset pages slowly, and 1000 pages of 100 is past any real history. */
export const LIST_MAX_PAGE = 1000;

/** Which PRs a listing returns. */
export interface ListFilter {
  /** Defaults to 'open' (as on GitHub and GitLab). */
  state?: PullRequestState | 'all';
  /**
   * Only PRs whose head branch starts with this (idp's own use, not the API's).
   * The forges cannot filter by a prefix, so it is matched over a bounded scan
   * of the newest PRs: the first page only (a later page is refused), no nextPage.
   */
  headPrefix?: string;
  /** PRs per page: 1 to LIST_LIMIT (larger is cut to LIST_LIMIT); default LIST_LIMIT. */
  limit?: number;
  /** 1-based, newest first: page 2 is the `limit` PRs created before page 1's. At most LIST_MAX_PAGE; default 1. */
  page?: number;
}

/** One page of a listing. */
export interface PullRequestPage {
  /** Sorted by number. */
  pulls: PullRequest[];
  /** The page to ask for next when there may be more (the forge's page came back full); absent on the last page. */
  nextPage?: number;
}

/** A listing's filter checked, with its defaults: refused (nothing asked of the forge) when out of bounds. */
export function listWindow(filter: ListFilter): { state: PullRequestState | 'all'; headPrefix?: string; limit: number; page: number } {
  const { limit = LIST_LIMIT, page = 1 } = filter;
  if (!Number.isInteger(limit) || limit < 1) throw new InvalidRequestError(`A listing's limit is a whole number from 1 to ${LIST_LIMIT}; got ${limit}.`);
  if (!Number.isInteger(page) || page < 1 || page > LIST_MAX_PAGE) throw new InvalidRequestError(`A listing's page is a whole number from 1 to ${LIST_MAX_PAGE}; got ${page}.`);
  if (filter.headPrefix !== undefined && page > 1) throw new InvalidRequestError('A listing by head prefix has one page (the newest matches); ask for page 1.');
  return { state: filter.state ?? 'open', ...(filter.headPrefix !== undefined ? { headPrefix: filter.headPrefix } : {}), limit: Math.min(limit, LIST_LIMIT), page };
}

export interface FileAtRef {
  content: string;
  /** Blob id of the file at that ref. */
  sha: string;
  /** Commit the ref pointed to when read. */
  commitSha: string;
}

export interface FileChange {
  path: string;
  /** New content, or null to delete the file. */
  content: string | null;
}

export interface CommitRequest {
  /** Branch to create; must not be the base branch. */
  branch: string;
  /** Commit the branch starts from. */
  baseSha: string;
  message: string;
  changes: FileChange[];
  author: { name: string; email: string };
}

export interface OpenPullRequest {
  head: string;
  base: string;
  title: string;
  body: string;
  author: string;
  labels?: string[];
}

export interface DirectoryEntry {
  name: string;
  path: string;
  type: 'file' | 'dir';
}

export interface CheckRun {
  name: string;
  state: 'pending' | 'success' | 'failure';
  url?: string;
}

/** CI checks on a PR's head: 'none' when nothing reported, else the worst state. */
export interface ChecksSummary {
  state: 'none' | 'pending' | 'success' | 'failure';
  checks: CheckRun[];
}

/**
 * A commit status idp itself reports (the `idp/policy` status on a release PR's
 * head): what the forge's branch protection can require, so every merge path —
 * the forge's own UI included — is held to the release policy.
 */
export interface CommitStatus {
  /** The status' name on the forge, e.g. `idp/policy`. */
  context: string;
  state: 'pending' | 'success' | 'failure';
  /** One line: what the release still waits for, or that the policy holds. */
  description: string;
  targetUrl?: string;
}

/** What a change is made against, read together (one request where the forge allows). */
export interface RepoSnapshot {
  defaultBranch: string;
  /** The default branch's head commit. */
  baseSha: string;
  /** The file at `baseSha`, or null when it does not exist there. */
  file: FileAtRef | null;
  /** Head of the asked-for branch, or null when it does not exist (or none was asked for). */
  branchSha: string | null;
}

export interface GitProvider {
  readonly kind: 'local' | 'github' | 'gitlab';
  /** The repository as the caller named it (remote URL or path). */
  readonly repo: string;
  /** The repository's canonical identity, the same for every spelling of its remote (local: the real path). */
  readonly id: string;

  /**
   * The same repository, with `user`'s own forge token for what they do
   * (review, merge, close, comment): the forge then records and authorizes
   * the person, not idp's service account. Forges only; the local forge has no accounts.
   */
  actingAs?(user: string, token: string): GitProvider;

  defaultBranch(): Promise<string>;
  /** Commit sha a branch points to, or null if the branch does not exist. */
  branchSha(branch: string): Promise<string | null>;
  /** A file at a branch or commit, or null when the file does not exist there. Throws NotFoundError for an unknown ref. */
  readFile(path: string, ref: string): Promise<FileAtRef | null>;
  /** The default branch, its head, `path` at that head and the head of `branch` (when given), consistently. */
  snapshot(path: string, branch?: string): Promise<RepoSnapshot>;
  /** Entries directly inside folder `path` ('' for the root) at a ref, sorted by path; null when it is not a folder there. */
  listDirectory(path: string, ref: string): Promise<DirectoryEntry[] | null>;
  /**
   * Create `branch` at a new commit on top of `baseSha` with `changes`.
   * Idempotent: when the branch already exists and its head commit has the same
   * parent and the same resulting tree, returns that commit instead of failing.
   * Throws ConflictError when the branch exists with different content.
   */
  commitToNewBranch(req: CommitRequest): Promise<{ sha: string; created: boolean }>;
  /**
   * Replace the commit of an existing branch with a new one on top of `baseSha`
   * (a rebase of a machine-made change: idp re-applies its edit to the new base).
   * Compare-and-swap: ConflictError when the branch is no longer at `expectedSha`
   * (someone pushed to it), so a human's commit is never overwritten.
   */
  updateBranch(req: CommitRequest & { expectedSha: string }): Promise<{ sha: string }>;
  deleteBranch(branch: string): Promise<void>;

  openPullRequest(req: OpenPullRequest): Promise<PullRequest>;
  /** The most recent PR whose head is `branch` (any state), or null. Used for idempotency after a crash. */
  findPullRequestByBranch(branch: string, state?: PullRequestState | 'all'): Promise<PullRequest | null>;
  getPullRequest(number: number): Promise<PullRequest>;
  /**
   * One page of the PRs that match, newest first: page 1 is the newest `limit`
   * (default and ceiling: LIST_LIMIT), page 2 the `limit` before them, and so
   * on; each page sorted by number. One listing request per page (see ListFilter).
   */
  listPullRequests(filter?: ListFilter): Promise<PullRequestPage>;
  comment(number: number, body: string, by: string): Promise<void>;
  /** Add labels (existing ones stay); returns all labels of the PR. */
  addLabels(number: number, labels: string[]): Promise<string[]>;
  /** CI checks reported on the PR's current head commit. */
  checks(number: number): Promise<ChecksSummary>;
  review(number: number, review: { event: ReviewEvent; body?: string; by: string }): Promise<PullRequest>;
  /**
   * Whether an open PR's head merges cleanly into its base as the base is now:
   * true, false (conflicts, or not open), or null when the forge has not
   * computed it yet (GitHub computes it asynchronously).
   */
  mergeable(number: number): Promise<boolean | null>;
  /** The files the PR changes, as `git diff <merge-base>...<head>` shows them (what a reviewer reads). */
  diff(number: number): Promise<FileDiff[]>;
  /**
   * Users whose latest review approves the current head commit. As on GitHub, a
   * 'comment' review does not replace an earlier approval or change request.
   */
  approvals(number: number): Promise<string[]>;
  /**
   * Merge into the base branch. Refuses (ConflictError) when the PR head is not
   * `expectedHeadSha` (something other than what was reviewed) or cannot be merged cleanly.
   * Merging an already merged PR returns it unchanged.
   */
  merge(number: number, opts: { by: string; expectedHeadSha?: string; message?: string }): Promise<PullRequest>;
  /**
   * Members of team `name` (an approver entry in a release policy), or null when
   * the forge has no such team — the entry then names a user. Optional: a forge
   * without teams treats every entry as a user.
   */
  teamMembers?(name: string): Promise<string[] | null>;
  /**
   * The forge login of `user`, read with their own token (the one given to
   * actingAs), or null when this provider has no token for them. Used to
   * recognise the requester of a release among its reviewers (four eyes), as
   * idp users are often emails and forge reviewers are logins.
   */
  forgeLogin?(user: string): Promise<string | null>;
  /**
   * Set (create or replace) a commit status on `sha`. Idempotent: setting the
   * same context again replaces what it said.
   */
  setCommitStatus(sha: string, status: CommitStatus): Promise<void>;
  /**
   * Whether forge user `login` may write to (push to, merge into) this
   * repository: only such reviewers' approvals count towards a release policy.
   * Absent on the local forge, which has no accounts (its users are idp's).
   */
  canWrite?(login: string): Promise<boolean>;
  /** Close without merging. Closing a closed PR returns it unchanged; a merged PR cannot be closed (ConflictError). */
  close(number: number, by: string): Promise<PullRequest>;
}

/** The provider that serves a repository (remote URL or path): providerFor, or a server's own lookup with its options. */
export type ProviderLookup = (repo: string) => GitProvider;
