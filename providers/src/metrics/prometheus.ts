/**
 * Prometheus (https://prometheus.io/docs/prometheus/latest/querying/api/#range-queries) as a metric source: each of
 * the five panels is one `POST /api/v1/query_range` (form-encoded, so long PromQL never meets a URL length limit), the
 * five in parallel. A panel's PromQL is the config's template (`queries`, else DEFAULT_METRIC_QUERIES) with
 * `{selector}` = the config's `selector` filled with the component and environment (plus `<processLabel>=~"web(\..*)?"`
 * for `process: web`: web and web.*, never webby), and `{window}` = the rate window.
 *
 * The step (the seconds between points) is the asked one, coarsened when needed:
 *   step   = max(asked step, scrapeInterval, ceil(range / 11,000 s))
 * (finer than the scrape interval only repeats samples; more than 11,000 points per series Prometheus refuses with
 * "exceeded maximum resolution"). The points end at `end` (to the second) and go back by the step to `start`: the
 * newest point is now, not up to a step ago as with a grid aligned to multiples of the step (Grafana's, for its
 * cache), which would leave a fresh environment blank for a minute at the API's default step.
 *   window = max(4 × scrapeInterval, step + scrapeInterval)
 * Grafana's $__rate_interval: at least four samples per rate, and windows that overlap by one scrape so no increase
 * falls between two points' windows (a window of exactly one step loses the increase between its last sample and
 * the next window's first, which only Prometheus' extrapolation papers over).
 *
 * Every series comes back on the step's grid, from start to end: a point Prometheus has no sample for (the series did
 * not exist yet, a scrape failed) and a value that is not a finite number (`"NaN"`: histogram_quantile over no
 * requests, a ratio 0/0; `"+Inf"`) is null — never a zero the store did not say.
 *
 * VictoriaMetrics (type: victoriametrics) serves the same API and answers the same shapes; what differs: its rate()
 * neither extrapolates nor loses the increase before the window (values come out slightly different, and exact for
 * integer counters), it shifts the points of a query of 50 points or more onto multiples of the step for its cache
 * (as Thanos' and Mimir's query frontends may: each value is put on the nearest point of the grid), it drops NaN points instead of returning "NaN" (null here either way), it leaves out the last
 * ~30 s by default (-search.latencyOffset: the newest points are null), refuses a bad query with 422 instead of 400
 * (both read as invalid-query here), and allows 30,000 points per series where Prometheus allows 11,000 (the lower
 * bound is kept for both). Thanos and Mimir serve the Prometheus API as is.
 */
import { DEFAULT_METRIC_QUERIES, fillTemplate, METRIC_PANELS, quoteEscape, type MetricPanel, type PrometheusSourceConfig } from '@idp/core';
import { describeSource, SourceError } from '../source-error.js';
import type { MetricSeries, MetricSource, MetricsQuery } from './source.js';

/** Prometheus refuses a range query of more points per series than this. */
export const MAX_POINTS = 11_000;

export interface PrometheusSourceOptions {
  /** Where tokenEnv is read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** One query_range's deadline (default 30 s). */
  timeoutMs?: number;
}

/** A query_range answer, as much of it as idp reads. */
interface QueryRangeBody {
  status?: 'success' | 'error';
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: { metric?: Record<string, string>; values?: [number, string][] }[] };
}

