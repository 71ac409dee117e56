/**
 * A live tail made of repeated queries, for stores whose own streaming misses lines (VictoriaLogs' /tail skips a row
 * that becomes searchable after a newer one was shown) or that have none (OpenSearch, Elasticsearch), and for Loki's
 * catch-up after a reconnect. A backend gives it one query, `fetchSince(fromNs)`; this file does the rest:
 *
 * - **settle**: a row is shown only once it is `settleMs` old (1 s), so rows written together are all searchable by
 *   the time the first is shown (stores make new rows visible in ~1 s batches, not in order);
 * - **look-back**: every poll re-reads the last few seconds, and every `fullEveryMs` the whole `lookbackMs` (60 s),
 *   so a row that arrives late (a shipper catching up after the store was down) is still shown; rows are dropped by
 *   `id` once shown, so each is shown once. A row arriving later than the look-back is only in history.
 * - **late rows** (first seen when already older than twice the settle) are held for one more settle, and nothing
 *   newer is shown meanwhile, so a batch caught up after an outage comes out in time order even when the store makes
 *   it visible piecemeal;
 * - **cursor**: an opaque string = the newest time shown + the ids shown at that time. Resuming from it shows every
 *   row after it and none before (a late row that arrives, with an older time, while nobody is following is only in
 *   history);
 * - **failures**: the very first query's error is thrown (a bad config fails fast); later ones yield a notice, are
 *   retried with back-off up to `maxBackoffMs` (2 s), and the recovery yields a notice too. The tail ends only when
 *   the signal aborts;
 * - **heartbeat**: after `heartbeatMs` (15 s) without an event, so a reader can tell idle from dead.
 */
import { InvalidRequestError } from '@idp/core/errors';
import { errorMessage as why, sleep } from '../http-source.js';
import type { LogLine, TailEvent } from './source.js';
import { nowNs } from './time.js';

/** A row as the backend read it: its line, its time in ns, and a tie-break within the same ns (a shipper's seq). */
export interface PolledRow {
  timeNs: bigint;
  seq?: number;
  line: LogLine;
}

export interface PollTiming {
  settleMs: number;
  lookbackMs: number;
  /** Between polls (from the start of one to the start of the next). */
  everyMs: number;
  /** What the polls between two full look-backs re-read. */
  nearMs: number;
  fullEveryMs: number;
  maxBackoffMs: number;
  heartbeatMs: number;
  /** Rows asked for per query; a full page is followed by the next at once. */
  pageSize: number;
}

export const POLL_TIMING: PollTiming = {
  settleMs: 1000,
  lookbackMs: 60_000,
  everyMs: 250,
  nearMs: 5000,
  fullEveryMs: 2000,
  maxBackoffMs: 2000,
  heartbeatMs: 15_000,
  pageSize: 1000,
};

export interface PollTailOptions {
  /** `log source "local" (victorialogs at …)`: what notices name. */
  description: string;
  /**
   * The oldest `limit` rows with time ≥ `fromNs` (inclusive), oldest first; rows newer than now included. Errors
   * should be SourceErrors; an aborted `signal` may throw anything.
   */
  fetchSince(fromNs: bigint, limit: number, signal: AbortSignal): Promise<PolledRow[]>;
  /**
   * The newest `n` rows with time ≤ `untilNs`, for the lines a tail started without a cursor shows first. Without it
   * they come from the look-back window only.
   */
  fetchLast?(n: number, untilNs: bigint, signal: AbortSignal): Promise<PolledRow[]>;
  cursor?: string;
  /** Default 10. */
  backlog?: number;
  signal: AbortSignal;
  timing?: Partial<PollTiming>;
}

/** Time order; within one ns the shipper's seq, then the id (so every poll orders ties the same way). */
export function compareRows(a: PolledRow, b: PolledRow): number {
  if (a.timeNs !== b.timeNs) return a.timeNs < b.timeNs ? -1 : 1;
  if (a.seq !== undefined && b.seq !== undefined && a.seq !== b.seq) return a.seq - b.seq;
  return a.line.id < b.line.id ? -1 : a.line.id > b.line.id ? 1 : 0;
}

interface Position {
  t: bigint;
  ids: Set<string>;
}

export function encodeCursor(pos: Position): string {
  return Buffer.from(JSON.stringify({ v: 1, t: pos.t.toString(), ids: [...pos.ids] })).toString('base64url');
}

export function decodeCursor(cursor: string): Position {
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { v?: unknown; t?: unknown; ids?: unknown };
    if (c.v === 1 && typeof c.t === 'string' && /^\d+$/.test(c.t) && Array.isArray(c.ids) && c.ids.every((i) => typeof i === 'string')) {
      return { t: BigInt(c.t), ids: new Set(c.ids as string[]) };
    }
  } catch {
    // reported below
  }
  throw new InvalidRequestError('The tail cursor is not one this server gave out; start the tail again without it.');
}

const msToNs = (ms: number) => BigInt(Math.round(ms)) * 1_000_000n;

