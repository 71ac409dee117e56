/**
 * An in-process Loki for tests: no Loki can run here (its binaries are on GitHub, not a package registry), so this
 * node:http + WebSocket (`ws`) server on 127.0.0.1 answers the three endpoints idp uses the way Loki's reference
 * describes them (../logs/loki-shapes.ts, with the links): `POST /loki/api/v1/push` (JSON), `GET
 * /loki/api/v1/query_range` (log queries) and the `GET /loki/api/v1/tail` WebSocket, plus `GET /ready`.
 *
 * It cannot drift from the docs silently: every request it receives and every response or frame it sends is checked
 * against the strict shapes; a mismatch is answered 400 (requests) and recorded in `violations`, which tests assert
 * stays empty. An undocumented endpoint answers 404 and is recorded too; LogQL the fake does not implement (parsers
 * like `| json`, label filters, metric queries) answers 500 and is recorded, so a test never passes on a guess.
 *
 * What it keeps of Loki's behaviour: entries stored per tenant and stream (label set); an entry whose stream,
 * timestamp and line equal one already stored is ignored (Loki's exact-duplicate rule, LOKI_DOCS.duplicates);
 * `start` inclusive, `end` exclusive, `limit` counted across all streams, each stream's values sorted by the
 * direction and the streams themselves unsorted; defaults `limit` 100, `end` now, `start` an hour before, `direction`
 * backward; `limit` above max_entries_limit_per_query (5000) refused; `end` ≤ `start` refused. The tail sends the
 * newest `limit` entries since `start` (oldest first), then every new entry matching; errors before the upgrade are
 * plain-text HTTP answers, as Loki parses the query before upgrading. Errors are `text/plain; charset=utf-8` with
 * Loki's messages (`parse error at line 1, col 9: syntax error: …`, `no org id`).
 *
 * LogQL: a stream selector (`=`, `!=`, `=~`, `!~`; regexes fully anchored, run as JavaScript regexes — close to RE2
 * for the patterns idp writes) and line filters (`|=`, `!=`, `|~`, `!~`), strings in double quotes (JSON escapes) or
 * backticks. Loki's rule that a selector needs one matcher that cannot match the empty string is kept.
 *
 * Faults: `stop()` (graceful: tails closed with 1001 going away), `kill()` (every connection dropped), `start()`
 * again on the same port with the same data (Loki's WAL keeps acknowledged entries); `dropTailEntries(n)`: the next
 * n entries meant for live tails are not sent but reported in `dropped_entries`, as Loki's tailer does when a client
 * is slow. `token`: a bearer token a proxy in front would require (Loki has no auth of its own).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { z } from 'zod';
import { describeIssues, LOKI_ERROR_CONTENT_TYPE, LOKI_JSON_CONTENT_TYPE, LOKI_STRICT, type LokiPush, type LokiStream, type LokiTailFrame } from '../logs/loki-shapes.js';
import { readBody } from './fake-http.js';

export interface LokiFakeOptions {
  /** auth_enabled: every request names its tenant in X-Scope-OrgID (400 "no org id" without). Unset: tenant "fake". */
  multiTenant?: boolean;
  /** A bearer token the proxy in front requires: 401 "Unauthorized" (text/plain) without it. */
  token?: string;
  /** max_entries_limit_per_query (default 5000). */
  maxEntries?: number;
  /** Default: a free port. */
  port?: number;
}

