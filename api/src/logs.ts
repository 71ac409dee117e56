/**
 * GET /environments/:env/logs (history) and GET /environments/:env/logs/tail (follow): `idp logs` and the Logs tab,
 * read from the log source the platform routes the environment to. The tail is newline-delimited JSON — one event a
 * line, flushed as it comes: proxies and Backstage's compression leave application/x-ndjson alone (text/event-stream
 * they buffer), and a browser's fetch can read it with the Authorization header EventSource cannot send.
 */
import type { Request, Response } from 'express';
import { parseTimeBound, InvalidRequestError, type LogList, type LogTailEvent } from '@idp/core';
import type { LogSource } from '@idp/providers/logs';
import { sourceFailure } from './observe.js';

export interface HistoryAsk {
  component: string;
  environment: string;
  n: number;
  since?: string | undefined;
  until?: string | undefined;
  grep?: string | undefined;
  process?: string | undefined;
}

export async function logHistory(source: LogSource, ask: HistoryAsk): Promise<LogList> {
  const now = new Date();
  const since = ask.since ? parseTimeBound(ask.since, 'since', now) : undefined;
  const until = ask.until ? parseTimeBound(ask.until, 'until', now) : undefined;
  if (since && until && since >= until) throw new InvalidRequestError(`--since (${since.toISOString()}) must be before --until (${until.toISOString()}).`);
  const lines = await source
    .history({ component: ask.component, environment: ask.environment, limit: ask.n, ...(since ? { since } : {}), ...(until ? { until } : {}), ...(ask.grep ? { grep: ask.grep } : {}), ...(ask.process ? { process: ask.process } : {}) })
    .catch(sourceFailure);
  return { component: ask.component, environment: ask.environment, source: source.description, lines: lines.map(({ time, process, message }) => ({ time, process, message })) };
}

export interface TailAsk {
  component: string;
  environment: string;
  cursor?: string | undefined;
  backlog: number;
  grep?: string | undefined;
  process?: string | undefined;
}

/** How long the first event may take before the stream starts anyway (a quiet environment has none for a while). */
const FIRST_EVENT_MS = 1500;

/**
 * Streams the source's tail to the response until the client goes away. The first event is awaited (at most
 * FIRST_EVENT_MS) before the headers go out, so a source that is misconfigured or down answers a JSON error (502) the
 * CLI can print, not an empty 200 stream; a quiet one starts the stream then, with the caller's cursor as a heartbeat,
 * so a client resuming there knows at once that it is connected.
 */
export async function streamTail(req: Request, res: Response, source: LogSource, ask: TailAsk): Promise<void> {
  const abort = new AbortController();
  const stop = () => abort.abort();
  // The client went away (Ctrl-C, a closed tab, `| head`): stop polling the source at once.
  res.on('close', stop);
  req.on('aborted', stop);
  const target = { component: ask.component, environment: ask.environment, ...(ask.grep ? { grep: ask.grep } : {}), ...(ask.process ? { process: ask.process } : {}) };
  const events = source.tail(target, { ...(ask.cursor ? { cursor: ask.cursor } : {}), backlog: ask.backlog, signal: abort.signal })[Symbol.asyncIterator]();
  const send = (event: LogTailEvent) => res.write(`${JSON.stringify(event)}\n`);
  const start = () => {
    res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' });
    res.flushHeaders();
  };
  let pending = events.next();
  let timer: NodeJS.Timeout | undefined;
  try {
    const first = await Promise.race([pending, new Promise<'quiet'>((resolve) => (timer = setTimeout(() => resolve('quiet'), FIRST_EVENT_MS)))]);
    if (first === 'quiet') {
      start();
      if (ask.cursor) send({ type: 'heartbeat', cursor: ask.cursor });
    }
  } catch (e) {
    stop();
    return sourceFailure(e);
  } finally {
    clearTimeout(timer);
  }
  if (!res.headersSent) start();
  try {
    for (let r = await pending; !r.done; r = await pending) {
      if (abort.signal.aborted) break;
      const e = r.value;
      send(e.type === 'line' ? { type: 'line', time: e.line.time, process: e.line.process, message: e.line.message, cursor: e.cursor } : e);
      pending = events.next();
    }
  } catch (e) {
    // Mid-stream the status is sent: say it as a notice, then end; the client reconnects with its last cursor.
    if (!abort.signal.aborted) send({ type: 'notice', message: e instanceof Error ? e.message : String(e) });
  } finally {
    stop();
    await events.return?.(undefined);
    res.end();
  }
}
