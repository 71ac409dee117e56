/**
 * VictoriaLogs (https://docs.victoriametrics.com/victorialogs/querying/#http-api) as a log source: history and tail
 * both through `POST /select/logsql/query` (LogsQL: https://docs.victoriametrics.com/victorialogs/logsql/).
 *
 * The query is the config's `stream` template (a stream filter, `{service.name="checkout",…}`) followed by field
 * filters: the process (`process:="web" or process:="web."*` — exact or exact-prefix, so `web` never matches `webby`),
 * the grep as a substring filter (`_msg:*"…"*`, the text JSON-quoted, so quotes and regex characters are literal),
 * and the time range. History asks for the newest N (`limit`, which VictoriaLogs answers newest first without
 * sorting the whole range) and drops duplicates by id (a shipper re-sends recent lines after a failure and
 * VictoriaLogs keeps both copies), asking again further back when duplicates left it short — over-fetching instead of
 * `| uniq by (…)`, which would read every row of the range.
 *
 * The tail is the generic poller (poll-tail.ts), not VictoriaLogs' /select/logsql/tail, which never shows a row that
 * becomes searchable after newer rows of its stream were shown (a shipper catching up after an outage).
 *
 * Times: `_time` comes back with its fraction's trailing zeros trimmed (`…02.02209373Z`): parsed to ns BigInt, never
 * compared as text. A line's id is `<_stream_id>:<ns>:<seq>` (the shipper's seq; a hash of the message when a row has
 * none). Every request sends `Accept-Encoding: identity` (gzip delays a streamed answer's headers until data).
 */
import { createHash } from 'node:crypto';
import { fillTemplate, type VictoriaLogsSourceConfig } from '@idp/core';
import { errorMessage, HttpSource, type HttpSourceOptions } from '../http-source.js';
import { SourceError } from '../source-error.js';
import { compareRows, pollTail, type PolledRow, type PollTiming } from './poll-tail.js';
import type { LogHistoryQuery, LogLine, LogSource, LogTarget, TailEvent, TailOptions } from './source.js';
import { dateToNs, formatTimeNs, parseTimeNs } from './time.js';

/** `timeoutMs`: a tail poll's is 5 s. */
export interface VictoriaLogsSourceOptions extends HttpSourceOptions {
  /** For tests: the tail's timing (poll-tail.ts POLL_TIMING). */
  tailTiming?: Partial<PollTiming>;
}

/** A LogsQL quoted string: JSON's escaping is what LogsQL's (Go's strconv) unquoting reads. */
const quote = (s: string) => JSON.stringify(s);
/** A field name as LogsQL reads it anywhere (quoted unless plainly a word with dots). */
const field = (name: string) => (/^[A-Za-z_][A-Za-z0-9_.]*$/.test(name) ? name : quote(name));

export class VictoriaLogsSource extends HttpSource implements LogSource {
  readonly type = 'victorialogs';

  constructor(
    name: string,
    private readonly config: VictoriaLogsSourceConfig,
    private readonly opts: VictoriaLogsSourceOptions = {},
  ) {
    super('log', name, 'victorialogs', config.url, opts);
  }

  async history(q: LogHistoryQuery): Promise<LogLine[]> {
    if (q.limit <= 0) return []; // VictoriaLogs reads limit=0 as "no limit"
    const range = [q.since ? `_time:>=${formatTimeNs(dateToNs(q.since))}` : '', q.until ? `_time:<${formatTimeNs(dateToNs(q.until))}` : ''];
    const rows = await this.newest(q, q.limit, range.filter(Boolean).join(' '));
    return rows.map((r) => r.line);
  }

  tail(target: LogTarget, options: TailOptions): AsyncIterable<TailEvent> {
    return pollTail({
      description: this.description,
      fetchSince: (fromNs, limit, signal) => this.rows(target, `_time:>=${formatTimeNs(fromNs)} | sort by (_time) limit ${limit}`, {}, signal, 5000),
      fetchLast: (n, untilNs, signal) => this.newest(target, n, `_time:<=${formatTimeNs(untilNs)}`, signal),
      ...(options.cursor !== undefined ? { cursor: options.cursor } : {}),
      ...(options.backlog !== undefined ? { backlog: options.backlog } : {}),
      signal: options.signal,
      ...(this.opts.tailTiming ? { timing: this.opts.tailTiming } : {}),
    });
  }

