/**
 * GET /environments/:env/logs (history) and GET /environments/:env/logs/tail (follow): `idp logs` and the Logs tab,
 * read from the log source the platform routes the environment to. The tail is newline-delimited JSON — one event a
 * line, flushed as it comes: proxies and Backstage's compression leave application/x-ndjson alone (text/event-stream
 * they buffer), and a browser's fetch can read it with the Authorization header EventSource cannot send.
 */
import type { Request, Response } from 'express';
import { parseTimeBound, InvalidRequestError, type LogList, type LogTailEvent } from '@idp/core';
import type { LogSource, TailEvent } from '@idp/providers/logs';
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

/**
 * Streams the source's tail to the response until the client goes away. The first event is awaited before the
 * headers go out, so a source that is misconfigured or down answers a JSON error (502) the CLI can print, not an
 * empty 200 stream.
 */
export async function streamTail(req: Request, res: Response, source: LogSource, ask: TailAsk): Promise<void> {
  const abort = new AbortController();
  const stop = () => abort.abort();
  // The client went away (Ctrl-C, a closed tab, `| head`): stop polling the source at once.
  res.on('close', stop);
  req.on('aborted', stop);
  const target = { component: ask.component, environment: ask.environment, ...(ask.grep ? { grep: ask.grep } : {}), ...(ask.process ? { process: ask.process } : {}) };
  const events = source.tail(target, { ...(ask.cursor ? { cursor: ask.cursor } : {}), backlog: ask.backlog, signal: abort.signal })[Symbol.asyncIterator]();
  let first: IteratorResult<TailEvent>;
  try {
    first = await events.next();
  } catch (e) {
    stop();
    return sourceFailure(e);
  }
  res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' });
  res.flushHeaders();
  const send = (e: TailEvent) => {
    const event: LogTailEvent = e.type === 'line' ? { type: 'line', time: e.line.time, process: e.line.process, message: e.line.message, cursor: e.cursor } : e;
    res.write(`${JSON.stringify(event)}\n`);
  };
  try {
    for (let r = first; !r.done; r = await events.next()) {
      if (abort.signal.aborted) break;
      send(r.value);
    }
  } catch (e) {
    // Mid-stream the status is sent: say it as a notice, then end; the client reconnects with its last cursor.
    if (!abort.signal.aborted) res.write(`${JSON.stringify({ type: 'notice', message: e instanceof Error ? e.message : String(e) } satisfies LogTailEvent)}\n`);
  } finally {
    stop();
    await events.return?.();
    res.end();
  }
}
