/**
 * The release routes' logic: validate a release against paws.yaml and the
 * deployment target as they are now (nothing is written when it would fail),
 * number it in the environment's queue, and read the ledger back.
 */
import { ApplicationFailure, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import {
  assertEnvName,
  ConflictError,
  deployedImage,
  deployTargetFor,
  errorFromBody,
  IdpError,
  NotFoundError,
  parseImage,
  parsePaws,
  releasePlan,
  releaseWorkflowId,
  sameImage,
  setDeployedImage,
  workflowForBranch,
  workflowId as makeWorkflowId,
  type ChangePlan,
  type DeployTarget,
  type EnvironmentReleases,
  type ErrorCode,
  type PawsSpec,
  type PullRequest,
  type ReleaseDetail,
  type ReleaseFloors,
  type ReleaseList,
  type ReleaseRecord,
  type WorkflowStatus,
  UnavailableError,
} from '@idp/core';
import { release as releaseWorkflow, releaseQueue } from '@idp/workflows';
import { pullRequestUpdate, SA } from '@idp/workflows/shared';
import { enqueueReleaseSignal, FINAL_OUTCOMES, ledgerQuery, releaseRequestUpdate, type EnqueueResult, type ReleaseRequest, type ReleaseState } from '@idp/workflows/release-shared';
import { assertDeployAccess, releaseVerdict, repoKey, type GitProvider, type ProviderLookup, type Requester } from '@idp/providers';
import { stuckByEnvironment } from './stuck.js';
import { planFile } from './plan.js';
import type { Actor } from './identity.js';
import { baseStatus, describeWithMemo, describeWorkflow, quote } from './workflows.js';

export interface ReleaseContext {
  temporal: Client;
  taskQueue: string;
  providers: ProviderLookup;
  pollIntervalMs: number;
  prWaitMs?: number;
  /** The platform's approval floors (IDP_RELEASE_FLOORS). */
  floors: ReleaseFloors;
}

export type ReleaseAsk =
  | { kind: 'create'; env: string; image: string }
  | { kind: 'promote'; from: string; env: string }
  | { kind: 'rollback'; env: string; to?: number };

interface Component {
  provider: GitProvider;
  spec: PawsSpec;
  text: string;
  ref: { repo: string; path: string };
}

/** The image `env` runs according to its deployment target on the default branch (null: none written yet). */
async function deployedNow(ctx: ReleaseContext, c: Component, env: string): Promise<{ image: string | null; text: string; file: string; target: DeployTarget }> {
  const target = deployTargetFor(c.spec, env, c.ref.path);
  if (!target.repo && target.file === c.ref.path) return { image: deployedImage(target, c.text, c.spec), text: c.text, file: target.file, target };
  const repo = target.repo ?? c.ref.repo;
  const { defaultBranch, file } = await (target.repo ? ctx.providers(target.repo) : c.provider).snapshot(target.file);
  if (!file) throw new NotFoundError(`No ${target.file} on ${defaultBranch} in ${repo}: add the ${target.format} file for ${env} there first (deploy: in ${c.ref.path}).`);
  return { image: deployedImage(target, file.content, c.spec), text: file.content, file: target.file, target };
}

/** How long recording a request may take before the API answers 503 (a retry with the same id is recorded once). */
const RECORD_TIMEOUT_MS = 10_000;

const queueId = (c: Component, env: string) => makeWorkflowId('releases', c.spec.metadata.name, env, repoKey(c.provider));

/** The environment's ledger as its queue last published it (no worker needed), newest first. */
async function ledgerOf(ctx: ReleaseContext, c: Component, env: string): Promise<ReleaseRecord[]> {
  const handle = ctx.temporal.workflow.getHandle(queueId(c, env));
  // A query sees every end already reported to the queue; the memo (no worker needed) may lag by a moment.
  const queried = await ctx.temporal.withAbortSignal(AbortSignal.timeout(5_000), () => handle.query(ledgerQuery)).catch(() => undefined);
  if (queried) return queried;
  const d = await handle.describe().catch(() => undefined);
  return (d?.memo?.ledger as ReleaseRecord[] | undefined) ?? [];
}

/**
 * Validate a release, record it in the environment's queue, and answer once it
 * is numbered (with its PR when it opens within prWaitMs). `requestId` is the
 * client's Idempotency-Key: the same request sent again is recorded once.
 */
export async function startRelease(ctx: ReleaseContext, c: Component, ask: ReleaseAsk, requester: Pick<Actor, 'id' | 'aliases' | 'forgeLogins'>, requestId: string, forgeToken?: string, dryRun?: boolean): Promise<WorkflowStatus | ChangePlan> {
  const requestedBy = requester.id;
  // Recorded only when they add to requestedBy: the standalone server's actor has no other names.
  const requesterAliases = [...new Set(requester.aliases)].filter((a) => a.toLowerCase() !== requestedBy.toLowerCase());
  assertEnvName(ask.env, ask.kind === 'promote' ? 'target environment' : 'environment');
  if (ask.kind === 'promote') {
    assertEnvName(ask.from, 'source environment');
    if (ask.from === ask.env) throw new ConflictError(`Promoting ${ask.env} to itself changes nothing; name another environment.`);
  }
  const component = c.spec.metadata.name;
  // Validates the environment, deploy settings and policy before anything is written.
  const { target } = releasePlan(c.spec, { env: ask.env, path: c.ref.path, kind: ask.kind }, ctx.floors);
  // Another team's deployment repository takes this release only if it opted in to this component and file.
  await assertDeployAccess(ctx.providers, c.provider, c.ref.repo, target);
  const now = await deployedNow(ctx, c, ask.env);

  let image: string;
  let extra: Pick<ReleaseRequest, 'from' | 'rollbackTo'> = {};
  if (ask.kind === 'create') {
    parseImage(ask.image);
    image = ask.image;
  } else if (ask.kind === 'promote') {
    const source = await deployedNow(ctx, c, ask.from);
    if (!source.image) throw new ConflictError(`${ask.from} has no version yet (nothing in ${source.file}); release to it first: idp releases create --env ${ask.from} --image …`);
    image = source.image;
    extra = { from: ask.from };
  } else {
    const ledger = await ledgerOf(ctx, c, ask.env);
    const merged = ledger.filter((r) => r.outcome === 'merged');
    const target = ask.to !== undefined ? ledger.find((r) => r.number === ask.to) : merged[1];
    if (!target) {
      throw ask.to !== undefined
        ? new NotFoundError(`${ask.env} has no release v${ask.to}. See \`idp releases --env ${ask.env}\`.`)
        : new ConflictError(`${ask.env} has no earlier merged release to roll back to${merged[0] ? ` (v${merged[0].number} is the only one)` : ''}.`);
    }
    if (target.outcome !== 'merged') {
      throw new ConflictError(`v${target.number} of ${ask.env} was never deployed (${target.outcome.replace('_', ' ')}); roll back to a merged release: ${merged.map((r) => `v${r.number}`).join(', ') || 'none yet'}.`);
    }
    image = target.image;
    extra = { rollbackTo: target.number };
  }
  if (now.image && sameImage(now.image, image)) throw new ConflictError(`${ask.env} already runs ${image}; there is nothing to release.`);
  // Dry run of the edit: a deployment file idp cannot edit is refused now, not in a PR.
  const edited = setDeployedImage(now.target, now.text, image, c.spec);

  const key = repoKey(c.provider);
  const requesterLogin = await requesterLoginOn(now.target.repo ? ctx.providers(now.target.repo) : c.provider, requester, forgeToken);
  // A dry run (`dryRun: true`) stops here: validated, authorized and computed as the real request, nothing recorded.
  if (dryRun) {
    return {
      dryRun: true,
      workflowId: queueId(c, ask.env),
      kind: 'release',
      component,
      environment: ask.env,
      release: { kind: ask.kind, image, ...(now.image ? { previousImage: now.image } : {}), ...extra },
      files: [planFile(now.file, now.text, edited)],
    };
  }
  const request: ReleaseRequest = {
    kind: ask.kind,
    image,
    ...(now.image ? { previousImage: now.image } : {}),
    ...extra,
    requestedBy,
    ...(requesterLogin ? { requesterLogin } : {}),
    ...(requesterAliases.length ? { requesterAliases } : {}),
    requestedAt: new Date().toISOString(),
    requestId,
  };
  const queue = ctx.temporal.workflow.getHandle(queueId(c, ask.env));
  try {
    // Signal-with-start: once this returns, the request is in the queue's history, worker or not.
    await ctx.temporal.withDeadline(Date.now() + RECORD_TIMEOUT_MS, () => ctx.temporal.workflow.signalWithStart(releaseQueue, {
      workflowId: queue.workflowId,
      taskQueue: ctx.taskQueue,
      args: [{ repo: c.ref.repo, repoKey: key, repoId: c.provider.id, path: c.ref.path, component, env: ask.env, pollIntervalMs: ctx.pollIntervalMs }],
      signal: enqueueReleaseSignal,
      signalArgs: [request],
      typedSearchAttributes: [
        { key: SA.component, value: component },
        { key: SA.environment, value: ask.env },
        { key: SA.kind, value: 'releases' },
        { key: SA.repo, value: c.provider.id },
      ],
    }));
  } catch (err) {
    // Not recorded as far as we know: never answer "queued" for it. A retry with the same id is recorded once.
    throw new UnavailableError(
      `The release to ${ask.env} could not be recorded just now (${err instanceof Error ? err.message : String(err)}). Send the same request again in a few seconds (idp retries by itself).`,
    );
  }
  // A deadline, not an abort signal: the SDK re-sends an update not yet accepted (no worker) every ~20 s,
  // and a call made after its abort signal fired is never cancelled; a deadline ends every one of them.
  const deadline = Date.now() + (ctx.prWaitMs ?? 10_000);
  let queued: EnqueueResult;
  try {
    queued = await ctx.temporal.withDeadline(deadline, () => queue.executeUpdate(releaseRequestUpdate, { args: [requestId] }));
  } catch {
    // Recorded, not numbered yet (no worker running, or the queue is busy): it is numbered, in request order, once a worker runs.
    const described = await queue.describe().catch(() => undefined);
    return described
      ? { ...baseStatus(queue.workflowId, described), phase: 'queued' }
      : { workflowId: queue.workflowId, kind: 'releases', component, environment: ask.env, status: 'running', phase: 'queued' };
  }
  if (queued.requestedBy !== requestedBy || !sameImage(queued.image, image)) {
    throw new ConflictError(`This request's Idempotency-Key was already used for another release request (v${queued.number}); send a new key with a new request.`);
  }
  const handle = ctx.temporal.workflow.getHandle<typeof releaseWorkflow>(queued.workflowId);
  const statusOf = (state: ReleaseState): WorkflowStatus => ({
    workflowId: queued.workflowId,
    kind: 'release',
    component,
    environment: ask.env,
    status: 'running',
    phase: state.phase,
    ...(state.pr ? { pr: state.pr } : {}),
    release: { ...state.release, ...(state.pr ? { pr: state.pr } : {}) },
    joined: queued.joined,
  });
  // Behind another release: it opens its PR when that one ends; answer now — unless that one has
  // just ended and the queue is handing over the lock, when the PR is a moment away.
  if (queued.queuedBehind !== undefined) {
    const ahead = releaseWorkflowId(component, ask.env, queued.queuedBehind, key);
    const running = (await ctx.temporal.workflow.getHandle(ahead).describe().catch(() => undefined))?.status.name === 'RUNNING';
    if (running) return { ...(await describeWorkflow(ctx.temporal, queued.workflowId)), joined: queued.joined };
  }
  try {
    const state = (await ctx.temporal.withDeadline(deadline, () => handle.executeUpdate(pullRequestUpdate))) as unknown as ReleaseState;
    return statusOf(state);
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      throw errorFromBody({ error: { code: (err.cause.type ?? 'internal') as ErrorCode, message: err.cause.message } });
    }
    // No PR in time (a slow forge): the release is numbered and durable; say where it is.
    return { ...(await describeWorkflow(ctx.temporal, queued.workflowId)), joined: queued.joined };
  }
}

