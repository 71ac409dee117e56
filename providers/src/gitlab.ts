/**
 * The GitLab provider: a GitLab project (gitlab.com or self-managed) through
 * its REST API v4, with the gitbeaker client. Nothing is cloned: files are read
 * and changes are committed through the API, pull requests are merge requests
 * (number = iid).
 *
 * Calls per operation, in the common case:
 *  - readFile: 1 (the files API answers content, blob id and the commit the ref
 *    resolved to, from one read, so they always agree); snapshot: 3 in parallel;
 *  - commitToNewBranch / updateBranch: 1 commit (POST repository/commits with
 *    `branch` + `start_sha` creates the branch and the commit together); update
 *    first reads the default branch and the branch (its compare-and-swap check),
 *    in parallel;
 *  - openPullRequest: 1;
 *  - getPullRequest: 4 in parallel (the MR, its notes, approvals and reviewers),
 *    then its diff versions when it has approvals to pin to a head.
 *
 * Reviews come only from what GitLab itself attributes (its approvals API and
 * its reviewers' review states), never from notes: see timeline().
 *
 * HTTP: gitbeaker's own request handler retries 429 and 502 only, up to ten
 * attempts within ~0.25 s, ignoring Retry-After. It is replaced (gitbeaker's
 * documented `requesterFn` hook) by one that retries 5xx and network errors
 * with exponential backoff and waits as long as a 429's Retry-After (or
 * RateLimit-Reset) says, so retries are neither doubled nor too eager. Errors
 * are mapped to idp's: 401 unauthenticated, 403 forbidden, 404 not found, 5xx
 * and network failures after the retries ProviderError (Temporal retries the
 * activity). No token ever appears in an error message.
 */
import { createHash } from 'node:crypto';
import {
  Gitlab,
  type CommitAction,
  type ExpandedMergeRequestSchema,
  type MergeRequestDiffVersionsSchema,
  type MergeRequestReviewerSchema,
  type NoteSchema,
} from '@gitbeaker/rest';
import { createRequesterFn, getMatchingRateLimiter, type FormattedResponse, type RateLimiters, type RequestHandlerFn } from '@gitbeaker/requester-utils';
import type { FileDiff, PullRequest, PullRequestComment, PullRequestState, Review, ReviewEvent } from '@idp/core';
import { ConflictError, IdpError, InvalidRequestError, NotFoundError, ProviderError } from '@idp/core/errors';
import { listWindow, type ChecksSummary, type CheckRun, type CommitRequest, type CommitStatus, type DirectoryEntry, type FileAtRef, type FileChange, type GitProvider, type ListFilter, type OpenPullRequest, type PullRequestPage, type RepoSnapshot } from './provider.js';
import { approvalsOf, summarizeChecks } from './reviews.js';
import { TtlCache } from './ttl-cache.js';

export interface GitLabProviderOptions {
  /** The remote as the user named it. */
  repo: string;
  /** The GitLab instance, e.g. https://gitlab.example.com (the API is under /api/v4). */
  baseUrl: string;
  /** group/subgroup/project */
  projectPath: string;
  /** The host remotes name (the provider id uses it); default: the host of baseUrl. */
  host?: string;
  /** The service token (api scope): reads, commits, and actions of users who have no token of their own. */
  token: string;
  /** A user's own GitLab token, so that MRs, notes, approvals and merges are theirs. */
  userToken?: (user: string) => string | undefined;
  retry?: {
    /** Retries after the first attempt (default 4). */
    retries?: number;
    /** First backoff for 5xx and network errors, doubled each retry (default 500 ms). */
    minDelayMs?: number;
    /** A 429 asking to wait longer than this fails at once (ProviderError; Temporal retries later). Default 60 s. */
    maxRetryAfterMs?: number;
  };
  /** Per call, retries included (default 60 s). */
  timeoutMs?: number;
}

type Api = InstanceType<typeof Gitlab<false>>;

interface Client {
  api: Api;
  /** How errors name the token, e.g. "alice's GitLab token". Never the token. */
  who: string;
}

/** GitLab answered with an error status (0: no answer). The message is GitLab's, never a header or token. */
export class GitLabRequestFailed extends Error {
  constructor(
    readonly status: number,
    readonly gitlabMessage: string,
    readonly method: string,
    readonly path: string,
    readonly attempts: number,
    readonly retryAfterMs?: number,
  ) {
    super(`GitLab ${method} ${path}: ${status || 'no answer'} ${gitlabMessage}`);
    this.name = 'GitLabRequestFailed';
  }
}

const REVIEW_EVENTS: ReviewEvent[] = ['approve', 'request_changes', 'comment'];
/** Ends the note idp writes with an approval's text: that text is the approval's body (never a verdict). */
const APPROVAL_MARKER = /(?:\n\n)?<!-- idp:review approved ([0-9a-f]{40}) -->\s*$/;
/** The system note GitLab itself writes when a user approves (GitLab before 18.x lists approvals without their time). */
const APPROVED_NOTE = 'approved this merge request';

/** An entry of `approved_by` (GET .../approvals): `approved_at` since GitLab 18.x. */
interface Approval {
  user: { id: number; username: string };
  approved_at?: string;
}

/** What GitLab records about an MR's review, besides the MR itself: where its reviews and comments come from. */
interface ReviewRecord {
  notes: NoteSchema[];
  approvals: Approval[];
  reviewers: MergeRequestReviewerSchema[];
  /** Diff versions, read only when there are approvals to pin to a head. */
  versions: MergeRequestDiffVersionsSchema[];
}
const NO_RECORD: ReviewRecord = { notes: [], approvals: [], reviewers: [], versions: [] };
/** Answers of POST repository/commits meaning "the action does not fit the file as it is at the start commit". */
const FILE_STATE = /file with this name|directory with this name|doesn't exist|does not exist/i;

export class GitLabProvider implements GitProvider {
  readonly kind = 'gitlab' as const;
  readonly repo: string;
  readonly id: string;
  private readonly baseUrl: string;
  private readonly host: string;
  private readonly project: string;
  private readonly token: string;
  private readonly userToken: ((user: string) => string | undefined) | undefined;
  private readonly retries: number;
  private readonly minDelayMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly timeoutMs: number;
  /** One client per token. */
  private readonly clients = new Map<string, Client>();
  private readonly known = new KnownTrees();
  /** Group members by approver entry (null: no such group). */
  private readonly groups = new TtlCache<string[] | null>(GROUP_TTL_MS);
  /** Forge usernames by user token (a token names one account); a pending read is shared, a failure is not kept. */
  private readonly logins = new Map<string, Promise<string>>();
  /** canWrite answers by lower-cased username. */
  private readonly writers = new TtlCache<boolean>(WRITE_TTL_MS);
  /** GitLab user ids by lower-cased username, as approvals and reviewers name them (ids never change). */
  private readonly userIds = new Map<string, number>();

  constructor(private readonly opts: GitLabProviderOptions) {
    this.repo = opts.repo;
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.host = opts.host ?? new URL(this.baseUrl).host;
    this.project = opts.projectPath.replace(/^\/+|\/+$/g, '').replace(/\.git$/, '');
    this.id = `gitlab:${this.host}/${this.project}`.toLowerCase();
    this.token = opts.token;
    this.userToken = opts.userToken;
    this.retries = opts.retry?.retries ?? 4;
    this.minDelayMs = opts.retry?.minDelayMs ?? 500;
    this.maxRetryAfterMs = opts.retry?.maxRetryAfterMs ?? 60_000;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
  }

