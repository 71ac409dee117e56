/**
 * An in-process GitLab for tests: a node:http server that the real gitbeaker
 * client talks to over HTTP, backed by real git repositories on disk (FakeGit),
 * with merge requests kept in memory with GitLab's semantics: iids per
 * project, notes (system notes for approvals and pushes), approvals that a push
 * resets (`reset_approvals_on_push`, GitLab's default), a merge status GitLab
 * computes asynchronously (`checking` first), diff versions, and merge commits
 * (GitLab's default merge method).
 *
 * It cannot drift from GitLab silently: every request and response is checked
 * against GitLab's published REST description (openapi_v2.yaml, see
 * gitlab-openapi.ts). A request to an undocumented endpoint or with an
 * undocumented parameter is answered 404/400 (as GitLab/Grape would) and
 * recorded in `violations`, like any response that does not match what GitLab
 * documents for the operation; tests assert `violations` stays empty.
 *
 * Faults GitLab produces are injected with `fail()`: 5xx, 429 with Retry-After,
 * 401/403/404/409.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTwoFilesPatch } from 'diff';
import type { FileChange } from '../provider.js';
import { isValidBranchName } from '../local-git.js';
import { FakeGit, type GitPerson } from './fake-git.js';
import { deliver, Faults, readBody, type Delivery, type FaultRule } from './fake-http.js';
import { GitLabOpenApi, isErrorBody, type MatchedOperation } from './gitlab-openapi.js';

/** Commit status states (https://docs.gitlab.com/api/commits/#list-the-statuses-of-a-commit). */
export const COMMIT_STATUS = ['created', 'waiting_for_resource', 'preparing', 'pending', 'running', 'success', 'failed', 'canceled', 'skipped', 'manual', 'scheduled'] as const;

/** A commit action as POST /projects/:id/repository/commits takes it. */
interface CommitAction {
  action: 'create' | 'delete' | 'move' | 'update' | 'chmod';
  file_path: string;
  content?: string;
  encoding?: 'text' | 'base64';
}

/** The fake's handler for each operation GitLab documents (operationId → route name). */
const HANDLERS: Record<string, string> = {
  getApiV4ProjectsId: 'getProject',
  getApiV4ProjectsIdRepositoryBranchesBranch: 'getBranch',
  deleteApiV4ProjectsIdRepositoryBranchesBranch: 'deleteBranch',
  getApiV4ProjectsIdRepositoryFilesFilePath: 'getFile',
  getApiV4ProjectsIdRepositoryTree: 'listTree',
  postApiV4ProjectsIdRepositoryCommits: 'createCommit',
  getApiV4ProjectsIdRepositoryCommitsSha: 'getCommit',
  getApiV4ProjectsIdRepositoryCommitsShaDiff: 'getCommitDiff',
  getApiV4ProjectsIdRepositoryCommitsShaStatuses: 'listCommitStatuses',
  postApiV4ProjectsIdStatusesSha: 'createCommitStatus',
  getApiV4ProjectsIdMergeRequests: 'listMergeRequests',
  postApiV4ProjectsIdMergeRequests: 'createMergeRequest',
  getApiV4ProjectsIdMergeRequestsMergeRequestIid: 'getMergeRequest',
  putApiV4ProjectsIdMergeRequestsMergeRequestIid: 'updateMergeRequest',
  putApiV4ProjectsIdMergeRequestsMergeRequestIidMerge: 'mergeMergeRequest',
  getApiV4ProjectsIdMergeRequestsMergeRequestIidDiffs: 'listMergeRequestDiffs',
  getApiV4ProjectsIdMergeRequestsMergeRequestIidVersions: 'listMergeRequestVersions',
  getApiV4ProjectsIdMergeRequestsMergeRequestIidReviewers: 'listMergeRequestReviewers',
  getApiV4ProjectsIdMergeRequestsMergeRequestIidApprovals: 'getMergeRequestApprovals',
  postApiV4ProjectsIdMergeRequestsMergeRequestIidApprove: 'approveMergeRequest',
  postApiV4ProjectsIdMergeRequestsMergeRequestIidUnapprove: 'unapproveMergeRequest',
  getApiV4ProjectsIdMergeRequestsMergeRequestIidApprovalState: 'getMergeRequestApprovalState',
  getApiV4ProjectsIdMembersAll: 'listAllProjectMembers',
  getApiV4ProjectsIdMembersAllUserId: 'getProjectMember',
  getApiV4GroupsIdMembersAll: 'listAllGroupMembers',
  // Not in openapi_v2.yaml; described by GitLab's openapi_v3.yaml (scripts/gitlab-openapi-v3-supplement.yaml).
  getApiV4ProjectsIdMergeRequestsNoteableIdNotes: 'listMergeRequestNotes',
  postApiV4ProjectsIdMergeRequestsNoteableIdNotes: 'createMergeRequestNote',
  getApiV4User: 'getCurrentUser',
  getApiV4Users: 'listUsers',
};

export interface FakeProjectSettings {
  /** GitLab's `reset_approvals_on_push` (Premium setting, on by default). */
  resetApprovalsOnPush: boolean;
  mergeMethod: 'merge' | 'ff';
  /** `merge_requests_author_approval`. */
  authorCanApprove: boolean;
}

export interface FakeProject {
  id: number;
  path: string;
  git: FakeGit;
  settings: FakeProjectSettings;
}

export interface GitLabFakeOptions {
  /** token → username. */
  users: Record<string, string>;
  /** Answer `checking` until a merge status has been computed in the background, as GitLab does (default true). */
  asyncMergeCheck?: boolean;
  /** Create an MR's first diff version after answering the create request (diff_refs null, prepared_at null), as GitLab ≥ 15.x may. */
  asyncPrepare?: boolean;
  /** List approvals with `approved_at` (GitLab 18.x+, the default); false: as older GitLab, without. */
  approvalTimes?: boolean;
}

export interface GitLabFake {
  /** Base URL (the provider's `baseUrl`); the API is at `${url}/api/v4`. */
  url: string;
  project(path: string, files: Record<string, string>, defaultBranch?: string): Promise<FakeProject>;
  fail(rule: FaultRule): void;
  /** Report a commit status from outside (what a CI system does through POST /projects/:id/statuses/:sha). */
  setStatus(projectPath: string, sha: string, name: string, state: (typeof COMMIT_STATUS)[number], opts?: { allowFailure?: boolean; targetUrl?: string }): void;
  /**
   * Define (or redefine) group `path` (`acme` or `acme/payments`) with these direct
   * members (usernames), served at GET /groups/:id/members/all, which lists the
   * members of the group's ancestor groups too, as GitLab does. `awaiting`:
   * members whose membership is awaiting approval (membership_state "awaiting").
   */
  addGroup(path: string, members: string[], opts?: { awaiting?: string[] }): void;
  /**
   * Make `username` a direct member of the project with `accessLevel` (Guest 10,
   * Reporter 20, Developer 30, Maintainer 40, Owner 50). Members of the groups
   * above the project (addGroup, as Developers) are its inherited members.
   */
  addMember(projectPath: string, username: string, accessLevel: number): void;
  /**
   * A reviewer's review state on an MR, as GitLab records it when they submit a
   * review in its UI ("Request changes" → `requested_changes`; GitLab has no REST
   * endpoint for it). Makes them a reviewer if they are not one.
   */
  setReviewerState(projectPath: string, iid: number, username: string, state: ReviewerState): void;
  /** Requests received (including failed ones) since the last resetCalls(). */
  readonly calls: number;
  readonly requests: { method: string; path: string }[];
  resetCalls(): void;
  /** Requests and responses that did not match GitLab's documented shapes. */
  readonly violations: string[];
  /** Send project webhooks (Merge Request Hook, Push Hook) to `url` with `X-Gitlab-Token: secret`, as a project hook would. */
  hook(url: string, secret: string): void;
  /** Deliveries sent so far, with the receiver's answer. */
  readonly deliveries: Delivery[];
  close(): Promise<void>;
}

