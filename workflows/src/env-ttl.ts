/**
 * env-ttl:<component>:<env> — the timer of an ephemeral environment. Sleeps
 * until expiresAt (a durable timer: no worker slot is held) and then opens the
 * teardown PR by running envDestroy as a child workflow.
 *
 * - `extendTtl` moves the expiry; if the teardown PR is already open, it is
 *   closed (with a comment) and the timer sleeps again.
 * - A teardown PR closed by a human keeps the environment: the timer waits
 *   for an extend (or for the environment to be destroyed another way).
 * - A teardown that cannot start (other environments are cloned from this one,
 *   a destroy is already running) is tried again hourly, not given up.
 */
import {
  condition,
  setHandler,
  startChild,
  upsertMemo,
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import { branchForWorkflow, workflowId } from '@idp/core/names';
import { acts } from './acts.js';
import { cancelTtlSignal, extendTtlSignal, prEventSignal, searchAttributesFor, ttlQuery, type EnvChangeResult, type EnvTtlInput } from './shared.js';
import { envDestroy } from './env-destroy.js';

const RETRY = '1 hour';

export async function envTtl(input: EnvTtlInput): Promise<EnvChangeResult | { outcome: 'cancelled' }> {
  let expiresAt = input.expiresAt;
  let cancelled = false;
  let note: string | undefined;
  // Readers (GET /workflows/{id}, env list) find the expiry in the memo, with or without a worker.
  const publish = () => upsertMemo({ state: { phase: 'open', expiresAt, ...(note ? { stuck: note } : {}) } });
  publish();
  setHandler(extendTtlSignal, (at) => {
    expiresAt = at;
    note = undefined;
    publish();
  });
  setHandler(cancelTtlSignal, () => {
    cancelled = true;
  });
  setHandler(ttlQuery, () => ({ expiresAt, cancelled }));
  const cancelledResult = { outcome: 'cancelled' as const };
  const destroyId = workflowId('env-destroy', input.component, input.env, input.repoKey);

  for (;;) {
    // Sleep until the expiry, which an extend may move.
    for (;;) {
      const current = expiresAt;
      const remaining = Date.parse(current) - Date.now();
      if (remaining <= 0) break;
      await condition(() => cancelled || expiresAt !== current, remaining);
      if (cancelled) return cancelledResult;
    }

    const expired = expiresAt;
    const moved = () => cancelled || expiresAt !== expired;
    let child: ChildWorkflowHandle<typeof envDestroy>;
    try {
      child = await startChild(envDestroy, {
        workflowId: destroyId,
        // A destroy that ran before for this environment (and was closed by a human) may run again.
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        parentClosePolicy: ParentClosePolicy.ABANDON,
        typedSearchAttributes: searchAttributesFor('env-destroy', input.repo, input.component, input.env),
        args: [
          {
            kind: 'env-destroy',
            repo: input.repo,
            repoKey: input.repoKey,
            path: input.path,
            component: input.component,
            env: input.env,
            confirm: input.env,
            requestedBy: 'idp',
            requestedAt: new Date().toISOString(),
            reason: `its TTL expired at ${expired}`,
            pollIntervalMs: input.pollIntervalMs,
          },
        ],
      });
    } catch {
      // A destroy of this environment is already running (someone asked for it): it stops this timer when merged.
      note = 'a destroy of this environment is already in progress';
      publish();
      await condition(moved, RETRY);
      if (cancelled) return cancelledResult;
      continue;
    }

    const outcome = await Promise.race([
      child.result().then((r) => r, () => 'failed' as const),
      condition(moved).then(() => 'moved' as const),
    ]);
    if (outcome === 'moved') {
      if (cancelled) return cancelledResult;
      // Extended while the teardown PR is open: close it; the child then ends as closed.
      const closed = await acts.closePullRequestForBranch({
        repo: input.repo,
        branch: branchForWorkflow(destroyId),
        comment: `The environment was extended until ${expiresAt}; this teardown is no longer needed.`,
      });
      if (closed !== null) await child.signal(prEventSignal, { number: closed, state: 'closed' });
      await child.result().catch(() => undefined);
      continue;
    }
    if (outcome !== 'failed' && outcome.outcome === 'merged') return outcome;
    // Closed by a human (keep the environment until it is extended) or refused (try again later).
    note = outcome === 'failed' ? 'the teardown could not start (see the env-destroy workflow); trying again hourly' : 'the teardown PR was closed; extend the environment to set a new expiry';
    publish();
    if (outcome === 'failed') await condition(moved, RETRY);
    else await condition(moved);
    if (cancelled) return cancelledResult;
  }
}