  actingAs(user: string, token: string): GitProvider {
    const others = this.opts.userToken;
    return new GitLabProvider({ ...this.opts, userToken: (u) => (u === user ? token : others?.(u)) });
  }

  /**
   * `user`'s GitLab username, read with their own token (GET /user), or null
   * when there is no token for them (no request then). Read once per provider
   * instance and token: an actingAs instance holds one token for its user.
   */
  async forgeLogin(user: string): Promise<string | null> {
    const token = this.userToken?.(user);
    if (!token) return null;
    let login = this.logins.get(token);
    if (!login) {
      const read = this.readLogin(user, token);
      login = read;
      this.logins.set(token, read);
      // A failure is not an answer: the next call asks again.
      read.catch(() => {
        if (this.logins.get(token) === read) this.logins.delete(token);
      });
    }
    return login;
  }

  private readLogin(user: string, token: string): Promise<string> {
    const client = this.client(token, `${user}'s GitLab token`);
    return this.call(client, `read ${user}'s GitLab username`, async (api) => {
      try {
        return (await api.Users.showCurrentUser()).username;
      } catch (err) {
        if (isStatus(err, 401)) {
          throw new IdpError(
            'unauthenticated',
            401,
            `GitLab at ${this.host} rejected ${client.who} (401 Unauthorized): the forge token is not valid (expired, revoked or mistyped). Sign in again with a valid GitLab token for ${this.host}.`,
            { host: this.host, user },
          );
        }
        throw err;
      }
    });
  }

  // ---- branches and files -------------------------------------------------

  async defaultBranch(): Promise<string> {
    const project = await this.call(this.service(), 'read the project', (api) => api.Projects.show(this.project));
    if (!project.default_branch) throw new ProviderError(`GitLab project ${this.project} has no default branch (an empty repository?); push a first commit.`);
    return project.default_branch;
  }

  async branchSha(branch: string): Promise<string | null> {
    return this.call(this.service(), `read branch ${branch}`, async (api) => {
      try {
        return (await api.Branches.show(this.project, branch)).commit.id;
      } catch (err) {
        if (isStatus(err, 404, /Branch Not Found/i)) return null;
        throw err;
      }
    });
  }

  /**
   * One call: GitLab's files API answers the content, the blob id and `commit_id`,
   * the commit the ref resolved to, all from one read — so content and commitSha
   * always belong together, even while the branch moves.
   */
  async readFile(path: string, ref: string): Promise<FileAtRef | null> {
    const file = normalizePath(path);
    return this.call(this.service(), `read ${file} at ${ref}`, async (api) => {
      try {
        const f = await api.RepositoryFiles.show(this.project, file, ref);
        this.known.record(f.commit_id, file, 'blob');
        return { content: Buffer.from(f.content, 'base64').toString('utf8'), sha: f.blob_id, commitSha: f.commit_id };
      } catch (err) {
        if (isStatus(err, 404, /Commit Not Found/i)) throw this.unknownRef(ref);
        if (isStatus(err, 404, /File Not Found/i)) {
          if (isSha(ref)) this.known.record(ref, file, 'none');
          return null;
        }
        throw err;
      }
    });
  }

  /**
   * One round trip: the project (default branch), the file at HEAD (its content,
   * blob id and `commit_id`, the default branch's head it was read at) and the
   * branch, read in parallel. A missing file costs one more read for the head.
   */
  async snapshot(path: string, branch?: string): Promise<RepoSnapshot> {
    const file = normalizePath(path);
    const [project, atHead, branchSha] = await Promise.all([
      this.call(this.service(), 'read the project', (api) => api.Projects.show(this.project)),
      this.readFile(file, 'HEAD'),
      branch === undefined ? Promise.resolve(null) : this.branchSha(branch),
    ]);
    const defaultBranch = project.default_branch;
    const baseSha = atHead?.commitSha ?? (await this.branchSha(defaultBranch));
    if (!baseSha) throw new NotFoundError(`The default branch ${defaultBranch} of ${this.project} has no commits.`);
    return { defaultBranch, baseSha, file: atHead, branchSha };
  }

  async listDirectory(path: string, ref: string): Promise<DirectoryEntry[] | null> {
    const folder = path.replace(/^\/+|\/+$/g, '');
    return this.call(this.service(), `list ${folder || 'the root folder'} at ${ref}`, async (api) => {
      const entries = await this.tree(api, ref, folder);
      if (entries === null) {
        // 404 Tree Not Found: an unknown ref, or no folder there.
        if (!(await this.resolveCommit(api, ref))) throw this.unknownRef(ref);
        return null;
      }
      // GitLab before 16.5 answered an empty list for a missing path; git has no empty folders.
      if (entries.length === 0 && folder) return null;
      return entries
        .map((e): DirectoryEntry => ({ name: e.name, path: e.path, type: e.type === 'tree' ? 'dir' : 'file' }))
        .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    });
  }

  /**
   * One POST repository/commits with `branch` and `start_sha`: GitLab creates the
   * branch and the commit together, and refuses when the branch exists — then
   * this checks whether it holds exactly this change (idempotency after a crash).
   */
  async commitToNewBranch(req: CommitRequest): Promise<{ sha: string; created: boolean }> {
    const changes = normalizeChanges(req.changes);
    const client = this.service();
    const created = await this.call(client, `commit onto a new branch ${req.branch}`, async (api): Promise<string | null> => {
      try {
        return await this.writeCommit(api, req, changes, false);
      } catch (err) {
        if (isStatus(err, 400, /branch called .* already exists/i)) return null;
        throw err;
      }
    });
    if (created !== null) return { sha: created, created: true };
    if (req.branch === (await this.defaultBranch())) {
      throw new InvalidRequestError(`Refusing to commit onto ${req.branch}: it is the default branch of ${this.project}; changes go through another branch and a merge request.`);
    }
    const sha = await this.call(client, `check the existing branch ${req.branch}`, (api) => this.sameChange(api, req, changes));
    return { sha, created: false };
  }

  /**
   * Compare-and-swap rewrite of idp's own commit onto a new base. GitLab has no
   * compare-and-swap ref update in its API: the check that the branch is still at
   * `expectedSha` and the forced commit (`force: true` + `start_sha`) are two
   * requests, so a push landing in between (a window of one round trip) would
   * be overwritten; nothing in GitLab's API closes that window.
   */
  async updateBranch(req: CommitRequest & { expectedSha: string }): Promise<{ sha: string }> {
    const changes = normalizeChanges(req.changes);
    const [base, current] = await Promise.all([this.defaultBranch(), this.branchSha(req.branch)]);
    if (req.branch === base) throw new InvalidRequestError(`Refusing to rewrite ${req.branch}: it is the default branch of ${this.project}.`);
    if (current !== req.expectedSha) {
      throw new ConflictError(
        `Branch ${req.branch} is at ${current?.slice(0, 12) ?? 'nothing'}, not ${req.expectedSha.slice(0, 12)}: someone else changed it. Leaving it alone.`,
        { branch: req.branch, sha: current },
      );
    }
    const sha = await this.call(this.service(), `rewrite branch ${req.branch}`, (api) => this.writeCommit(api, req, changes, true));
    return { sha };
  }