/**
 * The requester's login on the forge that holds the release PR, so their own
 * approval is recognised even when their idp user is an email or an entity ref.
 * A forge token they sent (never stored) proves it and wins; else the login
 * the identity provider vouches for (Backstage: the User entity's
 * `github.com/user-login` annotation — a Scaffolder task sends no forge token).
 * On GitHub/GitLab a requester idp cannot tie to a forge account is refused:
 * four eyes would be a guess (their approval under another login would count
 * as the second pair). The local forge's users are idp's own, so it needs none.
 */
export async function requesterLoginOn(p: Pick<GitProvider, 'kind' | 'repo' | 'actingAs'>, requester: Pick<Actor, 'id' | 'forgeLogins'>, token?: string): Promise<string | undefined> {
  if (p.kind === 'local') return undefined;
  const login = (token ? await p.actingAs?.(requester.id, token)?.forgeLogin?.(requester.id) : undefined) ?? requester.forgeLogins?.[p.kind];
  if (login) return login;
  const forge = p.kind === 'github' ? 'GitHub' : 'GitLab';
  const how = p.kind === 'github' ? 'GH_TOKEN (or GITHUB_TOKEN) to your GitHub token, e.g. GH_TOKEN=$(gh auth token)' : 'GITLAB_TOKEN to a GitLab personal access token of yours';
  throw new IdpError(
    'unauthenticated',
    401,
    `A release into ${p.repo} needs your ${forge} identity, so idp can tell your approvals from others' (four eyes); no forge token came with the request, and your identity names no ${forge} login. ` +
      `Set ${how} (or IDP_FORGE_TOKEN) where you run idp; in Backstage, a Backstage admin can add the annotation ${p.kind}.com/user-login: <your ${forge} login> to your User entity. Then request the release again.`,
  );
}

