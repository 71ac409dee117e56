/**
 * releases:<component>:<env> — an environment's release queue, lock and ledger.
 *
 * - `enqueueRelease` numbers a release (v1, v2, … per environment) and starts its
 *   workflow at once (so it can be followed while it waits), or joins the same
 *   image already queued or in progress.
 * - One release at a time holds the environment's lock: the next one gets it
 *   when the holder ends (merged, rejected, timed out, cancelled, failed), so two
 *   release PRs for one environment never race. Other environments have their
 *   own queue and run in parallel.
 * - The ledger (newest first) is published in the memo, so `idp releases` lists
 *   every environment with one visibility query and no worker, and without
 *   scanning git history. It lives as long as the queue: the queue never ends,
 *   it continues-as-new (carrying the ledger) whenever it is idle and long.
 */
import {
  allHandlersFinished,
  ChildWorkflowFailure,
  ApplicationFailure,
  condition,
  makeContinueAsNewFunc,
  setHandler,
  startChild,
  upsertMemo,
  workflowInfo,
  ParentClosePolicy,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import { releaseWorkflowId } from '@idp/core/names';
import type { ReleaseOutcome, ReleaseRecord } from '@idp/core';
import { release } from './release.js';
import { SA } from './shared.js';
import {
  enqueueReleaseUpdate,
  FINAL_OUTCOMES,
  ledgerQuery,
  lockGrantedSignal,
  releaseProgressSignal,
  type ReleaseQueueInput,
  type ReleaseResult,
} from './release-shared.js';

/** Kept in the workflow (and carried over continue-as-new); older entries remain in git history. */
const LEDGER_LIMIT = 1000;
/** Published in the memo: what `idp releases` shows. */
const MEMO_LIMIT = 100;
const DEFAULT_HISTORY_LIMIT = 2_000;

export async function releaseQueue(input: ReleaseQueueInput): Promise<void> {
  const ledger: ReleaseRecord[] = input.ledger ?? [];
  let next = input.next ?? (ledger[0]?.number ?? 0) + 1;
  /** Releases started and not ended, in request order; the first holds the lock. */
  const waiting: number[] = [];
  const handles = new Map<number, ChildWorkflowHandle<typeof release>>();
  let holder: number | undefined;

  const publish = () => upsertMemo({ ledger: ledger.slice(0, MEMO_LIMIT) });
  const entry = (n: number) => ledger.find((r) => r.number === n);

  setHandler(ledgerQuery, () => ledger);
  setHandler(releaseProgressSignal, (update) => {
    const r = entry(update.number);
    // A late progress report never reopens an ended release.
    if (!r || FINAL_OUTCOMES.has(r.outcome)) return;
    Object.assign(r, update);
    publish();
  });

  setHandler(enqueueReleaseUpdate, async (req) => {
    // The same image already on its way to this environment: join it instead of queueing a twin.
    const same = ledger.find((r) => !FINAL_OUTCOMES.has(r.outcome) && r.image === req.image);
    if (same) {
      const i = waiting.indexOf(same.number);
      return { number: same.number, workflowId: same.workflowId, joined: true, ...(i > 0 ? { queuedBehind: waiting[i - 1] } : {}) };
    }

    const number = next++;
    const workflowId = releaseWorkflowId(input.component, input.env, number, input.repoKey);
    const record: ReleaseRecord = {
      number,
      env: input.env,
      kind: req.kind,
      image: req.image,
      ...(req.previousImage ? { previousImage: req.previousImage } : {}),
      ...(req.from ? { from: req.from } : {}),
      ...(req.rollbackTo ? { rollbackTo: req.rollbackTo } : {}),
      workflowId,
      requestedBy: req.requestedBy,
      requestedAt: req.requestedAt,
      approvers: [],
      outcome: 'queued',
    };
    ledger.unshift(record);
    ledger.length = Math.min(ledger.length, LEDGER_LIMIT);
    const { historyLimit, pollIntervalMs, repo, repoKey, repoId, path, component, env } = input;
    const handle = await startChild(release, {
      workflowId,
      args: [{ repo, repoKey, repoId, path, component, env, pollIntervalMs, historyLimit, ...req, number, queueId: workflowInfo().workflowId }],
      // The release outlives a queue run that continues-as-new (it never does while a release runs, but a reset might).
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: [
        { key: SA.component, value: component },
        { key: SA.environment, value: env },
        { key: SA.kind, value: 'release' },
        { key: SA.repo, value: input.repoId ?? repo },
        { key: SA.phase, value: 'queued' },
      ],
      memo: { state: { phase: 'queued', release: record } },
    });
    handles.set(number, handle);
    const ahead = waiting.at(-1);
    waiting.push(number);
    void handle.result().then(
      (result: ReleaseResult) => settle(number, result.release.outcome, result.release),
      (err: unknown) => settle(number, outcomeOf(err), { reason: reasonOf(err) }),
    );
    publish();
    return { number, workflowId, joined: false, ...(ahead !== undefined ? { queuedBehind: ahead } : {}) };
  });

  function settle(number: number, outcome: ReleaseOutcome, fields: Partial<ReleaseRecord>) {
    const r = entry(number);
    if (r) Object.assign(r, fields, { outcome, endedAt: fields.endedAt ?? new Date().toISOString() });
    const i = waiting.indexOf(number);
    if (i >= 0) waiting.splice(i, 1);
    handles.delete(number);
    if (holder === number) holder = undefined;
    publish();
  }

  publish();
  for (;;) {
    const long = () => workflowInfo().historyLength > (input.historyLimit ?? DEFAULT_HISTORY_LIMIT);
    await condition(() => (holder === undefined && waiting.length > 0) || (waiting.length === 0 && long()));
    if (waiting.length === 0) {
      await condition(allHandlersFinished);
      // The memo (the ledger `idp releases` reads) goes along, so the new run never shows it empty.
      if (waiting.length === 0) await makeContinueAsNewFunc<typeof releaseQueue>({ memo: workflowInfo().memo ?? {} })({ ...input, ledger, next });
      continue;
    }
    holder = waiting[0]!;
    const granted = holder;
    // A release terminated by an operator cannot take the lock: the next one gets it.
    await handles.get(granted)!.signal(lockGrantedSignal).catch((err: unknown) => settle(granted, 'failed', { reason: `could not start: ${String(err)}` }));
  }
}

function outcomeOf(err: unknown): ReleaseOutcome {
  const type = err instanceof ChildWorkflowFailure && err.cause instanceof ApplicationFailure ? err.cause.type : undefined;
  return type === 'rejected' || type === 'timed_out' ? type : 'failed';
}

function reasonOf(err: unknown): string {
  return err instanceof ChildWorkflowFailure && err.cause ? err.cause.message : String(err);
}