  async deleteBranch(branch: string): Promise<void> {
    if (branch === (await this.defaultBranch())) throw new InvalidRequestError(`Refusing to delete ${branch}: it is the default branch of ${this.project}.`);
    await this.call(this.service(), `delete branch ${branch}`, async (api) => {
      try {
        await api.Branches.remove(this.project, branch);
      } catch (err) {
        if (!isStatus(err, 404)) throw err;
      }
    });
  }

  // ---- merge requests -----------------------------------------------------

  /** One call: the create answer is the whole MR, and a new MR has no notes yet. */
  async openPullRequest(req: OpenPullRequest): Promise<PullRequest> {
    if (req.head === req.base) throw new InvalidRequestError(`A merge request needs two different branches; head and base are both ${req.head}.`);
    const client = this.clientFor(req.author);
    const mr = await this.call(client, `open a merge request from ${req.head}`, async (api) => {
      try {
        return await api.MergeRequests.create(this.project, req.head, req.base, req.title, {
          description: req.body,
          ...(req.labels?.length ? { labels: req.labels.join(',') } : {}),
        });
      } catch (err) {
        if (isStatus(err, 409)) {
          const number = Number(/!(\d+)/.exec(errMessage(err))?.[1]);
          throw new ConflictError(`Branch ${req.head} already has an open merge request: #${number} (${this.baseUrl}/${this.project}/-/merge_requests/${number}).`, {
            number,
          });
        }
        if (isStatus(err, 400, /source_branch/)) throw new NotFoundError(`Branch ${req.head} does not exist in ${this.project}; push it (or commit to it) before opening a merge request.`);
        if (isStatus(err, 400, /target_branch/)) throw new NotFoundError(`Base branch ${req.base} does not exist in ${this.project}.`);
        throw err;
      }
    });
    return this.toPullRequest(mr, NO_RECORD, mr.diff_refs ? undefined : await this.branchSha(req.base));
  }

  async findPullRequestByBranch(branch: string, state: PullRequestState | 'all' = 'all'): Promise<PullRequest | null> {
    const [newest] = await this.call(this.service(), `find the merge request of ${branch}`, (api) =>
      api.MergeRequests.all({ projectId: this.project, sourceBranch: branch, state: GITLAB_STATE[state], orderBy: 'created_at', sort: 'desc', perPage: 1, page: 1 }),
    );
    return newest ? this.getPullRequest(newest.iid) : null;
  }

  async getPullRequest(number: number): Promise<PullRequest> {
    const [mr, record] = await Promise.all([this.readMr(number), this.reviewRecord(number)]);
    return this.present(mr, record);
  }

  /**
   * One page of the MRs that match: GitLab's own page `page` of `limit`, newest
   * first (one list request). GitLab filters source branches by exact name only,
   * so a prefix is matched here, over at most PREFIX_SCAN_PAGES pages of 100
   * (newest first): bounded, whatever the project's history.
   */
  async listPullRequests(filter: ListFilter = {}): Promise<PullRequestPage> {
    const { state, headPrefix: prefix, limit, page: first } = listWindow(filter);
    const perPage = prefix === undefined ? limit : 100;
    const wanted: { iid: number }[] = [];
    let full = false;
    for (let page = first; page < first + (prefix === undefined ? 1 : PREFIX_SCAN_PAGES) && wanted.length < limit; page++) {
      const list = await this.call(this.service(), 'list merge requests', (api) =>
        api.MergeRequests.all({ projectId: this.project, state: GITLAB_STATE[state], orderBy: 'created_at', sort: 'desc', perPage, page }),
      );
      wanted.push(...list.filter((mr) => prefix === undefined || mr.source_branch.startsWith(prefix)));
      full = list.length === perPage;
      if (!full) break;
    }
    const newest = wanted.slice(0, limit).sort((a, b) => a.iid - b.iid);
    // The list entries lack diff_refs (baseSha) and the review record: each MR is read once more, with them.
    const pulls = await mapLimit(newest, 8, (mr) => this.getPullRequest(mr.iid));
    // A full page: there may be more (a prefix listing has one page).
    return { pulls, ...(full && prefix === undefined ? { nextPage: first + 1 } : {}) };
  }

  async comment(number: number, body: string, by: string): Promise<void> {
    if (!body.trim()) throw new InvalidRequestError('A comment needs a body.');
    await this.call(this.clientFor(by), `comment on merge request #${number}`, (api) => api.MergeRequestNotes.create(this.project, number, body));
  }

  async addLabels(number: number, labels: string[]): Promise<string[]> {
    if (!labels.length) return (await this.readMr(number)).labels as string[];
    const mr = await this.call(this.service(), `label merge request #${number}`, (api) =>
      this.mrNotFound(number, api.MergeRequests.edit(this.project, number, { addLabels: labels.join(',') })),
    );
    return mr.labels as string[];
  }

  /**
   * POST /projects/:id/statuses/:sha with `name` = the context
   * (https://docs.gitlab.com/api/commits/#set-the-pipeline-status-of-a-commit).
   * GitLab updates its pending status of that name in place and refuses a
   * transition to the state it is already in (400 "Cannot transition status via
   * :enqueue from :pending"): that answer, when a read-back shows the status in
   * the asked-for state, means it already says so — idempotent. (A pending
   * status's description then stays as first written: GitLab has no way to
   * change it without changing the state.)
   */
  async setCommitStatus(sha: string, status: CommitStatus): Promise<void> {
    if (!isSha(sha)) throw new InvalidRequestError(`${sha} is not a full commit sha; a commit status is set on one commit.`);
    const state = status.state === 'failure' ? 'failed' : status.state;
    await this.call(this.service(), `set the ${status.context} status of ${sha.slice(0, 12)}`, async (api) => {
      try {
        await api.Commits.editStatus(this.project, sha, state, {
          name: status.context,
          description: status.description,
          ...(status.targetUrl ? { targetUrl: status.targetUrl } : {}),
        });
      } catch (err) {
        if (!isStatus(err, 400, /cannot transition status/i)) throw err;
        const [latest] = await api.Commits.allStatuses(this.project, sha, { name: status.context, perPage: 1, maxPages: 1 } as object);
        if ((latest as { status?: string } | undefined)?.status !== state) throw err;
      }
    });
  }

  /**
   * The commit statuses of the MR's head: CI jobs of GitLab pipelines and
   * external CI alike are commit statuses (the latest per name).
   */
  async checks(number: number): Promise<ChecksSummary> {
    const mr = await this.readMr(number);
    if (!mr.sha) return { state: 'none', checks: [] };
    const statuses = await this.call(this.service(), `read the checks of ${mr.sha.slice(0, 12)}`, (api) =>
      api.Commits.allStatuses(this.project, mr.sha, { perPage: 100 } as { all?: boolean }),
    );
    const latest = new Map<string, (typeof statuses)[number]>();
    for (const s of [...statuses].sort((a, b) => a.id - b.id)) latest.set(s.name, s);
    const checks: CheckRun[] = [];
    for (const s of latest.values()) {
      const state = checkState(s.status, s.allow_failure);
      if (state) checks.push({ name: s.name, state, ...(s.target_url ? { url: s.target_url } : {}) });
    }
    checks.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { state: summarizeChecks(checks), checks };
  }

