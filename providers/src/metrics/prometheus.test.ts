/**
 * The Prometheus source against a real Prometheus (PROMETHEUS_BIN from `npm test`'s preflight, scraping every 250 ms):
 * the metric source contract, scraped through file_sd target files as the local runtime writes them, then what is
 * particular to it: the PromQL it sends (selector, process, window and step rules), a bearer token for a proxy in
 * front, a panel query that returns several series, an answer that is not Prometheus's, and building sources from
 * config. It also measures one query (5 panels, 1 h) and reports it: a timing goal belongs to `npm run bench`.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_METRIC_QUERIES, MetricsConfig, PrometheusSourceConfig } from '@idp/core';
import { assertSourceError, freePort, metricSourceContract, serveMetricsApp, type MetricTargetLabels, type MetricsApp } from './contract.js';
import { effectiveStepMs, PrometheusSource, promDuration, rateWindowMs } from './prometheus.js';
import { startPrometheus } from './server.js';
import { createMetricSource, metricSourcesFrom } from './sources.js';
import { findPrometheus } from './tools.js';
import type { ServerProcess } from '../server-process.js';

const SCRAPE = '250ms';

const promBin = () => {
  const bin = findPrometheus();
  if (!bin) throw new Error('No Prometheus: run the tests through `npm test` (scripts/test.mjs finds or fetches it) or set PROMETHEUS_BIN.');
  return bin;
};

/** A real Prometheus scraping every 250 ms, and a way to make it scrape an app with the local runtime's labels. */
async function prometheus(): Promise<ServerProcess & { targetsDir: string; scrape(app: MetricsApp, labels: MetricTargetLabels): Promise<() => void>; dispose(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'idp-prom-'));
  const prom = await startPrometheus({ bin: promBin(), dir, port: await freePort(), scrapeInterval: SCRAPE });
  return {
    ...prom,
    /** One file_sd file per target, written aside and renamed in (as the runtime does); resolves once it was scraped. */
    async scrape(app, labels) {
      const file = join(prom.targetsDir, `${randomUUID()}.json`);
      const scraped = app.scraped();
      const target = [{ targets: [app.address], labels: { service_name: labels.component, deployment_environment_name: labels.environment, process: labels.process } }];
      writeFileSync(`${file}.tmp`, JSON.stringify(target));
      renameSync(`${file}.tmp`, file);
      await scraped;
      return () => rmSync(file, { force: true });
    },
    async dispose() {
      await prom.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

metricSourceContract('prometheus', async () => {
  const prom = await prometheus();
  const config = PrometheusSourceConfig.parse({ type: 'prometheus', url: prom.url, scrapeInterval: SCRAPE });
  const closed = await freePort();
  return {
    source: new PrometheusSource('local', config),
    async target(labels) {
      const app = await serveMetricsApp();
      const unscrape = await prom.scrape(app, labels);
      return {
        hit: app.hit,
        memoryBytes: app.memoryBytes,
        stop: async () => {
          unscrape();
          await app.stop();
        },
      };
    },
    unreachable: () => new PrometheusSource('gone', { ...config, url: `http://127.0.0.1:${closed}` }),
    // A parenthesis short: what a typo in idp.metrics looks like.
    badQuery: () => new PrometheusSource('broken', { ...config, queries: { p95: 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{{selector}}[{window}]))' } }),
    badQuerySays: /"[^"]*parse error[^"]*"/,
    cleanup: () => prom.dispose(),
  };
});

describe('the Prometheus source: the PromQL it sends', () => {
  const config = PrometheusSourceConfig.parse({ type: 'prometheus', url: 'http://127.0.0.1:9090', scrapeInterval: '15s' });
  const source = new PrometheusSource('local', config);

  it('fills the selector into every panel, with the process as an anchored regex (web and web.*) when asked', () => {
    const q = source.promql({ component: 'checkout', environment: 'staging' }, 60_000);
    assert.equal(q.requests, 'sum(rate(http_requests_total{service_name="checkout",deployment_environment_name="staging"}[75s]))');
    assert.equal(q.memory, 'sum(process_resident_memory_bytes{service_name="checkout",deployment_environment_name="staging"})');
    const web = source.promql({ component: 'checkout', environment: 'staging', process: 'web' }, 60_000);
    assert.equal(web.cpu, 'sum(rate(process_cpu_seconds_total{service_name="checkout",deployment_environment_name="staging",process=~"web(\\\\..*)?"}[75s]))');
    // A dot in the name is literal (web.1 never matches web21), and a quote cannot end the string.
    assert.match(source.selector({ component: 'c', environment: 'e', process: 'web.1' }), /process=~"web\\\\\.1\(\\\\\.\.\*\)\?"$/);
    assert.equal(source.selector({ component: 'a"b', environment: 'e' }), 'service_name="a\\"b",deployment_environment_name="e"');
  });

  it('takes the config’s selector, process label and per-panel queries, the rest from the defaults', () => {
    const k8s = new PrometheusSource(
      'k8s',
      PrometheusSourceConfig.parse({
        type: 'victoriametrics',
        url: 'https://vm.internal/select/0/prometheus',
        selector: 'namespace="{environment}",app_kubernetes_io_name="{component}"',
        processLabel: 'container',
        queries: { cpu: 'sum(rate(container_cpu_usage_seconds_total{{selector}}[{window}]))' },
      }),
    );
    const q = k8s.promql({ component: 'checkout', environment: 'prod', process: 'web' }, 60_000);
    assert.equal(q.cpu, 'sum(rate(container_cpu_usage_seconds_total{namespace="prod",app_kubernetes_io_name="checkout",container=~"web(\\\\..*)?"}[75s]))');
    assert.ok(q.requests.startsWith('sum(rate(http_requests_total{namespace="prod"'), DEFAULT_METRIC_QUERIES.requests);
    assert.equal(k8s.description, 'metric source "k8s" (victoriametrics at https://vm.internal/select/0/prometheus)');
  });

  it('step: the asked one, at least one scrape interval, at most 11,000 points; window: max(4 scrapes, step + 1 scrape)', () => {
    const at = (h: number) => ({ start: new Date(0), end: new Date(h * 3600_000) });
    assert.equal(effectiveStepMs({ ...at(1), step: 60 }, 15_000), 60_000);
    assert.equal(effectiveStepMs({ ...at(1), step: 1 }, 15_000), 15_000, 'finer than the scrape interval only repeats samples');
    assert.equal(effectiveStepMs({ ...at(1), step: 1 }, 200), 1000);
    assert.equal(effectiveStepMs({ ...at(24 * 30), step: 60 }, 15_000), 236_000, '30 days: ceil(2,592,000 s / 11,000) = 236 s');
    assert.equal(rateWindowMs(60_000, 15_000), 75_000);
    assert.equal(rateWindowMs(1000, 200), 1200);
    assert.equal(rateWindowMs(15_000, 15_000), 60_000);
    assert.equal(promDuration(1200), '1200ms');
    assert.equal(promDuration(75_000), '75s');
  });
});

describe('the Prometheus source against a real Prometheus', () => {
  let prom: Awaited<ReturnType<typeof prometheus>>;
  let app: MetricsApp;
  let config: PrometheusSourceConfig;
  const labels = { component: `c-${randomUUID().slice(0, 8)}`, environment: 'staging', process: 'web.1' };
  const hour = () => ({ ...labels, start: new Date(Date.now() - 3600_000), end: new Date(), step: 60 });

  before(async () => {
    prom = await prometheus();
    config = PrometheusSourceConfig.parse({ type: 'prometheus', url: prom.url, scrapeInterval: SCRAPE });
    app = await serveMetricsApp();
    await prom.scrape(app, labels);
    // Until the store has two samples of the app (a rate needs two): polled, as the contract's cases do.
    const source = new PrometheusSource('local', config);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const series = await source.query({ ...labels, start: new Date(Date.now() - 10_000), end: new Date(), step: 1 });
      if (series.every((s) => s.panel === 'p95' || s.panel === 'errorRate' || s.points.at(-1)![1] !== null)) break;
      assert.ok(Date.now() < deadline, 'the app was scraped twice within a minute');
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  after(async () => {
    await app?.stop();
    await prom?.dispose();
  });

  it('sends the token of tokenEnv to a proxy in front (and says which variable is empty, never the token)', async () => {
    const token = `tok-${randomUUID()}`;
    let seen = 0;
    const proxy = createServer((req, res) => {
      if (req.headers.authorization !== `Bearer ${token}`) {
        res.writeHead(401, { 'content-type': 'text/plain' });
        return res.end('Unauthorized\n');
      }
      seen++;
      const up = request(`${prom.url}${req.url}`, { method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      req.pipe(up);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
      const through = (env: NodeJS.ProcessEnv) => new PrometheusSource('proxied', { ...config, url, tokenEnv: 'PROM_TOKEN' }, { env });
      const ok = await through({ PROM_TOKEN: token }).query(hour());
      assert.equal(ok.length, 5);
      assert.equal(seen, 5, 'five query_range calls, each with the token');
      const empty = through({});
      await assert.rejects(empty.query(hour()), (e) => assertSourceError(e, empty, 'rejected') && /\$PROM_TOKEN/.test((e as Error).message));
      const wrong = through({ PROM_TOKEN: 'not-it' });
      await assert.rejects(wrong.query(hour()), (e) => {
        assertSourceError(e, wrong, 'rejected');
        assert.match((e as Error).message, /HTTP 401.*\$PROM_TOKEN/);
        assert.ok(!(e as Error).message.includes('not-it'));
        return true;
      });
    } finally {
      proxy.closeAllConnections();
      proxy.close();
    }
  });

  it('a panel query that returns several series is refused, naming the panel: a panel shows one line', async () => {
    const split = new PrometheusSource('split', { ...config, queries: { requests: 'sum by (code) (rate(http_requests_total{{selector}}[{window}]))' } });
    await assert.rejects(split.query(hour()), (e) => {
      assertSourceError(e, split, 'invalid-query');
      assert.match((e as Error).message, /requests query returned 2 series \(\{"code":"200"\}, \{"code":"500"\}\).*sum\(/);
      return true;
    });
  });

  it('an answer that is not the query API (a proxy’s page) is a rejection saying what came back', async () => {
    const page = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body>Sign in to continue</body></html>');
    });
    await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
    try {
      const lost = new PrometheusSource('lost', { ...config, url: `http://127.0.0.1:${(page.address() as { port: number }).port}` });
      await assert.rejects(lost.query(hour()), (e) => assertSourceError(e, lost, 'rejected') && /not Prometheus's query API \(<html><body>Sign in/.test((e as Error).message));
    } finally {
      page.closeAllConnections();
      page.close();
    }
  });

  it('sources from config: one adapter per source, prometheus and victoriametrics alike', async () => {
    const all = metricSourcesFrom(MetricsConfig.parse({ sources: { local: { type: 'prometheus', url: prom.url, scrapeInterval: SCRAPE }, vm: { type: 'victoriametrics', url: prom.url, scrapeInterval: SCRAPE } }, default: 'local' }));
    assert.deepEqual([...all.keys()], ['local', 'vm']);
    assert.equal(all.get('vm')!.description, `metric source "vm" (victoriametrics at ${prom.url})`);
    // The same API: the victoriametrics source reads this Prometheus too.
    const series = await all.get('vm')!.query(hour());
    assert.equal(series.find((s) => s.panel === 'memory')!.points.at(-1)![1], app.memoryBytes);
    assert.equal(createMetricSource('x', config).description, `metric source "x" (prometheus at ${prom.url})`);
  });

  it('measures one query: 5 panels over 1 h at the API’s default step (reported, not asserted)', async (t) => {
    const source = new PrometheusSource('local', config);
    await source.query(hour()); // a first query warms the connection pool
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const began = performance.now();
      const series = await source.query(hour());
      times.push(performance.now() - began);
      assert.equal(series.length, 5);
    }
    times.sort((a, b) => a - b);
    const report = `one query() (5 panels, 1 h, step 60 s, 61 points each) against Prometheus: p50 ${times[10]!.toFixed(1)} ms, max ${times.at(-1)!.toFixed(1)} ms over ${times.length}`;
    t.diagnostic(report);
    console.log(report);
  });
});
