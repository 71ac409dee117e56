/**
 * The one proxy every workflow calls activities through. Activities heartbeat
 * every second (worker/src/activities), so with a 5 s heartbeat timeout a
 * killed worker is noticed in seconds, not at the start-to-close timeout.
 */
import { ActivityFailure, ApplicationFailure, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { EnvActivities } from './activities.js';

/**
 * Failures no retry can fix, so they end the workflow at once (visibly) instead
 * of stalling it: bad input and refusals (the API error codes the activities
 * fail with, and the error classes should one escape unmapped), and bugs
 * (a TypeError is as wrong on the hundredth attempt as on the first).
 * Forge outages (provider_error) and anything else stay retryable.
 */
export const NON_RETRYABLE_ERROR_TYPES = [
  'invalid_request', 'invalid_paws', 'not_found', 'conflict', 'unauthenticated', 'forbidden', 'internal',
  'InvalidRequestError', 'InvalidPawsError', 'NotFoundError', 'ConflictError',
  'TypeError', 'ReferenceError', 'RangeError',
];

// Up to ~7 hours of a forge being down (backing off to one attempt every 5 minutes), then the workflow
// fails where everyone sees it; meanwhile `idp env list` / `idp releases` show it as stuck (api/stuck.ts).
const retry = { initialInterval: '200ms', maximumInterval: '5 minutes', backoffCoefficient: 2, maximumAttempts: 100, nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES } as const;

export const acts = proxyActivities<EnvActivities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '5 seconds',
  retry,
});

/**
 * The same activities as local activities: run in the workflow task that asks for them, on the same worker, with no
 * task-queue round trip and no workflow task of their own (what an `idp env clone` waits for, measured with
 * `npm run bench`). Only for short, idempotent forge writes, and tried once: a worker killed while one runs loses
 * its workflow task, which times out (10 s) and is retried, running the write again. A write that fails is retried
 * as the activity it is (see `fast`), so a forge outage shows as a pending activity (`idp env list`: stuck).
 */
const localActs = proxyLocalActivities<EnvActivities>({
  startToCloseTimeout: '1 minute',
  retry: { ...retry, maximumAttempts: 1 },
});

/**
 * `name` once as a local activity, then, should that fail with anything a retry may fix, as an activity with its
 * retries. A refusal or a bug fails at once, as it would have as an activity.
 */
export function fast<K extends keyof EnvActivities>(name: K, ...args: Parameters<EnvActivities[K]>): ReturnType<EnvActivities[K]> {
  const call = (via: EnvActivities) => (via[name] as (...a: unknown[]) => Promise<unknown>)(...args);
  return call(localActs).catch((err: unknown) => {
    // (A local activity out of attempts fails with its ApplicationFailure itself, not wrapped in an ActivityFailure.)
    const cause = err instanceof ActivityFailure ? err.cause : err;
    if (!(cause instanceof ApplicationFailure) || cause.nonRetryable || NON_RETRYABLE_ERROR_TYPES.includes(cause.type ?? '')) throw err;
    return call(acts);
  }) as ReturnType<EnvActivities[K]>;
}