  /**
   * Reviews on GitLab, where only what GitLab itself records is a verdict (see timeline()):
   *  - approve → POST .../approve with `sha` = the head just read: GitLab refuses
   *    (409) when the head moved meanwhile, so an approval is never of a commit
   *    the reviewer did not see. Approving again re-approves (unapprove +
   *    approve), which pins the approval to the current head on projects that
   *    keep approvals across pushes. A body becomes a note;
   *  - request_changes → unapprove (if approved) + a note. GitLab has no REST
   *    endpoint for its "Request changes" review state (only its UI and GraphQL
   *    set it), and a note is a comment anyone can write, so this withdraws the
   *    reviewer's approval but does not block the MR: the note says so, and that
   *    a reviewer blocks it with "Request changes" in GitLab;
   *  - comment → a note.
   *
   * A review needs the reviewer's own token: approvals are GitLab's record of who
   * looked at the change, and idp approving with its own token on someone's
   * behalf would defeat review.
   */
  async review(number: number, review: { event: ReviewEvent; body?: string; by: string }): Promise<PullRequest> {
    if (!REVIEW_EVENTS.includes(review.event)) throw new InvalidRequestError(`Unknown review event "${String(review.event)}"; use approve, request_changes or comment.`);
    const token = this.userToken?.(review.by);
    if (!token) {
      throw new IdpError(
        'forbidden',
        403,
        `Reviewing on GitLab needs ${review.by}'s own GitLab token: GitLab records an approval as the token's user, and idp approving with its service token on someone's behalf would defeat review. Review in GitLab, or give idp a token of ${review.by}.`,
      );
    }
    const client = this.client(token, `${review.by}'s GitLab token`);
    const [mr, approval] = await Promise.all([
      this.readMr(number, client),
      this.call(client, `read the approvals of merge request #${number}`, (api) => api.MergeRequestApprovals.showConfiguration(this.project, { mergerequestIId: number })),
    ]);
    if (mr.state !== 'opened') throw new ConflictError(`Merge request #${number} is ${PR_STATE[mr.state] ?? mr.state}; only open merge requests can be reviewed.`);
    const head = mr.sha;
    const hasApproved = approval.user_has_approved === true;
    await this.call(client, `review merge request #${number}`, async (api) => {
      if (review.event === 'approve') {
        if (hasApproved) await api.MergeRequestApprovals.unapprove(this.project, number);
        else if (approval.user_can_approve === false) throw this.cannotApprove(number, review.by);
        try {
          await api.MergeRequestApprovals.approve(this.project, number, { sha: head });
        } catch (err) {
          if (isStatus(err, 409)) {
            throw new ConflictError(`Merge request #${number} changed while it was being approved (its head is no longer ${head.slice(0, 12)}). Review the new commits and approve again.`);
          }
          if (isStatus(err, 401)) throw this.cannotApprove(number, review.by);
          throw err;
        }
        if (review.body) await api.MergeRequestNotes.create(this.project, number, `${review.body}\n\n<!-- idp:review approved ${head} -->`);
      } else if (review.event === 'request_changes') {
        if (hasApproved) await api.MergeRequestApprovals.unapprove(this.project, number);
        const text = review.body ? `${review.body}\n\n` : '';
        await api.MergeRequestNotes.create(this.project, number, `${text}${REQUEST_CHANGES_NOTE}`);
      } else {
        if (!review.body?.trim()) throw new InvalidRequestError('A comment needs a body.');
        await api.MergeRequestNotes.create(this.project, number, review.body);
      }
    });
    return this.getPullRequest(number);
  }

  async mergeable(number: number): Promise<boolean | null> {
    // GitLab computes mergeability asynchronously: a read after a push says `checking` until it is done.
    for (let attempt = 0; ; attempt++) {
      const mr = await this.readMr(number);
      const answer = mergeableOf(mr);
      if (answer !== null || attempt >= 6) return answer;
      await sleep(Math.min(50 * 2 ** attempt, 800));
    }
  }

