/**
 * The contract every MetricSource passes (Prometheus real; VictoriaMetrics speaks the same API). A source's test file
 * calls `metricSourceContract(name, setup)` at top level; `setup` runs once for the suite and returns a harness whose
 * `target(labels)` serves a real HTTP app exposing Prometheus text metrics (`serveMetricsApp` below: what the local
 * runtime's demo app exposes) and makes the real store scrape it with those labels, as the local runtime does. Every
 * case uses its own component name, so cases share the store without seeing each other's series.
 *
 * Each case is something a user of `idp metrics` sees: the five panels follow the requests made (a 5xx share in the
 * error rate, a slower handler in p95, the app's CPU and memory), nothing of another environment or component, `process:
 * web` for web.* only, one point per step and null where the store has nothing (never a made-up zero), a range too
 * fine for the store still answered, and failures as SourceErrors naming the source (and the panel).
 *
 * Nothing sleeps: a case polls the source until what it waits for shows (a scrape happened and was ingested), with a
 * hang guard that fails saying what it waited for and what it saw. A case's targets are set up together: Prometheus
 * applies discovered target changes at most every 5 s, so each new target takes up to that long to be scraped.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { freePort } from '../ports.js';
import { describe, it } from 'node:test';
import { METRIC_PANELS, type MetricPanel } from '@idp/core';
import { assertSourceError, freshNames, harnessLifecycle } from '../contract-helpers.js';
import type { SourceError } from '../source-error.js';
import type { MetricSeries, MetricSource, MetricsQuery } from './source.js';

/** Who a scrape target is: the store labels its series so the source's selector finds them. */
export interface MetricTargetLabels {
  component: string;
  environment: string;
  /** `web.1` */
  process: string;
}

export interface MetricTarget {
  /** One real HTTP request to the app: answered with `code` after `seconds`. */
  hit(code: number, seconds: number): Promise<void>;
  /** The app's memory gauge (known per app, so a sum that takes in another app's shows). */
  readonly memoryBytes: number;
  /** No longer scraped, and the app closed. */
  stop(): Promise<void>;
}

export interface MetricSourceHarness {
  source: MetricSource;
  /** An app (serveMetricsApp) the real store scrapes with these labels; resolves once it has been scraped. */
  target(labels: MetricTargetLabels): Promise<MetricTarget>;
  /** The same source config pointed at a port nothing listens on. */
  unreachable(): MetricSource;
  /** The same source with a query template the store refuses (a malformed query in config). */
  badQuery(): MetricSource;
  /** Part of the store's own message about badQuery's PromQL, which the error must quote. */
  badQuerySays?: RegExp;
  cleanup(): Promise<void>;
}


/** The latency buckets of the app's histogram (client_golang's and prom-client's defaults). */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface MetricsApp extends MetricTarget {
  /** `127.0.0.1:<port>`: what a scrape config targets. */
  readonly address: string;
  /** Resolves when the store has fetched /metrics once more (counted from the call). */
  scraped(): Promise<void>;
}

let apps = 0;

/**
 * A real HTTP app exposing, in Prometheus' text format, the series DEFAULT_METRIC_QUERIES reads:
 * `http_requests_total{code}` and `http_request_duration_seconds` (a histogram of each request's measured time), with
 * `process_cpu_seconds_total` and `process_resident_memory_bytes` as known stand-ins rather than this test process's
 * own (shared by every app in it): CPU counts the seconds its handlers were busy, memory is a gauge fixed per app.
 * Both counters of codes 200 and 500 are exposed at 0 from the start (as client libraries advise for known labels), so
 * the first scrape after a request already has a sample to rate from.
 */
