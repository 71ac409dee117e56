/**
 * The Platform API as an express router: mounted at /api/idp by the standalone
 * server (server.ts) and, later, by the Backstage backend plugin — one router,
 * one contract (core/src/api/contract.ts), whichever process serves it.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { WithStartWorkflowOperation, WorkflowUpdateFailedError, ApplicationFailure, isGrpcServiceError, type Client } from '@temporalio/client';
import {
  CloneEnvironmentRequest,
  CreateEnvironmentRequest,
  DestroyEnvironmentRequest,
  ExtendEnvironmentRequest,
  ListSecretsQuery,
  SetSecretRequest,
  UnsetSecretQuery,
  SetVariablesRequest,
  LogsQuery,
  LogTailQuery,
  MetricsQueryParams,
  PullActionRequest,
  CheckRequest,
  ListPullsQuery,
  RepoRef,
  ActivityQuery,
  ReviewRequest,
  WorkflowPhase,
  CreateReleaseRequest,
  PromoteReleaseRequest,
  RollbackReleaseRequest,
  IdpError,
  InvalidRequestError,
  NotFoundError,
  ConflictError,
  UnavailableError,
  assertEnvName,
  secretKeyProblem,
  parseTtl,
  parsePaws,
  openApiDocument,
  workflowId as makeWorkflowId,
  workflowForBranch,
  errorFromBody,
  type ChangePlan,
  type ErrorCode,
  type PullRequest,
  type WorkflowStatus,
} from '@idp/core';
import { applyEnvChange, DEFAULT_RELEASE_FLOORS, type ReleaseFloors } from '@idp/core';
import { envClone, envCreate, envDestroy, envExtend, envSecrets, envVars } from '@idp/workflows';
import { pullRequestUpdate, searchAttributesFor, type EnvChangeInput, type EnvChangeKind, type EnvChangeState, type SecretEdit } from '@idp/workflows/shared';
import { repoKey, type GitProvider, type ProviderLookup } from '@idp/providers';
import { baseStatus, describeWorkflow, secretChange, signalBaseMoved, signalPrEvent } from './workflows.js';
import { listEnvironments } from './environments.js';
import { listVariables } from './variables.js';
import { listActivity } from './activity.js';
import { renderPullPage } from './pull-page.js';
import { assertReleasePolicyHolds, componentFrom, listReleases, releaseDetail, startRelease, type ReleaseAsk } from './releases.js';
import { releaseReviewNote, reportLocalCheck } from './pull-checks.js';
import { planFile } from './plan.js';
import { listSecrets, pinSecretRef, sameEdit, unsetSecretRef, writeSecretValue, type SecretRequestContext, type SecretStores } from './secrets.js';
import type { Actor, ComponentRef, Identity, IdpAction } from './identity.js';
import type { RuntimeStatus } from './runtime-status.js';
import { logHistory, streamTail } from './logs.js';
import { environmentMetrics } from './metrics.js';
import { sourceFor, type LogSources, type MetricSources } from './observe.js';

export interface RouterOptions {
  temporal: Client;
  taskQueue: string;
  providers: ProviderLookup;
  pollIntervalMs: number;
  version: string;
  temporalAddress: string;
  namespace: string;
  /** The Temporal Web UI's address (IDP_TEMPORAL_WEB_URL, idp.temporal.webUrl): GET /activity links each run there; unset, no links. */
  temporalWebUrl?: string;
  /**
   * Who acts on each request, from a verified credential (standalone: standaloneIdentity; Backstage: httpAuth/userInfo),
   * and what they may do. Every route but /health and /openapi.json asks it.
   */
  identity: Identity;
  /** How long a request waits for the PR before answering "started, no PR yet" (no worker running, slow forge). */
  prWaitMs?: number;
  /** The platform's approval floors (IDP_RELEASE_FLOORS); default DEFAULT_RELEASE_FLOORS. */
  releaseFloors?: ReleaseFloors;
  /** What serves this router, for `idp version`: Backstage and its version, or the standalone server (the default). */
  servedBy?: { name: string; version: string; appUrl?: string };
  /**
   * Where a browser opening a PR's URL goes when the host has a PR page of its own (the Backstage plugin: the app's
   * /idp/pulls/<n>?…, given the number and the request's query string); unset, it gets the read-only page rendered here.
   */
  pullPageUrl?: (number: number, search: string) => string;
  /** The platform's secret stores and routing (idp.secrets, IDP_SECRETS_CONFIG); unset, the secret routes say none are configured. */
  secrets?: SecretStores;
  /** What runs for each environment (`runtime` of GET /environments): the embedded stack's local runtime; unset, none reports. */
  runtime?: RuntimeStatus;
  /** The platform's log sources and routing (idp.logs, IDP_LOGS_CONFIG); unset, the log routes say none are configured. */
  logs?: LogSources;
  /** The platform's metric sources and routing (idp.metrics, IDP_METRICS_CONFIG). */
  metrics?: MetricSources;
  /**
   * Routes the host adds behind the same authentication and error handling (the Backstage plugin: POST
   * /context/resolve); res.locals.actor is the caller. Handlers pass errors to next().
   */
  routes?: (router: express.Router) => void;
}

