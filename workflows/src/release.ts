/**
 * release:<component>:<env>:v<n> — one release, started by the environment's
 * queue (release-queue.ts). Waits for the environment's lock, opens (or finds,
 * after a crash) the PR that sets the version, then follows it:
 *
 * - the approval policy is evaluated by idp itself, from the provider's reviews
 *   and checks on the PR's current head (a push after an approval voids it),
 *   never from the forge's opaque "mergeable" verdict;
 * - once it holds (and autoMerge is on) idp merges with the expected head SHA;
 * - an allowed approver requesting changes rejects the release (PR closed);
 * - no approval before the policy's timeout: PR closed, the workflow fails;
 * - the PR closed by a person: the release is cancelled;
 * - the PR merged by a person (the forge's UI) while the policy did not hold on
 *   the merged head: recorded as merged (it is deployed) outside the policy.
 *
 * The verdict is published as the `idp/policy` commit status on the PR's head
 * (pending, success, failure), so the forge's branch protection holds every
 * merge path to the policy; and the policy is in the memo before the PR
 * exists, so the API's merge gate can always evaluate it.
 *
 * Webhooks (and the API after a review) signal at once; polling is the
 * fallback. Waiting holds no worker slot: it is a durable timer.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  makeContinueAsNewFunc,
  getExternalWorkflowHandle,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ReleaseOutcome, ReleaseRecord } from '@idp/core';
import { acts } from './acts.js';
import { baseMovedSignal, prEventSignal, pullRequestUpdate, SA, stateQuery, type PrRef } from './shared.js';
import { lockGrantedSignal, releaseProgressSignal, type ReleaseInput, type ReleaseResult, type ReleaseState } from './release-shared.js';
import type { ReleaseEvaluation } from './activities.js';

const DEFAULT_POLL_MS = 30_000;
const MAX_POLL_MS = 5 * 60_000;
const DEFAULT_HISTORY_LIMIT = 5_000;

export async function release(input: ReleaseInput): Promise<ReleaseResult> {
  const { workflowId } = workflowInfo();
  const record: ReleaseRecord = {
    number: input.number,
    env: input.env,
    kind: input.kind,
    image: input.image,
    ...(input.previousImage ? { previousImage: input.previousImage } : {}),
    ...(input.from ? { from: input.from } : {}),
    ...(input.rollbackTo ? { rollbackTo: input.rollbackTo } : {}),
    workflowId,
    requestedBy: input.requestedBy,
    requestedAt: input.requestedAt,
    approvers: [],
    outcome: input.resume ? 'open' : 'queued',
    ...(input.resume ? { pr: prSummary(input.resume.pr) } : {}),
  };
  const state: ReleaseState = input.resume
    ? { phase: 'open', pr: input.resume.pr, repo: input.resume.repo, policy: input.resume.policy, deadline: input.resume.deadline, release: record }
    : { phase: 'queued', release: record };
  if (input.requesterLogin) state.requesterLogin = input.requesterLogin;
  if (input.requesterAliases?.length) state.requesterAliases = input.requesterAliases;
  let granted = input.resume !== undefined;
  let wake = false;

  setHandler(stateQuery, () => state as never);
  // Answers as soon as the PR exists (the API asks only when no release is ahead of this one).
  setHandler(pullRequestUpdate, async () => {
    await condition(() => state.pr !== undefined || state.error !== undefined);
    if (state.error) throw ApplicationFailure.nonRetryable(state.error.message, state.error.code);
    return state as never;
  });
  setHandler(lockGrantedSignal, () => {
    granted = true;
  });
  setHandler(prEventSignal, (ev) => {
    if (state.pr && ev.number === state.pr.number) wake = true;
  });
  setHandler(baseMovedSignal, () => {
    wake = true;
  });

  const queue = getExternalWorkflowHandle(input.queueId);
  const publish = (phase: ReleaseState['phase'], outcome: ReleaseOutcome, fields: Partial<ReleaseRecord> = {}) => {
    state.phase = phase;
    Object.assign(record, fields, { outcome });
    upsertSearchAttributes([{ key: SA.phase, value: phase }, ...(state.pr ? [{ key: SA.prNumber, value: state.pr.number }] : [])]);
    upsertMemo({ state });
  };
  /** Tell the queue's ledger; it is the listing everyone reads. */
  const report = async (fields: Partial<ReleaseRecord>) => {
    await queue.signal(releaseProgressSignal, { number: input.number, ...fields }).catch(() => undefined);
  };

  if (input.resume) publish('open', 'open');
  else {
    publish('queued', 'queued');
    await condition(() => granted);
    publish('proposing', 'open');
    try {
      const prepared = await acts.prepareRelease({ ...input, workflowId });
      state.repo = prepared.repo;
      state.policy = prepared.policy;
      if (prepared.previousImage) record.previousImage = prepared.previousImage;
      // Published before the PR exists: the merge gate (assertReleasePolicyHolds) never meets a PR without its policy.
      publish('proposing', 'open');
      state.pr = await acts.openPullRequest({ repo: prepared.repo, change: prepared, author: input.requestedBy, labels: ['idp', 'release', `env:${input.env}`] });
      state.deadline = new Date(Date.now() + prepared.policy.timeoutMs).toISOString();
    } catch (err) {
      state.error = { code: failureCode(err), message: failureMessage(err) };
      publish('failed', 'failed', { reason: state.error.message, endedAt: new Date().toISOString() });
      await condition(allHandlersFinished);
      throw ApplicationFailure.nonRetryable(state.error.message, state.error.code);
    }
    publish('open', 'open', { pr: prSummary(state.pr) });
    await report({ pr: prSummary(state.pr), outcome: 'open', ...(record.previousImage ? { previousImage: record.previousImage } : {}) });
  }

  const repo = state.repo!;
  const policy = state.policy!;
  let pr: PrRef = state.pr!;
  const deadline = Date.parse(state.deadline!);
  const base = input.pollIntervalMs ?? DEFAULT_POLL_MS;
  let polls = 0;
  let approvers: string[] = [];

  const end = async (phase: 'merged' | 'closed' | 'failed', outcome: ReleaseOutcome, reason?: string, extra: Partial<ReleaseRecord> = {}): Promise<ReleaseResult> => {
    const fields = { pr: prSummary(pr), approvers, endedAt: new Date().toISOString(), ...(reason ? { reason } : {}), ...extra };
    state.pr = pr;
    publish(phase, outcome, fields);
    // The ledger hears of the end before the release completes (the queue also learns it from the result).
    await report({ ...fields, outcome });
    await condition(allHandlersFinished);
    if (outcome === 'rejected' || outcome === 'timed_out') throw ApplicationFailure.nonRetryable(reason!, outcome);
    return { outcome: phase === 'merged' ? 'merged' : 'closed', pr, release: record };
  };

  /** The head idp wrote: only that one is ever rebased (a human's commit is never rewritten). */
  let ownHead = input.resume?.ownHead ?? pr.headSha;
  /** The head a merge last refused as conflicting: rebased once, not again until the head changes. */
  let conflictAt: string | undefined;
  /** Why idp cannot go on right now (a permission, a conflict): shown, commented once, retried at each wake. */
  const blocked = async (what: string, err: unknown) => {
    const message = `idp cannot ${what}: ${failureMessage(err)}`;
    if (state.waitingFor?.[0] !== message) {
      state.waitingFor = [message];
      publish('open', 'open');
      await acts.commentOnPullRequest({ repo, number: pr.number, body: `${message} idp tries again at the next event on this PR.`, marker: `blocked:${what}:${pr.headSha}` });
    }
  };

  /** The `idp/policy` status last set (head, state, text): set again only when one of them changes. */
  let statusSet: string | undefined;
  const setStatus = async (status: 'pending' | 'success' | 'failure', text: string) => {
    const description = text.length > 140 ? `${text.slice(0, 139)}…` : text;
    const key = `${pr.headSha} ${status} ${description}`;
    if (key === statusSet) return;
    try {
      await acts.setPolicyStatus({ repo, sha: pr.headSha, state: status, description, targetUrl: pr.url });
      statusSet = key;
    } catch (err) {
      // Without it the forge's branch protection blocks every merge (idp's too): say so on the PR, go on.
      await blocked('publish the idp/policy status', err);
    }
  };
  /** Why a merge made by a person did not satisfy the policy (undefined: it did). */
  let outsidePolicy: string | undefined;

  for (;;) {
    let ev: ReleaseEvaluation | undefined;
    try {
      ev = await acts.evaluateRelease({ repo, number: pr.number, policy, author: input.requestedBy, ...(input.requesterLogin ? { authorLogin: input.requesterLogin } : {}), ...(input.requesterAliases?.length ? { authorAliases: input.requesterAliases } : {}) });
    } catch (err) {
      await blocked('evaluate the release policy', err);
    }
    if (ev) {
      pr = ev.pr;
      state.pr = pr;
      if (pr.state === 'merged') {
        // Merged by a person (autoMerge off, or on the forge): the approvals that counted are recorded,
        // and a merge the policy did not allow on the merged head is recorded as such.
        approvers = ev.approvedBy;
        if (!ev.satisfied) outsidePolicy = ev.waitingFor.join('; ') || 'the release policy did not hold';
        break;
      }
      if (pr.state === 'closed') return end('closed', 'cancelled', `PR #${pr.number} was closed without merging.`);
      if (ev.changesRequestedBy.length > 0) {
        const reason = `${ev.changesRequestedBy.join(', ')} requested changes.`;
        await setStatus('failure', `Rejected: ${reason}`);
        await acts.closeRelease({ repo, number: pr.number, comment: `Release v${input.number} rejected: ${reason} Closing this PR; request a new release when ready.` });
        pr = { ...pr, state: 'closed' };
        return end('failed', 'rejected', `Rejected: ${reason}`);
      }
      // Before idp's own merge too: branch protection requiring idp/policy holds idp to it as well.
      await setStatus(ev.satisfied ? 'success' : 'pending', ev.satisfied ? 'The release policy holds on this commit.' : `Waiting for ${ev.waitingFor.join('; ')}`);
      if (ev.satisfied && policy.autoMerge) {
        try {
          pr = await acts.mergeRelease({ repo, number: pr.number, expectedHeadSha: pr.headSha, message: `Release v${input.number} of ${input.component} to ${input.env}: ${input.image}` });
          approvers = ev.approvedBy;
          break;
        } catch (err) {
          if (failureCode(err) !== 'conflict') await blocked('merge this PR', err);
          else if (pr.headSha === ownHead && conflictAt !== pr.headSha) {
            // Refused on the head just evaluated: the base moved under the PR and conflicts with it. Re-apply
            // the version on the current base; the new head needs approving again, as any push would.
            conflictAt = pr.headSha;
            try {
              const rebased = await acts.prepareRelease({ ...input, workflowId, expectedSha: ownHead });
              ownHead = rebased.headSha;
              await acts.commentOnPullRequest({ repo, number: pr.number, body: `The base branch moved and conflicted with this release; idp re-applied it on top (new head ${ownHead.slice(0, 12)}). Approvals given before count no more: please review again.`, marker: `rebased:${ownHead}` });
              wake = true;
            } catch (e) {
              await blocked('bring this PR up to date with its base', e);
            }
          }
          // Otherwise the head moved since the evaluation: the push's event wakes us to evaluate again.
        }
      }
      if (JSON.stringify(ev.approvedBy) !== JSON.stringify(record.approvers) || JSON.stringify(ev.waitingFor) !== JSON.stringify(state.waitingFor)) {
        state.waitingFor = ev.waitingFor;
        publish('open', 'open', { approvers: ev.approvedBy });
        await report({ approvers: ev.approvedBy });
      }
    }

    const left = deadline - Date.now();
    if (left <= 0) {
      const reason = `No approval under the policy within ${policy.timeout}.`;
      await setStatus('failure', `Timed out: ${reason}`);
      await acts.closeRelease({ repo, number: pr.number, comment: `Release v${input.number} timed out: ${reason} Closing this PR.` });
      pr = { ...pr, state: 'closed' };
      return end('failed', 'timed_out', `Timed out: ${reason}`);
    }
    const interval = Math.min(base * (1 + Math.floor(polls / 10)), Math.max(base, MAX_POLL_MS), left);
    await condition(() => wake, interval);
    wake = false;
    polls++;
    if (workflowInfo().historyLength > (input.historyLimit ?? DEFAULT_HISTORY_LIMIT)) {
      await condition(allHandlersFinished);
      await makeContinueAsNewFunc<typeof release>({ memo: workflowInfo().memo ?? {} })({ ...input, resume: { pr, repo, policy, deadline: state.deadline!, ownHead } });
    }
  }

  if (outsidePolicy) {
    await acts.commentOnPullRequest({
      repo,
      number: pr.number,
      body: `This release was merged outside its policy (missing: ${outsidePolicy}). It is deployed, and recorded in the ledger as merged outside the policy (\`idp releases\`). Require the idp/policy status on the base branch so the forge refuses such merges.`,
      marker: `outside-policy:${pr.headSha}`,
    });
  }
  await acts.deleteBranch({ repo, branch: pr.head });
  return end('merged', 'merged', undefined, outsidePolicy ? { outsidePolicy } : {});
}

function prSummary(pr: PrRef) {
  return { number: pr.number, url: pr.url, state: pr.state, head: pr.head, headSha: pr.headSha };
}
function failureCode(err: unknown): string {
  return (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type) || 'internal';
}
function failureMessage(err: unknown): string {
  return err instanceof ActivityFailure && err.cause ? err.cause.message : String(err);
}
