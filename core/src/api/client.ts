/**
 * Typed client of the Platform API, used by the CLI (and later the Backstage
 * frontend). Type-only imports of the contract: loading this module costs no
 * zod or yaml, which keeps `idp` start-up fast.
 */
import type {
  ActivityList,
  ChangePlan,
  CloneEnvironmentRequest,
  ComponentInfo,
  ResolveContextRequest,
  ResolvedContext,
  CreateEnvironmentRequest,
  DestroyEnvironmentRequest,
  EnvironmentList,
  ExtendEnvironmentRequest,
  SetVariablesRequest,
  VariableList,
  Health,
  PromoteReleaseRequest,
  PullDiff,
  PullList,
  ReleaseDetail,
  ReleaseList,
  RepoRef,
  RollbackReleaseRequest,
  CreateReleaseRequest,
  ReviewRequest,
  ReviewResult,
  CheckRequest,
  SecretList,
  SetSecretRequest,
  LogsQuery,
  LogList,
  LogTailQuery,
  LogTailEvent,
  MetricsQueryParams,
  MetricsView,
  WorkflowStatus,
} from './contract.js';
import type { PullRequest, PullRequestState } from '../pulls.js';
export { API_BASE_PATH, DEFAULT_API_URL } from './paths.js';
import { errorFromBody, IdpError, type ErrorBody } from '../errors.js';

/** The server could not be reached at all (not running, wrong URL). */
export class UnreachableError extends Error {
  constructor(readonly url: string, cause: unknown) {
    super(`Cannot reach the idp Platform API at ${url}. Start it with \`npm start\` in the idp repository, or point IDP_API_URL at a running one.`, { cause });
    this.name = 'UnreachableError';
  }
}

/** Tokens travel only over https, or over http to this machine (the embedded stack). */
export function safeForTokens(url: URL): boolean {
  if (url.protocol === 'https:') return true;
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return url.protocol === 'http:' && (host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host));
}

export interface ClientOptions {
  /** The Platform API, e.g. http://127.0.0.1:7007/api/idp; or a function that finds it (Backstage: discoveryApi.getBaseUrl). */
  baseUrl: string | (() => Promise<string>);
  /** Acting user on the standalone API (IDP_USER or git config user.email); not sent by a caller with an identity token. */
  user?: string;
  /**
   * Bearer token: a string, or a function asked once, on the first request (the CLI's stored login, refreshed
   * when it is about to expire, so commands that send nothing never touch the network for it).
   */
  token?: string | (() => Promise<string>);
  /** What the token is called in messages, e.g. "your token (IDP_TOKEN)"; default "your API token (IDP_API_TOKEN)". */
  tokenName?: string;
  /**
   * The person's own GitHub/GitLab token, sent only with PR actions (review,
   * merge, close) so the forge records and authorizes them rather than idp's
   * service account, and with release requests, so the server can tell their
   * forge login (their own approval of their release does not count).
   */
  forgeToken?: string;
  fetch?: typeof fetch;
  /**
   * The Idempotency-Key of this client's POSTs (default: a new one per request). A caller that is itself retried (a
   * Scaffolder step: its task and step ids) passes one derived from what it is, so its retry is the same request.
   */
  idempotencyKey?: string;
  /**
   * A backend calling another over the address Backstage's discovery gave it (its own network): the token goes over
   * http there too, as Backstage's own plugin-to-plugin calls do. Never for an address a person typed.
   */
  internal?: boolean;
  /** How many times a 503 with Retry-After is retried (default 4), waiting what the server asks (at most 30 s each). */
  retries?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** What a request that starts a workflow answers: its status, or with `dryRun: true` the plan (nothing written; a caller whose dryRun is a variable tells them apart by `'dryRun' in answer`). */
export type Started<R> = R extends { dryRun: true } ? ChangePlan : WorkflowStatus;

/** Who the server takes the caller for (GET /whoami): an entity ref, and every name four-eyes knows them by. */
export interface Caller {
  id: string;
  kind: 'user' | 'service';
  aliases: string[];
  /** The caller's forge logins as the identity provider vouches for them (Backstage: the User entity's annotations). */
  forgeLogins?: Partial<Record<'github' | 'gitlab', string>>;
}

const MAX_RETRY_AFTER_S = 30;

/** Retry-After as seconds (delay-seconds or an HTTP date), or undefined when absent or unreadable. */
function retryAfterSeconds(value: string | null): number | undefined {
  if (value === null) return undefined;
  const seconds = /^\d+$/.test(value.trim()) ? Number(value) : (Date.parse(value) - Date.now()) / 1000;
  return Number.isFinite(seconds) ? Math.min(Math.max(seconds, 0), MAX_RETRY_AFTER_S) : undefined;
}

/** Query values as strings, the unset ones left out. */
function stringQuery(q: object): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(q as Record<string, string | number | undefined>).map(([k, v]) => [k, v === undefined ? undefined : String(v)]));
}

