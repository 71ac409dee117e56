/**
 * env-ttl:<component>:<env> — the timer of an ephemeral environment. Sleeps
 * until expiresAt (a durable timer: no worker slot is held), moves when
 * `extendTtl` arrives, and at expiry opens the teardown PR by running
 * envDestroy as a child workflow.
 */
import { condition, executeChild, upsertMemo, setHandler, ParentClosePolicy, WorkflowIdReusePolicy } from '@temporalio/workflow';
import { workflowId } from '@idp/core/names';
import { cancelTtlSignal, extendTtlSignal, searchAttributesFor, ttlQuery, type EnvChangeResult, type EnvTtlInput } from './shared.js';
import { envDestroy } from './env-destroy.js';

export async function envTtl(input: EnvTtlInput): Promise<EnvChangeResult | { outcome: 'cancelled' }> {
  let expiresAt = input.expiresAt;
  let cancelled = false;
  // Readers (GET /workflows/{id}, env list) find the expiry in the memo, with or without a worker.
  const publish = () => upsertMemo({ state: { phase: 'open', expiresAt } });
  publish();
  setHandler(extendTtlSignal, (at) => {
    expiresAt = at;
    publish();
  });
  setHandler(cancelTtlSignal, () => {
    cancelled = true;
  });
  setHandler(ttlQuery, () => ({ expiresAt, cancelled }));

  for (;;) {
    const current = expiresAt;
    const remaining = Date.parse(current) - Date.now();
    if (remaining <= 0) break;
    await condition(() => cancelled || expiresAt !== current, remaining);
    if (cancelled) return { outcome: 'cancelled' };
  }

  return executeChild(envDestroy, {
    workflowId: workflowId('env-destroy', input.component, input.env, input.repoKey),
    // A destroy that already ran for this environment (and was closed by a human) may run again.
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
        reason: `its TTL expired at ${expiresAt}`,
        pollIntervalMs: input.pollIntervalMs,
      },
    ],
  });
}