  /** The LogsQL selecting a target's lines (stream filter, process, grep) before `extra`. */
  query(target: LogTarget, extra = ''): string {
    const parts = [fillTemplate(this.config.stream, { component: target.component, environment: target.environment })];
    if (target.process) {
      const f = field(this.config.processField);
      // `web.1` is one dyno; `web` is the process type: itself and every `web.<n>`.
      parts.push(target.process.includes('.') ? `${f}:=${quote(target.process)}` : `(${f}:=${quote(target.process)} or ${f}:=${quote(`${target.process}.`)}*)`);
    }
    if (target.grep) parts.push(`_msg:*${quote(target.grep)}*`);
    if (extra) parts.push(extra);
    return parts.join(' ');
  }

  /**
   * The newest `n` distinct rows matching, oldest first. VictoriaLogs' `limit` answers the newest rows; when
   * duplicates leave fewer than `n` distinct ones, it asks again from the oldest time seen (inclusive) with room for
   * the rows already seen at that time.
   */
  private async newest(target: LogTarget, n: number, range: string, signal?: AbortSignal): Promise<PolledRow[]> {
    const byId = new Map<string, PolledRow>();
    let until = '';
    let atEdge = 0;
    for (;;) {
      const want = n - byId.size + atEdge;
      const page = await this.rows(target, [range, until].filter(Boolean).join(' '), { limit: String(want) }, signal);
      for (const r of page) if (!byId.has(r.line.id)) byId.set(r.line.id, r);
      if (page.length < want || byId.size >= n) break;
      const oldest = page.reduce((m, r) => (r.timeNs < m ? r.timeNs : m), page[0]!.timeNs);
      until = `_time:<=${formatTimeNs(oldest)}`;
      atEdge = [...byId.values()].filter((r) => r.timeNs === oldest).length;
    }
    return [...byId.values()].sort(compareRows).slice(-n);
  }

  /** One query: its rows, parsed (duplicates kept: callers count the page). */
  private async rows(target: LogTarget, extra: string, params: Record<string, string>, signal?: AbortSignal, timeoutMs = this.timeoutMs): Promise<PolledRow[]> {
    const query = this.query(target, extra);
    const text = await this.post('/select/logsql/query', { query, ...params }, signal, timeoutMs, target);
    const rows: PolledRow[] = [];
    for (const json of text.split('\n')) {
      if (!json) continue;
      try {
        rows.push(this.parse(JSON.parse(json) as Record<string, string>));
      } catch (e) {
        throw new SourceError('rejected', this.description, `answered a line that is not a VictoriaLogs row (${errorMessage(e)}): ${json.slice(0, 200)} — is the url that of VictoriaLogs?`);
      }
    }
    return rows;
  }

  private parse(o: Record<string, string>): PolledRow {
    const time = o._time ?? '';
    const timeNs = parseTimeNs(time);
    const seq = o.seq !== undefined && /^\d+$/.test(o.seq) ? Number(o.seq) : undefined;
    const message = o._msg ?? '';
    const tie = seq !== undefined ? String(seq) : `h${createHash('sha1').update(message).digest('hex').slice(0, 12)}`;
    return {
      timeNs,
      ...(seq !== undefined ? { seq } : {}),
      line: { time, process: o[this.config.processField] ?? '', message, id: `${o._stream_id ?? o._stream ?? ''}:${timeNs}:${tie}` },
    };
  }

  private headers(): Record<string, string> {
    const h: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', 'accept-encoding': 'identity' };
    if (this.config.accountId) h.AccountID = this.config.accountId;
    if (this.config.projectId) h.ProjectID = this.config.projectId;
    return { ...h, ...this.bearer(this.config.tokenEnv) };
  }

  private async post(path: string, params: Record<string, string>, signal: AbortSignal | undefined, timeoutMs: number, target: LogTarget): Promise<string> {
    const { res, text } = await this.request(path, { method: 'POST', headers: this.headers(), body: new URLSearchParams(params) }, signal, timeoutMs);
    if (res.ok) return text;
    const said = text.trim().slice(0, 1000) || res.statusText;
    if (res.status === 400) {
      throw new SourceError(
        'invalid-query',
        this.description,
        `refused the query for ${target.component} in ${target.environment}: ${said} — check the "stream" template and "processField" of this source in the logs config`,
        400,
      );
    }
    const hint = res.status === 401 || res.status === 403 ? ' — check its tokenEnv, accountId and projectId in the logs config' : '';
    throw new SourceError('rejected', this.description, `answered ${res.status}: ${said}${hint}`, res.status);
  }
}
