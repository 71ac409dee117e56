/**
 * OpenSearch and Elasticsearch as a log source (`type: opensearch | elasticsearch`, the same code): history and tail
 * through `POST /<index>/_search` with the query DSL (https://opensearch.org/docs/latest/api-reference/search/,
 * https://www.elastic.co/guide/en/elasticsearch/reference/8.19/search-search.html). Neither has a streaming API, so
 * the tail is the generic poller (poll-tail.ts) over a time range.
 *
 * The query, all in `bool.filter` (no scoring):
 * - `term` on the component and environment fields — exact values, so these must be `keyword` fields. Dynamic mapping
 *   makes a string `text` (+ `.keyword`), where `term: {"deployment.environment.name": "env-7"}` finds nothing (the
 *   text was split into `env`, `7`); the source checks the mapping once a minute (`_field_caps`) and says so instead
 *   of answering "no lines";
 * - the process: `web.1` exactly; `web` as `web` or a `prefix` `web.` (never `webby`);
 * - `--grep`: a case-sensitive substring of the message, as a `wildcard` query `*text*` on `fields.grep` (default:
 *   the message field), which must be a `wildcard` (OpenSearch ≥ 2.15, Elasticsearch ≥ 7.9) or `keyword` field: on a
 *   `text` field a wildcard matches single analysed words only, so the source refuses it and says to add a
 *   `wildcard` sub-field (`message.wildcard`) and name it. Not `match_phrase`: that matches whole words
 *   (`tem/70` would not find `/item/709`) and ignores punctuation and case, which is not what `grep` does. Every hit
 *   is checked again here (`includes`), because OpenSearch's wildcard field loses an escaped backslash
 *   (opensearch-project/OpenSearch#19719): a `\` in the text is sent as `?` and the check does the rest;
 * - `range` on the time field, with ns strings (`strict_date_optional_time_nanos`); on a `date` (ms) field the bound
 *   is truncated to the ms, which only widens it.
 *
 * Order: `sort` on time with `numeric_type: date_nanos` (a `date` field's ms are converted too), then `fields.seq`
 * (a number the shipper writes; `unmapped_type` so an index without it is fine), then the process. The sort value of
 * the time is epoch ns — beyond 2^53 — so responses are parsed losslessly (JSON.parse with the source text of each
 * number) and the time comes from it as a BigInt, whatever form `_source` holds it in. History asks for the newest N
 * (descending) and reverses; when duplicates (a shipper re-sending) or the grep check leave it short it pages on with
 * `from` (never `search_after` on a non-unique sort key, which could skip a line that ties with the page's last: a
 * `from` page can only repeat a line when newer ones arrive meanwhile, and repeats are dropped by id). Paging stops at
 * 10 000 hits (`index.max_result_window`).
 *
 * A line's id: `<process>:<ns>:<seq>` (a hash of the message when there is no seq) — not `_id`, which differs for a
 * line stored twice.
 *
 * Credentials: `usernameEnv` + `passwordEnv` (basic auth) or `apiKeyEnv` (`Authorization: ApiKey <value>`, the value
 * being the API key's `encoded` form).
 *
 * Elasticsearch 8 takes the same requests (`numeric_type`, `unmapped_type`, the `wildcard` field and query,
 * `_field_caps`, `from`/`size`, the same error body). What differs is not used here or is configuration: sorting on
 * `_id` is off by default (hence the seq tiebreaker, never `_id`); security is on by default (https, basic auth or an
 * API key — a private CA needs NODE_EXTRA_CA_CERTS for Node's fetch); ECS indices map `message` as
 * `match_only_text`, which the mapping check treats as text. Only OpenSearch 2.19 is run in the tests.
 *
 * Errors: unreachable (no answer); 400 → invalid-query quoting `error.root_cause[0].reason` (a `fields` entry naming a
 * text field for the time, …); 401/403 → rejected (credentials); 404 → rejected (`index` names no index); else
 * rejected with the status. A search where some shards failed is an error too (their lines would silently be missing).
 *
 * Mapping for platform teams (an index template for the log indices):
 * ```json
 * { "mappings": { "properties": {
 *   "@timestamp": { "type": "date_nanos" },
 *   "message": { "type": "text", "fields": { "wildcard": { "type": "wildcard" } } },
 *   "service.name": { "type": "keyword" }, "deployment.environment.name": { "type": "keyword" },
 *   "process": { "type": "keyword" }, "seq": { "type": "long" } } } }
 * ```
 * with `fields: { grep: message.wildcard }` in the source's config.
 */
