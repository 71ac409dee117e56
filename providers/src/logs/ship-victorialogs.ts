/**
 * The local runtime's log shipper: each output line of a process goes to VictoriaLogs as one JSON row
 * (`POST /insert/jsonline`), stamped when it was read, so the reader sees lines in the order the process wrote them
 * and a re-sent line is an exact duplicate the reader drops (id = stream + `_time` + `seq`).
 *
 * ```ts
 * const shipper = createVictoriaLogsShipper({ url: 'http://127.0.0.1:9428', labels: localStreamLabels('checkout', 'preview-1') });
 * child.stdout.on('line', (l) => shipper.push('web.1', l));
 * await shipper.close(); // on stop: ships what is left (bounded wait)
 * ```
 *
 * - `_time`: the wall clock (ms) plus sub-ms digits, at ns precision and strictly increasing per process; `seq`: a
 *   per-process counter. Both are stamped in `push`, never at send time.
 * - Batches: the lines of up to `batchMs` (100 ms) in one POST (Content-Type application/stream+json — VictoriaLogs
 *   silently stores nothing under curl's form type), one POST at a time, each with a `timeoutMs` (2 s) deadline.
 * - Failures: the POST is retried (back-off 100 ms doubling to 2 s, forever). VictoriaLogs acknowledges rows before
 *   they are on disk and a crash loses the last ~1 s of them, so after a failed POST the lines acknowledged in the
 *   `resendMs` (10 s) before it are sent again with the retry; readers drop the copies that survived. A crash while
 *   the process is quiet fails no POST, so the shipper also watches its keep-alive connection: when the store closes
 *   it (a crash, a restart; an idle timeout only after a minute, when nothing is recent) the recent lines are sent
 *   again at once, retried until the store answers.
 * - The store down for long: lines wait in memory up to `maxPending` (100,000 lines); beyond that the oldest waiting
 *   lines are dropped, counted per process, and once the store answers a line
 *   `[idp] <n> lines of web.1 were dropped while the log store was unreachable` is shipped in their place, so the gap is
 *   visible in `idp logs`. A running `idp logs --tail` shows caught-up lines only if they arrive within its 60 s
 *   look-back; older ones are in history (`idp logs --since`). 4xx answers (a row the store refuses) are not retried:
 *   the batch is dropped with a notice, so one bad row cannot stop a process's logs.
 * - `close()` ships what is waiting for at most `closeTimeoutMs` (5 s), then drops the rest (counted in stats).
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { LOCAL_STREAM_FIELDS } from './server.js';
import { formatTimeNs } from './time.js';

export interface VictoriaLogsShipperOptions {
  /** VictoriaLogs' base URL (http://127.0.0.1:9428). */
  url: string;
  /** Stream fields on every row besides the process, e.g. localStreamLabels(component, environment). */
  labels: Record<string, string>;
  /** The field naming the process (`web.1`); default `process` (the VictoriaLogs source config's processField). */
  processField?: string;
  /** Extra request headers (AccountID / ProjectID, Authorization for a vmauth in front). */
  headers?: Record<string, string>;
  batchMs?: number;
  timeoutMs?: number;
  resendMs?: number;
  maxPending?: number;
  closeTimeoutMs?: number;
  /** What the runtime's own log should say: the store unreachable / back, lines dropped. Never a line's content. */
  onNotice?: (message: string) => void;
}

export interface ShipperStats {
  /** Lines pushed and not yet acknowledged. */
  pending: number;
  /** Lines the store acknowledged. */
  shipped: number;
  /** Copies sent again after a failure. */
  resent: number;
  /** Lines given up on (store down past maxPending, refused with 4xx, or left at close). */
  dropped: number;
  /** Failed POSTs. */
  failures: number;
}

export interface VictoriaLogsShipper {
  /**
   * Queues one output line of `process` (`web.1`). `stamp` is for importers and tests that write a line with its own
   * time and seq (the same stamp twice = the same line twice); the runtime lets the shipper stamp it.
   */
  push(process: string, line: string, stamp?: { timeNs: bigint; seq: number }): void;
  /** Resolves once every line pushed before the call is acknowledged (or dropped); retries meanwhile. */
  flush(): Promise<void>;
  /** Ships what is waiting (at most closeTimeoutMs), then stops; pushes after it are ignored. */
  close(): Promise<void>;
  stats(): ShipperStats;
}

