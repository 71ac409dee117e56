/**
 * Following a Scaffolder task: its event stream (GET /api/scaffolder/v2/tasks/:id/eventstream, server-sent events,
 * each event with its sequence number `id`), from the start or from where a dropped connection left off
 * (`?after=<last id seen>`), until the task's final `completion` event. Every event is handed on once, in order.
 */
import { UnreachableError } from '@idp/core/client';
import type { BackstageClient } from './backstage.js';

export interface TaskEvent {
  id: number;
  type: 'log' | 'completion' | 'cancelled' | 'recovered' | string;
  isTaskRecoverable?: boolean;
  createdAt?: string;
  body: { message?: string; stepId?: string; status?: string; output?: Record<string, unknown>; error?: { name?: string; message?: string } };
}

export interface TaskOutcome {
  status: 'completed' | 'failed' | 'cancelled' | string;
  output: Record<string, unknown>;
  /** The failing step's error message (failed tasks). */
  error?: string;
  /** The id of the step that failed, and its name in the log. */
  failedStep?: string;
  lastEventId: number;
}

export interface FollowTaskOptions {
  after?: number;
  onEvent?: (e: TaskEvent) => void;
  /** Waits before reconnecting after a dropped connection, in a row (the length is the number of retries). */
  retryDelays?: number[];
  /** Called when the stream dropped and is being reopened. */
  onReconnect?: (after: number) => void;
}

/** Parses an SSE byte stream into its events' `data` (JSON). */
async function* sse(body: ReadableStream<Uint8Array>): AsyncGenerator<TaskEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
      const data = block
        .split(/\r?\n/)
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).replace(/^ /, ''))
        .join('\n');
      if (data) yield JSON.parse(data) as TaskEvent;
    }
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function followTask(client: BackstageClient, taskId: string, opts: FollowTaskOptions = {}): Promise<TaskOutcome> {
  const retryDelays = opts.retryDelays ?? [250, 500, 1000, 2000, 4000, 8000];
  let after = opts.after;
  let failures = 0;
  let failedStep: string | undefined;
  let error: string | undefined;
  for (;;) {
    const path = `/api/scaffolder/v2/tasks/${encodeURIComponent(taskId)}/eventstream${after !== undefined ? `?after=${after}` : ''}`;
    try {
      const res = await client.fetch(path, { headers: { accept: 'text/event-stream' } });
      if (!res.ok || !res.body) throw client.error(res.status, await res.json().catch(() => undefined), path);
      for await (const event of sse(res.body)) {
        failures = 0;
        if (after !== undefined && event.id <= after) continue; // never twice, whatever the server resends
        after = event.id;
        if (event.body.status === 'failed' && event.body.stepId) failedStep = event.body.stepId;
        if (event.body.error?.message) error = event.body.error.message;
        opts.onEvent?.(event);
        // Final, recoverable task or not: a task is recovered only while it runs, so nothing follows its completion.
        // (Backstage keeps a recoverable task's stream open and re-sends the completion every second.)
        if (event.type === 'completion') {
          const status = /status: (\w+)/.exec(event.body.message ?? '')?.[1] ?? (event.body.error ? 'failed' : 'completed');
          return { status, output: event.body.output ?? {}, ...(error ? { error } : {}), ...(failedStep ? { failedStep } : {}), lastEventId: event.id };
        }
      }
      // The stream ended before the task did: the connection was dropped (a proxy, a restart). Reopen it.
    } catch (e) {
      // Backstage's own answers (401, 403, 404) are final; a dropped or refused connection is retried.
      if (!(e instanceof UnreachableError) && !(e instanceof TypeError) && (e as Error).name !== 'AbortError') throw e;
      if (failures >= retryDelays.length) throw e instanceof UnreachableError ? e : new UnreachableError(client.baseUrl, e);
    }
    if (failures >= retryDelays.length) throw new UnreachableError(client.baseUrl, new Error('the task event stream kept closing'));
    opts.onReconnect?.(after ?? 0);
    await sleep(retryDelays[failures++]!);
  }
}