import { createHash } from 'node:crypto';
import type { SearchSourceConfig } from '@idp/core';
import { describeSource, SourceError } from '../source-error.js';
import { compareRows, pollTail, type PolledRow, type PollTiming } from './poll-tail.js';
import type { LogHistoryQuery, LogLine, LogSource, LogTarget, TailEvent, TailOptions } from './source.js';
import { dateToNs, formatTimeNs } from './time.js';

export interface SearchLogSourceOptions {
  /** Where usernameEnv / passwordEnv / apiKeyEnv are read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** A query's deadline (default 30 s; a tail poll's is 5 s). */
  timeoutMs?: number;
  /** For tests: the tail's timing (poll-tail.ts POLL_TIMING). */
  tailTiming?: Partial<PollTiming>;
}

/** `index.max_result_window`'s default: `from + size` beyond it is refused. */
const MAX_WINDOW = 10_000;
/** How long a mapping check holds (a new daily index may map differently). */
const MAPPING_TTL_MS = 60_000;
const TEXT_TYPES = new Set(['text', 'match_only_text']);

interface TimeRange {
  gte?: bigint;
  lt?: bigint;
  lte?: bigint;
}

/** JSON with every integer beyond 2^53 as a BigInt (date_nanos sort values), read from its source text. */
export function parseLossless(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) =>
    typeof value === 'number' && !Number.isSafeInteger(value) && context?.source && /^-?\d+$/.test(context.source) ? BigInt(context.source) : value,
  );
}

/** A wildcard query's pattern for a plain substring: `*` and `?` escaped; `\` sent as `?` (see the file comment). */
export function substringPattern(text: string): string {
  return `*${text.replace(/[*?\\]/g, (c) => (c === '\\' ? '?' : `\\${c}`))}*`;
}

/** A field's value in `_source`, whether written flat (`{"service.name": …}`) or nested (`{"service": {"name": …}}`). */
export function sourceField(source: unknown, path: string): unknown {
  if (source === null || typeof source !== 'object') return undefined;
  const o = source as Record<string, unknown>;
  if (path in o) return o[path];
  const parts = path.split('.');
  for (let i = parts.length - 1; i > 0; i--) {
    const head = parts.slice(0, i).join('.');
    if (head in o) {
      const v = sourceField(o[head], parts.slice(i).join('.'));
      if (v !== undefined) return v;
    }
  }
  return undefined;
}

interface Hit {
  _source?: unknown;
  sort?: unknown[];
}

export class SearchLogSource implements LogSource {
  readonly type: 'opensearch' | 'elasticsearch';
  readonly description: string;
  private readonly base: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly timeoutMs: number;
  private readonly fields: SearchSourceConfig['fields'];
  private readonly grepField: string;
  private mappingChecked: { at: number; grep: boolean } | undefined;

  constructor(
    readonly name: string,
    private readonly config: SearchSourceConfig,
    private readonly opts: SearchLogSourceOptions = {},
  ) {
    this.type = config.type;
    this.description = describeSource('log', name, config.type, config.url);
    this.base = config.url.replace(/\/$/, '');
    this.env = opts.env ?? process.env;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.fields = config.fields;
    this.grepField = config.fields.grep ?? config.fields.message;
  }