/** `200ms`, `15s`, `1m` → milliseconds. */
export function durationMs(d: string): number {
  const m = /^(\d+)(ms|s|m)$/.exec(d);
  if (!m) throw new Error(`not a duration: ${d}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] as 'ms' | 's' | 'm'];
}

/** Milliseconds as a PromQL duration: `800ms`, `61s`. */
export function promDuration(ms: number): string {
  const whole = Math.ceil(ms);
  return whole % 1000 === 0 ? `${whole / 1000}s` : `${whole}ms`;
}

/** The step actually used, in ms: the asked one, at least one scrape interval, and few enough points for Prometheus. */
export function effectiveStepMs(q: Pick<MetricsQuery, 'start' | 'end' | 'step'>, scrapeMs: number): number {
  const rangeMs = Math.max(0, q.end.getTime() - q.start.getTime());
  return Math.max(Math.round(q.step * 1000), scrapeMs, Math.ceil(rangeMs / MAX_POINTS / 1000) * 1000, 1);
}

/** The rate window for a step ($__rate_interval's rule). */
export function rateWindowMs(stepMs: number, scrapeMs: number): number {
  return Math.max(4 * scrapeMs, stepMs + scrapeMs);
}

/** RE2's special characters escaped, so a process name is matched literally. */
const regexEscape = (s: string) => s.replace(/[\\.+*?()|[\]{}^$]/g, (c) => `\\${c}`);

export class PrometheusSource implements MetricSource {
  readonly type: PrometheusSourceConfig['type'];
  readonly description: string;
  private readonly base: string;
  private readonly scrapeMs: number;
  private readonly templates: Record<MetricPanel, string>;

  constructor(
    readonly name: string,
    private readonly config: PrometheusSourceConfig,
    private readonly opts: PrometheusSourceOptions = {},
  ) {
    this.type = config.type;
    this.description = describeSource('metric', name, config.type, config.url);
    this.base = config.url.replace(/\/$/, '');
    this.scrapeMs = durationMs(config.scrapeInterval);
    this.templates = { ...DEFAULT_METRIC_QUERIES };
    for (const panel of Object.keys(METRIC_PANELS) as MetricPanel[]) {
      const own = config.queries[panel];
      if (own) this.templates[panel] = own;
    }
  }

  /** The label matchers of one environment (and process), without braces. */
  selector(q: Pick<MetricsQuery, 'component' | 'environment' | 'process'>): string {
    const own = fillTemplate(this.config.selector, { component: q.component, environment: q.environment });
    if (!q.process) return own;
    return `${own},${this.config.processLabel}=~"${quoteEscape(`${regexEscape(q.process)}(\\..*)?`)}"`;
  }

  /** Each panel's PromQL for a query at a step (ms). */
  promql(q: Pick<MetricsQuery, 'component' | 'environment' | 'process'>, stepMs: number): Record<MetricPanel, string> {
    const values = { selector: this.selector(q), window: promDuration(rateWindowMs(stepMs, this.scrapeMs)) };
    const out = {} as Record<MetricPanel, string>;
    for (const panel of Object.keys(METRIC_PANELS) as MetricPanel[]) out[panel] = fillTemplate(this.templates[panel], values, (v) => v);
    return out;
  }

  async query(q: MetricsQuery): Promise<MetricSeries[]> {
    const stepMs = effectiveStepMs(q, this.scrapeMs);
    const last = Math.floor(q.end.getTime() / 1000) * 1000;
    const count = last >= q.start.getTime() ? Math.floor((last - q.start.getTime()) / stepMs) + 1 : 0;
    const panels = Object.keys(METRIC_PANELS) as MetricPanel[];
    if (count === 0) return panels.map((panel) => ({ panel, step: stepMs / 1000, points: [] }));
    const first = last - (count - 1) * stepMs;
    const promql = this.promql(q, stepMs);
    const headers = this.headers();
    const settled = await Promise.allSettled(panels.map((panel) => this.range(panel, promql[panel], first, last, stepMs, headers)));
    // Every panel answered before any failure is reported, and the first in panel order wins: the same error every time.
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    return panels.map((panel, i) => {
      const result = (settled[i] as PromiseFulfilledResult<QueryRangeBody>).value.data!.result ?? [];
      if (result.length > 1) {
        const labels = result.slice(0, 3).map((r) => JSON.stringify(r.metric ?? {})).join(', ');
        this.fail('invalid-query', `the ${panel} query returned ${result.length} series (${labels}${result.length > 3 ? ', …' : ''}) where a panel shows one: aggregate it (e.g. sum(…)) in queries.${panel} of this source in idp.metrics. The query: ${promql[panel]}`);
      }
      const points: [number, number | null][] = Array.from({ length: count }, (_, k) => [(first + k * stepMs) / 1000, null]);
      for (const [t, v] of result[0]?.values ?? []) {
        const k = Math.round((t * 1000 - first) / stepMs);
        const value = Number(v);
        // "NaN" (no requests: a quantile or ratio of nothing) and ±Inf are no value to draw: null, as a gap is.
        if (k >= 0 && k < count && Number.isFinite(value)) points[k]![1] = value;
      }
      return { panel, step: stepMs / 1000, points };
    });
  }

  private headers(): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    const { tokenEnv } = this.config;
    if (tokenEnv) {
      const token = (this.opts.env ?? process.env)[tokenEnv]?.trim();
      if (!token) this.fail('rejected', `no token: $${tokenEnv} (this source's tokenEnv) is empty on the server; set it to a token ${this.type === 'victoriametrics' ? 'VictoriaMetrics (or vmauth in front)' : 'Prometheus (or the proxy in front)'} accepts`);
      headers.authorization = `Bearer ${token}`;
    }
    return headers;
  }

  private async range(panel: MetricPanel, promql: string, firstMs: number, lastMs: number, stepMs: number, headers: Record<string, string>): Promise<QueryRangeBody> {
    const timeoutMs = this.opts.timeoutMs ?? 30_000;
    const body = new URLSearchParams({ query: promql, start: String(firstMs / 1000), end: String(lastMs / 1000), step: String(stepMs / 1000) });
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${this.base}/api/v1/query_range`, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
      text = await res.text();
    } catch (e) {
      const err = e as { name?: string; cause?: { code?: string; message?: string } };
      const why = err.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : `cannot connect: ${err.cause?.code ?? err.cause?.message ?? String(e)}`;
      this.fail('unreachable', `${why}; check that it is running and that this source's url in idp.metrics is right`);
    }
    let parsed: QueryRangeBody | undefined;
    try {
      parsed = JSON.parse(text) as QueryRangeBody;
    } catch {
      // not the query API's JSON (a proxy's page): said below
    }
    if (res.ok && parsed?.status === 'success' && parsed.data?.resultType === 'matrix') return parsed;
    const said = parsed?.status === 'error' && parsed.error ? parsed.error : undefined;
    if (said && (res.status === 400 || res.status === 422)) {
      this.fail('invalid-query', `refused the ${panel} query (HTTP ${res.status}${parsed!.errorType ? ` ${parsed!.errorType}` : ''}: "${said}"); fix this source's selector or queries.${panel} in idp.metrics. The query: ${promql}`, res.status);
    }
    if (res.status === 401 || res.status === 403) {
      const how = this.config.tokenEnv ? `check the token in $${this.config.tokenEnv}` : 'it wants a token: name the variable that holds one with tokenEnv';
      this.fail('rejected', `refused idp's request (HTTP ${res.status}${said ? `: "${said}"` : ''}); ${how}`, res.status);
    }
    if (said) this.fail('rejected', `answered HTTP ${res.status} to the ${panel} query: "${said}"`, res.status);
    const what = `${text.replace(/\s+/g, ' ').trim().slice(0, 120)}`;
    this.fail('rejected', `answered HTTP ${res.status} with something that is not Prometheus's query API (${what || 'an empty body'}); check this source's url in idp.metrics`, res.status);
  }

  private fail(kind: SourceError['kind'], message: string, status?: number): never {
    throw new SourceError(kind, this.description, message, status);
  }
}
