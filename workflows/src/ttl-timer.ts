/**
 * Start, move or stop the env-ttl workflow of an environment. Signalling the
 * running timer is tried first; when none runs (first merge, or it already
 * fired), a new one is started with the same deterministic id.
 */
import { getExternalWorkflowHandle, startChild, ParentClosePolicy, WorkflowIdReusePolicy, workflowInfo } from '@temporalio/workflow';
import { workflowId } from '@idp/core/names';
import { cancelTtlSignal, extendTtlSignal, searchAttributesFor, type EnvChangeInput } from './shared.js';
import { envTtl } from './env-ttl.js';
import { acts } from './acts.js';

/**
 * After a merge, time the environment by what was merged (a reviewer may have
 * changed or removed its lifecycle in the PR), not by what was requested.
 */
export async function timeMergedEnvironment(input: EnvChangeInput): Promise<string | undefined> {
  const expiresAt = await acts.expiryOnBase({ repo: input.repo, path: input.path, env: input.env });
  if (expiresAt) await startTtlTimer(input, expiresAt);
  else await stopTtlTimer(input);
  return expiresAt ?? undefined;
}

export async function startTtlTimer(input: EnvChangeInput, expiresAt: string): Promise<void> {
  const id = workflowId('env-ttl', input.component, input.env, input.repoKey);
  try {
    await getExternalWorkflowHandle(id).signal(extendTtlSignal, expiresAt);
    return;
  } catch {
    // No timer running for this environment: start one below.
  }
  await startChild(envTtl, {
    workflowId: id,
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    // The timer outlives the workflow that started it.
    parentClosePolicy: ParentClosePolicy.ABANDON,
    typedSearchAttributes: searchAttributesFor('env-ttl', input.repo, input.component, input.env),
    // The expiry is readable from the start (as the timer itself publishes it), not only after its first task runs.
    memo: { state: { phase: 'open', expiresAt } },
    args: [{ repo: input.repo, repoKey: input.repoKey, path: input.path, component: input.component, env: input.env, expiresAt, pollIntervalMs: input.pollIntervalMs }],
  });
}

export async function stopTtlTimer(input: EnvChangeInput): Promise<void> {
  const id = workflowId('env-ttl', input.component, input.env, input.repoKey);
  // When the teardown was opened by the timer itself, it is our parent and ends on its own.
  if (workflowInfo().parent?.workflowId === id) return;
  try {
    await getExternalWorkflowHandle(id).signal(cancelTtlSignal);
  } catch {
    // No timer: nothing to stop.
  }
}