  async history(q: LogHistoryQuery): Promise<LogLine[]> {
    const range: TimeRange = {};
    if (q.since) range.gte = dateToNs(q.since);
    if (q.until) range.lt = dateToNs(q.until);
    return (await this.newest(q, q.limit, range)).map((r) => r.line);
  }

  tail(target: LogTarget, options: TailOptions): AsyncIterable<TailEvent> {
    return pollTail({
      description: this.description,
      fetchSince: (fromNs, limit, signal) => this.oldest(target, fromNs, limit, signal),
      fetchLast: (n, untilNs, signal) => this.newest(target, n, { lte: untilNs }, signal, 5000),
      ...(options.cursor !== undefined ? { cursor: options.cursor } : {}),
      ...(options.backlog !== undefined ? { backlog: options.backlog } : {}),
      signal: options.signal,
      ...(this.opts.tailTiming ? { timing: this.opts.tailTiming } : {}),
    });
  }

  /** The `_search` body for a target's lines in `range`, in time order `order`. */
  private searchBody(target: LogTarget, range: TimeRange, order: 'asc' | 'desc', from: number, size: number): Record<string, unknown> {
    const f = this.fields;
    const filter: unknown[] = [{ term: { [f.component]: target.component } }, { term: { [f.environment]: target.environment } }];
    if (target.process) {
      // `web.1` is one dyno; `web` is the process type: itself and every `web.<n>`.
      filter.push(
        target.process.includes('.')
          ? { term: { [f.process]: target.process } }
          : { bool: { should: [{ term: { [f.process]: target.process } }, { prefix: { [f.process]: `${target.process}.` } }], minimum_should_match: 1 } },
      );
    }
    if (target.grep) filter.push({ wildcard: { [this.grepField]: { value: substringPattern(target.grep) } } });
    const bounds: Record<string, string> = {};
    for (const k of ['gte', 'lt', 'lte'] as const) if (range[k] !== undefined) bounds[k] = formatTimeNs(range[k]);
    filter.push(Object.keys(bounds).length ? { range: { [f.time]: { ...bounds, format: 'strict_date_optional_time_nanos' } } } : { exists: { field: f.time } });
    return {
      from,
      size,
      track_total_hits: false,
      _source: [...new Set([f.message, f.process, f.seq])],
      sort: [
        { [f.time]: { order, numeric_type: 'date_nanos' } },
        { [f.seq]: { order, unmapped_type: 'long' } },
        { [f.process]: { order, unmapped_type: 'keyword' } },
      ],
      query: { bool: { filter } },
    };
  }

  /** The newest `n` distinct lines matching, oldest first (paging on past duplicates and grep false positives). */
  private async newest(target: LogTarget, n: number, range: TimeRange, signal?: AbortSignal, timeoutMs = this.timeoutMs): Promise<PolledRow[]> {
    const byId = new Map<string, PolledRow>();
    let from = 0;
    while (byId.size < n && from < MAX_WINDOW) {
      const size = Math.min(Math.max(n - byId.size, 100), MAX_WINDOW - from);
      const hits = await this.search(target, this.searchBody(target, range, 'desc', from, size), signal, timeoutMs);
      for (const row of this.rows(hits, target)) if (!byId.has(row.line.id)) byId.set(row.line.id, row);
      if (hits.length < size) break;
      from += hits.length;
    }
    return [...byId.values()].sort(compareRows).slice(-n);
  }

  /** The oldest `limit` lines (duplicates kept: the poller drops them) with time ≥ `fromNs`, oldest first. */
  private async oldest(target: LogTarget, fromNs: bigint, limit: number, signal: AbortSignal): Promise<PolledRow[]> {
    const rows: PolledRow[] = [];
    let from = 0;
    while (rows.length < limit && from < MAX_WINDOW) {
      const size = Math.min(limit, MAX_WINDOW - from);
      const hits = await this.search(target, this.searchBody(target, { gte: fromNs }, 'asc', from, size), signal, 5000);
      rows.push(...this.rows(hits, target));
      if (hits.length < size) break;
      from += hits.length;
    }
    return rows.slice(0, limit);
  }

