/**
 * An in-process GitHub for tests: a node:http server that the real octokit
 * client talks to over HTTP, REST and GraphQL, backed by real git repositories
 * on disk (FakeGit).
 *
 * It cannot drift from GitHub silently:
 *  - every REST request and response is validated against GitHub's published
 *    OpenAPI description (github-openapi.ts); a request to an undocumented
 *    endpoint or with an undocumented parameter is answered 404/422, and any
 *    violation is recorded in `violations` (tests assert it stays empty);
 *  - GraphQL documents are executed by graphql-js against GitHub's published
 *    schema (@octokit/graphql-schema), which rejects unknown fields/arguments
 *    and checks every value the resolvers return against the schema's types.
 *
 * Faults a real GitHub produces are injected with `fail()`: 5xx, 429/403 rate
 * limits with Retry-After or x-ratelimit-reset, 401/403/404, 409/422.
 */
import { createHash, createHmac, createVerify, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GitHubOpenApi, type MatchedOperation } from './github-openapi.js';
import { FakeGit } from './fake-git.js';
import { deliver, Faults, readBody, type Delivery, type FaultRule } from './fake-http.js';
import { executeGraphql } from './github-fake-graphql.js';
import * as json from './github-fake-json.js';
import { basicAuthToken, gitHttpPath, serveGitHttp } from './git-http.js';
import { atLeast, PUBLISH_OPERATIONS, publishRoute, roleOn, type RouteResult } from './github-fake-publish.js';

export interface FakeUser {
  login: string;
  id: number;
  /** An organization (addOrg) rather than a user account. */
  type?: 'Organization';
}

export interface FakeReview {
  id: number;
  user: FakeUser;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED';
  body: string;
  commitId: string;
  submittedAt: string;
}

export interface FakeComment {
  id: number;
  user: FakeUser;
  body: string;
  createdAt: string;
}

export interface FakePull {
  number: number;
  id: number;
  title: string;
  body: string;
  head: string;
  base: string;
  /** Head commit while open follows the branch; frozen when closed or merged. */
  headSha: string;
  /** Base branch tip when the PR was opened or last synchronized. */
  baseSha: string;
  state: 'open' | 'closed';
  merged: boolean;
  mergedAt?: string;
  mergedBy?: FakeUser;
  mergeSha?: string;
  closedAt?: string;
  closedBy?: FakeUser;
  user: FakeUser;
  labels: string[];
  createdAt: string;
  updatedAt: string;
  reviews: FakeReview[];
  comments: FakeComment[];
}

export interface FakeStatus {
  id: number;
  context: string;
  state: 'pending' | 'success' | 'failure' | 'error';
  description: string | null;
  targetUrl: string | null;
  createdAt: string;
  updatedAt: string;
  /** Who set it through POST /statuses (a CI system set with setStatus() has none). */
  creator?: FakeUser;
}

/** GitHub's built-in repository roles, weakest first. */
export type BaseRole = 'read' | 'triage' | 'write' | 'maintain' | 'admin';
/** A collaborator's role: built in, or an organization's custom role, which inherits a base role. */
export type CollaboratorRole = BaseRole | { name: string; base: BaseRole };

export interface FakeCheckRun {
  id: number;
  name: string;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: 'success' | 'failure' | 'neutral' | 'cancelled' | 'skipped' | 'timed_out' | 'action_required' | null;
  startedAt: string;
  completedAt: string | null;
}

export interface FakeRepo {
  id: number;
  owner: FakeUser;
  name: string;
  fullName: string;
  git: FakeGit;
  defaultBranch: string;
  pulls: Map<number, FakePull>;
  nextNumber: number;
  statuses: Map<string, FakeStatus[]>;
  checkRuns: Map<string, FakeCheckRun[]>;
  /** Collaborators by login (lower case) with their role; the owner is an admin without being listed. */
  collaborators: Map<string, CollaboratorRole>;
  /** Set when created through the API (POST /orgs/{org}/repos, /user/repos); else a private repository without description. */
  description?: string | null;
  visibility?: 'private' | 'public' | 'internal';
  /** Branch protection settings by branch, as PUT …/branches/{branch}/protection received them. */
  protectedBranches?: Map<string, Record<string, unknown>>;
  /** Serializes mutations of this repository (GitHub serializes PR creation per head, ref updates per ref). */
  lock: <T>(fn: () => Promise<T>) => Promise<T>;
}