export async function serveMetricsApp(): Promise<MetricsApp> {
  const memoryBytes = (64 + ++apps) * 1024 * 1024;
  const counts = new Map<string, number>([
    ['200', 0],
    ['500', 0],
  ]);
  const buckets = BUCKETS.map(() => 0);
  let count = 0;
  let sum = 0;
  let busy = 0;
  let waiting: (() => void)[] = [];
  const exposition = () =>
    [
      '# HELP http_requests_total Requests served, by status code.',
      '# TYPE http_requests_total counter',
      ...[...counts].map(([code, n]) => `http_requests_total{code="${code}"} ${n}`),
      '# HELP http_request_duration_seconds How long requests took.',
      '# TYPE http_request_duration_seconds histogram',
      ...BUCKETS.map((le, i) => `http_request_duration_seconds_bucket{le="${le}"} ${buckets[i]}`),
      `http_request_duration_seconds_bucket{le="+Inf"} ${count}`,
      `http_request_duration_seconds_sum ${sum}`,
      `http_request_duration_seconds_count ${count}`,
      '# HELP process_cpu_seconds_total Seconds the handlers were busy.',
      '# TYPE process_cpu_seconds_total counter',
      `process_cpu_seconds_total ${busy}`,
      '# HELP process_resident_memory_bytes Resident memory.',
      '# TYPE process_resident_memory_bytes gauge',
      `process_resident_memory_bytes ${memoryBytes}`,
      '',
    ].join('\n');
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://app');
    if (url.pathname === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(exposition(), () => {
        const w = waiting;
        waiting = [];
        for (const f of w) f();
      });
      return;
    }
    const began = performance.now();
    const code = Number(url.searchParams.get('code') ?? 200);
    setTimeout(
      () => {
        const took = (performance.now() - began) / 1000;
        counts.set(String(code), (counts.get(String(code)) ?? 0) + 1);
        for (const [i, le] of BUCKETS.entries()) if (took <= le) buckets[i]!++;
        count++;
        sum += took;
        busy += took;
        res.writeHead(code, { 'content-type': 'text/plain' });
        res.end(`${code}\n`);
      },
      Number(url.searchParams.get('seconds') ?? 0) * 1000,
    );
  };
  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = `127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    address,
    memoryBytes,
    hit: async (code, seconds) => {
      const res = await fetch(`http://${address}/?code=${code}&seconds=${seconds}`);
      await res.text();
      assert.equal(res.status, code);
    },
    scraped: () => new Promise<void>((resolve) => waiting.push(resolve)),
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export { assertSourceError };

/** How long a wait may take before the case fails saying what it waited for (a hang guard, not a timing goal). */
const WAIT_MS = 60_000;
const PANELS = Object.keys(METRIC_PANELS) as MetricPanel[];

type Panels = Record<MetricPanel, MetricSeries>;
const values = (s: MetricSeries) => s.points.map(([, v]) => v);
const present = (s: MetricSeries) => values(s).filter((v): v is number => v !== null);
const max = (s: MetricSeries) => Math.max(-Infinity, ...present(s));
const lastValue = (s: MetricSeries) => present(s).at(-1);
const show = (p: Panels) => PANELS.map((k) => `${k}: [${values(p[k]).map((v) => (v === null ? '-' : +v.toPrecision(3))).join(' ')}]`).join('\n');

