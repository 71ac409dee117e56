/** What every activity shares: heartbeats, failure mapping, small conversions. */
import { ApplicationFailure, Context, heartbeat } from '@temporalio/activity';
import { isIdpError, type PullRequest } from '@idp/core';
import type { PrRef } from '@idp/workflows/shared';

export const toRef = (pr: PullRequest): PrRef => ({ number: pr.number, url: pr.url, head: pr.head, headSha: pr.headSha, state: pr.state });

/** Heartbeat while the activity runs, so a killed worker is noticed in seconds, not at the start-to-close timeout. */
export async function withHeartbeat<T>(fn: () => Promise<T>): Promise<T> {
  // A local activity cannot heartbeat: its workflow task is what the server watches (the worker keeps it alive).
  const timer = Context.current().info.isLocal ? undefined : setInterval(() => heartbeat(), 1000);
  try {
    return await fn();
  } catch (err) {
    // Only a forge's own trouble (provider_error) is worth retrying; an `internal` error is a bug, retried in vain.
    if (isIdpError(err) && err.code !== 'provider_error') {
      throw ApplicationFailure.nonRetryable(err.message, err.code, err.details);
    }
    throw err;
  } finally {
    clearInterval(timer);
  }
}

export function authorOf(user: string) {
  return { name: user, email: user.includes('@') ? user : `${user}@users.noreply.idp` };
}

