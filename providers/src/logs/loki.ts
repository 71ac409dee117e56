/**
 * Grafana Loki as a log source (https://grafana.com/docs/loki/latest/reference/loki-http-api/; the shapes and their
 * links are in loki-shapes.ts, and every answer is read through them).
 *
 * The query: the config's `selector` template (a LogQL stream selector), with the process as one more matcher inside
 * it (`process="web.1"`, or `process=~"web(\..+)?"` for every web dyno — never `webby`), then `--grep` as a line
 * filter `|= "…"` (Loki's own plain, case-sensitive substring; the text JSON-quoted, which is a valid LogQL string).
 *
 * History: `GET /loki/api/v1/query_range` with `direction=backward` and `limit`, `start` inclusive and `end`
 * exclusive in ns (no `--since`: 7 days back, far inside Loki's default max_query_length of 30 days, where Loki's own
 * default would be 1 hour). Loki answers per stream, not in global order, so the streams are merged by ns (BigInt).
 * When duplicates leave fewer than asked it pages on from the oldest ns seen (pages of at most 5000, Loki's default
 * max_entries_limit_per_query).
 *
 * Tail: Loki's WebSocket `GET /loki/api/v1/tail` (Node's global WebSocket, which can send the tenant and token
 * headers). Its look-back from `start` is best effort (the docs say so), so each (re)connection first reads what it
 * missed with `query_range direction=forward` from the last time shown, then opens the socket, then reads again (what
 * came between the two), and from then on shows the socket's entries — each once, by id. `dropped_entries` (the
 * server dropped entries for a slow client) yields a notice, and the dropped entries are read again with
 * query_range and shown (late, each once). A socket that closes or fails yields a notice and is reopened with back-off
 * (≤ 2 s) — the tail never ends on its own; only the very first query's failure is thrown (a bad config fails fast).
 * Idle for 15 s: a heartbeat. The cursor is poll-tail's: the newest time shown + the ids shown at that time; without
 * one the tail starts, like poll-tail, a second back (the backlog ends there, the last second's lines follow it).
 *
 * A line's id: a hash of the stream's labels, the ns and a hash of the line — what Loki itself treats as one entry
 * (it ignores a push of the same stream, timestamp and line). Errors are plain text: 400 (a LogQL parse error) →
 * invalid-query quoting it; 401/403 → rejected (tokenEnv); "no org id" → rejected (tenant); else rejected.
 */
import { createHash } from 'node:crypto';
import { fillTemplate, type LokiSourceConfig } from '@idp/core';
import { errorMessage as why, HttpSource, type HttpSourceOptions, sleep } from '../http-source.js';
import { SourceError } from '../source-error.js';
import { describeIssues, LOKI_LENIENT } from './loki-shapes.js';
import { compareRows, decodeCursor, encodeCursor, type PolledRow } from './poll-tail.js';
import type { LogHistoryQuery, LogLine, LogSource, LogTarget, TailEvent, TailOptions } from './source.js';
import { dateToNs, formatTimeNs, nowNs } from './time.js';

/** `timeoutMs`: the tail's catch-up reads 5 s. */
export interface LokiSourceOptions extends HttpSourceOptions {
  /** For tests: the tail's back-off cap and heartbeat. */
  tailTiming?: Partial<{ maxBackoffMs: number; heartbeatMs: number }>;
}

/** How far back history looks without `since`. */
export const LOKI_HISTORY_LOOKBACK_MS = 7 * 24 * 3600_000;
/** Loki's default max_entries_limit_per_query: no page asks for more. */
const MAX_PAGE = 5000;
const CATCH_UP_PAGE = 1000;
const LOOKBACK_NS = 60_000_000_000n;
const START_BACK_NS = 1_000_000_000n;
/** `end` when none is asked for: a little past now, for entries a shipper's clock stamped ahead of this one. */
const AHEAD_NS = 60_000_000_000n;

const hash = (s: string) => createHash('sha1').update(s).digest('hex').slice(0, 12);
const escapeRegex = (s: string) => s.replace(/[\\^$.*+?()[\]{}|]/g, (c) => `\\${c}`);

export class LokiSource extends HttpSource implements LogSource {
  readonly type = 'loki';

  constructor(
    name: string,
    private readonly config: LokiSourceConfig,
    private readonly opts: LokiSourceOptions = {},
  ) {
    super('log', name, 'loki', config.url, opts);
  }