/** Every environment's ledger: one visibility query, newest release first. */
export async function listReleases(ctx: ReleaseContext, c: Component): Promise<ReleaseList> {
  const component = c.spec.metadata.name;
  const query = `IdpKind = 'releases' AND IdpRepo = ${quote(c.provider.id)} AND IdpComponent = ${quote(component)}`;
  const byEnv = new Map<string, ReleaseRecord[]>();
  for await (const wf of ctx.temporal.workflow.list({ query })) {
    const env = wf.searchAttributes?.IdpEnvironment?.[0];
    const ledger = wf.memo?.ledger as ReleaseRecord[] | undefined;
    if (typeof env === 'string' && ledger && !byEnv.has(env)) byEnv.set(env, ledger);
  }
  const names = [...Object.keys(c.spec.environments ?? {}), ...[...byEnv.keys()].filter((e) => !c.spec.environments?.[e])];
  const stuck = await stuckByEnvironment(ctx.temporal, `IdpKind IN ('release', 'releases') AND IdpRepo = ${quote(c.provider.id)} AND IdpComponent = ${quote(component)} AND ExecutionStatus = 'Running'`);
  const environments: EnvironmentReleases[] = names.map((env) => {
    const releases = byEnv.get(env) ?? [];
    const current = releases.find((r) => r.outcome === 'merged');
    return { env, ...(current ? { current } : {}), releases, ...(stuck.has(env) ? { stuck: stuck.get(env) } : {}) };
  });
  return { component, repo: c.ref.repo, environments };
}