export interface LokiFake {
  readonly url: string;
  readonly port: number;
  /** Requests and responses that do not match the documented shapes (must stay empty). */
  readonly violations: string[];
  readonly requests: { method: string; path: string; status: number }[];
  /** Open tail connections. */
  tails(): number;
  /** The next `n` entries meant for live tails are reported in `dropped_entries` instead of sent. */
  dropTailEntries(n: number): void;
  stop(): Promise<void>;
  kill(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

// ---- LogQL (the subset idp writes) ----

type MatchOp = '=' | '!=' | '=~' | '!~';
type FilterOp = '|=' | '!=' | '|~' | '!~';
interface LogQuery {
  matchers: { name: string; op: MatchOp; value: string; re?: RegExp }[];
  filters: { op: FilterOp; value: string; re?: RegExp }[];
}

class ParseError extends Error {
  constructor(text: string, at: number, message: string) {
    const before = text.slice(0, at);
    const line = before.split('\n').length;
    const col = at - before.lastIndexOf('\n');
    super(`parse error at line ${line}, col ${col}: ${message}`);
  }
}
class NotImplemented extends Error {}

export function parseLogQL(text: string): LogQuery {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const unexpected = (expecting: string) =>
    new ParseError(text, i, `syntax error: unexpected ${i >= text.length ? '$end' : JSON.stringify(text[i])}, expecting ${expecting}`);
  const string = (): string => {
    const q = text[i];
    if (q === '`') {
      const end = text.indexOf('`', i + 1);
      if (end < 0) throw new ParseError(text, i, 'syntax error: unterminated raw string');
      const v = text.slice(i + 1, end);
      i = end + 1;
      return v;
    }
    if (q !== '"') throw unexpected('STRING');
    let j = i + 1;
    while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
    if (j >= text.length) throw new ParseError(text, i, 'syntax error: unterminated string');
    const raw = text.slice(i, j + 1);
    try {
      const v = JSON.parse(raw) as string;
      i = j + 1;
      return v;
    } catch {
      throw new ParseError(text, i, `syntax error: invalid string ${raw}`);
    }
  };
  const regex = (source: string, anchored: boolean, at: number): RegExp => {
    try {
      return new RegExp(anchored ? `^(?:${source})$` : source, 's');
    } catch (e) {
      throw new ParseError(text, at, `invalid regex ${JSON.stringify(source)}: ${(e as Error).message}`);
    }
  };

  const q: LogQuery = { matchers: [], filters: [] };
  ws();
  if (text[i] !== '{') {
    if (/^[a-z_]+\s*\(/.test(text.slice(i))) throw new NotImplemented('metric queries');
    throw unexpected('{');
  }
  i++;
  ws();
  while (text[i] !== '}') {
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))?.[0];
    if (!name) throw unexpected('IDENTIFIER');
    i += name.length;
    ws();
    const op = (['=~', '!~', '!=', '='] as const).find((o) => text.startsWith(o, i));
    if (!op) throw unexpected('=, !=, =~ or !~');
    i += op.length;
    ws();
    const at = i;
    const value = string();
    q.matchers.push({ name, op, value, ...(op === '=~' || op === '!~' ? { re: regex(value, true, at) } : {}) });
    ws();
    if (text[i] === ',') {
      i++;
      ws();
    } else if (text[i] !== '}') throw unexpected(', or }');
  }
  i++;
  if (!q.matchers.some((m) => (m.op === '=' && m.value !== '') || (m.op === '=~' && !m.re!.test('')))) {
    throw new Error(
      'parse error : queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~".*" does not meet this requirement, but app=~".+" will',
    );
  }
  for (;;) {
    ws();
    if (i >= text.length) break;
    const op = (['|=', '!=', '|~', '!~'] as const).find((o) => text.startsWith(o, i));
    if (!op) {
      if (text[i] === '|') throw new NotImplemented(`the pipeline stage at ${JSON.stringify(text.slice(i, i + 20))}`);
      throw unexpected('a line filter or the end of the query');
    }
    i += op.length;
    ws();
    const at = i;
    const value = string();
    q.filters.push({ op, value, ...(op === '|~' || op === '!~' ? { re: regex(value, false, at) } : {}) });
  }
  return q;
}

function matches(q: LogQuery, labels: Record<string, string>, line: string): boolean {
  for (const m of q.matchers) {
    const v = labels[m.name] ?? '';
    const ok = m.op === '=' ? v === m.value : m.op === '!=' ? v !== m.value : m.op === '=~' ? m.re!.test(v) : !m.re!.test(v);
    if (!ok) return false;
  }
  for (const f of q.filters) {
    const ok = f.op === '|=' ? line.includes(f.value) : f.op === '!=' ? !line.includes(f.value) : f.op === '|~' ? f.re!.test(line) : !f.re!.test(line);
    if (!ok) return false;
  }
  return true;
}

/** A timestamp parameter as Loki reads it (LOKI_DOCS.timestamps) → ns. */
function parseTimestamp(v: string): bigint {
  if (/^\d+$/.test(v)) return v.length <= 10 ? BigInt(v) * 1_000_000_000n : BigInt(v);
  if (/^\d+\.\d+$/.test(v)) {
    const [s, frac] = v.split('.') as [string, string];
    return BigInt(s) * 1_000_000_000n + BigInt(Math.round(Number(`0.${frac}`) * 1000)) * 1_000_000n;
  }
  const m = /^(.*?)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(v)!;
  return BigInt(Date.parse(`${m[1]}${m[3]}`)) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

const nowNs = () => BigInt(Date.now()) * 1_000_000n;

// ---- the server ----

interface Entry {
  ns: bigint;
  line: string;
  meta?: Record<string, string>;
}
interface StoredStream {
  labels: Record<string, string>;
  entries: Entry[];
  /** `ns\0line` of every entry: Loki's exact-duplicate check. */
  keys: Set<string>;
}
interface Tail {
  ws: WebSocket;
  tenant: string;
  query: LogQuery;
}

const streamKey = (labels: Record<string, string>) =>
  JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

export async function startLokiFake(opts: LokiFakeOptions = {}): Promise<LokiFake> {
  const maxEntries = opts.maxEntries ?? 5000;
  const tenants = new Map<string, Map<string, StoredStream>>();
  const violations: string[] = [];
  const requests: LokiFake['requests'] = [];
  const tails = new Set<Tail>();
  let dropLeft = 0;
  let server: Server | undefined;
  let wss: WebSocketServer | undefined;
  const sockets = new Set<Socket>();
  let port = opts.port ?? 0;

  const check = <T>(schema: z.ZodType<T>, value: unknown, what: string): T | string => {
    const r = schema.safeParse(value);
    if (r.success) return r.data;
    const why = `${what}: ${describeIssues(r.error)}`;
    violations.push(why);
    return why;
  };

  const sendText = (res: ServerResponse, status: number, message: string) => {
    res.writeHead(status, { 'content-type': LOKI_ERROR_CONTENT_TYPE, 'x-content-type-options': 'nosniff' }).end(message);
  };
  const sendJson = <T>(res: ServerResponse, schema: z.ZodType<T>, body: T, what: string) => {
    const ok = check(schema, body, `response of ${what}`);
    if (typeof ok === 'string') return sendText(res, 500, `the fake built an undocumented response: ${ok}`);
    res.writeHead(200, { 'content-type': LOKI_JSON_CONTENT_TYPE }).end(JSON.stringify(body));
  };

  /** The tenant of a request, or the answer refusing it (a proxy's 401, Loki's "no org id"). */
  const admit = (req: IncomingMessage): { tenant: string } | { status: number; message: string } => {
    if (opts.token !== undefined && req.headers.authorization !== `Bearer ${opts.token}`) return { status: 401, message: 'Unauthorized' };
    if (!opts.multiTenant) return { tenant: 'fake' };
    const org = req.headers['x-scope-orgid'];
    if (typeof org !== 'string' || !org) return { status: 400, message: 'no org id' };
    return { tenant: org };
  };

  const params = (url: URL): Record<string, string> | string => {
    const out: Record<string, string> = {};
    for (const [k, v] of url.searchParams) {
      if (k in out) return `parameter ${k} given twice`;
      out[k] = v;
    }
    return out;
  };

  /** Matching entries, `limit` of them across streams in `direction`, grouped by stream (values in that order). */
  const select = (tenant: string, q: LogQuery, start: bigint, end: bigint, limit: number, direction: 'forward' | 'backward'): LokiStream[] => {
    const hits: { s: StoredStream; e: Entry; key: string }[] = [];
    for (const [key, s] of tenants.get(tenant) ?? []) {
      for (const e of s.entries) if (e.ns >= start && e.ns < end && matches(q, s.labels, e.line)) hits.push({ s, e, key });
    }
    const sign = direction === 'forward' ? 1 : -1;
    hits.sort((a, b) => sign * (a.e.ns < b.e.ns ? -1 : a.e.ns > b.e.ns ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : a.e.line < b.e.line ? -1 : 1));
    const out = new Map<StoredStream, LokiStream>();
    for (const h of hits.slice(0, limit)) {
      let s = out.get(h.s);
      if (!s) out.set(h.s, (s = { stream: h.s.labels, values: [] }));
      s.values.push(h.e.meta ? [h.e.ns.toString(), h.e.line, h.e.meta] : [h.e.ns.toString(), h.e.line]);
    }
    return [...out.values()];
  };

  const sendFrame = (t: Tail, frame: LokiTailFrame) => {
    const ok = check(LOKI_STRICT.tailFrame, frame, 'tail frame');
    if (typeof ok === 'string') return;
    t.ws.send(JSON.stringify(frame));
  };

  /** Stores a push (Loki's exact duplicates ignored) and tells the live tails. */
  const store = (tenant: string, body: LokiPush) => {
    let streams = tenants.get(tenant);
    if (!streams) tenants.set(tenant, (streams = new Map()));
    const added: { s: StoredStream; e: Entry }[] = [];
    for (const p of body.streams) {
      const key = streamKey(p.stream);
      let s = streams.get(key);
      if (!s) streams.set(key, (s = { labels: { ...p.stream }, entries: [], keys: new Set() }));
      for (const [ns, line, meta] of p.values) {
        const k = `${ns}\0${line}`;
        if (s.keys.has(k)) continue;
        s.keys.add(k);
        const e: Entry = { ns: BigInt(ns), line, ...(meta ? { meta } : {}) };
        s.entries.push(e);
        added.push({ s, e });
      }
    }
    for (const t of tails) {
      if (t.tenant !== tenant) continue;
      const streams = new Map<StoredStream, LokiStream>();
      const dropped: { labels: Record<string, string>; timestamp: string }[] = [];
      for (const { s, e } of added) {
        if (!matches(t.query, s.labels, e.line)) continue;
        if (dropLeft > 0) {
          dropLeft--;
          dropped.push({ labels: s.labels, timestamp: e.ns.toString() });
          continue;
        }
        let out = streams.get(s);
        if (!out) streams.set(s, (out = { stream: s.labels, values: [] }));
        out.values.push([e.ns.toString(), e.line]);
      }
      if (streams.size || dropped.length) sendFrame(t, { ...(streams.size ? { streams: [...streams.values()] } : {}), ...(dropped.length ? { dropped_entries: dropped } : {}) });
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://loki');
    res.once('finish', () => requests.push({ method: req.method ?? '', path: url.pathname, status: res.statusCode }));
    if (req.method === 'GET' && url.pathname === '/ready') return sendText(res, 200, 'ready');
    const who = admit(req);
    if ('status' in who) {
      req.resume();
      return sendText(res, who.status, who.message);
    }

    if (req.method === 'POST' && url.pathname === '/loki/api/v1/push') {
      const type = req.headers['content-type'] ?? '';
      const raw = (await readBody(req)).toString('utf8');
      if (!/^application\/json\b/.test(type)) {
        violations.push(`push with Content-Type ${type || '(none)'}: the fake speaks only the JSON form`);
        return sendText(res, 415, 'the fake takes only Content-Type: application/json');
      }
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch (e) {
        return sendText(res, 400, `loghttp.PushRequest.ReadJSON: ${(e as Error).message}`);
      }
      const ok = check(LOKI_STRICT.push, body, 'push request');
      if (typeof ok === 'string') return sendText(res, 400, ok);
      store(who.tenant, ok);
      res.writeHead(204).end();
      return;
    }

    if (req.method === 'GET' && url.pathname === '/loki/api/v1/query_range') {
      const p = params(url);
      if (typeof p === 'string') return sendText(res, 400, p);
      const ok = check(LOKI_STRICT.queryRangeParams, p, 'query_range parameters');
      if (typeof ok === 'string') return sendText(res, 400, ok);
      let q: LogQuery;
      try {
        q = parseLogQL(ok.query);
      } catch (e) {
        if (e instanceof NotImplemented) {
          violations.push(`query_range: the fake does not implement ${e.message}`);
          return sendText(res, 500, `the fake does not implement ${e.message}`);
        }
        return sendText(res, 400, (e as Error).message);
      }
      const end = ok.end ? parseTimestamp(ok.end) : nowNs();
      const start = ok.start ? parseTimestamp(ok.start) : end - 3_600_000_000_000n;
      if (ok.since && !ok.start) {
        violations.push('query_range: the fake does not implement since');
        return sendText(res, 500, 'the fake does not implement since');
      }
      if (end <= start) return sendText(res, 400, 'end timestamp must not be before or equal to start time');
      const limit = ok.limit ? Number(ok.limit) : 100;
      if (limit > maxEntries) return sendText(res, 400, `max entries limit per query exceeded, limit > max_entries_limit (${limit} > ${maxEntries})`);
      const result = select(who.tenant, q, start, end, limit, ok.direction ?? 'backward');
      const lines = result.reduce((n, s) => n + s.values.length, 0);
      const stats = { summary: { bytesProcessedPerSecond: 0, execTime: 0, linesProcessedPerSecond: 0, queueTime: 0, totalBytesProcessed: 0, totalLinesProcessed: lines } };
      return sendJson(res, LOKI_STRICT.queryRangeStreams, { status: 'success', data: { resultType: 'streams', result, stats } }, 'query_range');
    }

    if (url.pathname === '/loki/api/v1/tail') {
      // Loki's websocket upgrader, asked without an upgrade.
      return sendText(res, 400, 'Bad Request');
    }
    violations.push(`${req.method} ${url.pathname}: not an endpoint idp is documented to use`);
    req.resume();
    sendText(res, 404, '404 page not found\n');
  };

  const upgrade = (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://loki');
    // An answer before the upgrade, as Loki writes it (WriteError) on the raw connection.
    const refuse = (status: number, message: string) => {
      requests.push({ method: 'GET', path: url.pathname, status });
      const body = Buffer.from(message);
      socket.end(`HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 404 ? 'Not Found' : 'Bad Request'}\r\nContent-Type: ${LOKI_ERROR_CONTENT_TYPE}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${message}`);
    };
    if (url.pathname !== '/loki/api/v1/tail') {
      violations.push(`WebSocket to ${url.pathname}: not a documented endpoint`);
      return refuse(404, '404 page not found\n');
    }
    const who = admit(req);
    if ('status' in who) return refuse(who.status, who.message);
    const p = params(url);
    if (typeof p === 'string') return refuse(400, p);
    const ok = check(LOKI_STRICT.tailParams, p, 'tail parameters');
    if (typeof ok === 'string') return refuse(400, ok);
    let query: LogQuery;
    try {
      query = parseLogQL(ok.query);
    } catch (e) {
      if (e instanceof NotImplemented) violations.push(`tail: the fake does not implement ${e.message}`);
      return refuse(e instanceof NotImplemented ? 500 : 400, (e as Error).message);
    }
    wss!.handleUpgrade(req, socket, head, (ws) => {
      requests.push({ method: 'GET', path: url.pathname, status: 101 });
      const t: Tail = { ws, tenant: who.tenant, query };
      tails.add(t);
      ws.on('close', () => tails.delete(t));
      ws.on('error', () => tails.delete(t));
      // The initial look-back: the newest `limit` entries since `start`, oldest first.
      const now = nowNs();
      const start = ok.start ? parseTimestamp(ok.start) : now - 3_600_000_000_000n;
      const back = select(who.tenant, query, start, now + 1n, ok.limit ? Number(ok.limit) : 100, 'backward');
      for (const s of back) s.values.reverse();
      if (back.length) sendFrame(t, { streams: back });
    });
  };

  const listen = async () => {
    const s = createServer((req, res) => {
      handle(req, res).catch((e: unknown) => {
        violations.push(`the fake failed: ${(e as Error).stack ?? String(e)}`);
        if (!res.headersSent) sendText(res, 500, 'internal error in the fake');
      });
    });
    s.on('connection', (c) => {
      sockets.add(c);
      c.once('close', () => sockets.delete(c));
    });
    s.on('upgrade', upgrade);
    wss = new WebSocketServer({ noServer: true });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    port = (s.address() as AddressInfo).port;
    server = s;
  };

  const shut = async (how: 'stop' | 'kill') => {
    const s = server;
    if (!s) return;
    server = undefined;
    const closed = new Promise<void>((r) => s.close(() => r()));
    for (const t of tails) {
      if (how === 'stop') t.ws.close(1001, 'server shutting down');
      else t.ws.terminate();
    }
    tails.clear();
    if (how === 'kill') for (const c of sockets) c.destroy();
    else s.closeIdleConnections();
    s.closeAllConnections();
    await closed;
    wss?.close();
  };

  await listen();
  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    violations,
    requests,
    tails: () => tails.size,
    dropTailEntries: (n) => {
      dropLeft += n;
    },
    stop: () => shut('stop'),
    kill: () => shut('kill'),
    start: async () => {
      if (!server) await listen();
    },
    close: () => shut('stop'),
  };
}