  /** The LogQL for a target: the selector with the process matcher inside it, then the grep line filter. */
  query(target: LogTarget): string {
    let selector = fillTemplate(this.config.selector, { component: target.component, environment: target.environment }).trim();
    if (target.process) {
      if (!selector.endsWith('}')) {
        throw new SourceError('invalid-query', this.description, `its selector ${JSON.stringify(selector)} is not a LogQL stream selector ({label="value",…}) — check the "selector" of this source in the logs config`);
      }
      const label = this.config.processLabel;
      // `web.1` is one dyno; `web` is the process type: itself and every `web.<n>`.
      const matcher = target.process.includes('.') ? `${label}=${JSON.stringify(target.process)}` : `${label}=~${JSON.stringify(`${escapeRegex(target.process)}(\\..+)?`)}`;
      const inner = selector.slice(0, -1).trimEnd();
      selector = `${inner}${inner.endsWith('{') ? '' : ', '}${matcher}}`;
    }
    return target.grep ? `${selector} |= ${JSON.stringify(target.grep)}` : selector;
  }

  async history(q: LogHistoryQuery): Promise<LogLine[]> {
    const end = q.until ? dateToNs(q.until) : nowNs() + AHEAD_NS;
    const start = q.since ? dateToNs(q.since) : end - BigInt(LOKI_HISTORY_LOOKBACK_MS) * 1_000_000n;
    return (await this.newest(q, this.query(q), q.limit, start, end)).map((r) => r.line);
  }

  /** The newest `n` distinct entries in [start, end), oldest first; pages on from the oldest ns seen when short. */
  private async newest(target: LogTarget, query: string, n: number, start: bigint, end: bigint, signal?: AbortSignal, timeoutMs = this.timeoutMs): Promise<PolledRow[]> {
    const byId = new Map<string, PolledRow>();
    if (n <= 0) return [];
    let until = end;
    let atEdge = 0;
    for (;;) {
      const want = Math.min(n - byId.size + atEdge, MAX_PAGE);
      const page = await this.range(target, query, { start, end: until, limit: want, direction: 'backward' }, signal, timeoutMs);
      for (const r of page) if (!byId.has(r.line.id)) byId.set(r.line.id, r);
      if (page.length < want || byId.size >= n) break;
      const oldest = page[0]!.timeNs;
      if (oldest + 1n === until) break; // a whole page at one ns: asking again would answer the same
      until = oldest + 1n; // end is exclusive: the oldest ns again, for the entries of it not yet seen
      atEdge = [...byId.values()].filter((r) => r.timeNs === oldest).length;
    }
    return [...byId.values()].sort(compareRows).slice(-n);
  }

  /** Every entry with time ≥ `fromNs`, oldest first (forward pages of 1000). */
  private async since(target: LogTarget, query: string, fromNs: bigint, signal: AbortSignal): Promise<PolledRow[]> {
    const rows = new Map<string, PolledRow>();
    let from = fromNs;
    const end = nowNs() + AHEAD_NS;
    for (;;) {
      const page = await this.range(target, query, { start: from, end, limit: CATCH_UP_PAGE, direction: 'forward' }, signal, 5000);
      for (const r of page) rows.set(r.line.id, r);
      if (page.length < CATCH_UP_PAGE) break;
      const last = page[page.length - 1]!.timeNs;
      if (last <= from) break; // a whole page at one ns: the rest of it only in history
      from = last;
    }
    return [...rows.values()].sort(compareRows);
  }

  /** One query_range: the entries of every stream, merged by time (oldest first). */
  private async range(
    target: LogTarget,
    query: string,
    p: { start: bigint; end: bigint; limit: number; direction: 'forward' | 'backward' },
    signal: AbortSignal | undefined,
    timeoutMs: number,
  ): Promise<PolledRow[]> {
    const params = new URLSearchParams({ query, start: p.start.toString(), end: p.end.toString(), limit: String(p.limit), direction: p.direction });
    const body = await this.get(`/loki/api/v1/query_range?${params}`, signal, timeoutMs, target);
    const parsed = LOKI_LENIENT.queryRangeStreams.safeParse(body);
    if (!parsed.success) {
      throw new SourceError('rejected', this.description, `answered a query_range with something other than a log stream result (${describeIssues(parsed.error)}) — is the selector a log query, and the url Loki's?`);
    }
    return this.rowsOf(parsed.data.data.result);
  }

