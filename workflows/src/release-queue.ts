/**
 * releases:<component>:<env> — an environment's release queue, lock and ledger.
 *
 * - `enqueueRelease` (a signal: durable once delivered, worker or not) numbers a
 *   release (v1, v2, … per environment, in signal order) and starts its workflow
 *   at once (so it can be followed while it waits), or joins the same image
 *   already queued or in progress. A request id is recorded once: a retried
 *   request is never a second release. `releaseRequest` tells the API what
 *   became of a request.
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
  enqueueReleaseSignal,
  FINAL_OUTCOMES,
  ledgerQuery,
  lockGrantedSignal,
  releaseProgressSignal,
  releaseRequestUpdate,
  type RecordedRequest,
  type ReleaseQueueInput,
  type ReleaseRequest,
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
  /** Numbered releases whose workflow is being started. */
  const starting = new Set<number>();
  /** Request id → what it was recorded as (insertion order: oldest first). */
  const requests = new Map<string, RecordedRequest>(input.requests ?? []);
  let holder: number | undefined;

  const publish = () => upsertMemo({ ledger: ledger.slice(0, MEMO_LIMIT) });
  const entry = (n: number) => ledger.find((r) => r.number === n);
  const remember = (req: ReleaseRequest, number: number, joined: boolean) => {
    requests.set(req.requestId, { number, joined, image: req.image, requestedBy: req.requestedBy });
    for (const id of requests.keys()) {
      if (requests.size <= LEDGER_LIMIT) break;
      requests.delete(id);
    }
  };

  setHandler(ledgerQuery, () => ledger);
  setHandler(releaseProgressSignal, (update) => {
    const r = entry(update.number);
    // A late progress report never reopens an ended release.
    if (!r || FINAL_OUTCOMES.has(r.outcome)) return;
    Object.assign(r, update);
    publish();
  });

  setHandler(enqueueReleaseSignal, async (req) => {
    // A retry of a request already recorded (the client did not hear the answer): nothing new.
    if (requests.has(req.requestId)) return;
    // The same image already on its way to this environment: join it instead of queueing a twin.
    const same = ledger.find((r) => !FINAL_OUTCOMES.has(r.outcome) && r.image === req.image);
    if (same) {
      remember(req, same.number, true);
      return;
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
    remember(req, number, false);
    // In the queue at once, so the lock goes in signal order whatever order the children start in.
    waiting.push(number);
    starting.add(number);
    publish();
    const { historyLimit, pollIntervalMs, repo, repoKey, repoId, path, component, env } = input;
    let handle: ChildWorkflowHandle<typeof release>;
    try {
      handle = await startChild(release, {
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
    } catch (err) {
      // Recorded, and recorded as failed: a signal handler that throws would stall the whole queue.
      starting.delete(number);
      settle(number, 'failed', { reason: `could not start: ${String(err)}` });
      return;
    }
    starting.delete(number);
    handles.set(number, handle);
    void handle.result().then(
      (result: ReleaseResult) => settle(number, result.release.outcome, result.release),
      (err: unknown) => settle(number, outcomeOf(err), { reason: reasonOf(err) }),
    );
  });

  setHandler(releaseRequestUpdate, async (requestId) => {
    // The API asks only after its signal was delivered, and a signal is handled before a later update.
    const recorded = requests.get(requestId);
    if (!recorded) throw ApplicationFailure.nonRetryable(`The release queue has no request ${requestId}.`, 'not_found');
    await condition(() => !starting.has(recorded.number));
    const i = waiting.indexOf(recorded.number);
    const workflowId = entry(recorded.number)?.workflowId ?? releaseWorkflowId(input.component, input.env, recorded.number, input.repoKey);
    return { ...recorded, workflowId, ...(i > 0 ? { queuedBehind: waiting[i - 1] } : {}) };
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
    await condition(() => (holder === undefined && waiting.length > 0 && !starting.has(waiting[0]!)) || (waiting.length === 0 && long()));
    if (waiting.length === 0) {
      await condition(allHandlersFinished);
      // The memo (the ledger `idp releases` reads) goes along, so the new run never shows it empty.
      if (waiting.length === 0) await makeContinueAsNewFunc<typeof releaseQueue>({ memo: workflowInfo().memo ?? {} })({ ...input, ledger, next, requests: [...requests] });
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