// ---- model -------------------------------------------------------------------

/** A reviewer's review state (https://docs.gitlab.com/api/merge_requests/#get-single-merge-request-reviewers; `requested_changes`: GitLab 17.x+). */
type ReviewerState = 'unreviewed' | 'review_started' | 'reviewed' | 'requested_changes' | 'approved' | 'unapproved';

interface User {
  id: number;
  username: string;
  name: string;
  email: string;
}

interface Note {
  id: number;
  body: string;
  author: User;
  createdAt: string;
  system: boolean;
}

interface Version {
  id: number;
  head: string;
  base: string;
  start: string;
  createdAt: string;
  files: number;
}

interface MergeRequest {
  id: number;
  iid: number;
  title: string;
  description: string;
  source: string;
  target: string;
  author: User;
  state: 'opened' | 'closed' | 'merged';
  labels: string[];
  createdAt: string;
  updatedAt: string;
  mergedBy: User | null;
  mergedAt: string | null;
  mergeCommitSha: string | null;
  closedBy: User | null;
  closedAt: string | null;
  sha: string;
  preparedAt: string | null;
  versions: Version[];
  approvals: Map<string, { user: User; at: string }>;
  /** Reviewers by username, with their review state. */
  reviewers: Map<string, { user: User; state: ReviewerState; createdAt: string }>;
  notes: Note[];
  /** Last merge status computed, for which head and target tip; result null while checking. */
  check: { head: string; target: string | null; result: 'can_be_merged' | 'cannot_be_merged' | null } | null;
  removeSourceBranch: boolean;
}

interface Status {
  id: number;
  sha: string;
  name: string;
  status: (typeof COMMIT_STATUS)[number];
  targetUrl: string | null;
  description: string | null;
  allowFailure: boolean;
  createdAt: string;
  author: User;
}

interface Group {
  id: number;
  path: string;
  createdAt: string;
  members: { user: User; state: 'active' | 'awaiting' }[];
}

interface Project extends FakeProject {
  createdAt: string;
  mrs: Map<number, MergeRequest>;
  nextIid: number;
  statuses: Status[];
  /** Direct members by username. */
  members: Map<string, { user: User; accessLevel: number; createdAt: string }>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(typeof body === 'string' ? body : JSON.stringify(body));
  }
}
const fail = (status: number, message: unknown) => new HttpError(status, { message });
const notFound = (what: string) => fail(404, `404 ${what} Not Found`);

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** One request at a time mutates the model, so concurrent requests see GitLab's atomic checks (one open MR per branch, iids). */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => {});
    return next;
  }
}

// ---- server ------------------------------------------------------------------

export async function startGitLabFake(opts: GitLabFakeOptions): Promise<GitLabFake> {
  const fake = new Fake(opts);
  await fake.listen();
  return fake;
}

class Fake implements GitLabFake {
  url = '';
  readonly violations: string[] = [];
  readonly requests: { method: string; path: string }[] = [];
  readonly deliveries: Delivery[] = [];
  private readonly hooks: { url: string; secret: string }[] = [];
  private readonly server: Server;
  private readonly projects = new Map<number, Project>();
  /** By full path, lower case. */
  private readonly groups = new Map<string, Group>();
  private readonly users = new Map<string, User>();
  private readonly tokens = new Map<string, User>();
  private readonly faults = new Faults();
  private readonly lock = new Mutex();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly openapi = GitLabOpenApi.get();
  private seq = { project: 0, mr: 0, note: 0, version: 0, status: 0, user: 0, group: 0 };
  private lastTime = 0;