  private rowsOf(streams: { stream: Record<string, string>; values: ([string, string] | [string, string, Record<string, string>])[] }[]): PolledRow[] {
    const rows: PolledRow[] = [];
    for (const s of streams) {
      const labels = hash(JSON.stringify(Object.entries(s.stream).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
      const process = s.stream[this.config.processLabel] ?? '';
      for (const [ns, message] of s.values) {
        const timeNs = BigInt(ns);
        rows.push({ timeNs, line: { time: formatTimeNs(timeNs), process, message, id: `${labels}:${ns}:${hash(message)}` } });
      }
    }
    return rows.sort(compareRows);
  }

  private headers(): Record<string, string> {
    const h: Record<string, string> = { accept: 'application/json' };
    if (this.config.tenant) h['X-Scope-OrgID'] = this.config.tenant;
    return { ...h, ...this.bearer(this.config.tokenEnv) };
  }

  private async get(path: string, signal: AbortSignal | undefined, timeoutMs: number, target: LogTarget): Promise<unknown> {
    const { res, text } = await this.request(path, { headers: this.headers() }, signal, timeoutMs);
    if (res.ok) {
      try {
        return JSON.parse(text);
      } catch {
        throw new SourceError('rejected', this.description, `answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`, res.status);
      }
    }
    throw this.refusal(res.status, text.trim().slice(0, 1000) || res.statusText, target);
  }

  private refusal(status: number, said: string, target: LogTarget): SourceError {
    if (status === 400 && said === 'no org id') {
      return new SourceError('rejected', this.description, `answered 400: no org id — this Loki is multi-tenant: set the "tenant" of this source in the logs config`, status);
    }
    if (status === 400 && said.startsWith('max entries limit per query exceeded')) {
      return new SourceError('rejected', this.description, `answered 400: ${said} — ask for fewer lines (-n)`, status);
    }
    if (status === 400) {
      return new SourceError('invalid-query', this.description, `refused the query for ${target.component} in ${target.environment}: ${said} — check the "selector" and "processLabel" of this source in the logs config`, status);
    }
    const hint = status === 401 || status === 403 ? ' — check its tokenEnv and tenant in the logs config' : '';
    return new SourceError('rejected', this.description, `answered ${status}: ${said}${hint}`, status);
  }

  tail(target: LogTarget, options: TailOptions): AsyncIterable<TailEvent> {
    return this.follow(target, options);
  }

  private async *follow(target: LogTarget, options: TailOptions): AsyncGenerator<TailEvent> {
    const { signal } = options;
    const maxBackoffMs = this.opts.tailTiming?.maxBackoffMs ?? 2000;
    const heartbeatMs = this.opts.tailTiming?.heartbeatMs ?? 15_000;
    const query = this.query(target);
    /** Shown ids still within reach of a catch-up: id → time. */
    const seen = new Map<string, bigint>();
    let pos: { t: bigint; ids: Set<string> };
    let lastEventAt = Date.now();
    const show = (row: PolledRow): TailEvent => {
      seen.set(row.line.id, row.timeNs);
      if (row.timeNs > pos.t) pos = { t: row.timeNs, ids: new Set([row.line.id]) };
      else if (row.timeNs === pos.t) pos.ids.add(row.line.id);
      lastEventAt = Date.now();
      return { type: 'line', line: row.line, cursor: encodeCursor(pos) };
    };
    const fresh = (rows: PolledRow[], floor: bigint) => rows.filter((r) => r.timeNs >= floor && !seen.has(r.line.id)).sort(compareRows);

    let answered = false;
    try {
      if (options.cursor) {
        pos = decodeCursor(options.cursor);
        for (const id of pos.ids) seen.set(id, pos.t);
      } else {
        // Where poll-tail starts too (its settle): lines of the last second come after the backlog, not in it.
        const startNs = nowNs() - START_BACK_NS;
        const n = options.backlog ?? 10;
        const rows = n > 0 ? await this.newest(target, query, n, startNs - BigInt(LOKI_HISTORY_LOOKBACK_MS) * 1_000_000n, startNs + 1n, signal, 5000) : [];
        answered = n > 0;
        pos = { t: rows.length ? rows[0]!.timeNs : startNs, ids: new Set() };
        for (const row of rows) yield show(row);
      }
    } catch (e) {
      if (signal.aborted) return;
      throw e;
    }
    const floor = pos.t;

    let failingSince: number | null = null;
    let delay = 250;
    while (!signal.aborted) {
      const socket = new TailSocket();
      try {
        // What was missed, then the socket, then what came in between; the socket's own look-back starts there too.
        for (const row of fresh(await this.since(target, query, pos.t, signal), floor)) yield show(row);
        answered = true;
        await socket.open(this.tailUrl(query, pos.t), this.headers(), signal);
        for (const row of fresh(await this.since(target, query, pos.t, signal), floor)) yield show(row);
        if (failingSince !== null) {
          yield { type: 'notice', message: `${this.description} answers again (after ${((Date.now() - failingSince) / 1000).toFixed(1)} s); following on` };
          lastEventAt = Date.now();
          failingSince = null;
        }
        delay = 250;
        for (;;) {
          const frame = await socket.next(Math.max(0, heartbeatMs - (Date.now() - lastEventAt)), signal);
          if (signal.aborted) return;
          if (frame === 'idle') {
            lastEventAt = Date.now();
            yield { type: 'heartbeat', cursor: encodeCursor(pos) };
            continue;
          }
          if (frame.type === 'closed') throw new Error(`its live tail connection closed${frame.code ? ` (${frame.code}${frame.reason ? ` ${frame.reason}` : ''})` : ''}`);
          const parsed = LOKI_LENIENT.tailFrame.safeParse(frame.data);
          if (!parsed.success) throw new Error(`its live tail sent a frame that is not Loki's (${describeIssues(parsed.error)})`);
          for (const row of fresh(this.rowsOf(parsed.data.streams ?? []), floor)) yield show(row);
          const dropped = parsed.data.dropped_entries ?? [];
          if (dropped.length) {
            const oldest = dropped.reduce((m, d) => (BigInt(d.timestamp) < m ? BigInt(d.timestamp) : m), BigInt(dropped[0]!.timestamp));
            const again = fresh(await this.since(target, query, oldest > floor ? oldest : floor, signal), floor);
            yield {
              type: 'notice',
              message: `${this.description} dropped ${dropped.length} line${dropped.length === 1 ? '' : 's'} from the live tail (it could not keep up); read again from history (${again.length} shown now)`,
            };
            for (const row of again) yield show(row);
          }
          // Forget what no catch-up can return again.
          const horizon = pos.t - LOOKBACK_NS;
          for (const [id, t] of seen) if (t < horizon) seen.delete(id);
        }
      } catch (e) {
        if (signal.aborted) return;
        if (!answered) throw e;
        if (failingSince === null) {
          failingSince = Date.now();
          yield { type: 'notice', message: `${e instanceof SourceError ? e.message : `${this.description}: ${why(e)}`} — retrying until it answers` };
          lastEventAt = Date.now();
        }
        await sleep(delay, signal);
        delay = Math.min(delay * 2, maxBackoffMs);
      } finally {
        socket.close();
      }
    }
  }

  private tailUrl(query: string, startNs: bigint): string {
    const u = new URL(`${this.base}/loki/api/v1/tail`);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    u.search = new URLSearchParams({ query, start: startNs.toString() }).toString();
    return u.toString();
  }
}

type Frame = { type: 'data'; data: unknown } | { type: 'closed'; code?: number; reason?: string };

/** A WebSocket whose messages are awaited one at a time (queued while the reader is busy). */
class TailSocket {
  private ws: WebSocket | undefined;
  private readonly queue: Frame[] = [];
  private wake: (() => void) | undefined;

  open(url: string, headers: Record<string, string>, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      // Node's WebSocket (undici) takes headers, which the WHATWG one does not: the tenant and the token go with the upgrade.
      const ws = new WebSocket(url, { headers });
      this.ws = ws;
      let opened = false;
      const onAbort = () => ws.close();
      signal.addEventListener('abort', onAbort, { once: true });
      ws.onopen = () => {
        opened = true;
        resolve();
      };
      ws.onmessage = (e) => {
        let data: unknown;
        try {
          data = JSON.parse(String(e.data));
        } catch {
          data = e.data;
        }
        this.push({ type: 'data', data });
      };
      ws.onclose = (e) => {
        signal.removeEventListener('abort', onAbort);
        if (!opened) reject(new Error(`its live tail (the WebSocket /loki/api/v1/tail) refused the connection${e.code && e.code !== 1006 ? ` (${e.code} ${e.reason})` : ''}`));
        this.push({ type: 'closed', code: e.code, reason: e.reason });
      };
      ws.onerror = () => {
        // always followed by close
      };
    });
  }

  private push(f: Frame): void {
    this.queue.push(f);
    this.wake?.();
  }

  /** The next frame, or 'idle' after `idleMs` without one. */
  async next(idleMs: number, signal: AbortSignal): Promise<Frame | 'idle'> {
    if (!this.queue.length) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          this.wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, idleMs);
        signal.addEventListener('abort', done, { once: true });
        this.wake = done;
      });
    }
    return this.queue.shift() ?? 'idle';
  }

  close(): void {
    if (this.ws && this.ws.readyState < WebSocket.CLOSING) this.ws.close();
  }
}