  async diff(number: number): Promise<FileDiff[]> {
    const diffs = await this.call(this.service(), `read the changes of merge request #${number}`, (api) =>
      this.mrNotFound(number, api.MergeRequests.allDiffs(this.project, number, { perPage: 100 })),
    );
    return diffs
      .map((d): FileDiff => {
        // A rename shows as a change of the new path (the FileDiff statuses have no rename).
        const status = d.new_file ? 'added' : d.deleted_file ? 'deleted' : 'modified';
        const from = d.new_file ? '/dev/null' : `a/${d.old_path}`;
        const to = d.deleted_file ? '/dev/null' : `b/${d.new_path}`;
        const body = d.diff && !d.diff.endsWith('\n') ? `${d.diff}\n` : d.diff;
        return { path: d.deleted_file ? d.old_path : d.new_path, status, patch: `--- ${from}\n+++ ${to}\n${body}` };
      })
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /**
   * Who approves the current head: GitLab's approvers (its approvals API, which
   * drops approvals on push where `reset_approvals_on_push` is on — GitLab's
   * default) that approved after the head became what it is, minus reviewers
   * whose GitLab review state requests changes (see timeline()).
   */
  async approvals(number: number): Promise<string[]> {
    return approvalsOf(await this.getPullRequest(number));
  }

  /**
   * Whether `login` has at least the Developer role (30) in the project, inherited
   * from its groups included (GET /projects/:id/members/all/:user_id; the id from
   * an approval or reviewer already read, else GET /users?username=). No such
   * user, no membership, a blocked account or an invitation awaiting approval:
   * false. Answers are kept for a minute: a release re-evaluates its policy on
   * every webhook.
   */
  async canWrite(login: string): Promise<boolean> {
    const key = login.trim().replace(/^@/, '').toLowerCase();
    if (!key || /[\s/]/.test(key)) return false;
    return this.writers.get(key, () => this.readCanWrite(key));
  }

  private readCanWrite(login: string): Promise<boolean> {
    return this.call(this.service(), `read ${login}'s role in ${this.project}`, async (api) => {
      let id = this.userIds.get(login);
      if (id === undefined) {
        const users = await api.Users.all({ username: login, perPage: 20, maxPages: 1 });
        id = users.find((u) => u.username.toLowerCase() === login)?.id;
        if (id === undefined) return false;
        this.userIds.set(login, id);
      }
      try {
        const member = await api.ProjectMembers.show(this.project, id, { includeInherited: true });
        const membership = (member as { membership_state?: string }).membership_state;
        return member.access_level >= DEVELOPER && member.state === 'active' && membership !== 'awaiting';
      } catch (err) {
        if (isStatus(err, 404) && !/project not found/i.test(errMessage(err))) return false;
        throw err;
      }
    });
  }

  /**
   * PUT .../merge with `sha` = the expected head: GitLab refuses (409) when the
   * head moved, so what is merged is what was reviewed. GitLab's default merge
   * method writes a merge commit (mergeSha); fast-forward projects leave the head
   * as the base's new tip.
   */
  /**
   * The group at full path `name` (`acme/payments`, `@acme/payments`, or `payments`
   * for a top-level group): its members, inherited ones included (GET
   * /groups/:id/members/all, every page), minus invitations still awaiting
   * approval. 404 means no such group (or one the token cannot see): the entry
   * names a user — on GitLab users and top-level groups share one namespace, so
   * a name is never both. Answers, null included, are kept for five minutes: a
   * release re-evaluates its policy on every webhook.
   */
  async teamMembers(name: string): Promise<string[] | null> {
    const path = name.trim().replace(/^@/, '').replace(/^\/+|\/+$/g, '');
    if (!path || /\s/.test(path) || path.split('/').some((s) => s === '' || s === '.' || s === '..')) return null;
    return copy(await this.groups.get(path.toLowerCase(), () => this.readGroup(path)));
  }

  private readGroup(path: string): Promise<string[] | null> {
    return this.call(this.service(), `read the members of group ${path}`, async (api) => {
      try {
        const members = await api.GroupMembers.all(path, { includeInherited: true, perPage: 100 });
        return [...new Set(members.filter((m) => m.membership_state !== 'awaiting').map((m) => m.username))].sort();
      } catch (err) {
        if (isStatus(err, 404)) return null;
        throw err;
      }
    });
  }

  async merge(number: number, opts: { by: string; expectedHeadSha?: string; message?: string }): Promise<PullRequest> {
    const client = this.clientFor(opts.by);
    const mr = await this.readMr(number, client);
    if (mr.state === 'merged') return this.getPullRequest(number);
    if (mr.state === 'locked') throw new ConflictError(`Merge request #${number} is being merged by GitLab right now; read it again in a moment.`);
    if (mr.state !== 'opened') throw new ConflictError(`Merge request #${number} is closed; open a new merge request to merge ${mr.source_branch}.`);
    if (opts.expectedHeadSha && mr.sha !== opts.expectedHeadSha) throw this.headMoved(number, mr.sha, opts.expectedHeadSha);
    const merged = await this.call(client, `merge merge request #${number}`, async (api) => {
      try {
        return await api.MergeRequests.merge(this.project, number, { sha: opts.expectedHeadSha ?? mr.sha, ...(opts.message ? { mergeCommitMessage: opts.message } : {}) });
      } catch (err) {
        if (isStatus(err, 409)) throw this.headMoved(number, /([0-9a-f]{40})/.exec(errMessage(err))?.[1] ?? 'something else', opts.expectedHeadSha ?? mr.sha);
        if (isStatus(err, 405) || isStatus(err, 406) || isStatus(err, 422)) return null;
        // The token just read the MR, so a 401 here is GitLab's "you may not merge this".
        if (isStatus(err, 401)) throw new IdpError('forbidden', 403, `GitLab does not let ${opts.by} merge into ${mr.target_branch} of ${this.project} (${client.who}): it needs permission to push or merge to that branch.`);
        throw err;
      }
    });
    if (merged) return this.present(merged, await this.reviewRecord(number));
    // 405/422: not mergeable now. Say why, from the MR as GitLab sees it after trying.
    const after = await this.readMr(number);
    if (after.state === 'merged') return this.getPullRequest(number);
    if (after.state !== 'opened') throw new ConflictError(`Merge request #${number} is closed; open a new merge request to merge ${after.source_branch}.`);
    if (after.has_conflicts || (after.detailed_merge_status as string) === 'conflict' || after.merge_status === 'cannot_be_merged') {
      throw new ConflictError(
        `Merge request #${number} conflicts with ${after.target_branch}. Update ${after.source_branch} from ${after.target_branch} and resolve the conflicts (or recreate the change on top of ${after.target_branch}), then merge again.`,
      );
    }
    throw new ConflictError(`GitLab cannot merge merge request #${number} now (${after.detailed_merge_status}): see ${after.web_url}.`, {
      detailedMergeStatus: after.detailed_merge_status,
    });
  }

  async close(number: number, by: string): Promise<PullRequest> {
    const client = this.clientFor(by);
    const mr = await this.readMr(number, client);
    if (mr.state === 'closed') return this.getPullRequest(number);
    if (mr.state === 'merged' || mr.state === 'locked') throw new ConflictError(`Merge request #${number} is already merged; revert it with a new merge request instead.`);
    const closed = await this.call(client, `close merge request #${number}`, (api) => api.MergeRequests.edit(this.project, number, { stateEvent: 'close' }));
    return this.present(closed, await this.reviewRecord(number));
  }

  // ---- helpers ------------------------------------------------------------

  private service(): Client {
    return this.client(this.token, 'the service GitLab token');
  }

  /** The user's own client when they have a token, else the service's. */
  private clientFor(user: string): Client {
    const token = this.userToken?.(user);
    return token ? this.client(token, `${user}'s GitLab token`) : this.service();
  }

  private client(token: string, who: string): Client {
    let client = this.clients.get(token);
    if (!client) {
      const requesterFn = createRequesterFn((_service, options) => Promise.resolve(options), this.requestHandler());
      client = { api: new Gitlab({ host: this.baseUrl, token, requesterFn, queryTimeout: this.timeoutMs }), who };
      this.clients.set(token, client);
    }
    return client;
  }

  /** fetch with idp's retry policy, in place of gitbeaker's default handler (see the file comment). */
  private requestHandler(): RequestHandlerFn {
    return async (endpoint, options = {}) => {
      const o = options as { rateLimiters?: RateLimiters; asStream?: boolean; prefixUrl?: string; searchParams?: string; method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal };
      const method = o.method ?? 'GET';
      const prefix = o.prefixUrl ?? '';
      const url = new URL(endpoint, prefix.endsWith('/') ? prefix : `${prefix}/`);
      if (o.searchParams) url.search = o.searchParams;
      const limit = getMatchingRateLimiter(endpoint, o.rateLimiters, method);
      for (let attempt = 0; ; attempt++) {
        await limit();
        let response: Response;
        try {
          response = await fetch(url, { method, ...(o.headers ? { headers: o.headers } : {}), ...(o.body !== undefined ? { body: o.body } : {}), ...(o.signal ? { signal: o.signal } : {}) });
        } catch (err) {
          if (o.signal?.aborted) throw new GitLabRequestFailed(0, `no answer within ${this.timeoutMs} ms`, method, url.pathname, attempt + 1);
          if (attempt < this.retries) {
            await sleep(this.backoff(attempt));
            continue;
          }
          const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
          throw new GitLabRequestFailed(0, `network error (${cause})`, method, url.pathname, attempt + 1);
        }
        if (response.ok) return parseResponse(response, o.asStream === true);
        const retryAfterMs = retryAfter(response.headers);
        const message = await readErrorMessage(response);
        if ((response.status === 429 || response.status >= 500) && attempt < this.retries) {
          const wait = retryAfterMs ?? this.backoff(attempt);
          if (wait <= this.maxRetryAfterMs) {
            await sleep(wait);
            continue;
          }
        }
        throw new GitLabRequestFailed(response.status, message, method, url.pathname, attempt + 1, retryAfterMs);
      }
    };
  }

  private backoff(attempt: number): number {
    return this.minDelayMs * 2 ** attempt * (0.75 + Math.random() * 0.5);
  }

  /** Run a call, mapping GitLab's failures to idp errors that say what to do. */
  private async call<T>(client: Client, what: string, fn: (api: Api) => Promise<T>): Promise<T> {
    try {
      return await fn(client.api);
    } catch (err) {
      throw this.mapError(err, what, client);
    }
  }

  private mapError(err: unknown, what: string, client: Client): unknown {
    if (err instanceof IdpError || !(err instanceof GitLabRequestFailed)) return err;
    const said = this.redact(err.gitlabMessage);
    const at = `GitLab at ${this.host}`;
    switch (err.status) {
      case 401:
        return new IdpError(
          'unauthenticated',
          401,
          `${at} rejected ${client.who} (401 Unauthorized) while trying to ${what}: the token is invalid, expired or revoked. Give idp a valid GitLab token with the api scope.`,
          { host: this.host },
        );
      case 403:
        return new IdpError(
          'forbidden',
          403,
          `${client.who} may not ${what} in GitLab project ${this.project} (403 Forbidden${said ? `: ${said}` : ''}). It needs the api scope and at least the Developer role in ${this.project}.`,
          { host: this.host, project: this.project },
        );
      case 404:
        if (/project not found/i.test(said)) {
          return new NotFoundError(
            `GitLab project ${this.project} was not found at ${this.host} (trying to ${what}). Check the remote ${this.repo}, and that ${client.who} can see the project: GitLab answers 404 for projects a token has no access to.`,
            { host: this.host, project: this.project },
          );
        }
        return new NotFoundError(`${at} found nothing to ${what} in ${this.project} (404${said ? `: ${said}` : ''}).`);
      case 409:
        return new ConflictError(`${at} refused to ${what} in ${this.project}: ${said || '409 Conflict'}.`);
      case 429:
        return new ProviderError(
          `${at} is rate limiting ${client.who} (429) while trying to ${what}${err.retryAfterMs !== undefined ? `; it asks to wait ${Math.ceil(err.retryAfterMs / 1000)} s` : ''}. The operation is retried later.`,
          { host: this.host, retryAfterMs: err.retryAfterMs },
        );
      case 0:
        return new ProviderError(`${at} did not answer while trying to ${what} (${err.attempts} attempts: ${said}). The operation is retried later.`, { host: this.host });
      default:
        if (err.status >= 500) {
          return new ProviderError(`${at} failed while trying to ${what} (${err.status} after ${err.attempts} attempts${said ? `: ${said}` : ''}). The operation is retried later.`, {
            host: this.host,
            status: err.status,
          });
        }
        return new InvalidRequestError(`${at} refused to ${what} in ${this.project} (${err.status}${said ? `: ${said}` : ''}).`, { status: err.status });
    }
  }

  /** GitLab never echoes a token, but an error message must not be the place where that changes. */
  private redact(text: string): string {
    let out = text;
    for (const token of [this.token, ...this.clients.keys()]) if (token) out = out.split(token).join('[token]');
    return out;
  }

  private unknownRef(ref: string): NotFoundError {
    return new NotFoundError(`${ref} is neither a branch nor a commit in GitLab project ${this.project}.`, { ref });
  }

  private cannotApprove(number: number, user: string): IdpError {
    return new IdpError(
      'forbidden',
      403,
      `GitLab does not let ${user} approve merge request #${number} of ${this.project}: the project may not allow authors to approve their own merge requests, or ${user} is not an eligible approver.`,
    );
  }

  private headMoved(number: number, head: string, expected: string): ConflictError {
    return new ConflictError(
      `Merge request #${number} changed: its head is ${head.slice(0, 12)}, not the reviewed ${expected.slice(0, 12)}. Review the new commits and merge again.`,
      { headSha: head, expectedHeadSha: expected },
    );
  }

  /** A 404 for a merge request iid → NotFoundError naming it. */
  private async mrNotFound<T>(number: number, p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (err) {
      if (isStatus(err, 404) && !/project not found/i.test(errMessage(err))) {
        throw new NotFoundError(`Merge request #${number} does not exist in ${this.project}.`, { number });
      }
      throw err;
    }
  }

  private readMr(number: number, client = this.service()): Promise<ExpandedMergeRequestSchema> {
    return this.call(client, `read merge request #${number}`, (api) => this.mrNotFound(number, api.MergeRequests.show(this.project, number)));
  }

  private notes(number: number): Promise<NoteSchema[]> {
    return this.call(this.service(), `read the notes of merge request #${number}`, (api) =>
      this.mrNotFound(number, api.MergeRequestNotes.all(this.project, number, { sort: 'asc', orderBy: 'created_at', perPage: 100 })),
    );
  }

  /**
   * Notes, approvals and reviewers of an MR in parallel, then its diff versions
   * when there are approvals to pin to a head.
   */
  private async reviewRecord(number: number): Promise<ReviewRecord> {
    const service = this.service();
    const [notes, approval, reviewers] = await Promise.all([
      this.notes(number),
      this.call(service, `read the approvals of merge request #${number}`, (api) =>
        this.mrNotFound(number, api.MergeRequestApprovals.showConfiguration(this.project, { mergerequestIId: number })),
      ),
      this.call(service, `read the reviewers of merge request #${number}`, async (api) => {
        try {
          return await api.MergeRequests.showReviewers(this.project, number);
        } catch (err) {
          // GitLab before 15.x has no reviewers endpoint; a missing MR fails the notes read too.
          if (isStatus(err, 404) && !/project not found/i.test(errMessage(err))) return [];
          throw err;
        }
      }),
    ]);
    const approvals = ((approval.approved_by ?? []) as unknown as Approval[]).filter((a) => a.user?.username);
    for (const { user } of [...approvals, ...reviewers]) this.userIds.set(user.username.toLowerCase(), user.id);
    const versions = approvals.length
      ? await this.call(service, `read the versions of merge request #${number}`, (api) => api.MergeRequests.allDiffVersions(this.project, number, { perPage: 100 } as object))
      : [];
    return { notes, approvals, reviewers, versions };
  }

  private async present(mr: ExpandedMergeRequestSchema, record: ReviewRecord): Promise<PullRequest> {
    return this.toPullRequest(mr, record, mr.diff_refs ? undefined : await this.branchSha(mr.target_branch));
  }

  private toPullRequest(mr: ExpandedMergeRequestSchema, record: ReviewRecord, baseFallback?: string | null): PullRequest {
    const state: PullRequestState = mr.state === 'merged' ? 'merged' : mr.state === 'closed' ? 'closed' : 'open';
    const { reviews, comments } = this.timeline(mr, record);
    const mergedBy = (mr.merge_user as { username?: string } | null | undefined)?.username ?? mr.merged_by?.username;
    return {
      number: mr.iid,
      url: mr.web_url,
      title: mr.title,
      body: mr.description ?? '',
      head: mr.source_branch,
      base: mr.target_branch,
      headSha: mr.sha,
      // The target's tip when GitLab computed the MR's current diff; before it has (prepared_at null), the tip now.
      baseSha: mr.diff_refs?.start_sha ?? baseFallback ?? '',
      state,
      author: mr.author.username,
      labels: [...(mr.labels as string[])],
      createdAt: iso(mr.created_at),
      updatedAt: iso(mr.updated_at),
      ...(state === 'merged'
        ? {
            ...(mr.merged_at ? { mergedAt: iso(mr.merged_at) } : {}),
            ...(mergedBy ? { mergedBy } : {}),
            // Merge commit; squash commit; or, for fast-forward projects, the head itself.
            mergeSha: mr.merge_commit_sha ?? mr.squash_commit_sha ?? mr.sha,
          }
        : {}),
      ...(state === 'closed' ? { ...(mr.closed_at ? { closedAt: iso(mr.closed_at) } : {}), ...(mr.closed_by ? { closedBy: mr.closed_by.username } : {}) } : {}),
      reviews,
      comments,
    };
  }

  /**
   * Reviews only from what GitLab itself attributes — never from notes, which
   * anyone who can comment writes (and a `<!-- -->` marker in one is invisible):
   *  - approvals: GitLab's approvals API (`approved_by`), each pinned to the head
   *    the MR had when GitLab recorded it: its `approved_at` (GitLab 18.x+), else
   *    the approver's own system note "approved this merge request" (system notes
   *    are GitLab's; a user's note with that text is not one), against the times
   *    GitLab created the MR's diff versions. An approval whose time is unknown,
   *    or older than every version, is of no head;
   *  - rejections: the reviewer state `requested_changes` of GitLab's reviewers
   *    API (GitLab 17.x+), which only that reviewer's "Request changes" sets. It
   *    stands on any head until they change it, and outweighs their approval.
   * Every note is a comment, except the note idp writes with an approval (its text
   * and a hidden `idp:review approved <sha>` marker): that is the body of the
   * approval, when the same user's approval of that sha stands — annotation only.
   */
  private timeline(mr: ExpandedMergeRequestSchema, record: ReviewRecord): { reviews: Review[]; comments: PullRequestComment[] } {
    const versions = [...record.versions].sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
    // The head of the newest version created strictly before `time` (a tie is not "after the push": fail closed).
    const headAt = (time: number) => {
      let head = '';
      for (const v of versions) if (Date.parse(v.created_at) < time) head = v.head_commit_sha;
      return head;
    };
    const notes = [...record.notes].sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at) || a.id - b.id);
    const rejecting = new Map(record.reviewers.filter((r) => r.state === 'requested_changes').map((r) => [r.user.username, r] as const));
    const reviews: Review[] = [];
    for (const a of record.approvals) {
      const by = a.user.username;
      if (rejecting.has(by)) continue;
      const at = a.approved_at ?? notes.findLast((n) => n.system && n.author.username === by && n.body === APPROVED_NOTE)?.created_at;
      reviews.push({ by, state: 'approved', commitSha: at ? headAt(Date.parse(at)) : '', at: iso(at ?? mr.created_at) });
    }
    for (const [by, r] of rejecting) reviews.push({ by, state: 'changes_requested', commitSha: mr.sha, at: iso(r.created_at) });
    const comments: PullRequestComment[] = [];
    for (const n of notes) {
      if (n.system) continue;
      const by = n.author.username;
      const marker = APPROVAL_MARKER.exec(n.body);
      const approval = marker
        ? reviews.find((r) => r.by === by && r.state === 'approved' && r.commitSha === marker[1] && r.body === undefined && Date.parse(n.created_at) >= Date.parse(r.at))
        : undefined;
      if (marker && approval) {
        const text = n.body.slice(0, marker.index);
        if (text) approval.body = text;
        continue;
      }
      comments.push({ by, body: n.body, at: iso(n.created_at) });
    }
    reviews.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    return { reviews, comments };
  }

  /** Entries of a folder at a ref (all pages), or null for 404 Tree Not Found. */
  private async tree(api: Api, ref: string, folder: string) {
    try {
      const entries = await api.Repositories.allRepositoryTrees(this.project, { ref, perPage: 100, ...(folder ? { path: folder } : {}) });
      if (isSha(ref)) this.known.listed(ref, folder, entries.map((e) => ({ path: e.path, type: e.type === 'tree' ? 'tree' : 'blob' })));
      return entries;
    } catch (err) {
      if (isStatus(err, 404, /Tree Not Found/i)) {
        if (isSha(ref) && folder) this.known.record(ref, folder, 'notdir');
        return null;
      }
      throw err;
    }
  }

  private async resolveCommit(api: Api, ref: string): Promise<string | null> {
    try {
      return (await api.Commits.show(this.project, ref)).id;
    } catch (err) {
      if (isStatus(err, 404)) return null;
      throw err;
    }
  }

  /**
   * POST repository/commits onto `req.branch` from `req.baseSha`. GitLab wants
   * each change as create/update/delete, which depends on whether the file exists
   * at the base. What this provider has already seen at that commit (readFile,
   * listDirectory — idp reads a file before it rewrites it) decides; a path never
   * seen is guessed `create` (a file written without being read is most likely
   * new). When a guess is wrong GitLab refuses the whole commit (nothing is
   * written); then one tree listing per folder touched settles every path, and
   * the commit is sent again.
   */
  private async writeCommit(api: Api, req: CommitRequest, changes: FileChange[], force: boolean): Promise<string> {
    const send = (actions: CommitAction[]) =>
      api.Commits.create(this.project, req.branch, req.message, actions, {
        startSha: req.baseSha,
        authorName: req.author.name,
        authorEmail: req.author.email,
        ...(force ? { force: true } : {}),
      });
    const planned = this.plan(req.baseSha, changes);
    try {
      return (await send(planned.actions)).id;
    } catch (err) {
      if (!planned.guessed || !isStatus(err, 400, FILE_STATE)) throw this.commitRefused(err, req);
    }
    const folders = [...new Set(changes.map((c) => parentOf(c.path)))];
    await Promise.all(folders.map((f) => this.tree(api, req.baseSha, f)));
    try {
      return (await send(this.plan(req.baseSha, changes).actions)).id;
    } catch (err) {
      throw this.commitRefused(err, req);
    }
  }

  /** Other 400s of a commit (the start commit gone, a file changed under it...): the caller re-reads the base and retries. */
  private commitRefused(err: unknown, req: CommitRequest): unknown {
    if (isStatus(err, 400, /branch called .* already exists/i)) return err;
    if (isStatus(err, 400, /branch name is invalid/i)) return new InvalidRequestError(`${req.branch} is not a valid branch name.`);
    if (isStatus(err, 400) || isStatus(err, 409)) {
      return new ConflictError(`GitLab refused the commit onto ${req.branch} from ${req.baseSha.slice(0, 12)}: ${this.redact(errMessage(err))}. Re-read the base and try again.`, {
        branch: req.branch,
      });
    }
    return err;
  }

  private plan(baseSha: string, changes: FileChange[]): { actions: CommitAction[]; guessed: boolean } {
    let guessed = false;
    const actions: CommitAction[] = [];
    for (const c of changes) {
      const known = this.known.lookup(baseSha, c.path);
      if (known === undefined) guessed = true;
      if (c.content === null) {
        if (known !== 'none') actions.push({ action: 'delete', filePath: c.path });
      } else {
        actions.push({ action: known === 'blob' ? 'update' : 'create', filePath: c.path, content: c.content });
      }
    }
    return { actions, guessed };
  }

  /**
   * The branch exists: is it exactly this change? Its head must sit on the base,
   * change no path outside the request, and hold each requested path as asked
   * (blob ids compared with git's hash of the wanted content).
   */
  private async sameChange(api: Api, req: CommitRequest, changes: FileChange[]): Promise<string> {
    const head = await api.Commits.show(this.project, req.branch);
    const conflict = () =>
      new ConflictError(`Branch ${req.branch} already exists with different content (head ${head.id.slice(0, 12)}). Delete the branch or use another name.`, {
        branch: req.branch,
        sha: head.id,
      });
    if (head.parent_ids?.length !== 1 || head.parent_ids[0] !== req.baseSha) throw conflict();
    const requested = new Set(changes.map((c) => c.path));
    const diff = await api.Commits.showDiff(this.project, head.id, { perPage: 100 });
    if (diff.some((d) => !requested.has(d.new_path) || !requested.has(d.old_path))) throw conflict();
    const blobs = new Map<string, string>();
    for (const folder of new Set(changes.map((c) => parentOf(c.path)))) {
      for (const e of (await this.tree(api, head.id, folder)) ?? []) if (e.type === 'blob') blobs.set(e.path, e.id);
    }
    for (const c of changes) {
      if ((blobs.get(c.path) ?? null) !== (c.content === null ? null : gitBlobSha(c.content))) throw conflict();
    }
    return head.id;
  }
}