  constructor(private readonly opts: GitLabFakeOptions) {
    for (const [token, username] of Object.entries(opts.users)) this.tokens.set(token, this.user(username));
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.violations.push(`fake crashed on ${req.method} ${req.url}: ${String(err)}`);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: '500 Internal Server Error' }));
      });
    });
  }

  hook(url: string, secret: string): void {
    this.hooks.push({ url, secret });
  }

  /** Like GitLab: deliveries go out after the change, each with its own event UUID. */
  private deliver(p: Project, event: 'Merge Request Hook' | 'Push Hook', payload: Record<string, unknown>): void {
    const body = JSON.stringify({ object_kind: event === 'Push Hook' ? 'push' : 'merge_request', ...payload, project: { id: p.id, path_with_namespace: p.path } });
    const action = (payload.object_attributes as { action?: string } | undefined)?.action;
    for (const h of this.hooks) {
      deliver(h.url, { 'x-gitlab-event': event, 'x-gitlab-token': h.secret, 'x-gitlab-event-uuid': randomUUID() }, body, this.deliveries, { event, ...(action ? { action } : {}) });
    }
  }

  private mrHook(p: Project, mr: MergeRequest, action: string): void {
    this.deliver(p, 'Merge Request Hook', {
      object_attributes: { iid: mr.iid, action, state: mr.state, source_branch: mr.source, target_branch: mr.target, source_project_id: p.id, target_project_id: p.id, last_commit: { id: mr.sha } },
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get calls(): number {
    return this.requests.length;
  }

  resetCalls(): void {
    this.requests.length = 0;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.all([...this.projects.values()].map((p) => p.git.cleanup()));
  }

  fail(rule: FaultRule): void {
    this.faults.add(rule);
  }

  async project(path: string, files: Record<string, string>, defaultBranch = 'main'): Promise<FakeProject> {
    const git = await FakeGit.create(files, defaultBranch);
    const id = ++this.seq.project;
    const project: Project = {
      id,
      path,
      git,
      settings: { resetApprovalsOnPush: true, mergeMethod: 'merge', authorCanApprove: true },
      createdAt: this.now(),
      mrs: new Map(),
      nextIid: 1,
      statuses: [],
      members: new Map(),
    };
    this.projects.set(id, project);
    return project;
  }

  setStatus(projectPath: string, sha: string, name: string, state: Status['status'], opts: { allowFailure?: boolean; targetUrl?: string } = {}): void {
    const project = [...this.projects.values()].find((p) => p.path.toLowerCase() === projectPath.toLowerCase());
    if (!project) throw new Error(`no project ${projectPath} in the GitLab fake`);
    project.statuses.push({
      id: ++this.seq.status,
      sha,
      name,
      status: state,
      targetUrl: opts.targetUrl ?? null,
      description: null,
      allowFailure: opts.allowFailure ?? false,
      createdAt: this.now(),
      author: this.user('ci-bot'),
    });
  }

  addGroup(path: string, members: string[], opts: { awaiting?: string[] } = {}): void {
    const clean = path.replace(/^\/+|\/+$/g, '');
    const existing = this.groups.get(clean.toLowerCase());
    this.groups.set(clean.toLowerCase(), {
      id: existing?.id ?? ++this.seq.group,
      path: clean,
      createdAt: existing?.createdAt ?? this.now(),
      members: [
        ...members.map((m) => ({ user: this.user(m), state: 'active' as const })),
        ...(opts.awaiting ?? []).map((m) => ({ user: this.user(m), state: 'awaiting' as const })),
      ],
    });
  }

  addMember(projectPath: string, username: string, accessLevel: number): void {
    const project = this.projectByPath(projectPath);
    project.members.set(username, { user: this.user(username), accessLevel, createdAt: this.now() });
  }

  setReviewerState(projectPath: string, iid: number, username: string, state: ReviewerState): void {
    const mr = this.projectByPath(projectPath).mrs.get(iid);
    if (!mr) throw new Error(`no merge request !${iid} in ${projectPath}`);
    const existing = mr.reviewers.get(username);
    mr.reviewers.set(username, { user: this.user(username), state, createdAt: existing?.createdAt ?? this.now() });
    mr.updatedAt = this.now();
  }

  private projectByPath(projectPath: string): Project {
    const project = [...this.projects.values()].find((p) => p.path.toLowerCase() === projectPath.toLowerCase());
    if (!project) throw new Error(`no project ${projectPath} in the GitLab fake`);
    return project;
  }

  // ---- plumbing --------------------------------------------------------------

  /** Timestamps strictly increase (ms), so event order is never ambiguous. */
  private now(): string {
    this.lastTime = Math.max(Date.now(), this.lastTime + 1);
    return new Date(this.lastTime).toISOString();
  }

  private user(username: string): User {
    let u = this.users.get(username);
    if (!u) {
      u = { id: ++this.seq.user, username, name: username, email: `${username}@users.gitlab.invalid` };
      this.users.set(username, u);
    }
    return u;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push({ method, path: url.pathname });
    const raw = await readBody(req);

    const rule = this.faults.take(method, url.pathname);
    if (rule) {
      if (rule.status === 0) {
        req.socket.destroy();
        return;
      }
      const body = rule.body ?? defaultFaultBody(rule.status);
      // A proxy's 429/502 is text; GitLab's own errors are JSON in its error shape.
      if (typeof body !== 'string' && !isErrorBody(body)) this.violations.push(`injected ${rule.status} body is not a GitLab error body: ${JSON.stringify(body)}`);
      return this.send(res, { status: rule.status, body, headers: rule.headers ?? {} });
    }

    const token = headerValue(req, 'private-token') ?? /^Bearer\s+(.+)$/i.exec(headerValue(req, 'authorization') ?? '')?.[1];
    const viewer = token === undefined ? undefined : this.tokens.get(token);
    if (!viewer) return this.send(res, { status: 401, body: { message: '401 Unauthorized' } });

    if (!url.pathname.startsWith('/api/v4/')) return this.send(res, { status: 404, body: { error: '404 Not Found' } });
    const match = this.openapi.match(method, url.pathname);
    if (!match) {
      this.violations.push(`request to an undocumented endpoint: ${method} ${url.pathname}`);
      return this.send(res, { status: 404, body: { error: '404 Not Found' } });
    }
    const where = `${match.operationId} (${method} ${match.template})`;
    let body: unknown;
    if (raw.length) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return this.send(res, { status: 400, body: { error: 'body is not valid JSON' } });
      }
    }
    const problems = this.openapi.checkRequest(match, url.searchParams, body);
    if (problems.length) {
      this.violations.push(...problems.map((p) => `${where}: ${p}`));
      return this.send(res, { status: 400, body: { error: problems.join('; ') } });
    }
    const name = HANDLERS[match.operationId];
    if (!name) throw new Error(`no handler for ${where}`);
    const iid = match.params.merge_request_iid ?? match.params.noteable_id;
    const params = { ...match.params, ...(iid !== undefined ? { iid } : {}) };

    let reply: Reply;
    try {
      reply = await this.lock.run(() => this.route(name, params, queryObject(url.searchParams), (body ?? {}) as Record<string, unknown>, viewer, url));
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      reply = { status: err.status, body: err.body };
    }
    this.check(match, where, reply);
    return this.send(res, reply);
  }

  /** Record a response that is not what GitLab documents for the operation. */
  private check(match: MatchedOperation, where: string, reply: Reply): void {
    const problems = this.openapi.checkResponse(match, reply.status, reply.status === 204 ? undefined : reply.body);
    this.violations.push(...problems.map((p) => `${where} → ${reply.status}: ${p}`));
  }

  private send(res: ServerResponse, reply: Reply): void {
    const headers: Record<string, string> = { ...(reply.headers ?? {}) };
    let payload = '';
    if (reply.body !== undefined && reply.status !== 204) {
      if (typeof reply.body === 'string') {
        headers['content-type'] ??= 'text/plain; charset=utf-8';
        payload = reply.body;
      } else {
        headers['content-type'] ??= 'application/json';
        payload = JSON.stringify(reply.body);
      }
    }
    res.writeHead(reply.status, headers);
    res.end(payload);
  }

  private route(name: string, params: Record<string, string>, query: Record<string, unknown>, body: Record<string, unknown>, viewer: User, url: URL): Promise<Reply> {
    if (name === 'listAllGroupMembers') return this.listAllGroupMembers(params.id ?? '', query, url);
    if (name === 'getCurrentUser') return Promise.resolve({ status: 200, body: this.currentUserJson(viewer) });
    if (name === 'listUsers') return Promise.resolve(this.listUsers(query, url));
    const p = this.findProject(params.id ?? '');
    const iid = params.iid === undefined ? 0 : Number(params.iid);
    switch (name) {
      case 'getProject':
        return this.projectJson(p).then((body) => ({ status: 200, body }));
      case 'getBranch':
        return this.getBranch(p, params.branch!);
      case 'deleteBranch':
        return this.deleteBranch(p, params.branch!);
      case 'getFile':
        return this.getFile(p, params.file_path!, query.ref as string);
      case 'listTree':
        return this.listTree(p, query, url);
      case 'createCommit':
        return this.createCommit(p, body, viewer);
      case 'getCommit':
        return this.getCommit(p, params.sha!);
      case 'getCommitDiff':
        return this.getCommitDiff(p, params.sha!, query, url);
      case 'listCommitStatuses':
        return this.listStatuses(p, params.sha!, query, url);
      case 'createCommitStatus':
        return this.createStatus(p, params.sha!, body, viewer);
      case 'getProjectMember':
        return Promise.resolve(this.projectMember(p, params.user_id!));
      case 'createMergeRequest':
        return this.createMergeRequest(p, body, viewer);
      case 'listMergeRequests':
        return this.listMergeRequests(p, query, url);
      case 'getMergeRequest':
        return this.withMr(p, iid, async (mr) => ({ status: 200, body: await this.mrJson(p, mr) }));
      case 'updateMergeRequest':
        return this.withMr(p, iid, (mr) => this.updateMergeRequest(p, mr, body, viewer));
      case 'mergeMergeRequest':
        return this.withMr(p, iid, (mr) => this.mergeMergeRequest(p, mr, body, viewer));
      case 'listMergeRequestDiffs':
        return this.withMr(p, iid, (mr) => this.listDiffs(p, mr, query, url));
      case 'listMergeRequestVersions':
        return this.withMr(p, iid, async (mr) => paginate([...mr.versions].reverse().map((v) => this.versionJson(mr, v)), query, url));
      case 'listMergeRequestNotes':
        return this.withMr(p, iid, async (mr) => {
          const sorted = [...mr.notes].sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id - b.id));
          if ((query.sort ?? 'desc') === 'desc') sorted.reverse();
          return paginate(sorted.map((n) => this.noteJson(p, mr, n)), query, url);
        });
      case 'createMergeRequestNote':
        return this.withMr(p, iid, async (mr) => {
          const text = body.body as string;
          if (!text.trim()) throw new HttpError(400, { error: 'body is empty' });
          const n = this.addNote(mr, viewer, text, false);
          mr.updatedAt = n.createdAt;
          return { status: 201, body: this.noteJson(p, mr, n) };
        });
      case 'listMergeRequestReviewers':
        return this.withMr(p, iid, async (mr) => ({
          status: 200,
          body: [...mr.reviewers.values()].map((r) => ({ user: this.userJson(r.user), state: r.state, created_at: r.createdAt })),
        }));
      case 'getMergeRequestApprovals':
        return this.withMr(p, iid, async (mr) => ({ status: 200, body: this.approvalsJson(p, mr, viewer) }));
      case 'approveMergeRequest':
        return this.withMr(p, iid, (mr) => this.approve(p, mr, body, viewer));
      case 'unapproveMergeRequest':
        return this.withMr(p, iid, async (mr) => {
          if (!mr.approvals.has(viewer.username)) throw fail(404, '404 Not Found');
          mr.approvals.delete(viewer.username);
          const asReviewer = mr.reviewers.get(viewer.username);
          if (asReviewer) asReviewer.state = 'unapproved';
          this.addNote(mr, viewer, 'unapproved this merge request', true);
          return { status: 201, body: this.approvalsJson(p, mr, viewer) };
        });
    }
    throw new Error(`no handler for ${name}`);
  }

  private findProject(id: string): Project {
    const p = /^\d+$/.test(id) ? this.projects.get(Number(id)) : [...this.projects.values()].find((x) => x.path.toLowerCase() === id.toLowerCase());
    if (!p) throw notFound('Project');
    return p;
  }

  private async withMr(p: Project, iid: number, fn: (mr: MergeRequest) => Promise<Reply>): Promise<Reply> {
    const mr = p.mrs.get(iid);
    if (!mr) throw fail(404, '404 Not found');
    await this.sync(p, mr);
    return fn(mr);
  }

  // ---- repository ------------------------------------------------------------

  private async getBranch(p: Project, name: string): Promise<Reply> {
    const sha = await p.git.branchSha(name);
    if (!sha) throw notFound('Branch');
    return { status: 200, body: await this.branchJson(p, name, sha) };
  }

  private async deleteBranch(p: Project, name: string): Promise<Reply> {
    if (name === (await p.git.defaultBranch())) throw fail(405, 'Cannot remove HEAD branch');
    if (!(await p.git.branchSha(name))) throw notFound('Branch');
    await p.git.deleteBranch(name);
    return { status: 204 };
  }

  private async getFile(p: Project, path: string, ref: string): Promise<Reply> {
    const sha = await p.git.resolve(ref);
    if (!sha) throw notFound('Commit');
    const entry = await p.git.entry(sha, path);
    if (!entry || entry.type !== 'blob') throw notFound('File');
    const content = Buffer.from(entry.text, 'utf8');
    const last = await p.git.repo.gitBare(['log', '-1', '--format=%H', sha, '--', path]);
    return {
      status: 200,
      body: {
        file_name: path.slice(path.lastIndexOf('/') + 1),
        file_path: path,
        size: content.length,
        encoding: 'base64',
        content: content.toString('base64'),
        content_sha256: createHash('sha256').update(content).digest('hex'),
        ref,
        blob_id: entry.oid,
        commit_id: sha,
        last_commit_id: last,
        execute_filemode: entry.mode === '100755',
      },
    };
  }

  /** Unknown refs and paths that are not a folder at the ref: 404 Tree Not Found (GitLab ≥ 16.5; before, an empty list). */
  private async listTree(p: Project, query: Record<string, unknown>, url: URL): Promise<Reply> {
    const ref = (query.ref as string | undefined) ?? (await p.git.defaultBranch());
    const sha = await p.git.resolve(ref);
    if (!sha) throw notFound('Tree');
    const folder = ((query.path as string | undefined) ?? '').replace(/^\/+|\/+$/g, '');
    if (query.recursive === 'true') throw new HttpError(400, { error: 'recursive listing is not implemented by the fake' });
    const entry = await p.git.entry(sha, folder);
    if (!entry || entry.type !== 'tree') throw notFound('Tree');
    const prefix = folder ? `${folder}/` : '';
    const items = entry.entries.map((e) => ({ id: e.oid, name: e.path, type: e.type as 'tree' | 'blob' | 'commit', path: prefix + e.path, mode: e.mode }));
    return paginate(items, query, url);
  }

  private async createCommit(p: Project, body: Record<string, unknown>, viewer: User): Promise<Reply> {
    const branch = body.branch as string;
    const startSha = body.start_sha as string | undefined;
    const startBranch = body.start_branch as string | undefined;
    const force = body.force === true;
    if (!isValidBranchName(branch)) throw fail(400, 'Branch name is invalid');
    const existing = await p.git.branchSha(branch);
    // A start (another branch or a commit) makes this a commit onto a new branch: refused when it exists, unless forced.
    const fromStart = startSha !== undefined || (startBranch !== undefined && startBranch !== branch);
    if (fromStart && existing && !force) throw fail(400, `A branch called '${branch}' already exists. Switch to that branch in order to make changes`);
    if (!fromStart && !existing) throw fail(400, 'You can only create or edit files when you are on a branch');
    let base: string | null;
    if (startSha !== undefined) {
      base = (await p.git.commit(startSha)) ? startSha : null;
      if (!base) throw fail(400, `Invalid start_sha: ${startSha} is not a commit of this project`);
    } else if (startBranch !== undefined && startBranch !== branch) {
      base = await p.git.branchSha(startBranch);
      if (!base) throw fail(400, `Invalid reference name: ${startBranch}`);
    } else {
      base = existing;
    }

    const changes: FileChange[] = [];
    for (const action of body.actions as CommitAction[]) {
      const path = action.file_path.replace(/^\/+/, '');
      const entry = await p.git.entry(base!, path);
      switch (action.action) {
        case 'create':
          if (entry?.type === 'tree') throw fail(400, 'A directory with this name already exists');
          if (entry) throw fail(400, 'A file with this name already exists');
          break;
        case 'update':
        case 'delete':
          if (entry?.type !== 'blob') throw fail(400, "A file with this name doesn't exist");
          break;
        default:
          throw fail(400, `The fake does not implement the ${action.action} action`);
      }
      const content = action.action === 'delete' ? null : decode(action.content ?? '', action.encoding);
      changes.push({ path, content });
    }
    const author: GitPerson = { name: (body.author_name as string | undefined) ?? viewer.name, email: (body.author_email as string | undefined) ?? viewer.email };
    let sha: string;
    try {
      sha = await p.git.writeCommit(base!, changes, body.commit_message as string, author);
    } catch (err) {
      throw fail(400, (err as Error).message);
    }
    await p.git.setBranch(branch, sha, existing);
    return { status: 201, body: await this.commitJson(p, sha, true) };
  }

  private async getCommit(p: Project, ref: string): Promise<Reply> {
    const sha = await p.git.resolve(ref);
    if (!sha) throw notFound('Commit');
    return { status: 200, body: await this.commitJson(p, sha, true) };
  }

  private async getCommitDiff(p: Project, ref: string, query: Record<string, unknown>, url: URL): Promise<Reply> {
    const sha = await p.git.resolve(ref);
    const commit = sha ? await p.git.commit(sha) : null;
    if (!sha || !commit) throw notFound('Commit');
    // A root commit's diff would need the empty tree; the fake's repositories never ask for one.
    const parent = commit.parents[0];
    const files = parent ? await p.git.changedFiles(parent, sha) : [];
    return paginate(files.map(diffJson), query, url);
  }

  private async listStatuses(p: Project, ref: string, query: Record<string, unknown>, url: URL): Promise<Reply> {
    const sha = await p.git.resolve(ref);
    if (!sha) throw notFound('Commit');
    let list = p.statuses.filter((s) => s.sha === sha);
    if (query.name !== undefined) list = list.filter((s) => s.name === query.name);
    if (query.all !== 'true') {
      const latest = new Map<string, Status>();
      for (const s of list) latest.set(s.name, s);
      list = [...latest.values()];
    }
    list.sort((a, b) => b.id - a.id);
    return paginate(
      list.map((s) => this.statusJson(s)),
      query,
      url,
    );
  }

  /**
   * POST /projects/:id/statuses/:sha (https://docs.gitlab.com/api/commits/#set-the-pipeline-status-of-a-commit):
   * GitLab updates the caller's pending or running status of that name in place
   * (a state machine: pending → pending or running → running is refused with
   * 400), and creates a new status when the last one is finished.
   */
  private async createStatus(p: Project, ref: string, body: Record<string, unknown>, viewer: User): Promise<Reply> {
    const sha = await p.git.resolve(ref);
    if (!sha) throw notFound('Commit');
    const name = (body.name as string | undefined) ?? (body.context as string | undefined) ?? 'default';
    const state = body.state as 'pending' | 'running' | 'success' | 'failed' | 'canceled' | 'skipped';
    const open = p.statuses.findLast((s) => s.sha === sha && s.name === name && s.author.id === viewer.id && (s.status === 'pending' || s.status === 'running'));
    if (open && open.status === state) {
      const event = state === 'pending' ? 'enqueue' : 'run';
      throw fail(400, `Cannot transition status via :${event} from :${open.status} (Reason(s): Status cannot transition via "${event}")`);
    }
    const status: Status = open ?? {
      id: ++this.seq.status,
      sha,
      name,
      status: state,
      targetUrl: null,
      description: null,
      allowFailure: false,
      createdAt: this.now(),
      author: viewer,
    };
    status.status = state;
    if (typeof body.target_url === 'string') status.targetUrl = body.target_url;
    if (typeof body.description === 'string') status.description = body.description;
    if (!open) p.statuses.push(status);
    return { status: 201, body: this.statusJson(status) };
  }

  private statusJson(s: Status) {
    return {
      id: s.id,
      sha: s.sha,
      ref: null,
      status: s.status,
      name: s.name,
      target_url: s.targetUrl,
      description: s.description,
      created_at: s.createdAt,
      started_at: ['running', 'success', 'failed', 'canceled'].includes(s.status) ? s.createdAt : null,
      finished_at: ['success', 'failed', 'canceled'].includes(s.status) ? s.createdAt : null,
      allow_failure: s.allowFailure,
      coverage: null,
      author: this.userJson(s.author),
    };
  }

  /**
   * GET /projects/:id/members/all/:user_id: a direct member, else a member of a
   * group above the project (the closest group wins, as GitLab's effective membership); 404 otherwise.
   */
  private projectMember(p: Project, userId: string): Reply {
    const u = [...this.users.values()].find((x) => String(x.id) === userId);
    const direct = u && p.members.get(u.username);
    let found: { user: User; accessLevel: number; createdAt: string; state: 'active' | 'awaiting' } | undefined = direct ? { ...direct, state: 'active' } : undefined;
    for (let path = p.path.includes('/') ? p.path.slice(0, p.path.lastIndexOf('/')) : ''; u && !found && path; path = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '') {
      const g = this.groups.get(path.toLowerCase());
      const m = g?.members.find((x) => x.user.id === u.id);
      if (g && m) found = { user: m.user, accessLevel: 30, createdAt: g.createdAt, state: m.state };
    }
    if (!found) throw notFound('Member');
    return {
      status: 200,
      body: { ...this.userJson(found.user), created_at: found.createdAt, expires_at: null, access_level: found.accessLevel, group_saml_identity: null, membership_state: found.state },
    };
  }

  /** GET /users?username=: that user (case-insensitive), as a regular user sees others (https://docs.gitlab.com/api/users/#list-users). */
  private listUsers(query: Record<string, unknown>, url: URL): Reply {
    let list = [...this.users.values()];
    if (typeof query.username === 'string') list = list.filter((u) => u.username.toLowerCase() === (query.username as string).toLowerCase());
    if (typeof query.search === 'string') list = list.filter((u) => u.username.includes(query.search as string) || u.name.includes(query.search as string));
    return paginate(list.map((u) => this.userJson(u)), query, url);
  }

  // ---- merge requests --------------------------------------------------------

  private async createMergeRequest(p: Project, body: Record<string, unknown>, viewer: User): Promise<Reply> {
    const source = body.source_branch as string;
    const target = body.target_branch as string;
    if (source === target) throw new HttpError(422, { message: ["You can't use same project/branch for source and target"] });
    const [head, targetTip] = await Promise.all([p.git.branchSha(source), p.git.branchSha(target)]);
    const missing: Record<string, string[]> = {};
    if (!head) missing.source_branch = ['does not exist'];
    if (!targetTip) missing.target_branch = ['does not exist'];
    if (Object.keys(missing).length) throw new HttpError(400, { message: missing });
    const open = [...p.mrs.values()].find((m) => m.state === 'opened' && m.source === source && m.target === target);
    if (open) throw new HttpError(409, { message: [`Another open merge request already exists for this source branch: !${open.iid}`] });

    const at = this.now();
    const mr: MergeRequest = {
      id: ++this.seq.mr,
      iid: p.nextIid++,
      title: body.title as string,
      description: (body.description as string | undefined) ?? '',
      source,
      target,
      author: viewer,
      state: 'opened',
      labels: splitLabels(body.labels as string | undefined),
      createdAt: at,
      updatedAt: at,
      mergedBy: null,
      mergedAt: null,
      mergeCommitSha: null,
      closedBy: null,
      closedAt: null,
      sha: head!,
      preparedAt: null,
      versions: [],
      approvals: new Map(),
      reviewers: new Map(),
      notes: [],
      check: null,
      removeSourceBranch: body.remove_source_branch === true,
    };
    p.mrs.set(mr.iid, mr);
    this.mrHook(p, mr, 'open');
    const prepare = async () => {
      await this.addVersion(p, mr, mr.sha);
      mr.preparedAt = this.now();
    };
    if (this.opts.asyncPrepare) {
      const reply = { status: 201, body: await this.mrJson(p, mr) };
      this.later(prepare);
      return reply;
    }
    await prepare();
    return { status: 201, body: await this.mrJson(p, mr) };
  }

  private async listMergeRequests(p: Project, query: Record<string, unknown>, url: URL): Promise<Reply> {
    const state = (query.state as string | undefined) ?? 'all';
    let list = [...p.mrs.values()];
    for (const mr of list) await this.sync(p, mr);
    list = list.filter(
      (m) =>
        (state === 'all' || m.state === state) &&
        (query.source_branch === undefined || m.source === query.source_branch) &&
        (query.target_branch === undefined || m.target === query.target_branch),
    );
    const key = (query.order_by as string | undefined) ?? 'created_at';
    const value = (m: MergeRequest) => (key === 'updated_at' ? m.updatedAt : key === 'title' ? m.title : key === 'merged_at' ? (m.mergedAt ?? '') : m.createdAt);
    list.sort((a, b) => (value(a) < value(b) ? -1 : value(a) > value(b) ? 1 : a.id - b.id));
    if ((query.sort ?? 'desc') === 'desc') list.reverse();
    const items = [];
    for (const mr of list) items.push(await this.mrListJson(p, mr));
    return paginate(items, query, url);
  }

  private async updateMergeRequest(p: Project, mr: MergeRequest, body: Record<string, unknown>, viewer: User): Promise<Reply> {
    const before = JSON.stringify([mr.state, mr.labels, mr.title, mr.description]);
    if (body.state_event === 'close' && mr.state === 'opened') {
      mr.state = 'closed';
      mr.closedAt = this.now();
      mr.closedBy = viewer;
      this.mrHook(p, mr, 'close');
    } else if (body.state_event === 'reopen' && mr.state === 'closed') {
      const other = [...p.mrs.values()].find((m) => m !== mr && m.state === 'opened' && m.source === mr.source && m.target === mr.target);
      if (other) throw new HttpError(409, { message: [`Another open merge request already exists for this source branch: !${other.iid}`] });
      mr.state = 'opened';
      mr.closedAt = null;
      mr.closedBy = null;
      await this.sync(p, mr);
    }
    if (typeof body.labels === 'string') mr.labels = splitLabels(body.labels);
    if (typeof body.add_labels === 'string') mr.labels = splitLabels([...mr.labels, ...splitLabels(body.add_labels)].join(','));
    if (typeof body.remove_labels === 'string') {
      const gone = new Set(splitLabels(body.remove_labels));
      mr.labels = mr.labels.filter((l) => !gone.has(l));
    }
    if (typeof body.title === 'string') mr.title = body.title;
    if (typeof body.description === 'string') mr.description = body.description;
    if (JSON.stringify([mr.state, mr.labels, mr.title, mr.description]) !== before) mr.updatedAt = this.now();
    return { status: 200, body: await this.mrJson(p, mr) };
  }

  /**
   * PUT .../merge, in GitLab's order: not open or not mergeable → 405, the
   * `sha` guard → 409, then a merge commit (or a fast-forward on `ff` projects)
   * moved onto the target with a compare-and-swap.
   */
  private async mergeMergeRequest(p: Project, mr: MergeRequest, body: Record<string, unknown>, viewer: User): Promise<Reply> {
    if (mr.state !== 'opened') throw fail(405, '405 Method Not Allowed');
    const [head, targetTip] = await Promise.all([p.git.branchSha(mr.source), p.git.branchSha(mr.target)]);
    if (!head || !targetTip) throw fail(405, '405 Method Not Allowed');
    const result = await this.computeCheck(p, mr);
    if (result !== 'can_be_merged') throw fail(405, '405 Method Not Allowed');
    const ff = p.settings.mergeMethod === 'ff';
    if (ff && !(await p.git.isAncestor(targetTip, head))) throw fail(405, '405 Method Not Allowed');
    if (typeof body.sha === 'string' && body.sha !== mr.sha) throw fail(409, `SHA does not match HEAD of source branch: ${mr.sha}`);

    const message =
      (body.merge_commit_message as string | undefined) ??
      `Merge branch '${mr.source}' into '${mr.target}'\n\n${mr.title}\n\nSee merge request ${p.path}!${mr.iid}`;
    let mergeSha = head;
    if (!ff) {
      const merged = await p.git.merge(targetTip, head, message, { name: viewer.name, email: viewer.email }, { fastForward: false });
      if ('conflict' in merged) throw fail(405, '405 Method Not Allowed');
      mergeSha = merged.sha;
    }
    await p.git.setBranch(mr.target, mergeSha, targetTip);
    const at = this.now();
    mr.state = 'merged';
    mr.mergedAt = at;
    mr.mergedBy = viewer;
    mr.mergeCommitSha = ff ? null : mergeSha;
    mr.updatedAt = at;
    if (body.should_remove_source_branch === true || mr.removeSourceBranch) await p.git.deleteBranch(mr.source);
    this.mrHook(p, mr, 'merge');
    this.deliver(p, 'Push Hook', { ref: `refs/heads/${mr.target}`, before: targetTip, after: mergeSha });
    return { status: 200, body: await this.mrJson(p, mr) };
  }

  private async listDiffs(p: Project, mr: MergeRequest, query: Record<string, unknown>, url: URL): Promise<Reply> {
    const version = mr.versions.at(-1);
    const files = version ? await p.git.changedFiles(version.base, version.head) : [];
    return paginate(files.map(diffJson), query, url);
  }

  private async approve(p: Project, mr: MergeRequest, body: Record<string, unknown>, viewer: User): Promise<Reply> {
    // GitLab answers 401 when the user cannot approve: not open, already approved, or the author where authors may not.
    if (!this.canApprove(p, mr, viewer)) throw fail(401, '401 Unauthorized');
    if (typeof body.sha === 'string' && body.sha !== mr.sha) throw fail(409, `SHA does not match HEAD of source branch: ${mr.sha}`);
    const note = this.addNote(mr, viewer, 'approved this merge request', true);
    mr.approvals.set(viewer.username, { user: viewer, at: note.createdAt });
    // An approval is the reviewer's review: it replaces a request for changes.
    const asReviewer = mr.reviewers.get(viewer.username);
    if (asReviewer) asReviewer.state = 'approved';
    return { status: 201, body: this.approvalsJson(p, mr, viewer) };
  }

  private canApprove(p: Project, mr: MergeRequest, viewer: User): boolean {
    return mr.state === 'opened' && !mr.approvals.has(viewer.username) && (p.settings.authorCanApprove || mr.author.username !== viewer.username);
  }

  private addNote(mr: MergeRequest, author: User, body: string, system: boolean): Note {
    const note = { id: ++this.seq.note, body, author, createdAt: this.now(), system };
    mr.notes.push(note);
    return note;
  }

  private async addVersion(p: Project, mr: MergeRequest, head: string): Promise<void> {
    const start = (await p.git.branchSha(mr.target)) ?? mr.versions.at(-1)?.start ?? head;
    const base = (await p.git.mergeBase(start, head)) ?? start;
    const files = (await p.git.changedFiles(base, head)).length;
    mr.versions.push({ id: ++this.seq.version, head, base, start, createdAt: this.now(), files });
  }

  /**
   * What GitLab's post-receive processing does after a push to an MR's source
   * branch, done when the MR is next looked at: a new diff version, a system
   * note, and (reset_approvals_on_push) the approvals dropped.
   */
  private async sync(p: Project, mr: MergeRequest): Promise<void> {
    if (mr.state !== 'opened' || !mr.preparedAt) return;
    const head = await p.git.branchSha(mr.source);
    if (!head || head === mr.sha) return;
    const previous = mr.sha;
    mr.sha = head;
    await this.addVersion(p, mr, head);
    if (p.settings.resetApprovalsOnPush) mr.approvals.clear();
    const added = (await p.git.repo.gitBare(['rev-list', `${previous}..${head}`])).split('\n').filter(Boolean);
    const items = [];
    for (const sha of added.slice(0, 10)) items.push(`<li>${sha.slice(0, 8)} - ${(await p.git.commit(sha))?.message.split('\n')[0] ?? ''}</li>`);
    const note = this.addNote(mr, mr.author, `added ${added.length} commit${added.length === 1 ? '' : 's'}\n\n<ul>${items.join('')}</ul>`, true);
    mr.updatedAt = note.createdAt;
  }

  /** The merge status for the MR's current head and target tip, computed now. */
  private async computeCheck(p: Project, mr: MergeRequest): Promise<'can_be_merged' | 'cannot_be_merged'> {
    const target = await p.git.branchSha(mr.target);
    let result: 'can_be_merged' | 'cannot_be_merged' = 'cannot_be_merged';
    if (target && (await p.git.branchSha(mr.source))) {
      const merged = await p.git.merge(target, mr.sha, 'check', { name: 'GitLab', email: 'gitlab@gitlab.invalid' }, { dryRun: true });
      result = 'conflict' in merged ? 'cannot_be_merged' : 'can_be_merged';
    }
    mr.check = { head: mr.sha, target, result };
    return result;
  }

  /** The merge status as a GET shows it: stale → `checking`, and (asyncMergeCheck) computed in the background. */
  private async mergeStatus(p: Project, mr: MergeRequest): Promise<{ merge_status: string; detailed_merge_status: string; has_conflicts: boolean }> {
    if (mr.state === 'opened') {
      const target = await p.git.branchSha(mr.target);
      if (!mr.check || mr.check.head !== mr.sha || mr.check.target !== target) {
        if (this.opts.asyncMergeCheck === false) {
          await this.computeCheck(p, mr);
        } else {
          mr.check = { head: mr.sha, target, result: null };
          const key = mr.check;
          this.later(async () => {
            if (mr.check === key) await this.computeCheck(p, mr);
          });
        }
      }
    }
    const result = mr.check?.result ?? null;
    const merge_status = result ?? (mr.state === 'opened' ? 'checking' : 'can_be_merged');
    let detailed = 'mergeable';
    if (mr.state !== 'opened') detailed = 'not_open';
    else if (!mr.preparedAt) detailed = 'preparing';
    else if (result === null) detailed = 'checking';
    else if (result === 'cannot_be_merged') detailed = 'conflict';
    else if (p.settings.mergeMethod === 'ff' && !(await p.git.isAncestor((await p.git.branchSha(mr.target)) ?? mr.sha, mr.sha))) detailed = 'need_rebase';
    return { merge_status, detailed_merge_status: detailed, has_conflicts: result === 'cannot_be_merged' };
  }

  /** Run `fn` under the model lock shortly after this request. */
  private later(fn: () => Promise<void>): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.lock.run(fn).catch((err: unknown) => this.violations.push(`fake background task failed: ${String(err)}`));
    }, 5);
    this.timers.add(t);
  }

  // ---- JSON as GitLab renders it ---------------------------------------------

  /** Direct members first, then those of the ancestor groups (a closer membership wins), as members/all lists them. */
  private async listAllGroupMembers(id: string, query: Record<string, unknown>, url: URL): Promise<Reply> {
    const group = /^\d+$/.test(id) ? [...this.groups.values()].find((g) => g.id === Number(id)) : this.groups.get(id.toLowerCase());
    if (!group) throw notFound('Group');
    const seen = new Map<string, { user: User; state: 'active' | 'awaiting'; group: Group }>();
    for (let path = group.path; path; path = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '') {
      const g = this.groups.get(path.toLowerCase());
      for (const m of g?.members ?? []) if (!seen.has(m.user.username)) seen.set(m.user.username, { ...m, group: g! });
    }
    let members = [...seen.values()];
    if (query.state) members = members.filter((m) => m.state === query.state);
    if (typeof query.query === 'string') members = members.filter((m) => m.user.username.includes(query.query as string) || m.user.name.includes(query.query as string));
    return paginate(
      members.map((m) => ({
        ...this.userJson(m.user),
        created_at: m.group.createdAt,
        expires_at: null,
        access_level: 30,
        group_saml_identity: null,
        membership_state: m.state,
      })),
      query,
      url,
    );
  }

  /** GET /user: the token's own user, as a regular (non-administrator) user sees it. */
  private currentUserJson(u: User) {
    const created = '2026-01-01T00:00:00.000Z';
    return {
      ...this.userJson(u),
      email: u.email,
      created_at: created,
      bio: '',
      location: null,
      public_email: null,
      linkedin: '',
      twitter: '',
      discord: '',
      github: '',
      website_url: '',
      organization: '',
      job_title: '',
      pronouns: null,
      bot: false,
      work_information: null,
      followers: 0,
      following: 0,
      local_time: null,
      last_sign_in_at: created,
      confirmed_at: created,
      theme_id: 1,
      last_activity_on: created.slice(0, 10),
      color_scheme_id: 1,
      projects_limit: 100000,
      current_sign_in_at: created,
      identities: [],
      can_create_group: true,
      can_create_project: true,
      two_factor_enabled: false,
      external: false,
      private_profile: false,
      commit_email: u.email,
    };
  }

  private userJson(u: User) {
    return { id: u.id, username: u.username, name: u.name, state: 'active', locked: false, avatar_url: null, web_url: `${this.url}/${u.username}` };
  }

  private async projectJson(p: Project) {
    const namespace = p.path.includes('/') ? p.path.slice(0, p.path.lastIndexOf('/')) : p.path;
    const name = p.path.slice(p.path.lastIndexOf('/') + 1);
    return {
      id: p.id,
      description: null,
      name,
      name_with_namespace: p.path.split('/').join(' / '),
      path: name,
      path_with_namespace: p.path,
      created_at: p.createdAt,
      default_branch: await p.git.defaultBranch(),
      ssh_url_to_repo: `git@${new URL(this.url).host}:${p.path}.git`,
      http_url_to_repo: `${this.url}/${p.path}.git`,
      web_url: `${this.url}/${p.path}`,
      visibility: 'private',
      empty_repo: false,
      archived: false,
      last_activity_at: p.createdAt,
      merge_method: p.settings.mergeMethod,
      squash_option: 'default_off',
      only_allow_merge_if_pipeline_succeeds: false,
      remove_source_branch_after_merge: true,
      namespace: {
        id: 1000 + p.id,
        name: namespace.slice(namespace.lastIndexOf('/') + 1),
        path: namespace.slice(namespace.lastIndexOf('/') + 1),
        kind: 'group',
        full_path: namespace,
        parent_id: null,
        avatar_url: null,
        web_url: `${this.url}/groups/${namespace}`,
      },
    };
  }

  private async commitJson(p: Project, sha: string, detail: boolean) {
    const c = (await p.git.commit(sha))!;
    const at = new Date(c.author.timestamp * 1000).toISOString();
    const base = {
      id: sha,
      short_id: sha.slice(0, 8),
      created_at: at,
      parent_ids: c.parents,
      title: c.message.split('\n')[0] ?? '',
      message: c.message,
      author_name: c.author.name,
      author_email: c.author.email,
      authored_date: at,
      committer_name: c.author.name,
      committer_email: c.author.email,
      committed_date: at,
      trailers: {},
      extended_trailers: {},
      web_url: `${this.url}/${p.path}/-/commit/${sha}`,
    };
    return detail ? { ...base, status: null, project_id: p.id, last_pipeline: null } : base;
  }

  private async branchJson(p: Project, name: string, sha: string) {
    const isDefault = name === (await p.git.defaultBranch());
    const { status: _s, project_id: _p, last_pipeline: _l, ...commit } = (await this.commitJson(p, sha, true)) as Record<string, unknown>;
    return {
      name,
      merged: false,
      protected: isDefault,
      default: isDefault,
      developers_can_push: false,
      developers_can_merge: false,
      can_push: true,
      web_url: `${this.url}/${p.path}/-/tree/${name}`,
      commit,
    };
  }

  private async mrListJson(p: Project, mr: MergeRequest) {
    const u = (x: User | null) => (x ? this.userJson(x) : null);
    return {
      id: mr.id,
      iid: mr.iid,
      project_id: p.id,
      title: mr.title,
      description: mr.description,
      state: mr.state,
      created_at: mr.createdAt,
      updated_at: mr.updatedAt,
      merged_by: u(mr.mergedBy),
      merge_user: u(mr.mergedBy),
      merged_at: mr.mergedAt,
      prepared_at: mr.preparedAt,
      closed_by: u(mr.closedBy),
      closed_at: mr.closedAt,
      target_branch: mr.target,
      source_branch: mr.source,
      user_notes_count: mr.notes.filter((n) => !n.system).length,
      upvotes: 0,
      downvotes: 0,
      author: this.userJson(mr.author),
      assignees: [],
      assignee: null,
      reviewers: [...mr.reviewers.values()].map((r) => this.userJson(r.user)),
      source_project_id: p.id,
      target_project_id: p.id,
      labels: mr.labels,
      draft: false,
      work_in_progress: false,
      milestone: null,
      merge_when_pipeline_succeeds: false,
      ...(await this.mergeStatus(p, mr)),
      sha: mr.sha,
      merge_commit_sha: mr.mergeCommitSha,
      squash_commit_sha: null,
      discussion_locked: null,
      should_remove_source_branch: null,
      force_remove_source_branch: mr.removeSourceBranch,
      reference: `!${mr.iid}`,
      references: { short: `!${mr.iid}`, relative: `!${mr.iid}`, full: `${p.path}!${mr.iid}` },
      web_url: `${this.url}/${p.path}/-/merge_requests/${mr.iid}`,
      time_stats: { time_estimate: 0, total_time_spent: 0, human_time_estimate: null, human_total_time_spent: null },
      squash: false,
      squash_on_merge: false,
      task_completion_status: { count: 0, completed_count: 0 },
      blocking_discussions_resolved: true,
      approvals_before_merge: null,
    };
  }

  private async mrJson(p: Project, mr: MergeRequest) {
    const version = mr.preparedAt ? mr.versions.at(-1) : undefined;
    return {
      ...(await this.mrListJson(p, mr)),
      subscribed: false,
      changes_count: version ? String(version.files) : null,
      latest_build_started_at: null,
      latest_build_finished_at: null,
      first_deployed_to_production_at: null,
      pipeline: null,
      head_pipeline: null,
      diff_refs: version ? { base_sha: version.base, head_sha: version.head, start_sha: version.start } : null,
      merge_error: null,
      first_contribution: false,
      user: { can_merge: true },
    };
  }

  private versionJson(mr: MergeRequest, v: Version) {
    return {
      id: v.id,
      head_commit_sha: v.head,
      base_commit_sha: v.base,
      start_commit_sha: v.start,
      created_at: v.createdAt,
      merge_request_id: mr.id,
      state: 'collected',
      real_size: String(v.files),
      patch_id_sha: null,
    };
  }

  private noteJson(p: Project, mr: MergeRequest, n: Note) {
    return {
      id: n.id,
      type: null,
      body: n.body,
      author: this.userJson(n.author),
      created_at: n.createdAt,
      updated_at: n.createdAt,
      system: n.system,
      noteable_id: mr.id,
      noteable_type: 'MergeRequest',
      project_id: p.id,
      noteable_iid: mr.iid,
      resolvable: false,
      confidential: false,
      internal: false,
    };
  }

  /**
   * GET .../approvals, POST .../approve and .../unapprove, as openapi_v2.yaml
   * documents them (API_Entities_MergeRequestApprovals): who approved, and when.
   * The approval rules and counts are GET .../approval_state.
   */
  private approvalsJson(p: Project, mr: MergeRequest, viewer: User) {
    return {
      user_has_approved: mr.approvals.has(viewer.username),
      user_can_approve: this.canApprove(p, mr, viewer),
      approved: true,
      approved_by: [...mr.approvals.values()].map((a) => ({ user: this.userJson(a.user), ...(this.opts.approvalTimes === false ? {} : { approved_at: a.at }) })),
    };
  }

}

