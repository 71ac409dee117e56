/** Reading workflow state for the API: describe/long-poll one workflow, list a component's, signal PR events. */
import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import { NotFoundError, parseWorkflowId, workflowForBranch, type PullRequest, type WorkflowStatus } from '@idp/core';
import { type GitProvider, repoKey } from '@idp/providers';
import { baseMovedSignal, prEventSignal, type EnvChangeResult, type EnvChangeState, type SecretEdit } from '@idp/workflows/shared';

const STATUS: Record<string, WorkflowStatus['status']> = {
  RUNNING: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed_out',
  CONTINUED_AS_NEW: 'continued_as_new',
};

/** Status from what the server stores: execution info plus the state the workflow published in its memo. */
export function baseStatus(id: string, d: Pick<WorkflowExecutionDescription, 'status' | 'startTime' | 'closeTime' | 'memo'>): WorkflowStatus {
  const parsed = parseWorkflowId(id);
  const status: WorkflowStatus = {
    workflowId: id,
    kind: parsed?.kind ?? 'env-clone',
    component: parsed?.component ?? '',
    environment: parsed?.env ?? '',
    status: STATUS[d.status.name] ?? 'running',
    phase: parsed?.kind === 'env-ttl' ? 'open' : 'proposing',
    startedAt: d.startTime.toISOString(),
    closedAt: d.closeTime?.toISOString(),
  };
  const state = d.memo?.state as (EnvChangeState & { release?: WorkflowStatus['release'] }) | undefined;
  if (!state) return status;
  return {
    ...status,
    phase: state.phase,
    pr: state.pr,
    expiresAt: state.expiresAt,
    error: state.error,
    stuck: state.stuck,
    ...(state.request?.secret ? { secret: secretChange(state.request.secret) } : {}),
    ...(state.release ? { release: { ...state.release, ...(state.pr ? { pr: state.pr } : {}) } } : {}),
  };
}

/** An env-secrets workflow's edit as the contract names it: set (a reference) or unset (none). */
export function secretChange(edit: SecretEdit): NonNullable<WorkflowStatus['secret']> {
  return { key: edit.key, action: edit.ref ? 'set' : 'unset', ...(edit.ref ? { ref: edit.ref } : {}), ...(edit.version ? { version: edit.version } : {}) };
}

/** Resolves once the workflow's published phase is no longer `phase` (polls its description, which needs no worker). */
async function phaseLeaves(temporal: Client, id: string, phase: string, stop: AbortSignal): Promise<void> {
  while (!stop.aborted) {
    const d = await temporal.workflow.getHandle(id).describe();
    if (baseStatus(id, d).phase !== phase) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Status of one workflow; with waitMs, first wait (up to that long) for it to
 * close — or, given `sincePhase`, for its phase to change (a queued release
 * opening its PR), so a follower hears of progress without polling.
 */
export async function describeWorkflow(temporal: Client, id: string, waitMs = 0, sincePhase?: string): Promise<WorkflowStatus> {
  return (await describeWithMemo(temporal, id, waitMs, sincePhase)).status;
}

/** describeWorkflow, plus the memo the workflow published (for what WorkflowStatus does not carry). */
export async function describeWithMemo(temporal: Client, id: string, waitMs = 0, sincePhase?: string): Promise<{ status: WorkflowStatus; memo: Record<string, unknown> }> {
  if (!parseWorkflowId(id)) throw new NotFoundError(`"${id}" is not an idp workflow id (e.g. env-clone:checkout:preview-123@1a2b3c4d5e, release:checkout:production:v12@1a2b3c4d5e).`);
  const handle = temporal.workflow.getHandle(id);
  let result: EnvChangeResult | undefined;
  let failure: Error | undefined;
  try {
    if (waitMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), waitMs)));
      const stop = new AbortController();
      const moved = sincePhase ? phaseLeaves(temporal, id, sincePhase, stop.signal).then(() => 'timeout' as const, () => 'timeout' as const) : timeout;
      // result() long-polls the history until the workflow ends: cancelled (by `stop`) once this wait is
      // answered; the deadline also ends a poll the SDK re-sends after `stop` fired (it would ignore the signal).
      const ended = temporal.withDeadline(Date.now() + waitMs + 1_000, () => temporal.withAbortSignal(stop.signal, () => handle.result()));
      const outcome = await Promise.race([ended.then((r) => ({ r }), (e: Error) => ({ e })), timeout, moved]);
      stop.abort();
      clearTimeout(timer);
      if (outcome !== 'timeout') {
        if ('r' in outcome) result = outcome.r as EnvChangeResult;
        else failure = outcome.e;
      }
    }
    const d = await handle.describe();
    const status = baseStatus(id, d);
    const memo = d.memo ?? {};
    // The memo, not a query: it answers even when no worker is running.
    if (status.status === 'running') return { status, memo };
    if (status.status === 'completed') {
      result ??= (await handle.result()) as EnvChangeResult;
      if (result && 'pr' in result) {
        const release = (result as { release?: WorkflowStatus['release'] }).release;
        return { status: { ...status, phase: result.outcome, pr: result.pr, expiresAt: result.expiresAt, ...(release ? { release: { ...release, pr: result.pr } } : {}) }, memo };
      }
      return { status, memo };
    }
    if (!failure) failure = await handle.result().then(() => undefined, (e: Error) => e);
    const cause = (failure as { cause?: { message?: string; type?: string } } | undefined)?.cause;
    return { status: { ...status, phase: 'failed', error: { code: cause?.type ?? 'internal', message: cause?.message ?? failure?.message ?? 'failed' } }, memo };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new NotFoundError(`No workflow ${id}.`);
    throw err;
  }
}

/** A string literal of Temporal's visibility query language. */
export const quote = (s: string) => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;

/** Running workflows of a component: a visibility query on search attributes, not a scan. */
export async function listRunningForComponent(temporal: Client, repo: string, component: string): Promise<WorkflowStatus[]> {
  const out: WorkflowStatus[] = [];
  const query = `IdpRepo = ${quote(repo)} AND IdpComponent = ${quote(component)} AND ExecutionStatus = 'Running'`;
  for await (const wf of temporal.workflow.list({ query })) out.push(baseStatus(wf.workflowId, wf));
  return out;
}

/** Tell the workflow that owns a PR's branch what happened to it (it verifies with the provider). */
export async function signalPrEvent(temporal: Client, provider: GitProvider, pr: PullRequest): Promise<void> {
  const id = workflowForBranch(pr.head, repoKey(provider));
  if (!id) return;
  try {
    await temporal.workflow.getHandle(id).signal(prEventSignal, { number: pr.number, state: pr.state, headSha: pr.headSha });
  } catch (err) {
    // Not running (already finished, or the PR was not opened by idp): the provider state is what counts.
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
}

/**
 * The base branch of `repo` moved (a PR was merged through the API): every
 * running change on that repository checks at once whether its PR still merges
 * cleanly, and rebases it if not — no waiting for the next poll.
 */
export async function signalBaseMoved(temporal: Client, repo: string): Promise<void> {
  const query = `IdpRepo = ${quote(repo)} AND ExecutionStatus = 'Running' AND IdpKind IN ('env-clone', 'env-create', 'env-destroy', 'env-extend', 'env-vars', 'env-secrets')`;
  const signals: Promise<void>[] = [];
  for await (const wf of temporal.workflow.list({ query })) {
    signals.push(temporal.workflow.getHandle(wf.workflowId).signal(baseMovedSignal).catch(() => undefined));
  }
  await Promise.all(signals);
}