export function metricSourceContract(name: string, setup: () => Promise<MetricSourceHarness>): void {
  describe(`metric source contract: ${name}`, () => {
    let h: MetricSourceHarness;
    let src: MetricSource;
    const fresh = freshNames();
    const targets: MetricTarget[] = [];
    const target = async (labels: MetricTargetLabels) => {
      const t = await h.target(labels);
      targets.push(t);
      return t;
    };
    harnessLifecycle(
      setup,
      (x) => {
        h = x;
        src = x.source;
      },
      targets,
    );

    /** The panels by name, checked to be the five in METRIC_PANELS order. */
    const query = async (q: MetricsQuery): Promise<Panels> => {
      const series = await src.query(q);
      assert.deepEqual(series.map((s) => s.panel), PANELS, 'one series per panel, in METRIC_PANELS order');
      return Object.fromEntries(series.map((s) => [s.panel, s])) as Panels;
    };
    /** Polls the panels over [start, now] at `step` (default 1 s) until `ok` holds; `end` is the last query's end. */
    const until = async (what: string, q: Omit<MetricsQuery, 'end' | 'step'> & { step?: number }, ok: (p: Panels) => boolean): Promise<Panels & { end: Date }> => {
      const deadline = Date.now() + WAIT_MS;
      for (;;) {
        const end = new Date();
        const p = await query({ step: 1, ...q, end });
        if (ok(p)) return Object.assign(p, { end });
        if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; the panels were:\n${show(p)}`);
        await new Promise((r) => setTimeout(r, 200)); // the poll's pace, not a wait for a race
      }
    };

    it('the five panels follow the requests made: rate, 5xx share, p95, CPU and memory of this environment', async () => {
      const c = fresh();
      const start = new Date(Date.now() - 2000);
      const app = await target({ component: c, environment: 'staging', process: 'web.1' });
      // Three of every four requests succeed: the 5xx share is 1/4 however the scrapes cut the stream.
      for (let i = 0; i < 6; i++) for (const code of [200, 500, 200, 200]) await app.hit(code, 0);
      const p = await until('the requests in every panel', { component: c, environment: 'staging', start }, (x) => present(x.requests).reduce((a, b) => a + b, 0) > 0 && max(x.errorRate) > 0 && max(x.cpu) > 0 && present(x.p95).length > 0 && lastValue(x.requests) === 0);
      assert.ok(max(p.requests) > 0, 'a request rate while the requests were made');
      // The error rate where requests were made, weighted by them: 6 of 24 (the windows' extrapolation aside).
      const weighted = p.errorRate.points.reduce((a, [, v], i) => a + (v ?? 0) * (p.requests.points[i]![1] ?? 0), 0) / present(p.requests).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(weighted - 0.25) < 0.05, `5xx share ≈ 0.25, got ${weighted}\n${show(p)}`);
      for (const v of present(p.errorRate)) assert.ok(v >= 0 && v <= 1, `an error ratio is within [0, 1]: ${v}`);
      assert.ok(max(p.p95) > 0 && max(p.p95) < 0.1, `fast requests: p95 under 100 ms, got ${max(p.p95)}`);
      assert.ok(max(p.cpu) > 0);
      assert.equal(lastValue(p.memory), app.memoryBytes, 'memory is this app’s own gauge');
    });

    it('a slower handler raises p95', async () => {
      const c = fresh();
      const start = new Date(Date.now() - 2000);
      const app = await target({ component: c, environment: 'staging', process: 'web.1' });
      for (let i = 0; i < 10; i++) await app.hit(200, 0);
      const fast = await until('p95 of the fast requests', { component: c, environment: 'staging', start }, (x) => present(x.p95).length > 0);
      assert.ok(max(fast.p95) < 0.1, `fast: ${max(fast.p95)}`);
      await Promise.all(Array.from({ length: 10 }, () => app.hit(200, 0.4)));
      const slow = await until('p95 of the slow requests', { component: c, environment: 'staging', start }, (x) => max(x.p95) > 0.25);
      assert.ok(max(slow.p95) <= 0.5, `400 ms requests fall in the (0.25, 0.5] bucket: ${max(slow.p95)}`);
    });

    it("another environment's or component's series never leak in", async () => {
      const c = fresh();
      const start = new Date(Date.now() - 2000);
      const [staging, production, stagingTwo, other] = await Promise.all([
        target({ component: c, environment: 'staging', process: 'web.1' }),
        target({ component: c, environment: 'production', process: 'web.1' }),
        target({ component: c, environment: 'staging-2', process: 'web.1' }),
        target({ component: `${c}-2`, environment: 'staging', process: 'web.1' }),
      ]);
      await Promise.all([
        ...Array.from({ length: 8 }, () => staging.hit(200, 0)),
        ...[production, stagingTwo, other].flatMap((t) => Array.from({ length: 8 }, () => t.hit(500, 0.3))),
      ]);
      const mine = await until('staging’s requests', { component: c, environment: 'staging', start }, (x) => max(x.requests) > 0 && lastValue(x.requests) === 0);
      assert.deepEqual(new Set(present(mine.errorRate)), new Set([0]), `only staging's 200s:\n${show(mine)}`);
      assert.ok(max(mine.p95) < 0.1, `only staging's fast requests: p95 ${max(mine.p95)}`);
      assert.deepEqual(new Set(present(mine.memory)), new Set([staging.memoryBytes]), 'only staging’s memory, never a sum with another app’s');
      const theirs = await until('production’s requests', { component: c, environment: 'production', start }, (x) => max(x.errorRate) > 0 && lastValue(x.requests) === 0);
      assert.deepEqual(new Set(present(theirs.errorRate)), new Set([1]), `only production's 500s:\n${show(theirs)}`);
      assert.deepEqual(new Set(present(theirs.memory)), new Set([production.memoryBytes]));
    });

    it('process "web" selects web.1 and web.2, never webby or worker; "web.1" only itself; none: all', async () => {
      const c = fresh();
      const start = new Date(Date.now() - 2000);
      const procs = ['web.1', 'web.2', 'webby.1', 'worker.1'];
      const apps = new Map(await Promise.all(procs.map(async (p) => [p, await target({ component: c, environment: 'staging', process: p })] as const)));
      await Promise.all([...apps].flatMap(([p, t]) => Array.from({ length: 4 }, () => t.hit(p.startsWith('web.') ? 200 : 500, 0))));
      const q = { component: c, environment: 'staging', start };
      const mem = (...ps: string[]) => ps.reduce((a, p) => a + apps.get(p)!.memoryBytes, 0);
      const web = await until('web.*’s requests', { ...q, process: 'web' }, (x) => max(x.requests) > 0 && lastValue(x.requests) === 0);
      assert.deepEqual(new Set(present(web.errorRate)), new Set([0]), `web.* served only 200s:\n${show(web)}`);
      assert.equal(lastValue(web.memory), mem('web.1', 'web.2'));
      const one = await until('web.1’s memory', { ...q, process: 'web.1' }, (x) => lastValue(x.memory) !== undefined);
      assert.equal(lastValue(one.memory), mem('web.1'));
      const worker = await until('worker’s requests', { ...q, process: 'worker' }, (x) => max(x.errorRate) > 0);
      assert.equal(lastValue(worker.memory), mem('worker.1'));
      const all = await until('every process’s requests', q, (x) => max(x.errorRate) > 0 && lastValue(x.memory) === mem('web.1', 'web.2', 'webby.1', 'worker.1'));
      assert.ok(max(all.errorRate) < 1, 'both 200s and 500s');
    });

    it('one point per step from start to end, null where the store has no data — never an invented zero', async () => {
      const c = fresh();
      // A range that begins before the app existed: its first points have nothing to show.
      const start = new Date(Date.now() - 20_000);
      await target({ component: c, environment: 'staging', process: 'web.1' });
      const p = await until('the idle app’s memory and zero request rate', { component: c, environment: 'staging', start, step: 2 }, (x) => lastValue(x.memory) !== undefined && lastValue(x.requests) === 0);
      const end = p.memory.points.at(-1)![0];
      assert.ok(end <= p.end.getTime() / 1000 && end > p.end.getTime() / 1000 - 2, 'the newest point is within a step of the end asked');
      for (const s of PANELS.map((k) => p[k])) {
        const step = s.step ?? 2;
        assert.equal(step, 2, `the asked step (2 s) is kept when the store can serve it (${s.panel})`);
        assert.ok(s.points[0]![0] >= start.getTime() / 1000 && s.points[0]![0] < start.getTime() / 1000 + step, `${s.panel} starts within a step of the start`);
        for (let i = 1; i < s.points.length; i++) assert.equal(s.points[i]![0] - s.points[i - 1]![0], step, `${s.panel}: evenly spaced`);
        assert.equal(s.points.length, p.memory.points.length, 'every panel on the same grid');
        assert.equal(s.points.at(-1)![0], end);
        assert.equal(s.points[0]![1], null, `${s.panel}: nothing before the app existed, not 0\n${show(p)}`);
      }
      // An idle app: the store says 0 requests/s, and p95 and the error ratio of no requests are no value (NaN), not 0.
      const idle = p.requests.points.flatMap(([, v], i) => (v === 0 ? [i] : []));
      assert.ok(idle.length > 0);
      for (const i of idle) {
        assert.equal(p.p95.points[i]![1], null, `p95 of no requests at ${p.p95.points[i]![0]}\n${show(p)}`);
        assert.equal(p.errorRate.points[i]![1], null, `error ratio of no requests (0/0) at ${p.errorRate.points[i]![0]}`);
        assert.equal(p.cpu.points[i]![1], 0, 'an idle app’s CPU is the 0 the store says');
      }
      // A process with no series: every point of every panel null, the grid still whole.
      const none = await query({ component: c, environment: 'staging', process: 'nothing', start, end: new Date(end * 1000), step: 2 });
      for (const k of PANELS) {
        assert.equal(none[k].points.length, p.memory.points.length);
        assert.deepEqual(new Set(values(none[k])), new Set([null]), `${k}: no series, no zeros`);
      }
    });

    it('a range too fine for the store (more than 11,000 points) is answered at a coarser, even step', async () => {
      const c = fresh();
      await target({ component: c, environment: 'staging', process: 'web.1' });
      const start = new Date(Date.now() - 4 * 3600_000);
      const p = await until('the app’s memory in the coarse points', { component: c, environment: 'staging', start, step: 1 }, (x) => lastValue(x.memory) !== undefined);
      const end = p.memory.points.at(-1)![0];
      for (const s of PANELS.map((k) => p[k])) {
        assert.ok(s.points.length <= 11_000 && s.points.length > 1, `${s.panel}: ${s.points.length} points`);
        const step = s.points[1]![0] - s.points[0]![0];
        assert.ok(step > 1, 'coarser than asked');
        if (s.step !== undefined) assert.equal(s.step, step, 'the step it says is the one it used');
        for (let i = 1; i < s.points.length; i++) assert.equal(s.points[i]![0] - s.points[i - 1]![0], step);
        assert.ok(s.points[0]![0] >= start.getTime() / 1000 && s.points[0]![0] < start.getTime() / 1000 + step, `${s.panel} starts within a step of the start`);
        assert.equal(s.points.at(-1)![0], end, 'every panel on the same grid');
        assert.ok(end <= p.end.getTime() / 1000 && end > p.end.getTime() / 1000 - step, 'the newest point is within a step of the end asked');
      }
    });

    it('unreachable: SourceError "unreachable" naming the source', async () => {
      const bad = h.unreachable();
      await assert.rejects(bad.query({ component: fresh(), environment: 'staging', start: new Date(Date.now() - 60_000), end: new Date(), step: 15 }), (e) => assertSourceError(e, bad, 'unreachable'));
    });

    it("a query the store refuses: SourceError \"invalid-query\" quoting the store's error, naming the panel and the source", async () => {
      const bad = h.badQuery();
      await assert.rejects(bad.query({ component: fresh(), environment: 'staging', start: new Date(Date.now() - 60_000), end: new Date(), step: 15 }), (e) => {
        assertSourceError(e, bad, 'invalid-query');
        const err = e as SourceError;
        if (err.status !== undefined) assert.ok(err.status >= 400 && err.status < 500, `status ${err.status}`);
        assert.ok(PANELS.some((k) => err.message.includes(k)), `names the panel: ${err.message}`);
        if (h.badQuerySays) assert.match(err.message, h.badQuerySays);
        return true;
      });
    });
  });
}

/** A loopback port free right now (a harness's store, or the closed port of `unreachable()`). */
export { freePort };