export async function* pollTail(o: PollTailOptions): AsyncGenerator<TailEvent> {
  const t = { ...POLL_TIMING, ...o.timing };
  const { signal } = o;
  const settleNs = msToNs(t.settleMs);
  /** Shown rows still inside the window a poll can re-read: id → time. */
  const seen = new Map<string, bigint>();
  /** Late rows waiting one settle (`due`: wall ms), and rows waiting behind them. */
  const held = new Map<string, { row: PolledRow; due: number }>();
  let pos: Position;
  let lastEventAt = Date.now();
  let answered = false; // some query succeeded: from now on failures are notices, not errors
  let polled = false; // a poll succeeded: rows first seen after it can be late
  let lastFullAt = 0;
  let failingSince: number | null = null;
  let delay = t.everyMs;

  const show = (row: PolledRow): TailEvent => {
    seen.set(row.line.id, row.timeNs);
    if (row.timeNs > pos.t) pos = { t: row.timeNs, ids: new Set([row.line.id]) };
    else if (row.timeNs === pos.t) pos.ids.add(row.line.id);
    lastEventAt = Date.now();
    return { type: 'line', line: row.line, cursor: encodeCursor(pos) };
  };

  // Where to start: after the cursor, or after the backlog's last line (or now, less the settle, without one).
  if (o.cursor) {
    pos = decodeCursor(o.cursor);
    for (const id of pos.ids) seen.set(id, pos.t);
  } else {
    const startNs = nowNs() - settleNs;
    const n = o.backlog ?? 10;
    let rows: PolledRow[] = [];
    if (n > 0) {
      try {
        rows = o.fetchLast ? await o.fetchLast(n, startNs, signal) : await o.fetchSince(startNs - msToNs(t.lookbackMs), t.pageSize, signal);
        answered = true;
      } catch (e) {
        if (signal.aborted) return;
        throw e;
      }
      rows = dedup(rows.filter((r) => r.timeNs <= startNs)).sort(compareRows).slice(-n);
    }
    pos = { t: rows.length ? rows[0]!.timeNs : startNs, ids: new Set() };
    for (const row of rows) yield show(row);
  }
  const floor = pos.t;

  /** The rows of one page to show now, in order; late ones held; the rest left for a later poll. */
  const take = (rows: PolledRow[]): PolledRow[] => {
    const settled = nowNs() - settleNs;
    const now = Date.now();
    const ready: PolledRow[] = [];
    for (const row of rows) {
      const id = row.line.id;
      if (row.timeNs < floor || seen.has(id) || held.has(id) || row.timeNs > settled) continue;
      if (polled && row.timeNs < settled - settleNs) held.set(id, { row, due: now + t.settleMs });
      else ready.push(row);
    }
    // Nothing newer than a held row goes out before it.
    let barrier: bigint | null = null;
    for (const h of held.values()) if (h.due > now && (barrier === null || h.row.timeNs < barrier)) barrier = h.row.timeNs;
    for (const [id, h] of held) {
      if (h.due <= now && (barrier === null || h.row.timeNs <= barrier)) {
        ready.push(h.row);
        held.delete(id);
      }
    }
    const out: PolledRow[] = [];
    for (const row of dedup(ready).sort(compareRows)) {
      if (barrier !== null && row.timeNs > barrier) held.set(row.line.id, { row, due: now });
      else out.push(row);
    }
    return out;
  };

  while (!signal.aborted) {
    const started = Date.now();
    const full = started - lastFullAt >= t.fullEveryMs;
    try {
      const back = nowNs() - msToNs(full ? t.lookbackMs : t.nearMs);
      let from = back < pos.t ? back : pos.t;
      if (from < floor) from = floor;
      for (;;) {
        const rows = await o.fetchSince(from, t.pageSize, signal);
        if (failingSince !== null) {
          yield { type: 'notice', message: `${o.description} answers again (after ${((Date.now() - failingSince) / 1000).toFixed(1)} s); following on` };
          lastEventAt = Date.now();
          failingSince = null;
        }
        answered = true;
        for (const row of take(rows)) yield show(row);
        if (rows.length < t.pageSize) break;
        const last = rows[rows.length - 1]!.timeNs;
        if (last <= from) break; // a whole page at one ns: the rest of it only in history
        from = last;
      }
      polled = true;
      if (full) lastFullAt = started;
      delay = t.everyMs;
      // Forget what no poll can return again.
      const horizon = nowNs() - msToNs(t.lookbackMs);
      const keepFrom = horizon < pos.t ? horizon : pos.t;
      for (const [id, time] of seen) if (time < keepFrom) seen.delete(id);
    } catch (e) {
      if (signal.aborted) return;
      if (!answered) throw e;
      if (failingSince === null) {
        failingSince = Date.now();
        lastFullAt = 0; // re-read the whole look-back once it answers
        const m = why(e);
        yield { type: 'notice', message: `${m.includes(o.description) ? m : `${o.description}: ${m}`} — retrying until it answers` };
        lastEventAt = Date.now();
      }
      delay = Math.min(Math.max(delay * 2, t.everyMs), t.maxBackoffMs);
    }
    if (Date.now() - lastEventAt >= t.heartbeatMs) {
      lastEventAt = Date.now();
      yield { type: 'heartbeat', cursor: encodeCursor(pos) };
    }
    await sleep(failingSince === null ? Math.max(0, delay - (Date.now() - started)) : delay, signal);
  }
}

/** One row per id (a store can hold a re-sent line twice). */
export function dedup(rows: PolledRow[]): PolledRow[] {
  const byId = new Map<string, PolledRow>();
  for (const r of rows) if (!byId.has(r.line.id)) byId.set(r.line.id, r);
  return byId.size === rows.length ? rows : [...byId.values()];
}