/** The stream fields the embedded stack's default `stream` template selects on (OpenTelemetry's names). */
export function localStreamLabels(component: string, environment: string): Record<string, string> {
  return { [LOCAL_STREAM_FIELDS[0]]: component, [LOCAL_STREAM_FIELDS[1]]: environment };
}

interface Row {
  /** Push order, for flush(). */
  n: number;
  process: string;
  json: string;
}

export function createVictoriaLogsShipper(opts: VictoriaLogsShipperOptions): VictoriaLogsShipper {
  const batchMs = opts.batchMs ?? 100;
  const timeoutMs = opts.timeoutMs ?? 2000;
  const resendMs = opts.resendMs ?? 10_000;
  const maxPending = opts.maxPending ?? 100_000;
  const closeTimeoutMs = opts.closeTimeoutMs ?? 5000;
  const processField = opts.processField ?? 'process';
  const notice = opts.onNotice ?? (() => {});
  const endpoint = `${opts.url.replace(/\/$/, '')}/insert/jsonline?_stream_fields=${encodeURIComponent([...Object.keys(opts.labels), processField].join(','))}`;
  const headers = { 'content-type': 'application/stream+json', ...opts.headers };
  const https = endpoint.startsWith('https:');
  // One kept-alive connection, watched: the store closing it may mean it crashed with rows only in memory.
  const agent = https ? new HttpsAgent({ keepAlive: true, maxSockets: 1 }) : new HttpAgent({ keepAlive: true, maxSockets: 1 });
  const watched = new WeakSet<Socket>();

  const last = new Map<string, { timeNs: bigint; seq: number }>();
  let pending: Row[] = [];
  let inflight: Row[] = [];
  /** Acknowledged rows with when, for the re-send after a failure. */
  let recent: { row: Row; at: number }[] = [];
  /** Copies to send with the next attempt (set by a failure). */
  let resend: Row[] = [];
  const dropped = new Map<string, number>();
  const stats: ShipperStats = { pending: 0, shipped: 0, resent: 0, dropped: 0, failures: 0 };
  let pushed = 0;
  let timer: NodeJS.Timeout | null = null;
  let sending: Promise<void> | null = null;
  let closed = false;
  let stopping = false;
  let downSince: number | null = null;
  let backoff = 0;
  let waiters: { upTo: number; resolve: () => void }[] = [];

  const stamp = (proc: string): { timeNs: bigint; seq: number } => {
    const prev = last.get(proc);
    // Wall-clock ms + sub-ms digits from the monotonic clock; never at or before the process's previous line.
    let timeNs = BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
    if (prev && timeNs <= prev.timeNs) timeNs = prev.timeNs + 1n;
    return { timeNs, seq: (prev?.seq ?? 0) + 1 };
  };

  const enqueue = (process: string, line: string, s?: { timeNs: bigint; seq: number }) => {
    const st = s ?? stamp(process);
    if (!s) last.set(process, st);
    const row = { _msg: line, _time: formatTimeNs(st.timeNs), seq: st.seq, ...opts.labels, [processField]: process };
    pending.push({ n: ++pushed, process, json: JSON.stringify(row) });
    if (pending.length > maxPending) {
      const over = pending.splice(0, pending.length - maxPending);
      for (const r of over) dropped.set(r.process, (dropped.get(r.process) ?? 0) + 1);
      stats.dropped += over.length;
      settle();
    }
    schedule(batchMs);
  };

  /** The lowest push number not yet acknowledged or dropped. */
  const firstOpen = () => inflight[0]?.n ?? pending[0]?.n ?? pushed + 1;
  const settle = () => {
    const open = firstOpen();
    const ready = waiters.filter((w) => w.upTo < open);
    waiters = waiters.filter((w) => w.upTo >= open);
    for (const w of ready) w.resolve();
  };

  function schedule(ms: number): void {
    if (timer || sending || (!pending.length && !resend.length)) return;
    timer = setTimeout(() => {
      timer = null;
      sending = send().finally(() => {
        sending = null;
        settle();
        if (!stopping && (pending.length || resend.length)) schedule(downSince !== null ? backoff : 0);
      });
    }, ms);
  }

  /** Lines acknowledged within resendMs move to the next attempt. */
  const resendRecent = (now: number) => {
    resend = [...resend, ...recent.filter((r) => r.at >= now - resendMs).map((r) => r.row)];
    recent = [];
  };

  const watch = (socket: Socket) => {
    if (watched.has(socket)) return;
    watched.add(socket);
    socket.once('close', () => {
      if (stopping || !recent.some((r) => r.at >= Date.now() - resendMs)) return;
      resendRecent(Date.now());
      schedule(0);
    });
  };

  /** One POST: the status (0: no answer) and, on failure, what went wrong. */
  function post(body: string): Promise<{ status: number; detail: string }> {
    return new Promise((resolve) => {
      const req = (https ? httpsRequest : httpRequest)(endpoint, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          clearTimeout(deadline);
          resolve({ status: res.statusCode ?? 0, detail: text.trim().slice(0, 300) });
        });
        res.on('error', (e) => fail(e));
      });
      const fail = (e: Error) => {
        clearTimeout(deadline);
        resolve({ status: 0, detail: (e as { code?: string }).code ?? e.message });
      };
      const deadline = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
      req.on('socket', watch);
      req.on('error', fail);
      req.end(body);
    });
  }

  async function send(): Promise<void> {
    inflight = pending.splice(0, 10_000);
    const copies = resend;
    const { status, detail } = await post([...copies, ...inflight].map((r) => `${r.json}\n`).join(''));
    const now = Date.now();
    if (status >= 200 && status < 300) {
      stats.shipped += inflight.length;
      stats.resent += copies.length;
      resend = resend.slice(copies.length); // copies the connection's close added meanwhile go with the next POST
      // Copies too: the store they just reached may crash before they reach its disk.
      for (const row of [...copies, ...inflight]) recent.push({ row, at: now });
      recent = recent.filter((r) => r.at >= now - resendMs).slice(-maxPending);
      if (downSince !== null) {
        notice(`log store ${opts.url} answers again after ${((now - downSince) / 1000).toFixed(1)} s; re-sent ${copies.length} recent lines`);
        downSince = null;
      }
      backoff = 0;
      inflight = [];
      for (const [process, count] of dropped) {
        enqueue(process, `[idp] ${count} lines of ${process} were dropped while the log store was unreachable`);
      }
      dropped.clear();
    } else if (status >= 400 && status < 500 && status !== 429) {
      // The store refuses these rows: retrying cannot help, and must not stop the lines after them.
      stats.dropped += inflight.length;
      resend = resend.slice(copies.length);
      notice(`log store ${opts.url} refused ${inflight.length} lines with ${status}: ${detail}`);
      inflight = [];
    } else {
      stats.failures++;
      if (downSince === null) {
        downSince = now;
        // What it acknowledged lately may not have reached its disk: send it again with the retry.
        resendRecent(now);
        notice(`log store ${opts.url} unreachable (${status ? `HTTP ${status}` : detail}); keeping lines and retrying`);
      }
      pending = [...inflight, ...pending];
      inflight = [];
      backoff = Math.min(Math.max(backoff * 2, 100), 2000);
    }
  }

  return {
    push(process, line, s) {
      if (closed) return;
      enqueue(process, line, s);
    },
    flush() {
      const upTo = pushed;
      return new Promise<void>((resolve) => {
        waiters.push({ upTo, resolve });
        settle();
        if (timer) {
          clearTimeout(timer);
          timer = null;
          schedule(0);
        }
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      const flushed = this.flush();
      let deadline: NodeJS.Timeout | undefined;
      await Promise.race([flushed, new Promise<void>((r) => (deadline = setTimeout(r, closeTimeoutMs)))]);
      clearTimeout(deadline);
      stopping = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await sending;
      stats.dropped += pending.length;
      pending = [];
      resend = [];
      agent.destroy();
      settle();
    },
    stats: () => ({ ...stats, pending: inflight.length + pending.length }),
  };
}