// ---- helpers -------------------------------------------------------------------

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Query parameters; `name[]` (Rails arrays, as qs writes them) become arrays under `name`. */
function queryObject(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of params) {
    if (key.endsWith('[]')) {
      const k = key.slice(0, -2);
      out[k] = [...((out[k] as string[] | undefined) ?? []), value];
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** Offset pagination with GitLab's headers (x-page, x-next-page, ..., Link). https://docs.gitlab.com/api/rest/#pagination */
function paginate<T>(items: T[], query: Record<string, unknown>, url: URL): Reply {
  const perPage = Math.min(Math.max(Number(query.per_page ?? 20) || 20, 1), 100);
  const totalPages = Math.max(Math.ceil(items.length / perPage), 1);
  const page = Math.max(Number(query.page ?? 1) || 1, 1);
  const link = (n: number) => {
    const u = new URL(url.href);
    u.searchParams.set('page', String(n));
    u.searchParams.set('per_page', String(perPage));
    return u.href;
  };
  const rels = [
    ...(page > 1 ? [`<${link(page - 1)}>; rel="prev"`] : []),
    ...(page < totalPages ? [`<${link(page + 1)}>; rel="next"`] : []),
    `<${link(1)}>; rel="first"`,
    `<${link(totalPages)}>; rel="last"`,
  ];
  return {
    status: 200,
    body: items.slice((page - 1) * perPage, page * perPage),
    headers: {
      'x-page': String(page),
      'x-per-page': String(perPage),
      'x-total': String(items.length),
      'x-total-pages': String(totalPages),
      'x-next-page': page < totalPages ? String(page + 1) : '',
      'x-prev-page': page > 1 ? String(page - 1) : '',
      link: rels.join(', '),
    },
  };
}

/** A diff entry as GitLab renders one: the unified diff's hunks, without file headers. */
function diffJson(f: { path: string; before: string | null; after: string | null }) {
  const patch = createTwoFilesPatch(f.path, f.path, f.before ?? '', f.after ?? '');
  const at = patch.indexOf('\n@@');
  return {
    old_path: f.path,
    new_path: f.path,
    a_mode: f.before === null ? '0' : '100644',
    b_mode: f.after === null ? '0' : '100644',
    diff: at >= 0 ? patch.slice(at + 1) : '',
    new_file: f.before === null,
    renamed_file: false,
    deleted_file: f.after === null,
    generated_file: false,
  };
}

function splitLabels(labels: string | undefined): string[] {
  return [...new Set((labels ?? '').split(',').map((l) => l.trim()).filter(Boolean))].sort();
}

function decode(content: string, encoding: 'text' | 'base64' | undefined): string {
  return encoding === 'base64' ? Buffer.from(content, 'base64').toString('utf8') : content;
}

/** What GitLab (or the proxy in front of it) answers with for a fault. */
function defaultFaultBody(status: number): unknown {
  switch (status) {
    case 401:
      return { message: '401 Unauthorized' };
    case 403:
      return { message: '403 Forbidden' };
    case 404:
      return { message: '404 Project Not Found' };
    case 409:
      return { message: 'Conflict' };
    case 429:
      return 'Retry later\n';
    case 502:
      return '<html><body><h1>502 Bad Gateway</h1></body></html>';
    default:
      return { message: `${status} Error` };
  }
}