/** One release with what gates it now: approvals so far, checks, the policy, the diff. */
export async function releaseDetail(ctx: ReleaseContext, c: Component, env: string, number: number): Promise<ReleaseDetail> {
  assertEnvName(env);
  const id = releaseWorkflowId(c.spec.metadata.name, env, number, repoKey(c.provider));
  const { status: workflow, memo } = await describeWithMemo(ctx.temporal, id).catch((err: unknown) => {
    if (err instanceof NotFoundError) throw new NotFoundError(`${env} has no release v${number}. See \`idp releases --env ${env}\`.`);
    throw err;
  });
  const state = memo.state as ReleaseState | undefined;
  const release = workflow.release ?? state?.release;
  if (!release) throw new NotFoundError(`${env} has no release v${number}.`);
  const policy = state?.policy ?? releasePlan(c.spec, { env, path: c.ref.path, kind: release.kind }, ctx.floors).policy;
  const pr = workflow.pr ?? state?.pr;
  const deployRepo = state?.repo;
  let verdict: ReleaseDetail['verdict'];
  let diff: ReleaseDetail['diff'] = [];
  if (pr && deployRepo) {
    const p = ctx.providers(deployRepo);
    const [pull, files] = await Promise.all([p.getPullRequest(pr.number), p.diff(pr.number)]);
    diff = files;
    if (pull.state === 'open') {
      const v = await releaseVerdict(p, pull, policy, requesterOf(release.requestedBy, state));
      verdict = { satisfied: v.satisfied, approvedBy: v.approvedBy, ignored: v.ignored, changesRequestedBy: v.changesRequestedBy, checks: v.checks, waitingFor: v.waitingFor };
    }
  }
  const { timeoutMs: _ms, ...shownPolicy } = policy;
  const deadline = workflow.status === 'running' && state?.deadline ? { deadline: state.deadline } : {};
  return { release: { ...release, ...(pr ? { pr } : {}) }, workflow, policy: shownPolicy, ...(verdict ? { verdict } : {}), ...deadline, diff };
}