// ---- what is known about trees at commits -----------------------------------

type Known = 'blob' | 'tree' | 'none' | 'notdir';

/**
 * Paths seen at commits (immutable, so never stale): `blob`, `tree`, `none`
 * (no such path), `notdir` (no folder there). Folders listed completely make
 * every other name in them `none`. Bounded: the 64 most recent commits.
 */
class KnownTrees {
  private readonly commits = new Map<string, { paths: Map<string, Known>; listed: Set<string> }>();

  private at(sha: string) {
    let c = this.commits.get(sha);
    if (c) {
      this.commits.delete(sha);
    } else {
      c = { paths: new Map(), listed: new Set() };
      if (this.commits.size >= 64) this.commits.delete(this.commits.keys().next().value!);
    }
    this.commits.set(sha, c);
    return c;
  }

  record(sha: string, path: string, what: Known): void {
    const c = this.at(sha);
    c.paths.set(path, what);
    if (what === 'blob' || what === 'tree') for (let p = parentOf(path); p; p = parentOf(p)) c.paths.set(p, 'tree');
  }

  listed(sha: string, folder: string, entries: { path: string; type: 'blob' | 'tree' }[]): void {
    const c = this.at(sha);
    c.listed.add(folder);
    if (folder) this.record(sha, folder, 'tree');
    for (const e of entries) c.paths.set(e.path, e.type);
  }

