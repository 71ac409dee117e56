/**
 * A workflow whose activity keeps failing is running but going nowhere: its
 * description (the server's, readable without a worker) lists the pending
 * activity with its attempt count and last failure. Listings show that, so a
 * stalled change is seen the moment someone looks, not found days later.
 */
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import type { WorkflowStatus } from '@idp/core';

/** From this attempt on an activity is reported (the first retries are ordinary glitches, over in a second). */
export const STUCK_FROM_ATTEMPT = 3;

/** "stuck: retrying <activity> (attempt N): <last error>", or undefined when no activity is failing repeatedly. */
export function stuckFrom(d: Pick<WorkflowExecutionDescription, 'raw'>): string | undefined {
  for (const a of d.raw.pendingActivities ?? []) {
    const attempt = a.attempt ?? 0;
    if (attempt < STUCK_FROM_ATTEMPT || !a.lastFailure) continue;
    const error = (a.lastFailure.message ?? 'failed').split('\n')[0]!.slice(0, 300);
    return `stuck: retrying ${a.activityType?.name ?? 'an activity'} (attempt ${attempt}): ${error}`;
  }
  return undefined;
}

/** The running workflows among `statuses`, each described once, with `stuck` set when an activity keeps failing. */
export async function withStuck(temporal: Client, statuses: WorkflowStatus[]): Promise<WorkflowStatus[]> {
  return Promise.all(
    statuses.map(async (s) => {
      if (s.status !== 'running') return s;
      const d = await temporal.workflow.getHandle(s.workflowId).describe().catch(() => undefined);
      const stuck = d && stuckFrom(d);
      return stuck ? { ...s, stuck } : s;
    }),
  );
}

/** Per environment (IdpEnvironment), the first stuck activity among the running workflows the query finds. */
export async function stuckByEnvironment(temporal: Client, query: string): Promise<Map<string, string>> {
  const found: Promise<[string, string | undefined]>[] = [];
  for await (const wf of temporal.workflow.list({ query })) {
    const env = wf.searchAttributes?.IdpEnvironment?.[0];
    if (typeof env !== 'string') continue;
    found.push(temporal.workflow.getHandle(wf.workflowId).describe().then((d) => [env, stuckFrom(d)] as [string, string | undefined], () => [env, undefined] as [string, string | undefined]));
  }
  const out = new Map<string, string>();
  for (const [env, stuck] of await Promise.all(found)) if (stuck && !out.has(env)) out.set(env, stuck);
  return out;
}