/** The release's requester under every name recorded for them (four-eyes excludes them all). */
export function requesterOf(by: string, state?: Pick<ReleaseState, 'requesterLogin' | 'requesterAliases'>): Requester {
  return { by, login: state?.requesterLogin, aliases: state?.requesterAliases };
}

/** paws.yaml of the component, parsed: what every release route starts from. */
export function componentFrom(provider: GitProvider, text: string, ref: { repo: string; path: string }): Component {
  return { provider, spec: parsePaws(text, ref.path).spec, text, ref };
}

/** Where every release PR's head branch lives (core/src/names.ts, branchForWorkflow). */
const RELEASE_BRANCHES = 'idp/release/';

/**
 * A release PR is merged through the API only when its policy holds on the
 * current head: `idp pr merge` is no way around the approval rules. Fails
 * closed: every open PR on a release branch is gated, and whatever the gate
 * cannot evaluate (Temporal unreachable, the release ended or unknown, no
 * policy yet, another PR than the release's) is refused, never waved through.
 */
export async function assertReleasePolicyHolds(temporal: Client, provider: GitProvider, pr: PullRequest): Promise<void> {
  if (pr.state !== 'open' || !pr.head.startsWith(RELEASE_BRANCHES)) return;
  const id = workflowForBranch(pr.head);
  const refuse = (why: string) => new ConflictError(`idp does not merge PR #${pr.number}: ${why}`);
  if (!id?.startsWith('release:')) throw refuse(`its branch ${pr.head} is named like a release's but names none; close it and request the release with \`idp releases create\`.`);
  let d: WorkflowExecutionDescription;
  try {
    d = await temporal.workflow.getHandle(id).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw refuse(`idp has no release ${id} for its branch ${pr.head}; close it and request the release with \`idp releases create\`.`);
    const cause = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 200);
    throw new IdpError('internal', 503, `idp cannot check the release policy of PR #${pr.number} now (Temporal: ${cause}), so it does not merge it; retry in a moment.`);
  }
  const state = d.memo?.state as ReleaseState | undefined;
  const r = state?.release;
  const what = r ? `release v${r.number} to ${r.env}` : `release ${id}`;
  if (d.status.name !== 'RUNNING') {
    const outcome = r && FINAL_OUTCOMES.has(r.outcome) ? `: ${r.outcome.replace('_', ' ')}${r.reason ? ` (${r.reason})` : ''}` : '';
    const again = r ? ` \`idp releases create --env ${r.env} --image ${r.image}\`` : '';
    throw refuse(`it is ${what}, which has ended (workflow ${d.status.name.toLowerCase().replaceAll('_', ' ')}${outcome}), so its policy is no longer followed. Close it and request the release again if it is still wanted:${again || ' `idp releases create`'}.`);
  }
  if (!state?.policy || !r) throw refuse(`${what} has not published its release policy yet; retry in a few seconds.`);
  if (state.pr && state.pr.number !== pr.number) throw refuse(`it is not the PR of ${what} (that is #${state.pr.number}); close it.`);
  const v = await releaseVerdict(provider, pr, state.policy, requesterOf(r.requestedBy, state));
  if (!v.satisfied) {
    throw new ConflictError(`PR #${pr.number} is release v${r.number} to ${r.env}, and its release policy does not hold yet: ${v.waitingFor.join('; ') || 'changes were requested'}.`);
  }
}