  /** Hits as rows; hits without a time, and grep's false positives, left out. */
  private rows(hits: Hit[], target: LogTarget): PolledRow[] {
    const f = this.fields;
    const out: PolledRow[] = [];
    for (const hit of hits) {
      const t = hit.sort?.[0];
      if (typeof t !== 'bigint' && typeof t !== 'number') continue;
      const timeNs = BigInt(t);
      const src = hit._source;
      const raw = sourceField(src, f.message);
      const message = typeof raw === 'string' ? raw : raw === undefined || raw === null ? '' : JSON.stringify(raw);
      if (target.grep && !message.includes(target.grep)) continue;
      const p = sourceField(src, f.process);
      const process = typeof p === 'string' ? p : '';
      const s = sourceField(src, f.seq);
      const seqNum = typeof s === 'number' || typeof s === 'bigint' ? Number(s) : typeof s === 'string' && /^\d+$/.test(s) ? Number(s) : undefined;
      const seq = seqNum !== undefined && Number.isSafeInteger(seqNum) ? seqNum : undefined;
      const tie = seq !== undefined ? String(seq) : `h${createHash('sha1').update(message).digest('hex').slice(0, 12)}`;
      out.push({ timeNs, ...(seq !== undefined ? { seq } : {}), line: { time: formatTimeNs(timeNs), process, message, id: `${process}:${timeNs}:${tie}` } });
    }
    return out;
  }

  private async search(target: LogTarget, body: Record<string, unknown>, signal: AbortSignal | undefined, timeoutMs: number): Promise<Hit[]> {
    await this.checkMapping(target, signal, timeoutMs);
    const res = (await this.request('POST', `/${this.indexPath()}/_search`, body, signal, timeoutMs, target)) as {
      hits?: { hits?: Hit[] };
      _shards?: { failures?: { reason?: { type?: string; reason?: string } }[] };
    };
    const failure = res._shards?.failures?.[0]?.reason;
    if (failure) {
      const query = /parsing|illegal_argument|query_shard|search_parse/.test(failure.type ?? '');
      throw new SourceError(
        query ? 'invalid-query' : 'rejected',
        this.description,
        `could not search every shard of ${this.config.index}: ${failure.reason ?? failure.type}${query ? this.configHint() : ''}`,
      );
    }
    return res.hits?.hits ?? [];
  }

  /**
   * Selector fields mapped as `text` make `term` find nothing, and a `text` grep field matches words only: refused
   * with what to change, instead of answering "no lines". Unmapped fields (no line yet) pass.
   */
  private async checkMapping(target: LogTarget, signal: AbortSignal | undefined, timeoutMs: number): Promise<void> {
    const grep = Boolean(target.grep);
    const c = this.mappingChecked;
    if (c && Date.now() - c.at < MAPPING_TTL_MS && (c.grep || !grep)) return;
    const f = this.fields;
    const names = [f.component, f.environment, f.process, ...(grep ? [this.grepField] : [])];
    const params = new URLSearchParams({ fields: names.join(','), ignore_unavailable: 'true', allow_no_indices: 'true' });
    const caps = (await this.request('GET', `/${this.indexPath()}/_field_caps?${params}`, undefined, signal, timeoutMs, target)) as {
      fields?: Record<string, Record<string, unknown>>;
    };
    const textOnly = (name: string) => {
      const types = Object.keys(caps.fields?.[name] ?? {});
      return types.length > 0 && types.every((t) => TEXT_TYPES.has(t));
    };
    for (const [key, name] of [['component', f.component], ['environment', f.environment], ['process', f.process]] as const) {
      if (textOnly(name)) {
        throw new SourceError(
          'invalid-query',
          this.description,
          `the ${key} field "${name}" is mapped as text in ${this.config.index}, so exact matches on it find nothing: map it as keyword (an index template), or name its keyword sub-field in this source's fields.${key} (e.g. "${name}.keyword")`,
        );
      }
    }
    if (grep && textOnly(this.grepField)) {
      throw new SourceError(
        'invalid-query',
        this.description,
        `--grep needs the field "${this.grepField}" to be a wildcard or keyword field, but it is mapped as text in ${this.config.index} (a text field matches single words only): add a wildcard sub-field to the message (e.g. "message.wildcard") and name it in this source's fields.grep`,
      );
    }
    this.mappingChecked = { at: Date.now(), grep: grep || (c?.grep ?? false) };
  }