const WORKFLOWS = { 'env-clone': envClone, 'env-create': envCreate, 'env-destroy': envDestroy, 'env-extend': envExtend, 'env-vars': envVars, 'env-secrets': envSecrets } as const;

type Handler = (req: Request, res: Response) => Promise<void>;
/** Express 4 does not catch rejected promises; route them to the error handler. */
const route = (fn: Handler) => (req: Request, res: Response, next: NextFunction) => void fn(req, res).catch(next);

/** Runs one step of a request and records how long it took, for the Server-Timing header. */
async function timed<T>(res: Response, step: string, fn: () => Promise<T>): Promise<T> {
  const t = performance.now();
  try {
    return await fn();
  } finally {
    ((res.locals.timings ??= []) as string[]).push(`${step};dur=${(performance.now() - t).toFixed(1)}`);
  }
}

function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
    throw new InvalidRequestError(`Invalid request: ${problems.join('; ')}.`, r.error.issues);
  }
  return r.data;
}

/** A browser's navigation (it prefers HTML to JSON); API clients ask for JSON or state no preference. */
const prefersHtml = (req: Request) => req.accepts(['application/json', 'text/html']) === 'text/html';

export function createRouter(opts: RouterOptions): express.Router {
  const router = express.Router();
  router.use(express.json({ limit: '1mb' }));

  // Server-Timing (what `npm run bench` breaks a request's latency down by): the steps timed with `timed` below.
  router.use((_req, res, next) => {
    const writeHead = res.writeHead;
    res.writeHead = function (this: Response, ...args: Parameters<typeof writeHead>) {
      const steps = res.locals.timings as string[] | undefined;
      if (steps?.length && !res.headersSent) res.setHeader('Server-Timing', steps.join(', '));
      return writeHead.apply(this, args);
    } as typeof writeHead;
    next();
  });

  // A browser opening a PR's URL (the local forge's PR links are this route) goes to the host's PR page: before
  // authentication, as a navigation carries no token; the redirect reads nothing and passes the query on as given.
  if (opts.pullPageUrl) {
    const pageOf = opts.pullPageUrl;
    router.get('/pulls/:number', (req, res, next) => {
      if (!/^\d{1,9}$/.test(req.params.number ?? '') || !prefersHtml(req)) return next();
      const q = req.originalUrl.indexOf('?');
      res.redirect(302, pageOf(Number(req.params.number), q < 0 ? '' : req.originalUrl.slice(q)));
    });
  }

  // Who acts, before anything is read: an unauthenticated request learns nothing, not even whether a repository exists.
  router.use((req, res, next) => {
    if (req.path === '/health' || req.path === '/openapi.json') return next();
    timed(res, 'auth', () => opts.identity.actorOf(req)).then((actor) => {
      res.locals.actor = actor;
      next();
    }, next);
  });

  const actorOf = (res: Response): Actor => res.locals.actor as Actor;

  /** The identity's verdict on this action, asked once the component is known and before anything is written. */
  const authorize = async (req: Request, res: Response, action: IdpAction, component?: ComponentRef, env?: string): Promise<void> => {
    await timed(res, 'authz', async () => opts.identity.authorize?.(req, actorOf(res), { action, ...(component ? { component } : {}), ...(env !== undefined ? { env } : {}) }));
  };

  /**
   * The client's Idempotency-Key (the CLI sends one per request and the same one
   * when it retries): a request sent twice is recorded once.
   */
  const requestIdOf = (req: Request): string => {
    const key = req.header('idempotency-key');
    if (key === undefined) return randomUUID();
    if (!/^[A-Za-z0-9._:-]{8,128}$/.test(key)) {
      throw new InvalidRequestError('Idempotency-Key must be 8 to 128 letters, digits or ._:- (e.g. a UUID); send the same one when you retry a request.');
    }
    return key;
  };

  /**
   * The provider acting as the requesting person when they sent their own
   * forge token (X-Idp-Forge-Token: the CLI's GITHUB_TOKEN/GITLAB_TOKEN, or the
   * Backstage user's SCM token). It is used for this request only, never stored or logged.
   */
  const asCaller = (req: Request, res: Response, provider: GitProvider): GitProvider => {
    const token = req.header('x-idp-forge-token');
    return token && provider.actingAs ? provider.actingAs(actorOf(res).id, token) : provider;
  };

  /** The component a paws.yaml text describes, as authorize sees it. */
  const componentRef = (text: string, ref: z.infer<typeof RepoRef>): ComponentRef => {
    const { name, owner } = parsePaws(text, ref.path).spec.metadata;
    return { name, ...(owner ? { owner } : {}), repo: ref.repo, path: ref.path };
  };

  /**
   * A PR route's component: paws.yaml at `ref.path` on the default branch. A repository without one (or with one
   * that does not parse) names none, and authorize decides without it.
   */
  async function pullComponent(ref: z.infer<typeof RepoRef>): Promise<ComponentRef | undefined> {
    const { file } = await opts.providers(ref.repo).snapshot(ref.path);
    if (!file) return undefined;
    try {
      return componentRef(file.content, ref);
    } catch {
      return undefined;
    }
  }


  /** Read paws.yaml on the default branch: the base every change is made against. */
  async function readPaws(ref: z.infer<typeof RepoRef>) {
    const provider = opts.providers(ref.repo);
    const { defaultBranch: base, file } = await provider.snapshot(ref.path);
    if (!file) throw new NotFoundError(`There is no ${ref.path} on ${base} in ${ref.repo}. Add one (see templates/) or pass the right path.`);
    return { provider, base, file };
  }

  /**
   * Validate the change against paws.yaml as it is now (nothing is written when
   * it would fail), then start — or join — the workflow and return as soon as its PR exists.
   * `prepare` (secrets) runs once the caller is authorized for `action` and before the edit: it checks what it needs
   * and writes the store, returning the fields the workflow carries.
   */
  async function startChange(
    req: Request,
    res: Response,
    kind: EnvChangeKind,
    ref: z.infer<typeof RepoRef> & { dryRun?: boolean },
    fields: Pick<EnvChangeInput, 'env' | 'source' | 'ttl' | 'confirm' | 'variables'>,
    how: { action?: IdpAction; prepare?: (read: Omit<SecretRequestContext, 'secrets' | 'key' | 'temporal'>) => Promise<{ secret: SecretEdit; store?: string }> } = {},
  ): Promise<WorkflowStatus | ChangePlan> {
    assertEnvName(fields.env, kind === 'env-clone' ? 'target environment' : 'environment');
    if (fields.source !== undefined) assertEnvName(fields.source, 'source environment');
    if (fields.ttl !== undefined) parseTtl(fields.ttl);
    const requestId = requestIdOf(req);
    const requestedBy = actorOf(res).id;
    const requestedAt = new Date().toISOString();
    const { provider, base, file } = await timed(res, 'read', () => readPaws(ref));
    // May they, before whether it would work: a caller without permission learns nothing of the component's environments.
    const who = componentRef(file.content, ref);
    await authorize(req, res, how.action ?? 'environment.change', who, fields.env);
    const prepared = how.prepare ? await timed(res, 'store', () => how.prepare!({ provider, text: file.content, path: ref.path, component: who, env: fields.env, requestId, dryRun: ref.dryRun === true })) : undefined;
    const change = { ...fields, ...(prepared ? { secret: prepared.secret } : {}) };
    const { component, text } = applyEnvChange(file.content, { kind, path: ref.path, requestedAt, ...change });
    const secret = prepared ? { secret: { ...secretChange(prepared.secret), ...(prepared.store ? { store: prepared.store } : {}) } } : {};

    const key = repoKey(provider);
    const workflowId = makeWorkflowId(kind, component, fields.env, key);
    // A dry run stops here: validated and authorized as the real request, nothing written.
    if (ref.dryRun) return { dryRun: true, workflowId, kind, component, environment: fields.env, files: [planFile(ref.path, file.content, text)], ...secret };
    const input: EnvChangeInput = {
      kind, repo: ref.repo, repoKey: key, path: ref.path, component, requestedBy, requestedAt, requestId, pollIntervalMs: opts.pollIntervalMs, ...change,
      hint: { base, baseSha: file.commitSha, text: file.content, at: requestedAt },
    };
    const request = { id: input.requestId, source: fields.source, ttl: fields.ttl, ...(fields.variables ? { variables: fields.variables } : {}), ...(change.secret ? { secret: change.secret } : {}), requestedBy };
    const startOp = new WithStartWorkflowOperation(WORKFLOWS[kind], {
      workflowId,
      taskQueue: opts.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: searchAttributesFor(kind, provider.id, component, fields.env),
      // Who started it and with which options, readable before any worker has run it.
      memo: { request },
    });
    let status: WorkflowStatus;
    let running: EnvChangeState['request'];
    try {
      // A deadline ends every call the SDK makes for the update (an abort signal misses the ones re-sent after it fired).
      const state = await timed(res, 'uws', () => opts.temporal.withDeadline(Date.now() + (opts.prWaitMs ?? 10_000), () =>
        opts.temporal.workflow.executeUpdateWithStart(pullRequestUpdate, { startWorkflowOperation: startOp }),
      ));
      running = state.request;
      status = { workflowId, kind, component, environment: fields.env, status: 'running', phase: state.phase, pr: state.pr, expiresAt: state.expiresAt, ...secret };
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
        throw errorFromBody({ error: { code: (err.cause.type ?? 'internal') as ErrorCode, message: err.cause.message } });
      }
      // No PR in time (e.g. no worker is running). "Started" only when the running workflow is this
      // request's (its start was accepted) or the same change with the same options (joined).
      const described = await opts.temporal.workflow.getHandle(workflowId).describe().catch(() => undefined);
      running = described?.status.name === 'RUNNING' ? (described.memo?.request as EnvChangeState['request'] | undefined) : undefined;
      if (!described || !running) {
        throw new UnavailableError(
          `The ${kind} of ${fields.env} could not be started just now (${err instanceof Error ? err.message : String(err)}). Send the same request again in a few seconds (idp retries by itself).`,
        );
      }
      status = { ...baseStatus(workflowId, described), ...secret };
    }
    const joined = running?.id !== input.requestId;
    // A joined request must ask for the same change: same source and TTL, the same variables set and unset, the same secret edit.
    if (joined && (running?.source !== fields.source || running?.ttl !== fields.ttl || !sameVariables(running?.variables, fields.variables) || !sameEdit(running?.secret, change.secret))) {
      throw new ConflictError(
        `Another ${kind} of ${fields.env} is already in progress${status.pr ? ` (PR #${status.pr.number}: ${status.pr.url})` : ''} with different options. Merge or close it first.`,
      );
    }
    return { ...status, joined };
  }

  /**
   * With idp's own credentials the API merges and closes only the PRs idp opened
   * (its workflow for the PR's branch knows that PR number): any other PR is
   * acted on only as the caller, with their own forge token, so the forge
   * decides whether they may.
   */
  async function assertOpenedByIdpOrActingAsCaller(req: Request, provider: GitProvider, pr: PullRequest, action: 'merge' | 'close'): Promise<void> {
    if (req.header('x-idp-forge-token') && provider.actingAs) return;
    const id = workflowForBranch(pr.head, repoKey(provider));
    const describe = (waitMs = 0, sincePhase?: string) =>
      describeWorkflow(opts.temporal, id!, waitMs, sincePhase).catch((err: unknown) => {
        if (err instanceof NotFoundError) return undefined;
        throw err;
      });
    let wf = id ? await describe() : undefined;
    // Its PR is open but the workflow has not recorded it yet (a close right after the open): wait for that, not for a guess.
    if (wf && !wf.pr && wf.status === 'running') wf = await describe(10_000, wf.phase);
    if (wf?.pr?.number === pr.number) return;
    throw new IdpError(
      'forbidden',
      403,
      `PR #${pr.number} was not opened by idp, so idp will not ${action} it with its own credentials. ${action === 'merge' ? 'Merge' : 'Close'} it on the forge, or send your own forge token (GITHUB_TOKEN/GITLAB_TOKEN in the CLI's environment).`,
    );
  }

  /**
   * An idp PR is merged only as idp last checked it against the base: when the
   * base has moved since, its workflow re-applies the edit first (and says so
   * when the edit no longer applies) — what lands on the base is always valid.
   */
  async function assertIdpPullUpToDate(provider: GitProvider, pr: PullRequest, path: string): Promise<void> {
    const id = workflowForBranch(pr.head, repoKey(provider));
    // Release PRs are gated by their policy instead (assertReleasePolicyHolds); they are rebased only on conflict.
    if (!id || id.startsWith('release:') || pr.state !== 'open') return;
    const wf = await describeWorkflow(opts.temporal, id).catch(() => undefined);
    if (wf?.status !== 'running') return;
    if (wf.stuck) throw new ConflictError(`PR #${pr.number} cannot be merged as it is: ${wf.stuck}`);
    if ((await provider.branchSha(pr.base)) !== pr.baseSha) {
      await signalPrEvent(opts.temporal, provider, pr);
      throw new ConflictError(
        `${pr.base} has moved since PR #${pr.number} was made; idp is re-applying its change on top of it, so it is checked against the latest ${path}. Review it and merge again in a few seconds (\`idp pr diff ${pr.number}\`).`,
      );
    }
  }

  router.get('/health', route(async (_req, res) => {
    let reachable = true;
    try {
      // Briefly: a health check that hangs while the client retries is no answer.
      await opts.temporal.withDeadline(Date.now() + 2000, () => opts.temporal.connection.workflowService.getSystemInfo({}));
    } catch {
      reachable = false;
    }
    res.json({
      status: reachable ? 'ok' : 'degraded',
      version: opts.version,
      temporal: { address: opts.temporalAddress, namespace: opts.namespace, taskQueue: opts.taskQueue, reachable },
      servedBy: opts.servedBy ?? { name: 'standalone', version: opts.version },
    });
  }));

  // The caller as this server knows them: what PRs and reviews record, and the names four-eyes treats as theirs.
  router.get('/whoami', (_req, res) => {
    res.json(actorOf(res));
  });

  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument(opts.version));
  });

  router.get('/component', route(async (req, res) => {
    const ref = parse(RepoRef, req.query);
    const { provider, base, file } = await readPaws(ref);
    const { spec } = parsePaws(file.content, ref.path);
    await authorize(req, res, 'component.read', componentRef(file.content, ref));
    res.json({
      component: spec.metadata.name,
      owner: spec.metadata.owner,
      repo: ref.repo,
      path: ref.path,
      provider: provider.kind,
      defaultBranch: base,
      headSha: file.commitSha,
      environments: Object.keys(spec.environments ?? {}),
    });
  }));

  router.get('/environments', route(async (req, res) => {
    const ref = parse(RepoRef, req.query);
    const { provider, base, file } = await readPaws(ref);
    await authorize(req, res, 'component.read', componentRef(file.content, ref));
    res.json(await listEnvironments({ temporal: opts.temporal, provider, base, text: file.content, ref, runtime: opts.runtime }));
  }));

  // Read like the environments: the component's paws.yaml names it, and reading it is what is authorized.
  router.get('/activity', route(async (req, res) => {
    const ref = parse(RepoRef, req.query);
    const { limit } = parse(ActivityQuery, { limit: req.query.limit });
    const { provider, file } = await readPaws(ref);
    await authorize(req, res, 'component.read', componentRef(file.content, ref));
    res.json(await listActivity({ temporal: opts.temporal, provider, text: file.content, ref, limit, namespace: opts.namespace, temporalWebUrl: opts.temporalWebUrl }));
  }));

  /** 202: started or joined; 200: a dry run's plan. */
  const answer = (res: Response, result: WorkflowStatus | ChangePlan) => res.status('dryRun' in result ? 200 : 202).json(result);

  router.post('/environments/:env/clone', route(async (req, res) => {
    const body = parse(CloneEnvironmentRequest, req.body);
    answer(res, await startChange(req, res, 'env-clone', body, { env: body.target, source: String(req.params.env), ttl: body.ttl }));
  }));
  router.post('/environments', route(async (req, res) => {
    const body = parse(CreateEnvironmentRequest, req.body);
    answer(res, await startChange(req, res, 'env-create', body, { env: body.name, ttl: body.ttl }));
  }));
  router.post('/environments/:env/destroy', route(async (req, res) => {
    const body = parse(DestroyEnvironmentRequest, req.body);
    answer(res, await startChange(req, res, 'env-destroy', body, { env: String(req.params.env), confirm: body.confirm }));
  }));
  router.post('/environments/:env/extend', route(async (req, res) => {
    const body = parse(ExtendEnvironmentRequest, req.body);
    answer(res, await startChange(req, res, 'env-extend', body, { env: String(req.params.env), ttl: body.ttl }));
  }));

  // Variables: read like the environments; written under variable.write as one PR per request.
  router.get('/environments/:env/variables', route(async (req, res) => {
    const ref = parse(RepoRef, req.query);
    const env = String(req.params.env);
    assertEnvName(env);
    const { file } = await readPaws(ref);
    await authorize(req, res, 'component.read', componentRef(file.content, ref), env);
    res.json(listVariables(file.content, ref.path, env));
  }));
  router.post('/environments/:env/variables', route(async (req, res) => {
    const body = parse(SetVariablesRequest, req.body);
    const variables = { ...(body.set ? { set: body.set } : {}), ...(body.unset ? { unset: [...new Set(body.unset)] } : {}) };
    answer(res, await startChange(req, res, 'env-vars', body, { env: String(req.params.env), variables }, { action: 'variable.write' }));
  }));
  // Logs and metrics: read from the source the platform routes the environment to, under logs.read / metrics.read
  // (logs may carry personal data: a platform can grant them apart from the component).
  router.get('/environments/:env/logs', route(async (req, res) => {
    const q = parse(LogsQuery, req.query);
    const env = String(req.params.env);
    assertEnvName(env);
    const { file } = await timed(res, 'read', () => readPaws(q));
    const component = componentRef(file.content, q);
    await authorize(req, res, 'logs.read', component, env);
    const source = sourceFor('logs', opts.logs, component, file.content, env);
    res.json(await timed(res, 'source', () => logHistory(source, { component: component.name, environment: env, n: q.n, since: q.since, until: q.until, grep: q.grep, process: q.process })));
  }));
  router.get('/environments/:env/logs/tail', route(async (req, res) => {
    const q = parse(LogTailQuery, req.query);
    const env = String(req.params.env);
    assertEnvName(env);
    const { file } = await readPaws(q);
    const component = componentRef(file.content, q);
    await authorize(req, res, 'logs.read', component, env);
    const source = sourceFor('logs', opts.logs, component, file.content, env);
    await streamTail(req, res, source, { component: component.name, environment: env, cursor: q.cursor, backlog: q.backlog, grep: q.grep, process: q.process });
  }));
  router.get('/environments/:env/metrics', route(async (req, res) => {
    const q = parse(MetricsQueryParams, req.query);
    const env = String(req.params.env);
    assertEnvName(env);
    const { file } = await timed(res, 'read', () => readPaws(q));
    const component = componentRef(file.content, q);
    await authorize(req, res, 'metrics.read', component, env);
    const source = sourceFor('metrics', opts.metrics, component, file.content, env);
    res.json(await timed(res, 'source', () => environmentMetrics(source, { component: component.name, environment: env, since: q.since, until: q.until, step: q.step, process: q.process })));
  }));
  // Secrets: read like the environments; written under secret.write, the value going to its store before the PR.
  const secretKey = (req: Request) => {
    const key = String(req.params.key);
    const problem = secretKeyProblem(key);
    if (problem) throw new InvalidRequestError(`Invalid secret name: ${problem}. Nothing was written.`);
    return key;
  };
  router.get('/environments/:env/secrets', route(async (req, res) => {
    const query = parse(ListSecretsQuery, req.query);
    const env = String(req.params.env);
    assertEnvName(env);
    const { provider, file } = await timed(res, 'read', () => readPaws(query));
    await authorize(req, res, 'component.read', componentRef(file.content, query), env);
    res.json(await timed(res, 'store', () => listSecrets({ temporal: opts.temporal, secrets: opts.secrets, provider, text: file.content, ref: query, env, check: query.check === 'true' })));
  }));
  router.post('/environments/:env/secrets/:key', route(async (req, res) => {
    const body = parse(SetSecretRequest, req.body);
    const key = secretKey(req);
    if ((body.value === undefined) === (body.ref === undefined)) {
      throw new InvalidRequestError('Send either value (the secret itself, written to its store) or ref (an existing secret\'s reference), not both and not neither. Nothing was written.');
    }
    if (body.value !== undefined && body.version !== undefined) throw new InvalidRequestError('version goes with ref (the version of an existing secret to pin); a value gets a new version from its store. Nothing was written.');
    const { value, ref, version } = body;
    const with_ = (read: Omit<SecretRequestContext, 'secrets' | 'key' | 'temporal'>): SecretRequestContext => ({ ...read, temporal: opts.temporal, secrets: opts.secrets, key });
    answer(res, await startChange(req, res, 'env-secrets', body, { env: String(req.params.env) }, {
      action: 'secret.write',
      prepare: (read) => (value !== undefined ? writeSecretValue(with_(read), value) : pinSecretRef(with_(read), ref!, version)),
    }));
  }));
  router.delete('/environments/:env/secrets/:key', route(async (req, res) => {
    const query = parse(UnsetSecretQuery, req.query);
    const key = secretKey(req);
    answer(res, await startChange(req, res, 'env-secrets', { ...query, dryRun: query.dryRun === 'true' }, { env: String(req.params.env) }, {
      action: 'secret.write',
      prepare: (read) => unsetSecretRef({ ...read, temporal: opts.temporal, secrets: opts.secrets, key }),
    }));
  }));

  const releases = () => ({ temporal: opts.temporal, taskQueue: opts.taskQueue, providers: opts.providers, pollIntervalMs: opts.pollIntervalMs, prWaitMs: opts.prWaitMs, floors: opts.releaseFloors ?? DEFAULT_RELEASE_FLOORS });
  /** The component's paws.yaml, once `action` on it (and `env`) is authorized. */
  async function component(req: Request, res: Response, ref: z.infer<typeof RepoRef>, action: IdpAction, env?: string) {
    const { provider, file } = await readPaws(ref);
    await authorize(req, res, action, componentRef(file.content, ref), env);
    return componentFrom(provider, file.content, ref);
  }
  const release = async (req: Request, res: Response, ref: z.infer<typeof RepoRef> & { dryRun?: boolean }, ask: ReleaseAsk) =>
    startRelease(releases(), await component(req, res, ref, 'release.request', ask.env), ask, actorOf(res), requestIdOf(req), req.header('x-idp-forge-token') || undefined, ref.dryRun);

  router.get('/releases', route(async (req, res) => {
    const ref = parse(RepoRef, req.query);
    res.json(await listReleases(releases(), await component(req, res, ref, 'component.read')));
  }));
  router.post('/releases', route(async (req, res) => {
    const body = parse(CreateReleaseRequest, req.body);
    answer(res, await release(req, res, body, { kind: 'create', env: body.env, image: body.image }));
  }));
  router.post('/releases/promote', route(async (req, res) => {
    const body = parse(PromoteReleaseRequest, req.body);
    answer(res, await release(req, res, body, { kind: 'promote', from: body.from, env: body.to }));
  }));
  router.post('/releases/rollback', route(async (req, res) => {
    const body = parse(RollbackReleaseRequest, req.body);
    answer(res, await release(req, res, body, { kind: 'rollback', env: body.env, ...(body.to !== undefined ? { to: body.to } : {}) }));
  }));
  router.get('/releases/:env/:number', route(async (req, res) => {
    const ref = parse(RepoRef, req.query);
    const n = Number(String(req.params.number).replace(/^v/, ''));
    if (!Number.isInteger(n) || n < 1) throw new InvalidRequestError(`"${req.params.number}" is not a release number (e.g. 12 or v12).`);
    res.json(await releaseDetail(releases(), await component(req, res, ref, 'component.read', String(req.params.env)), String(req.params.env), n));
  }));

  router.get('/workflows/:id', route(async (req, res) => {
    const wait = req.query.wait === undefined ? 0 : Number(req.query.wait);
    if (!Number.isInteger(wait) || wait < 0 || wait > 60) throw new InvalidRequestError('wait must be a whole number of seconds from 0 to 60.');
    const phase = req.query.phase === undefined ? undefined : parse(WorkflowPhase, req.query.phase);
    // A workflow id names a component but not its repository: authorize sees the action alone.
    await authorize(req, res, 'component.read');
    res.json(await describeWorkflow(opts.temporal, String(req.params.id), wait * 1000, phase));
  }));

  const prNumber = (req: Request) => {
    const n = Number(req.params.number);
    if (!Number.isInteger(n) || n < 1) throw new InvalidRequestError(`"${req.params.number}" is not a PR number.`);
    return n;
  };

  router.get('/pulls', route(async (req, res) => {
    const ref = parse(RepoRef, req.query);
    // Bounded: one page, newest first (the forges are never walked to the end for one request); `nextPage` leads on.
    const { state, limit, page } = parse(ListPullsQuery, { state: req.query.state, limit: req.query.limit, page: req.query.page });
    await authorize(req, res, 'component.read', await pullComponent(ref));
    res.json(await opts.providers(ref.repo).listPullRequests({ state, limit, page }));
  }));
  router.get('/pulls/:number', route(async (req, res) => {
    const ref = parse(RepoRef, req.query);
    const provider = opts.providers(ref.repo);
    await authorize(req, res, 'component.read', await pullComponent(ref));
    const pr = await provider.getPullRequest(prNumber(req));
    // The local forge's PR links lead here: a browser gets a page, API clients JSON.
    if (prefersHtml(req)) {
      res.type('html').send(renderPullPage(pr, await provider.diff(pr.number)));
      return;
    }
    res.json(pr);
  }));
  router.get('/pulls/:number/diff', route(async (req, res) => {
    const ref = parse(RepoRef, req.query);
    await authorize(req, res, 'component.read', await pullComponent(ref));
    res.json({ files: await opts.providers(ref.repo).diff(prNumber(req)) });
  }));
  router.post('/pulls/:number/reviews', route(async (req, res) => {
    const body = parse(ReviewRequest, req.body);
    const actor = actorOf(res);
    if (body.event === 'approve' && actor.kind === 'service') {
      throw new IdpError('forbidden', 403, `${actor.id} is a service principal: it may comment or request changes, but approvals come from people. Approve as yourself (idp login, or your own token).`);
    }
    const n = prNumber(req);
    await authorize(req, res, 'pull.review', await pullComponent(body));
    const provider = asCaller(req, res, opts.providers(body.repo));
    const pr = await provider.review(n, { event: body.event, body: body.body, by: actor.id });
    await signalPrEvent(opts.temporal, provider, pr);
    const note = await releaseReviewNote(opts.temporal, provider, pr, actor.id, body.event);
    res.json(note ? { ...pr, note } : pr);
  }));
  router.post('/pulls/:number/checks', route(async (req, res) => {
    const body = parse(CheckRequest, req.body);
    const n = prNumber(req);
    await authorize(req, res, 'pull.check', await pullComponent(body));
    const provider = opts.providers(body.repo);
    const pr = await reportLocalCheck(provider, n, body, actorOf(res).id);
    await signalPrEvent(opts.temporal, provider, pr);
    res.json(pr);
  }));
  router.post('/pulls/:number/merge', route(async (req, res) => {
    const body = parse(PullActionRequest, req.body);
    const n = prNumber(req);
    await authorize(req, res, 'pull.merge', await pullComponent(body));
    const provider = asCaller(req, res, opts.providers(body.repo));
    const current = await provider.getPullRequest(n);
    await assertIdpPullUpToDate(provider, current, body.path);
    await assertReleasePolicyHolds(opts.temporal, provider, current);
    // After the release gate, which refuses (with its own reasons) any release-branch PR it cannot vouch for.
    await assertOpenedByIdpOrActingAsCaller(req, provider, current, 'merge');
    const pr = await provider.merge(n, { by: actorOf(res).id, expectedHeadSha: current.headSha });
    await signalPrEvent(opts.temporal, provider, pr);
    await signalBaseMoved(opts.temporal, provider.id);
    res.json(pr);
  }));
  router.post('/pulls/:number/close', route(async (req, res) => {
    const body = parse(PullActionRequest, req.body);
    const n = prNumber(req);
    await authorize(req, res, 'pull.close', await pullComponent(body));
    const provider = asCaller(req, res, opts.providers(body.repo));
    await assertOpenedByIdpOrActingAsCaller(req, provider, await provider.getPullRequest(n), 'close');
    const pr = await provider.close(n, actorOf(res).id);
    await signalPrEvent(opts.temporal, provider, pr);
    res.json(pr);
  }));

  opts.routes?.(router);

  router.use((_req, _res, next) => next(new NotFoundError('No such Platform API route; see GET /api/idp/openapi.json.')));

  // Errors as JSON with a code and a message that says what to do.
  router.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof IdpError) {
      if (err instanceof UnavailableError) res.set('Retry-After', String(err.retryAfterSeconds));
      res.status(err.status).json(err.toJSON());
      return;
    }
    if (err instanceof SyntaxError && 'body' in err) {
      res.status(400).json(new InvalidRequestError('The request body is not valid JSON.').toJSON());
      return;
    }
    // The body parser's own refusals (http-errors): too large, unsupported charset...
    const parserStatus = (err as { type?: string; status?: number; expose?: boolean } | null)?.expose ? (err as { status: number }).status : undefined;
    if (parserStatus === 413) {
      res.status(413).json(new IdpError('invalid_request', 413, 'The request body is over 1 MB; idp requests are small JSON documents.').toJSON());
      return;
    }
    if (parserStatus !== undefined && parserStatus >= 400 && parserStatus < 500) {
      res.status(parserStatus).json(new IdpError('invalid_request', parserStatus, 'The request body cannot be read: send JSON in UTF-8 (Content-Type: application/json).').toJSON());
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    if (process.env.IDP_DEBUG_ERRORS) console.error(err);
    const unreachable = temporalUnreachable(err);
    res.status(unreachable ? 503 : 500).json({
      error: unreachable
        ? { code: 'internal', message: `Temporal is unreachable (${opts.temporalAddress}): is the stack running (npm start)?` }
        : { code: 'internal', message: `Unexpected server error: ${message}` },
    });
  });
  return router;
}

/** gRPC's UNAVAILABLE (@grpc/grpc-js status 14): the Temporal frontend cannot be reached. */
const GRPC_UNAVAILABLE = 14;

/** Whether an error (or one it was caused by) is the Temporal client failing to reach the server, by gRPC code, not by wording. */
function temporalUnreachable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (isGrpcServiceError(e) && e.code === GRPC_UNAVAILABLE) return true;
  }
  return false;
}

/** Whether two variable changes are the same request (key order aside). */
function sameVariables(a: EnvChangeInput['variables'], b: EnvChangeInput['variables']): boolean {
  const canonical = (v: EnvChangeInput['variables']) =>
    JSON.stringify([Object.entries(v?.set ?? {}).sort(([x], [y]) => x.localeCompare(y)), [...(v?.unset ?? [])].sort()]);
  return canonical(a) === canonical(b);
}