  /** blob / tree / none, or undefined when unknown. */
  lookup(sha: string, path: string): 'blob' | 'tree' | 'none' | undefined {
    const c = this.commits.get(sha);
    if (!c) return undefined;
    const direct = c.paths.get(path);
    if (direct === 'blob' || direct === 'tree' || direct === 'none') return direct;
    // A missing or non-folder ancestor means no such path; so does a complete listing of the parent without it.
    for (let p = parentOf(path), child = path; ; child = p, p = parentOf(p)) {
      const known = c.paths.get(p);
      if (p && (known === 'none' || known === 'notdir' || known === 'blob')) return 'none';
      if (c.listed.has(p) && !c.paths.has(child)) return 'none';
      if (!p) return undefined;
    }
  }
}

// ---- small helpers -----------------------------------------------------------

const GITLAB_STATE = { open: 'opened', merged: 'merged', closed: 'closed', all: undefined } as const;
/** How long an answer of teamMembers() is reused. */
const GROUP_TTL_MS = 300_000;
/** How long an answer of canWrite() is reused. */
const WRITE_TTL_MS = 60_000;
/** GitLab's Developer role: may push to unprotected branches and merge (https://docs.gitlab.com/user/permissions/). */
const DEVELOPER = 30;
/** Pages of 100 MRs a prefix listing looks through at most. */
const PREFIX_SCAN_PAGES = 3;
/** Ends the note of `request_changes`: a note blocks nothing on GitLab, and says so. */
const REQUEST_CHANGES_NOTE =
  '_Changes requested through idp. This comment does not block the merge request: a reviewer blocks it with **Request changes** in GitLab\'s review._';

