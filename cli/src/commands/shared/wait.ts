/**
 * Following a workflow to its end with the server's long poll
 * (`GET /workflows/{id}?wait=30`): each call returns when the workflow closes
 * or after ~30 s, and we ask again. A server restart during a long wait is
 * tolerated (a few retries with back-off) before giving up with exit 6.
 */
import { UnreachableError, type PlatformClient } from '@idp/core/client';
import type { WorkflowStatus } from '@idp/core';

export const isClosed = (s: WorkflowStatus) => s.status !== 'running' && s.status !== 'continued_as_new';

export interface FollowOptions {
  waitSeconds?: number;
  /** Back-off (ms) between retries when the server is unreachable; its length is the number of retries. */
  retryDelays?: number[];
  /** Minimum time between two polls, in case a server answers without holding the request. */
  minIntervalMs?: number;
  onUpdate?: (s: WorkflowStatus) => void;
  sleep?: (ms: number) => Promise<void>;
  /**
   * Stop as soon as this holds (default: the workflow closed), e.g. a queued
   * release whose PR just opened. A closed workflow always stops the follow.
   */
  until?: (s: WorkflowStatus) => boolean;
  /** With `until`: the phase already known, so the first long poll returns as soon as it changes. */
  sincePhase?: WorkflowStatus['phase'];
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function followWorkflow(client: PlatformClient, workflowId: string, opts: FollowOptions = {}): Promise<WorkflowStatus> {
  const { waitSeconds = 30, retryDelays = [1000, 2000, 4000, 8000, 15000], minIntervalMs = 1000, onUpdate, sleep = defaultSleep, until } = opts;
  let failures = 0;
  // Following until a phase change: the server answers as soon as the phase leaves the one last seen.
  let since = until ? opts.sincePhase : undefined;
  for (;;) {
    const started = Date.now();
    let status: WorkflowStatus;
    try {
      status = since ? await client.workflow(workflowId, waitSeconds, since) : await client.workflow(workflowId, waitSeconds);
      failures = 0;
    } catch (e) {
      if (e instanceof UnreachableError && failures < retryDelays.length) {
        await sleep(retryDelays[failures++]!);
        continue;
      }
      throw e;
    }
    onUpdate?.(status);
    if (isClosed(status) || until?.(status)) return status;
    if (until) since = status.phase;
    const elapsed = Date.now() - started;
    if (elapsed < minIntervalMs) await sleep(minIntervalMs - elapsed);
  }
}