export interface GitHubFake {
  /** API base URL to give octokit (`baseUrl`); GraphQL is at `${url}/graphql`. */
  url: string;
  /** Create a repository owned by `owner` holding `files` on `defaultBranch`. */
  createRepo(fullName: string, files: Record<string, string>, defaultBranch?: string): Promise<FakeRepo>;
  repo(fullName: string): FakeRepo;
  /** Add a user with a token; returns the user. */
  addUser(login: string, token: string): FakeUser;
  /**
   * Define organization `login` with these member logins: GET /users/{login} says Organization, its members may
   * create repositories in it (POST /orgs/{org}/repos) and administer them, push to them included.
   */
  addOrg(login: string, members: string[]): FakeUser;
  /** Register a GitHub App (its public key verifies the JWTs it signs) installed as `installationId`. */
  addApp(app: { appId: number; slug: string; publicKey: string; installationId: number }): void;
  /** Installation tokens handed out so far. */
  installationTokens: string[];
  /** Answer the next matching request(s) with an error instead. */
  fail(rule: FaultRule): void;
  /**
   * A CI system reporting a commit status, stored as POST /statuses stores it
   * but without the `status` delivery that endpoint sends (tests send it themselves).
   */
  setStatus(fullName: string, sha: string, context: string, state: FakeStatus['state']): void;
  setCheckRun(fullName: string, sha: string, name: string, status: FakeCheckRun['status'], conclusion?: FakeCheckRun['conclusion']): void;
  /**
   * Define (or redefine) team `slug` of organization `org` with these member
   * logins, served at GET /orgs/{org}/teams/{team_slug}/members. An org with no
   * team (a repository owner that is a user) answers 404 there, as GitHub does.
   */
  addTeam(org: string, slug: string, members: string[]): void;
  /**
   * Make `login` a collaborator of `fullName` with `role` (null: no longer a
   * collaborator), as the repository's access settings do; served at
   * GET /repos/{owner}/{repo}/collaborators/{username}/permission.
   */
  setCollaborator(fullName: string, login: string, role: CollaboratorRole | null): void;
  /** Every request received, as "METHOD /path" (GraphQL: "POST /graphql <operation>"). */
  requests: string[];
  /** Schema violations of requests or responses; must stay empty. */
  violations: string[];
  /** Send webhook deliveries (signed with `secret`) to `url`, as a repository webhook would. */
  hook(url: string, secret: string): void;
  /** Deliveries sent so far, with the receiver's answer. */
  deliveries: Delivery[];
  close(): Promise<void>;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

let ids = 1000;
export const nextId = () => ++ids;
export const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

export async function startGitHubFake(opts: { users?: Record<string, string> } = {}): Promise<GitHubFake> {
  const openapi = GitHubOpenApi.get();
  const usersByToken = new Map<string, FakeUser>();
  const usersByLogin = new Map<string, FakeUser>();
  const repos = new Map<string, FakeRepo>();
  /** "org/slug" (lower case) → the team's member logins. */
  const teams = new Map<string, string[]>();
  /** Organization login (lower case) → member logins (lower case). */
  const orgs = new Map<string, Set<string>>();
  const apps = new Map<number, { appId: number; slug: string; publicKey: string; installationId: number }>();
  const installationTokens: string[] = [];
  const faults = new Faults();
  const requests: string[] = [];
  const violations: string[] = [];
  const deliveries: Delivery[] = [];
  const hooks: { url: string; secret: string }[] = [];
  let baseUrl = '';

  /** Like GitHub: deliveries go out after the change, signed, each with a unique delivery id. */
  function deliverAll(repo: FakeRepo, event: string, payload: Record<string, unknown>): void {
    const body = JSON.stringify({ ...payload, repository: { id: repo.id, full_name: repo.fullName, name: repo.name, owner: { login: repo.owner.login } } });
    for (const h of hooks) {
      const signature = `sha256=${createHmac('sha256', h.secret).update(body).digest('hex')}`;
      deliver(h.url, { 'x-github-event': event, 'x-github-delivery': randomUUID(), 'x-hub-signature-256': signature }, body, deliveries, {
        event,
        ...(typeof payload.action === 'string' ? { action: payload.action } : {}),
      });
    }
  }
  const pullPayload = (repo: FakeRepo, p: FakePull) => ({
    number: p.number,
    state: p.state,
    merged: p.merged,
    head: { ref: p.head, sha: p.headSha, repo: { id: repo.id } },
    base: { ref: p.base, sha: p.baseSha, repo: { id: repo.id } },
  });

  const addUser = (login: string, token: string): FakeUser => {
    const user = usersByLogin.get(login) ?? { login, id: nextId() };
    usersByLogin.set(login, user);
    usersByToken.set(token, user);
    return user;
  };
  for (const [token, login] of Object.entries(opts.users ?? {})) addUser(login, token);

  const ctx = {
    get url() {
      return baseUrl;
    },
    repos,
    usersByLogin,
    teams,
    orgs,
    findRepo(owner: string, name: string): FakeRepo | undefined {
      return repos.get(`${owner}/${name}`.toLowerCase());
    },
    addRepo(owner: FakeUser, name: string, git: FakeGit, defaultBranch: string, settings: Pick<FakeRepo, 'description' | 'visibility'> = {}): FakeRepo {
      let chain: Promise<unknown> = Promise.resolve();
      const repo: FakeRepo = {
        id: nextId(),
        owner,
        name,
        fullName: `${owner.login}/${name}`,
        git,
        defaultBranch,
        pulls: new Map(),
        nextNumber: 1,
        statuses: new Map(),
        checkRuns: new Map(),
        collaborators: new Map(),
        ...settings,
        lock: <T>(fn: () => Promise<T>) => {
          const run = chain.then(fn, fn);
          chain = run.catch(() => undefined);
          return run;
        },
      };
      repos.set(repo.fullName.toLowerCase(), repo);
      return repo;
    },
  };
  type Ctx = typeof ctx;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    const gitPath = gitHttpPath(url.pathname);
    if (gitPath) return gitRequest(req, res, url, method, raw, gitPath);
    let body: unknown;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return send(res, 400, { message: 'Problems parsing JSON', documentation_url: 'https://docs.github.com/rest' });
      }
    }
    const isGraphql = method === 'POST' && url.pathname === '/graphql';
    requests.push(isGraphql ? `POST /graphql ${operationName(body)}` : `${method} ${url.pathname}`);

    const fault = faults.take(method, url.pathname);
    if (fault) {
      if (fault.status === 0) {
        req.socket.destroy();
        return;
      }
      const errBody = fault.body ?? { message: `Injected ${fault.status}`, documentation_url: 'https://docs.github.com/rest' };
      return send(res, fault.status, errBody, fault.headers);
    }

    const auth = req.headers.authorization ?? '';
    const token = /^(?:token|bearer)\s+(.+)$/i.exec(auth)?.[1];
    if (token && token.split('.').length === 3 && url.pathname.startsWith('/app/')) {
      return appRequest(res, method, url, body, token);
    }
    const user = token ? usersByToken.get(token) : undefined;
    if (!user) {
      return send(res, 401, { message: token ? 'Bad credentials' : 'Requires authentication', documentation_url: 'https://docs.github.com/rest', status: '401' });
    }

    if (isGraphql) {
      const result = await executeGraphql(ctx as never, user, body);
      return send(res, 200, result);
    }

    const matched = openapi.match(method, url.pathname);
    if (!matched) {
      violations.push(`${method} ${url.pathname}: not a documented GitHub endpoint`);
      return send(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' });
    }
    const requestProblems = openapi.checkRequest(method, matched, url.searchParams, body);
    if (requestProblems.length > 0) {
      violations.push(...requestProblems.map((p) => `${method} ${matched.template}: ${p}`));
      return send(res, 422, { message: 'Invalid request.', errors: requestProblems, documentation_url: 'https://docs.github.com/rest', status: '422' });
    }
    let status: number;
    let out: unknown;
    let headers: Record<string, string> = {};
    let rawOut: Buffer | undefined;
    try {
      ({ status, body: out, headers = {}, raw: rawOut } = PUBLISH_OPERATIONS.has(matched.operationId)
        ? await publishRoute(ctx, user, matched, url.searchParams, body, req.headers)
        : ((await route(ctx, user, matched, url.searchParams, body)) as RouteResult));
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      status = err.status;
      out = { message: err.message, documentation_url: 'https://docs.github.com/rest', status: String(err.status), ...err.extra };
      headers = err.headers;
    }
    const documented = openapi.checkResponse(method, matched, status, out);
    // Errors GitHub sends on every endpoint (401, 404, 409, 422...) are not always listed per operation; they are basic errors.
    const problems = documented.length > 0 && status >= 400 ? basicErrorProblems(out) : documented;
    if (problems.length > 0) violations.push(...problems.map((p) => `${method} ${matched.template} → ${status}: ${p}`));
    // A raw media type (Accept: application/vnd.github.raw) sends the file itself; its JSON form was checked above.
    if (rawOut) return sendRaw(res, status, rawOut, headers);
    return send(res, status, out, headers);
  }

  /**
   * Git over smart HTTP at the `clone_url` the API hands out, served by the real `git http-backend`. As GitHub:
   * without credentials 401 with a Basic challenge (git clients then send the token), a repository the user cannot
   * see is "not found", a push needs write access.
   */
  async function gitRequest(req: IncomingMessage, res: ServerResponse, url: URL, method: string, body: Buffer, path: NonNullable<ReturnType<typeof gitHttpPath>>): Promise<void> {
    requests.push(`${method} ${url.pathname}`);
    const token = basicAuthToken(req.headers);
    const user = token ? usersByToken.get(token) : undefined;
    if (!user) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="GitHub"', 'content-type': 'text/plain' });
      return void res.end(token ? 'Invalid username or token. Password authentication is not supported for Git operations.\n' : 'Authentication required\n');
    }
    const repo = ctx.findRepo(path.owner, path.name);
    const role = repo ? roleOn(ctx, repo, user) : null;
    if (!repo || !role) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return void res.end('Repository not found.\n');
    }
    const pushing = path.service === '/git-receive-pack' || url.searchParams.get('service') === 'git-receive-pack';
    if (pushing && !atLeast(role, 'write')) {
      res.writeHead(403, { 'content-type': 'text/plain' });
      return void res.end(`Permission to ${repo.fullName}.git denied to ${user.login}.\n`);
    }
    await repo.lock(() => serveGitHttp(res, { method, service: path.service, query: url.search.slice(1), headers: req.headers, body }, repo.git.gitdir, user.login));
  }

  /** GitHub App endpoints, authenticated with the app's RS256 JWT (what @octokit/auth-app sends). */
  function appRequest(res: ServerResponse, method: string, url: URL, body: unknown, jwt: string): void {
    const matched = openapi.match(method, url.pathname);
    if (!matched || matched.operationId !== 'apps/create-installation-access-token') {
      return send(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
    }
    const problems = openapi.checkRequest(method, matched, url.searchParams, body);
    if (problems.length) violations.push(...problems);
    const [h = '', p = '', sig = ''] = jwt.split('.');
    let claims: { iss?: string | number; exp?: number; iat?: number } = {};
    try {
      claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    } catch {
      /* unreadable: refused below */
    }
    const app = apps.get(Number(claims.iss));
    const valid =
      app !== undefined &&
      createVerify('RSA-SHA256').update(`${h}.${p}`).verify(app.publicKey, Buffer.from(sig, 'base64url')) &&
      typeof claims.exp === 'number' && claims.exp > Date.now() / 1000 && claims.exp - (claims.iat ?? 0) <= 600;
    if (!valid) {
      const out = { message: 'A JSON web token could not be decoded', documentation_url: 'https://docs.github.com/rest' };
      return send(res, 401, out);
    }
    if (Number(matched.params.installation_id) !== app.installationId) {
      return send(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' });
    }
    const token = `ghs_${randomUUID().replace(/-/g, '')}`;
    installationTokens.push(token);
    addUser(`${app.slug}[bot]`, token);
    const out = { token, expires_at: new Date(Date.now() + 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'), permissions: { contents: 'write', pull_requests: 'write' }, repository_selection: 'all' };
    const bad = openapi.checkResponse(method, matched, 201, out);
    if (bad.length) violations.push(...bad);
    return send(res, 201, out);
  }

  function findOrThrow(fullName: string): FakeRepo {
    const r = repos.get(fullName.toLowerCase());
    if (!r) throw new Error(`no fake repo ${fullName}`);
    return r;
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      violations.push(`fake crashed on ${req.method} ${req.url}: ${err instanceof Error ? err.stack : String(err)}`);
      if (!res.headersSent) send(res, 500, { message: 'Server Error' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: baseUrl,
    requests,
    violations,
    deliveries,
    addUser,
    addOrg(login, members) {
      const org = usersByLogin.get(login) ?? { login, id: nextId() };
      org.type = 'Organization';
      usersByLogin.set(login, org);
      orgs.set(login.toLowerCase(), new Set(members.map((m) => m.toLowerCase())));
      return org;
    },
    installationTokens,
    addApp(app) {
      apps.set(app.appId, app);
    },
    hook(url, secret) {
      hooks.push({ url, secret });
    },
    async createRepo(fullName, files, defaultBranch = 'main') {
      const [ownerLogin, name] = fullName.split('/') as [string, string];
      const owner = usersByLogin.get(ownerLogin) ?? { login: ownerLogin, id: nextId() };
      usersByLogin.set(ownerLogin, owner);
      return ctx.addRepo(owner, name, await FakeGit.create(files, defaultBranch), defaultBranch);
    },
    repo: findOrThrow,
    fail(rule) {
      faults.add(rule);
    },
    setStatus(fullName, sha, context, state) {
      const repo = findOrThrow(fullName);
      const list = repo.statuses.get(sha) ?? [];
      const t = now();
      // GitHub keeps every status; the combined view shows the latest per context.
      list.push({ id: nextId(), context, state, description: null, targetUrl: `https://ci.example.com/${context}`, createdAt: t, updatedAt: t });
      repo.statuses.set(sha, list);
    },
    setCollaborator(fullName, login, role) {
      const repo = findOrThrow(fullName);
      if (!usersByLogin.has(login)) usersByLogin.set(login, { login, id: nextId() });
      if (role === null) repo.collaborators.delete(login.toLowerCase());
      else repo.collaborators.set(login.toLowerCase(), role);
    },
    addTeam(org, slug, members) {
      for (const login of members) if (!usersByLogin.has(login)) usersByLogin.set(login, { login, id: nextId() });
      teams.set(`${org}/${slug}`.toLowerCase(), [...members]);
    },
    setCheckRun(fullName, sha, name, status, conclusion = null) {
      const repo = findOrThrow(fullName);
      const list = (repo.checkRuns.get(sha) ?? []).filter((c) => c.name !== name);
      list.push({ id: nextId(), name, status, conclusion, startedAt: now(), completedAt: status === 'completed' ? now() : null });
      repo.checkRuns.set(sha, list);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...repos.values()].map((r) => r.git.cleanup()));
    },
  };

  // ---- REST ------------------------------------------------------------------

  async function route(ctx: Ctx, user: FakeUser, m: MatchedOperation, query: URLSearchParams, body: unknown): Promise<{ status: number; body?: unknown; headers?: Record<string, string> }> {
    if (m.operationId === 'users/get-authenticated') {
      // An installation token acts as an app, not a user: GitHub refuses it here.
      if (user.login.endsWith('[bot]')) throw new HttpError(403, 'Resource not accessible by integration');
      return { status: 200, body: json.privateUser(ctx.url, user) };
    }
    if (m.operationId === 'teams/list-members-in-org') {
      // Secret teams and teams of other orgs are 404 to outsiders too; the fake does not model visibility.
      const members = ctx.teams.get(`${m.params.org}/${m.params.team_slug}`.toLowerCase());
      if (!members) throw new HttpError(404, 'Not Found');
      const path = `/orgs/${encodeURIComponent(m.params.org ?? '')}/teams/${encodeURIComponent(m.params.team_slug ?? '')}/members`;
      return paginated(ctx.url, path, query, members.map((login) => json.simpleUser(ctx.url, ctx.usersByLogin.get(login)!)));
    }
    const repo = ctx.findRepo(m.params.owner ?? '', m.params.repo ?? '');
    if (!repo) throw new HttpError(404, 'Not Found');
    const input = (body ?? {}) as Record<string, unknown>;
    const pull = () => {
      const n = Number(m.params.pull_number ?? m.params.issue_number);
      const p = repo.pulls.get(n);
      if (!p) throw new HttpError(404, 'Not Found');
      return p;
    };
    const J = json.builders(ctx.url, repo);
    switch (m.operationId) {
      case 'pulls/create':
        return repo.lock(async () => {
          const head = String(input.head).replace(new RegExp(`^${repo.owner.login}:`, 'i'), '');
          const base = String(input.base);
          const headSha = await repo.git.branchSha(head);
          const baseSha = await repo.git.branchSha(base);
          if (!headSha || !baseSha) {
            throw new HttpError(422, 'Validation Failed', { errors: [{ resource: 'PullRequest', field: headSha ? 'base' : 'head', code: 'invalid' }] });
          }
          if ([...repo.pulls.values()].some((p) => p.state === 'open' && p.head === head && p.base === base)) {
            throw new HttpError(422, 'Validation Failed', {
              errors: [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${repo.owner.login}:${head}.` }],
            });
          }
          if (headSha === baseSha || (await repo.git.isAncestor(headSha, baseSha))) {
            throw new HttpError(422, 'Validation Failed', { errors: [{ resource: 'PullRequest', code: 'custom', message: `No commits between ${base} and ${head}` }] });
          }
          const t = now();
          const p: FakePull = {
            number: repo.nextNumber++,
            id: nextId(),
            title: String(input.title ?? head),
            body: typeof input.body === 'string' ? input.body : '',
            head,
            base,
            headSha,
            baseSha,
            state: 'open',
            merged: false,
            user,
            labels: [],
            createdAt: t,
            updatedAt: t,
            reviews: [],
            comments: [],
          };
          repo.pulls.set(p.number, p);
          deliverAll(repo, 'pull_request', { action: 'opened', number: p.number, pull_request: pullPayload(repo, p) });
          return { status: 201, body: J.pullRequest(await live(repo, p)) };
        });

      case 'pulls/update':
        return repo.lock(async () => {
          const p = await live(repo, pull());
          if (input.state === 'closed' && p.state === 'open') {
            Object.assign(p, { state: 'closed', closedAt: now(), closedBy: user, updatedAt: now() });
            deliverAll(repo, 'pull_request', { action: 'closed', number: p.number, pull_request: pullPayload(repo, p) });
          }
          if (typeof input.title === 'string') p.title = input.title;
          if (typeof input.body === 'string') p.body = input.body;
          return { status: 200, body: J.pullRequest(p) };
        });

      case 'issues/add-labels':
        return repo.lock(async () => {
          const p = pull();
          const names = (Array.isArray(input.labels) ? input.labels : []).map((l) => (typeof l === 'string' ? l : String((l as { name: string }).name)));
          p.labels = [...new Set([...p.labels, ...names])];
          p.updatedAt = now();
          return { status: 200, body: p.labels.map((l) => J.label(l)) };
        });

      case 'issues/create-comment': {
        const p = pull();
        const c: FakeComment = { id: nextId(), user, body: String(input.body), createdAt: now() };
        p.comments.push(c);
        p.updatedAt = c.createdAt;
        return { status: 201, body: J.issueComment(p, c) };
      }

      case 'pulls/create-review':
        return repo.lock(async () => {
          const p = await live(repo, pull());
          const event = String(input.event ?? 'COMMENT');
          const state = event === 'APPROVE' ? 'APPROVED' : event === 'REQUEST_CHANGES' ? 'CHANGES_REQUESTED' : 'COMMENTED';
          if (state !== 'COMMENTED' && p.user.id === user.id) {
            throw new HttpError(422, 'Unprocessable Entity', { errors: [`Can not ${state === 'APPROVED' ? 'approve' : 'request changes on'} your own pull request`] });
          }
          if (state !== 'APPROVED' && !input.body) throw new HttpError(422, 'Unprocessable Entity', { errors: ['Body is required for this event'] });
          if (p.state !== 'open') throw new HttpError(422, 'Unprocessable Entity', { errors: ['Can not review a closed pull request'] });
          const commitId = typeof input.commit_id === 'string' ? input.commit_id : p.headSha;
          const r: FakeReview = { id: nextId(), user, state, body: String(input.body ?? ''), commitId, submittedAt: now() };
          p.reviews.push(r);
          p.updatedAt = r.submittedAt;
          deliverAll(repo, 'pull_request_review', { action: 'submitted', review: { id: r.id, state: r.state.toLowerCase(), commit_id: r.commitId }, pull_request: pullPayload(repo, p) });
          return { status: 200, body: J.review(p, r) };
        });

      case 'pulls/list': {
        // https://docs.github.com/rest/pulls/pulls#list-pull-requests: state open|closed|all (closed includes merged),
        // sort created (default) or updated, direction defaulting to desc for created; paged with per_page/page.
        const sort = query.get('sort') ?? 'created';
        if (sort !== 'created' && sort !== 'updated') throw new HttpError(422, `The fake does not model sort=${sort}.`);
        const state = query.get('state') ?? 'open';
        const head = query.get('head');
        const base = query.get('base');
        const list = (await Promise.all([...repo.pulls.values()].map((p) => live(repo, p)))).filter(
          (p) => (state === 'all' || p.state === state) && (!head || `${repo.owner.login}:${p.head}`.toLowerCase() === head.toLowerCase()) && (!base || p.base === base),
        );
        // Numbers grow with creation time, so created order is number order.
        const key = (p: FakePull) => (sort === 'updated' ? p.updatedAt : '');
        list.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.number - b.number));
        if ((query.get('direction') ?? (sort === 'created' ? 'desc' : 'asc')) === 'desc') list.reverse();
        return paginated(ctx.url, `/repos/${repo.fullName}/pulls`, query, list.map((p) => J.pullRequestSimple(p)));
      }

      case 'pulls/list-reviews': {
        const p = pull();
        return { status: 200, body: p.reviews.map((r) => J.review(p, r)) };
      }

      case 'pulls/dismiss-review':
        return repo.lock(async () => {
          const p = pull();
          const r = p.reviews.find((x) => x.id === Number(m.params.review_id));
          if (!r) throw new HttpError(404, 'Not Found');
          if (r.state !== 'APPROVED' && r.state !== 'CHANGES_REQUESTED') throw new HttpError(422, 'Can not dismiss a commented pull request review');
          r.state = 'DISMISSED';
          r.body = String(input.message ?? r.body);
          p.updatedAt = now();
          return { status: 200, body: J.review(p, r) };
        });

      case 'pulls/merge':
        return repo.lock(async () => {
          const p = await live(repo, pull());
          if (p.merged || p.state !== 'open') throw new HttpError(405, 'Pull Request is not mergeable');
          if (typeof input.sha === 'string' && input.sha !== p.headSha) throw new HttpError(409, 'Head branch was modified. Review and try the merge again.');
          const baseTip = await repo.git.branchSha(p.base);
          if (!baseTip) throw new HttpError(405, 'Base branch was deleted');
          const title = typeof input.commit_title === 'string' ? input.commit_title : `Merge pull request #${p.number} from ${repo.owner.login}/${p.head}`;
          const message = typeof input.commit_message === 'string' ? `${title}\n\n${input.commit_message}` : `${title}\n\n${p.title}`;
          // GitHub's merge method "merge" always writes a merge commit.
          const result = await repo.git.merge(baseTip, p.headSha, message, { name: user.login, email: `${user.id}+${user.login}@users.noreply.github.com` }, { fastForward: false });
          if ('conflict' in result) throw new HttpError(405, 'Pull Request is not mergeable');
          await repo.git.setBranch(p.base, result.sha, baseTip);
          Object.assign(p, { merged: true, state: 'closed', mergedAt: now(), closedAt: now(), mergedBy: user, mergeSha: result.sha, updatedAt: now() });
          deliverAll(repo, 'pull_request', { action: 'closed', number: p.number, pull_request: pullPayload(repo, p) });
          deliverAll(repo, 'push', { ref: `refs/heads/${p.base}`, before: baseTip, after: result.sha, deleted: false });
          return { status: 200, body: { sha: result.sha, merged: true, message: 'Pull Request successfully merged' } };
        });

      case 'pulls/list-files': {
        const p = await live(repo, pull());
        const baseTip = (await repo.git.branchSha(p.base)) ?? p.baseSha;
        const from = (await repo.git.mergeBase(baseTip, p.headSha)) ?? p.baseSha;
        const files = await repo.git.changedFiles(from, p.headSha);
        return { status: 200, body: files.map((f) => J.diffEntry(f, p.headSha)) };
      }

      case 'repos/compare-commits-with-basehead': {
        const [baseRef = '', headRef = ''] = (m.params.basehead ?? '').split('...');
        const [base, head] = [await repo.git.resolve(baseRef), await repo.git.resolve(headRef)];
        if (!base || !head) throw new HttpError(404, 'Not Found');
        const mergeBase = (await repo.git.mergeBase(base, head)) ?? base;
        const [ahead, behind] = [await countCommits(repo.git, mergeBase, head), await countCommits(repo.git, mergeBase, base)];
        const status = ahead === 0 && behind === 0 ? 'identical' : behind === 0 ? 'ahead' : ahead === 0 ? 'behind' : 'diverged';
        return { status: 200, body: await J.comparison({ base, head, mergeBase, status, ahead, behind }) };
      }

      case 'repos/get-collaborator-permission-level': {
        // https://docs.github.com/rest/collaborators/collaborators#get-repository-permissions-for-a-user
        // A user who is not a collaborator of this (private) repository, or no user at all: 404.
        const login = (m.params.username ?? '').toLowerCase();
        const who = [...ctx.usersByLogin.values()].find((u) => u.login.toLowerCase() === login);
        const role: CollaboratorRole | undefined = who && who.id === repo.owner.id ? 'admin' : repo.collaborators.get(login);
        if (!who || !role) throw new HttpError(404, 'Not Found');
        return { status: 200, body: J.collaboratorPermission(who, role) };
      }

      case 'repos/create-commit-status':
        return repo.lock(async () => {
          // https://docs.github.com/rest/commits/statuses#create-a-commit-status
          const sha = m.params.sha ?? '';
          if (!/^[0-9a-f]{40}$/i.test(sha) || !(await repo.git.commit(sha.toLowerCase()))) throw new HttpError(422, `No commit found for SHA: ${sha}`);
          const description = typeof input.description === 'string' ? input.description : null;
          if (description !== null && [...description].length > 140) {
            throw new HttpError(422, 'Validation Failed', { errors: [{ resource: 'Status', code: 'custom', field: 'description', message: 'description is too long (maximum is 140 characters)' }] });
          }
          const t = now();
          const s: FakeStatus = {
            id: nextId(),
            context: typeof input.context === 'string' ? input.context : 'default',
            state: input.state as FakeStatus['state'],
            description,
            targetUrl: typeof input.target_url === 'string' ? input.target_url : null,
            createdAt: t,
            updatedAt: t,
            creator: user,
          };
          // GitHub keeps every status (up to 1000 per context); the combined view shows the latest per context.
          repo.statuses.set(sha.toLowerCase(), [...(repo.statuses.get(sha.toLowerCase()) ?? []), s]);
          // The `status` event names the branches holding the commit; the fake knows PR heads and the default branch.
          const branches: { name: string; commit: { sha: string; url: string }; protected: boolean }[] = [];
          for (const name of [repo.defaultBranch, ...[...repo.pulls.values()].filter((p) => p.state === 'open').map((p) => p.head)]) {
            if (branches.length < 10 && !branches.some((b) => b.name === name) && (await repo.git.branchSha(name)) === sha.toLowerCase()) {
              branches.push({ name, commit: { sha: sha.toLowerCase(), url: `${ctx.url}/repos/${repo.fullName}/commits/${sha.toLowerCase()}` }, protected: false });
            }
          }
          deliverAll(repo, 'status', {
            id: s.id, sha: sha.toLowerCase(), name: repo.fullName, target_url: s.targetUrl, context: s.context, description: s.description, state: s.state,
            commit: { sha: sha.toLowerCase() }, branches, created_at: s.createdAt, updated_at: s.updatedAt, sender: { login: user.login },
          });
          return { status: 201, body: J.status(sha.toLowerCase(), s) };
        });

      case 'repos/get-combined-status-for-ref': {
        const sha = await repo.git.resolve(m.params.ref ?? '');
        if (!sha) throw new HttpError(404, `No commit found for SHA: ${m.params.ref}`);
        const latest = new Map<string, FakeStatus>();
        for (const s of repo.statuses.get(sha) ?? []) latest.set(s.context, s);
        return { status: 200, body: J.combinedStatus(sha, [...latest.values()]) };
      }

      case 'checks/list-for-ref': {
        const sha = await repo.git.resolve(m.params.ref ?? '');
        if (!sha) throw new HttpError(422, `No commit found for SHA: ${m.params.ref}`);
        const runs = repo.checkRuns.get(sha) ?? [];
        return { status: 200, body: { total_count: runs.length, check_runs: runs.map((r) => J.checkRun(sha, r)) } };
      }

      case 'git/delete-ref':
        return repo.lock(async () => {
          const ref = m.params.ref ?? '';
          const branch = ref.replace(/^heads\//, '');
          if (!ref.startsWith('heads/') || !(await repo.git.branchSha(branch))) throw new HttpError(422, 'Reference does not exist');
          await repo.git.deleteBranch(branch);
          return { status: 204 };
        });

      case 'git/create-tree': {
        const baseTree = typeof input.base_tree === 'string' ? input.base_tree : null;
        if (!baseTree) throw new HttpError(422, 'base_tree is required by this fake (idp always sends it)');
        const entries = (input.tree as { path: string; content?: string; sha?: string | null }[]) ?? [];
        const sha = await repo.git.writeTree(
          baseTree,
          entries.map((e) => ({ path: e.path, content: e.sha === null ? null : (e.content ?? '') })),
        );
        return { status: 201, body: await J.gitTree(sha) };
      }

      case 'git/create-commit': {
        const parents = (input.parents as string[] | undefined) ?? [];
        for (const parent of parents) if (!(await repo.git.commit(parent))) throw new HttpError(422, `Parent SHA ${parent} does not exist`);
        const author = (input.author as { name: string; email: string } | undefined) ?? { name: user.login, email: `${user.id}+${user.login}@users.noreply.github.com` };
        const sha = await repo.git.writeCommitWithTree(String(input.tree), parents, String(input.message), author);
        return { status: 201, body: await J.gitCommit(sha) };
      }

      default:
        violations.push(`${m.operationId} (${m.template}) is documented but this fake does not implement it`);
        throw new HttpError(501, `Not implemented by the fake: ${m.operationId}`);
    }
  }
}

/** One page of a list (per_page default 30, at most 100) with GitHub's Link header, which octokit's paginate() follows. */
function paginated<T>(api: string, path: string, query: URLSearchParams, items: T[]): { status: number; body: T[]; headers: Record<string, string> } {
  const perPage = Math.min(Math.max(Number(query.get('per_page') ?? 30) || 30, 1), 100);
  const page = Math.max(Number(query.get('page') ?? 1) || 1, 1);
  const last = Math.max(Math.ceil(items.length / perPage), 1);
  const link = (n: number, rel: string) => {
    const q = new URLSearchParams(query);
    q.set('per_page', String(perPage));
    q.set('page', String(n));
    return `<${api}${path}?${q}>; rel="${rel}"`;
  };
  const rels = [...(page > 1 ? [link(page - 1, 'prev'), link(1, 'first')] : []), ...(page < last ? [link(page + 1, 'next'), link(last, 'last')] : [])];
  return { status: 200, body: items.slice((page - 1) * perPage, page * perPage), headers: rels.length ? { link: rels.join(', ') } : {} };
}

/** An open PR follows its branch; a push to it is a `synchronize`. */
export async function live(repo: FakeRepo, p: FakePull): Promise<FakePull> {
  if (p.state !== 'open') return p;
  const head = await repo.git.branchSha(p.head);
  if (head && head !== p.headSha) {
    p.headSha = head;
    p.baseSha = (await repo.git.branchSha(p.base)) ?? p.baseSha;
    p.updatedAt = now();
  }
  return p;
}

async function countCommits(git: FakeGit, from: string, to: string): Promise<number> {
  let n = 0;
  const seen = new Set<string>();
  const queue = [to];
  while (queue.length > 0) {
    const sha = queue.pop()!;
    if (seen.has(sha) || sha === from || (await git.isAncestor(sha, from))) continue;
    seen.add(sha);
    n += 1;
    queue.push(...((await git.commit(sha))?.parents ?? []));
  }
  return n;
}

function operationName(body: unknown): string {
  const query = (body as { query?: string } | undefined)?.query ?? '';
  return /(query|mutation)\s+(\w+)/.exec(query)?.[2] ?? /(query|mutation)/.exec(query)?.[1] ?? 'anonymous';
}

function basicErrorProblems(body: unknown): string[] {
  const b = body as { message?: unknown };
  return typeof b?.message === 'string' ? [] : ['error body has no message (GitHub basic-error)'];
}

function sendRaw(res: ServerResponse, status: number, body: Buffer, headers: Record<string, string>): void {
  res.writeHead(status, { 'content-type': 'application/vnd.github.raw; charset=utf-8', 'x-github-request-id': randomUUID(), ...headers });
  res.end(body);
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}),
    'x-github-request-id': randomUUID(),
    'x-ratelimit-limit': '5000',
    'x-ratelimit-remaining': '4999',
    'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
    ...headers,
  });
  res.end(text);
}

/** GitHub's node ids are opaque strings; ours encode the type and database id. */
export function nodeId(type: string, id: number | string): string {
  return `${type}_${Buffer.from(String(id)).toString('base64url')}`;
}

export function gravatar(login: string): string {
  return createHash('md5').update(login).digest('hex');
}