function copy(members: string[] | null): string[] | null {
  return members ? [...members] : null;
}
const PR_STATE: Record<string, string> = { opened: 'open', merged: 'merged', closed: 'closed', locked: 'being merged' };

function isStatus(err: unknown, status: number, message?: RegExp): err is GitLabRequestFailed {
  return err instanceof GitLabRequestFailed && err.status === status && (!message || message.test(err.gitlabMessage));
}

function errMessage(err: unknown): string {
  return err instanceof GitLabRequestFailed ? err.gitlabMessage : String(err);
}

function isSha(ref: string): boolean {
  return /^[0-9a-f]{40}$/.test(ref);
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

function normalizePath(path: string): string {
  const clean = path.replace(/^\/+|\/+$/g, '');
  if (!clean || clean.split('/').some((s) => s === '' || s === '.' || s === '..')) throw new InvalidRequestError(`${path} is not a usable file path.`);
  return clean;
}

function normalizeChanges(changes: FileChange[]): FileChange[] {
  const seen = new Set<string>();
  return changes.map((c) => {
    const path = normalizePath(c.path);
    if (seen.has(path)) throw new InvalidRequestError(`${path} appears more than once in the change set.`);
    seen.add(path);
    return { path, content: c.content };
  });
}

/** git's blob id of a text: sha1("blob <bytes>\0<content>"). */
function gitBlobSha(content: string): string {
  const bytes = Buffer.from(content, 'utf8');
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

function iso(time: string): string {
  return new Date(time).toISOString();
}

/**
 * true / false / null (GitLab still checking): whether the MR's head merges cleanly
 * into its target as it is now. Policy blocks (not approved, pipeline must pass,
 * draft...) are not conflicts: they leave it true; merge() explains them.
 */
function mergeableOf(mr: ExpandedMergeRequestSchema): boolean | null {
  if (mr.state !== 'opened') return false;
  const detailed = mr.detailed_merge_status as string;
  if (['checking', 'unchecked', 'preparing', 'approvals_syncing'].includes(detailed)) return null;
  if (['unchecked', 'checking', 'cannot_be_merged_recheck'].includes(mr.merge_status)) return null;
  if (mr.has_conflicts || mr.merge_status === 'cannot_be_merged' || ['conflict', 'broken_status', 'need_rebase'].includes(detailed)) return false;
  return true;
}

/** A commit status → a check state; undefined for statuses that are not a verdict (skipped, manual that may fail). */
function checkState(status: string, allowFailure: boolean): CheckRun['state'] | undefined {
  switch (status) {
    case 'success':
      return 'success';
    case 'failed':
      return allowFailure ? 'success' : 'failure';
    case 'canceled':
      return 'failure';
    case 'skipped':
      return undefined;
    case 'manual':
      return allowFailure ? undefined : 'pending';
    default:
      return 'pending';
  }
}

/** Retry-After (seconds or an HTTP date), else RateLimit-Reset (epoch seconds), in ms. */
function retryAfter(headers: Headers): number | undefined {
  const after = headers.get('retry-after');
  if (after) {
    const seconds = Number(after);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(after);
    if (Number.isFinite(date)) return Math.max(0, date - Date.now());
  }
  const reset = Number(headers.get('ratelimit-reset') ?? NaN);
  if (Number.isFinite(reset) && reset > 0) return Math.max(0, reset * 1000 - Date.now());
  return undefined;
}

/** GitLab's error text: `message` (a string, a list, or field → messages) or `error`; else the start of the body. */
async function readErrorMessage(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  if ((response.headers.get('content-type') ?? '').includes('json')) {
    try {
      const body = JSON.parse(text) as { message?: unknown; error?: unknown };
      const m = body.message ?? body.error;
      if (typeof m === 'string') return m;
      if (Array.isArray(m)) return m.join('; ');
      if (m && typeof m === 'object') return Object.entries(m as Record<string, unknown>).map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(', ') : String(v)}`).join('; ');
    } catch {
      // not JSON after all
    }
  }
  return text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 200) || response.statusText;
}

/** As gitbeaker's default handler parses bodies. */
async function parseResponse(response: Response, asStream: boolean): Promise<FormattedResponse> {
  const headers = Object.fromEntries(response.headers.entries());
  if (asStream) return { body: response.body as ReadableStream, headers, status: response.status };
  if (response.status === 204) return { body: null, headers, status: response.status };
  const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
  let body: FormattedResponse['body'];
  if (type === 'application/json') body = ((await response.json()) as Record<string, unknown>) || {};
  else if (type.startsWith('text/')) body = await response.text();
  else body = await response.blob();
  return { body, headers, status: response.status };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
