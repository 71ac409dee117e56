/**
 * The lifecycle every environment change shares: propose the edit as a PR on a
 * deterministic branch, answer the `pullRequest` update as soon as the PR exists,
 * then follow the PR until it is merged or closed — by signal (webhook / API) at
 * once, by polling as a fallback. Runs inside the workflow sandbox.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  makeContinueAsNewFunc,
  patched,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
  ActivityFailure,
} from '@temporalio/workflow';
import { acts, fast } from './acts.js';
import {
  baseMovedSignal,
  prEventSignal,
  pullRequestUpdate,
  SA,
  stateQuery,
  type EnvChangeInput,
  type EnvChangeResult,
  type EnvChangeState,
  type PrRef,
} from './shared.js';


const DEFAULT_POLL_MS = 30_000;
/** patched(): proposing the PR by local activities. */
const LOCAL_PROPOSE = 'propose-by-local-activities';
const MAX_POLL_MS = 5 * 60_000;
/** Well under Temporal's 50k-event limit: a PR may wait for review for weeks. */
const DEFAULT_HISTORY_LIMIT = 5_000;

export async function proposeAndFollow(input: EnvChangeInput, workflow: EnvChangeWorkflow): Promise<EnvChangeResult> {
  const request = { id: input.requestId, source: input.source, ttl: input.ttl, ...(input.variables ? { variables: input.variables } : {}), ...(input.secret ? { secret: input.secret } : {}), requestedBy: input.requestedBy };
  const state: EnvChangeState = input.resume
    ? { phase: 'open', request, pr: input.resume.pr, expiresAt: input.resume.expiresAt }
    : { phase: 'proposing', request };
  // Set by a signal: look at the PR now instead of at the next poll.
  let wake = false;

  setHandler(stateQuery, () => state);
  setHandler(pullRequestUpdate, async () => {
    await condition(() => state.pr !== undefined || state.error !== undefined);
    if (state.error) throw ApplicationFailure.nonRetryable(state.error.message, state.error.code);
    return state;
  });
  setHandler(prEventSignal, (ev) => {
    if (state.pr && ev.number === state.pr.number) wake = true;
  });
  setHandler(baseMovedSignal, () => {
    wake = true;
  });

  /**
   * Publish the state where readers find it without a worker: search attributes
   * (for listing queries) and the memo (the PR and expiry, for `GET /workflows/{id}`).
   */
  const setPhase = (phase: EnvChangeState['phase']) => {
    state.phase = phase;
    upsertSearchAttributes([
      { key: SA.phase, value: phase },
      ...(state.pr ? [{ key: SA.prNumber, value: state.pr.number }] : []),
    ]);
    upsertMemo({ state });
  };

  const { workflowId } = workflowInfo();
  // A run continued from an earlier one starts with an empty memo: publish what it carries.
  if (input.resume) setPhase('open');
  if (!state.pr) {
    try {
      // The two writes the caller waits for run first as local activities (acts.ts: fast); workflows started before
      // this change replay them as the activities they recorded.
      const local = patched(LOCAL_PROPOSE);
      const input_ = { ...input, workflowId };
      const change = local ? await fast('prepareEnvChange', input_) : await acts.prepareEnvChange(input_);
      state.expiresAt = change.expiresAt;
      const open = { repo: input.repo, change, author: input.requestedBy, labels: ['idp', input.kind] };
      state.pr = local ? await fast('openPullRequest', open) : await acts.openPullRequest(open);
    } catch (err) {
      // A refused change (invalid paws.yaml, environment already exists...) ends the workflow; the
      // update answers the caller with the same error code the API uses.
      state.error = { code: failureCode(err), message: failureMessage(err) };
      setPhase('failed');
      await condition(allHandlersFinished);
      throw ApplicationFailure.nonRetryable(state.error.message, state.error.code);
    }
    setPhase('open');
  }

  // Follow the PR. Signals wake us at once; without them we poll, slowing down over time.
  const base = input.pollIntervalMs ?? DEFAULT_POLL_MS;
  let polls = 0;
  let pr = state.pr!;
  /** The head idp itself wrote last: a different head means a human pushed, and idp never rewrites their work. */
  let ownHead = input.resume?.ownHead ?? pr.headSha;
  /** Head and base idp could not bring together: not retried until either changes again. */
  let stuckAt = input.resume?.stuckAt;
  state.stuck = input.resume?.stuck;
  while (pr.state === 'open') {
    const interval = Math.min(base * (1 + Math.floor(polls / 10)), Math.max(base, MAX_POLL_MS));
    await condition(() => wake, interval);
    polls++;
    // Signal or timeout, the provider is the source of truth for the PR's state.
    wake = false;
    pr = await acts.getPullRequest({ repo: input.repo, number: pr.number });
    const where = `${pr.headSha}@${pr.baseTip}`;
    const outdated = pr.state === 'open' && (pr.behind || pr.mergeable === false) && where !== stuckAt;
    if (outdated) {
      // The base moved. idp's change is an edit, not a diff: re-apply it to paws.yaml as it is now, so
      // what gets merged is always the edit checked against the latest base (another PR may have
      // removed the source environment) and never a conflict left to a human.
      const refused = await keepUpToDate(pr);
      state.stuck = refused;
      if (refused) {
        stuckAt = where;
        await acts.commentOnPullRequest({ repo: input.repo, number: pr.number, body: refused, marker: `stuck:${where}` });
      }
    }
    state.pr = pr;
    if (outdated) setPhase('open');
    if (pr.state === 'open' && workflowInfo().historyLength > (input.historyLimit ?? DEFAULT_HISTORY_LIMIT)) {
      await condition(allHandlersFinished);
      // The memo goes along: readers of the new run must not see it blank before its first task runs.
      await makeContinueAsNewFunc<typeof workflow>({ memo: workflowInfo().memo ?? {} })({ ...input, hint: undefined, resume: { pr, expiresAt: state.expiresAt, ownHead, stuckAt, stuck: state.stuck } });
    }
  }

  /** Rebase idp's own commit onto the base; returns why not when it cannot (and leaves the branch alone). */
  async function keepUpToDate(current: PrRef): Promise<string | undefined> {
    if (current.headSha !== ownHead) {
      return `This PR has commits idp did not write, so idp no longer brings it up to date with its base${current.mergeable === false ? ' (it now conflicts)' : ''}. Update the branch yourself, or close this PR and run the idp command again.`;
    }
    try {
      const change = await acts.refreshEnvChange({ ...input, workflowId, expectedSha: ownHead });
      ownHead = change.headSha;
      pr = { ...current, headSha: change.headSha, mergeable: true, behind: false };
      state.expiresAt = change.expiresAt;
      return undefined;
    } catch (err) {
      return `idp could not bring this PR up to date with its base: ${failureMessage(err)} Close this PR, or fix the base branch and idp will try again.`;
    }
  }

  setPhase(pr.state);
  if (pr.state === 'merged') await acts.deleteBranch({ repo: input.repo, branch: pr.head });
  await condition(allHandlersFinished);
  return { outcome: pr.state, pr, expiresAt: state.expiresAt };
}

/** An activity's refusal as the API reports it: the IdpError code is the failure type. */
function failureCode(err: unknown): string {
  return (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type) || 'internal';
}
function failureMessage(err: unknown): string {
  return err instanceof ActivityFailure && err.cause ? err.cause.message : String(err);
}

export type EnvChangeWorkflow = (input: EnvChangeInput) => Promise<EnvChangeResult>;