/** A base URL given as a string, or found when first needed (Backstage's discovery API answers asynchronously). */
function resolveBaseUrl(opts: ClientOptions): Promise<string> {
  return typeof opts.baseUrl === 'string' ? Promise.resolve(opts.baseUrl) : opts.baseUrl();
}

export class PlatformClient {
  private baseUrl?: string;
  private token?: Promise<string>;
  constructor(private readonly opts: ClientOptions) {
    if (typeof opts.baseUrl === 'string') this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
  }

  /** The response of one request, after its 503 retries; transport failures are UnreachableError. */
  private async request(method: string, path: string, body?: unknown, query?: Record<string, string | undefined>, signal?: AbortSignal, accept = 'application/json'): Promise<Response> {
    this.baseUrl ??= (await resolveBaseUrl(this.opts)).replace(/\/+$/, '');
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const headers: Record<string, string> = { accept };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.opts.user) headers['x-idp-user'] = this.opts.user;
    // PR actions act as the person; a release request tells the server who requests it (four eyes).
    const forgeToken = this.opts.forgeToken && method === 'POST' && (path.startsWith('/pulls/') || path.startsWith('/releases'));
    if ((this.opts.token || forgeToken) && !this.opts.internal && !safeForTokens(url)) {
      throw new IdpError(
        'invalid_request',
        400,
        `Refusing to send ${this.opts.token ? (this.opts.tokenName ?? 'your API token (IDP_API_TOKEN)') : 'your forge token (GITHUB_TOKEN/GITLAB_TOKEN)'} over plain http to ${url.host}: anyone on the way could read it. Use an https:// IDP_API_URL (or --api).`,
      );
    }
    // Checked before the token is even read: a stored login is not refreshed for a request that would be refused.
    if (this.opts.token) {
      const { token } = this.opts;
      this.token ??= typeof token === 'string' ? Promise.resolve(token) : token();
      headers.authorization = `Bearer ${await this.token}`;
    }
    if (forgeToken) headers['x-idp-forge-token'] = this.opts.forgeToken!;
    // One key per request, the same on every retry: the server records a request sent twice once.
    if (method === 'POST' || method === 'DELETE') headers['idempotency-key'] = this.opts.idempotencyKey ?? globalThis.crypto.randomUUID();
    const retries = this.opts.retries ?? 4;
    let res: Response;
    for (let attempt = 0; ; attempt++) {
      try {
        res = await (this.opts.fetch ?? fetch)(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
      } catch (e) {
        throw new UnreachableError(this.baseUrl, e);
      }
      // 503 with Retry-After: the server did not record the request and says when to try again.
      const after = res.status === 503 ? retryAfterSeconds(res.headers.get('retry-after')) : undefined;
      if (after === undefined || attempt >= retries) break;
      await res.body?.cancel();
      await (this.opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms))))(after * 1000);
    }
    return res;
  }

  private async call<T>(method: string, path: string, body?: unknown, query?: Record<string, string | undefined>, signal?: AbortSignal): Promise<T> {
    return this.parse<T>(await this.request(method, path, body, query, signal));
  }

  /** A JSON answer, or the IdpError its error body describes. */
  private async parse<T>(res: Response): Promise<T> {
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      throw new IdpError('internal', res.status, `The server at ${this.baseUrl} answered ${res.status} with something that is not JSON; is IDP_API_URL an idp Platform API?`);
    }
    if (!res.ok) {
      if (parsed && typeof parsed === 'object' && 'error' in parsed) throw errorFromBody(parsed as ErrorBody);
      throw new IdpError('internal', res.status, `The server answered ${res.status} ${res.statusText}.`);
    }
    return parsed as T;
  }

  private static repoQuery(r: RepoRef) {
    return { repo: r.repo, path: r.path };
  }

  health(): Promise<Health> {
    return this.call('GET', '/health');
  }
  /** Backstage only: the catalog entity a working copy is (POST /context/resolve). */
  resolveContext(req: ResolveContextRequest): Promise<ResolvedContext> {
    return this.call('POST', '/context/resolve', req);
  }
  whoami(): Promise<Caller> {
    return this.call('GET', '/whoami');
  }
  component(r: RepoRef): Promise<ComponentInfo> {
    return this.call('GET', '/component', undefined, PlatformClient.repoQuery(r));
  }
  listEnvironments(r: RepoRef): Promise<EnvironmentList> {
    return this.call('GET', '/environments', undefined, PlatformClient.repoQuery(r));
  }
  cloneEnvironment<R extends CloneEnvironmentRequest>(source: string, req: R): Promise<Started<R>> {
    return this.call('POST', `/environments/${encodeURIComponent(source)}/clone`, req);
  }
  createEnvironment<R extends CreateEnvironmentRequest>(req: R): Promise<Started<R>> {
    return this.call('POST', '/environments', req);
  }
  destroyEnvironment<R extends DestroyEnvironmentRequest>(env: string, req: R): Promise<Started<R>> {
    return this.call('POST', `/environments/${encodeURIComponent(env)}/destroy`, req);
  }
  listVariables(r: RepoRef, env: string): Promise<VariableList> {
    return this.call('GET', `/environments/${encodeURIComponent(env)}/variables`, undefined, PlatformClient.repoQuery(r));
  }
  setVariables<R extends SetVariablesRequest>(env: string, req: R): Promise<Started<R>> {
    return this.call('POST', `/environments/${encodeURIComponent(env)}/variables`, req);
  }
  extendEnvironment<R extends ExtendEnvironmentRequest>(env: string, req: R): Promise<Started<R>> {
    return this.call('POST', `/environments/${encodeURIComponent(env)}/extend`, req);
  }
  /** The environment's secrets (references, versions, stores, existence — never values); `check`: also whether each resolves. */
  listSecrets(r: RepoRef, env: string, opts: { check?: boolean } = {}): Promise<SecretList> {
    return this.call('GET', `/environments/${encodeURIComponent(env)}/secrets`, undefined, { ...PlatformClient.repoQuery(r), check: opts.check ? 'true' : undefined });
  }
  /** Sets a secret: `value` (sent once, to the store) or `ref` [+ `version`] of an existing secret; a PR pins the reference. */
  setSecret<R extends SetSecretRequest>(env: string, key: string, req: R): Promise<Started<R>> {
    return this.call('POST', `/environments/${encodeURIComponent(env)}/secrets/${encodeURIComponent(key)}`, req);
  }
  /** A PR removing the key's reference from the environment (the stored value is kept). */
  unsetSecret<R extends RepoRef & { dryRun?: boolean }>(env: string, key: string, req: R): Promise<Started<R>> {
    return this.call('DELETE', `/environments/${encodeURIComponent(env)}/secrets/${encodeURIComponent(key)}`, undefined, { ...PlatformClient.repoQuery(req), dryRun: req.dryRun ? 'true' : undefined });
  }
  /** The environment's newest lines (`idp logs`), oldest first. */
  logs(r: RepoRef, env: string, q: Omit<LogsQuery, 'repo' | 'path'> = {}, signal?: AbortSignal): Promise<LogList> {
    return this.call('GET', `/environments/${encodeURIComponent(env)}/logs`, undefined, { ...PlatformClient.repoQuery(r), ...stringQuery(q) }, signal);
  }
  /**
   * Follows the environment's lines: the events of one connection to GET /logs/tail, as they arrive. It ends when the
   * server ends the stream or the connection breaks (UnreachableError); the caller reconnects with the last cursor.
   */
  async *tailLogs(r: RepoRef, env: string, q: Omit<LogTailQuery, 'repo' | 'path'> = {}, signal?: AbortSignal): AsyncGenerator<LogTailEvent> {
    const res = await this.request('GET', `/environments/${encodeURIComponent(env)}/logs/tail`, undefined, { ...PlatformClient.repoQuery(r), ...stringQuery(q) }, signal, 'application/x-ndjson');
    if (!res.ok || !res.body) return void (await this.parse(res));
    const decoder = new TextDecoder();
    let buffered = '';
    // A reader, not `for await` over the body: Safari's ReadableStream is not async-iterable (the Logs tab runs there).
    const reader = res.body.getReader();
    try {
      for (;;) {
        const { done, value: chunk } = await reader.read();
        if (done) break;
        buffered += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line) yield JSON.parse(line) as LogTailEvent;
        }
      }
    } catch (e) {
      if (signal?.aborted) return;
      throw new UnreachableError(this.baseUrl!, e);
    } finally {
      // The consumer stopped early (broke out of its loop): let the connection go.
      reader.cancel().catch(() => undefined);
    }
  }
  /** Request rate, error rate, p95 latency, CPU and memory of the environment over a range (`idp metrics`). */
  metrics(r: RepoRef, env: string, q: Omit<MetricsQueryParams, 'repo' | 'path'> = {}): Promise<MetricsView> {
    return this.call('GET', `/environments/${encodeURIComponent(env)}/metrics`, undefined, { ...PlatformClient.repoQuery(r), ...stringQuery(q) });
  }
  /** With waitSeconds, the server holds the request until the workflow closes (or leaves `sincePhase`) or the time is up. */
  /** `signal` ends a long poll the caller no longer needs (a page that moved on): the server's held request is released. */
  workflow(id: string, waitSeconds?: number, sincePhase?: WorkflowStatus['phase'], signal?: AbortSignal): Promise<WorkflowStatus> {
    return this.call('GET', `/workflows/${encodeURIComponent(id)}`, undefined, { wait: waitSeconds?.toString(), phase: sincePhase }, signal);
  }
  listReleases(r: RepoRef): Promise<ReleaseList> {
    return this.call('GET', '/releases', undefined, PlatformClient.repoQuery(r));
  }
  createRelease<R extends CreateReleaseRequest>(req: R): Promise<Started<R>> {
    return this.call('POST', '/releases', req);
  }
  promoteRelease<R extends PromoteReleaseRequest>(req: R): Promise<Started<R>> {
    return this.call('POST', '/releases/promote', req);
  }
  rollbackRelease<R extends RollbackReleaseRequest>(req: R): Promise<Started<R>> {
    return this.call('POST', '/releases/rollback', req);
  }
  release(r: RepoRef, env: string, number: number): Promise<ReleaseDetail> {
    return this.call('GET', `/releases/${encodeURIComponent(env)}/${number}`, undefined, PlatformClient.repoQuery(r));
  }
  /** The component's idp workflows (newest first) and idp's PRs that no listed workflow follows: GET /activity. */
  activity(r: RepoRef, opts: { limit?: number } = {}): Promise<ActivityList> {
    return this.call('GET', '/activity', undefined, { ...PlatformClient.repoQuery(r), limit: opts.limit?.toString() });
  }
  /** The newest `limit` (server default and ceiling: 100) PRs that match: the first page of pullsPage. */
  async listPulls(r: RepoRef, state?: PullRequestState | 'all', limit?: number): Promise<PullRequest[]> {
    return (await this.pullsPage(r, { state, limit })).pulls;
  }
  /** One page of the PRs that match, newest first (page 1 by default); ask for `nextPage` next, until it is absent. */
  pullsPage(r: RepoRef, opts: { state?: PullRequestState | 'all'; limit?: number; page?: number } = {}): Promise<PullList> {
    return this.call('GET', '/pulls', undefined, { ...PlatformClient.repoQuery(r), state: opts.state, limit: opts.limit?.toString(), page: opts.page?.toString() });
  }
  pull(r: RepoRef, n: number): Promise<PullRequest> {
    return this.call('GET', `/pulls/${n}`, undefined, PlatformClient.repoQuery(r));
  }
  diff(r: RepoRef, n: number): Promise<PullDiff> {
    return this.call('GET', `/pulls/${n}/diff`, undefined, PlatformClient.repoQuery(r));
  }
  /** The PR, with a `note` when, on a release PR, this review does not count (and why). */
  review(n: number, req: ReviewRequest): Promise<ReviewResult> {
    return this.call('POST', `/pulls/${n}/reviews`, req);
  }
  /** Local forge only: report a check on the PR's head, as CI would. */
  check(n: number, req: CheckRequest): Promise<PullRequest> {
    return this.call('POST', `/pulls/${n}/checks`, req);
  }
  merge(n: number, r: RepoRef): Promise<PullRequest> {
    return this.call('POST', `/pulls/${n}/merge`, r);
  }
  close(n: number, r: RepoRef): Promise<PullRequest> {
    return this.call('POST', `/pulls/${n}/close`, r);
  }
}