  private configHint(): string {
    return ' — check the "index" and "fields" of this source in the logs config';
  }

  /** The index (pattern, list, alias or data stream) as a path segment: `*` and `,` kept readable. */
  private indexPath(): string {
    return encodeURIComponent(this.config.index).replace(/%2A/gi, '*').replace(/%2C/gi, ',');
  }

  private headers(): Record<string, string> {
    const h: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    const c = this.config;
    const need = (variable: string, setting: string) => {
      const v = this.env[variable];
      if (!v) throw new SourceError('rejected', this.description, `its ${setting} variable ${variable} is not set in the server's environment`);
      return v;
    };
    if (c.apiKeyEnv) h.authorization = `ApiKey ${need(c.apiKeyEnv, 'API key (apiKeyEnv)')}`;
    else if (c.usernameEnv || c.passwordEnv) {
      if (!c.usernameEnv || !c.passwordEnv) throw new SourceError('rejected', this.description, 'basic auth needs both usernameEnv and passwordEnv in the logs config');
      const user = need(c.usernameEnv, 'username (usernameEnv)');
      const password = need(c.passwordEnv, 'password (passwordEnv)');
      h.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    }
    return h;
  }

  private async request(method: 'GET' | 'POST', path: string, body: unknown, signal: AbortSignal | undefined, timeoutMs: number, target: LogTarget): Promise<unknown> {
    const deadline = AbortSignal.timeout(timeoutMs);
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: this.headers(),
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
      });
      text = await res.text();
    } catch (e) {
      if (e instanceof SourceError || signal?.aborted) throw e;
      const why = deadline.aborted ? `no answer within ${timeoutMs / 1000} s` : `cannot reach it (${reason(e)})`;
      throw new SourceError('unreachable', this.description, why);
    }
    let json: unknown;
    try {
      json = parseLossless(text);
    } catch {
      json = undefined;
    }
    if (res.ok) {
      if (json === undefined) throw new SourceError('rejected', this.description, `answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`, res.status);
      return json;
    }
    const said = errorReason(json) ?? (text.trim().slice(0, 1000) || res.statusText);
    if (res.status === 400) {
      throw new SourceError('invalid-query', this.description, `refused the query for ${target.component} in ${target.environment}: ${said}${this.configHint()}`, 400);
    }
    const hint =
      res.status === 401 || res.status === 403
        ? ' — check its usernameEnv/passwordEnv or apiKeyEnv in the logs config, and that the user may read the index'
        : res.status === 404
          ? ` — check the "index" of this source in the logs config (${this.config.index})`
          : '';
    throw new SourceError('rejected', this.description, `answered ${res.status}: ${said}${hint}`, res.status);
  }
}

/** `error.root_cause[0].reason` (both OpenSearch and Elasticsearch), else `error.reason`, else a string `error`. */
function errorReason(json: unknown): string | undefined {
  const e = (json as { error?: unknown } | undefined)?.error;
  if (typeof e === 'string') return e;
  const o = e as { root_cause?: { reason?: string }[]; reason?: string } | undefined;
  return o?.root_cause?.[0]?.reason ?? o?.reason;
}

/** `ECONNREFUSED`, `ENOTFOUND`, … from undici's `fetch failed`, else the message. */
function reason(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
}
