// Issue #15's figures for the VictoriaLogs source itself (no API or CLI in between), on a real VictoriaLogs
// (VICTORIALOGS_BIN, else the .tools/bin build) in a temp directory:
//  - history `-n 1000` of one environment while the store holds 1,000,000 lines of 50 streams (20,000 each, `_time`
//    spread over the last hour, ingested in 20 POSTs of 50k; untimed setup), p50/p95 of RUNS after one warm-up; also
//    `--grep error -n 200` and `--process web -n 1000`;
//  - tail latency: a line pushed to the local runtime's shipper → its event from the source's tail, p50/p95 of 50
//    lines, 200 ms apart, on a stream warmed first (a brand-new stream becomes searchable later, prep §1).
// `node scripts/bench-log-sources.mjs` prints the rows; logSourceRows() returns them for scripts/bench.mjs.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { VictoriaLogsSourceConfig } from '@idp/core';
import { createVictoriaLogsShipper, ensureVictoriaLogs, localStreamLabels, startVictoriaLogs, VictoriaLogsSource } from '../providers/dist/logs/index.js';

const RUNS = Number(process.env.IDP_BENCH_LOG_RUNS ?? 30);
const LINES = 1_000_000;
const STREAMS = 50;

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const freePort = () => new Promise((r) => { const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => r(port)); }); });

async function seed(url) {
  const base = Date.now() * 1e6 - 3600e9;
  const step = 3600e9 / LINES;
  const started = Date.now();
  for (let b = 0; b < 20; b++) {
    const lines = [];
    for (let i = 0; i < LINES / 20; i++) {
      const n = b * (LINES / 20) + i;
      const ns = BigInt(Math.floor(base + n * step));
      const time = new Date(Number(ns / 1_000_000n)).toISOString().replace(/\.\d{3}Z$/, `.${(ns % 1_000_000_000n).toString().padStart(9, '0')}Z`);
      const error = n % 97 === 0;
      lines.push(JSON.stringify({ _msg: `GET /item/${n} ${error ? 500 : 200} ${n % 50}ms${error ? ' error' : ''}`, _time: time, seq: n, 'service.name': 'bench', 'deployment.environment.name': `env-${n % STREAMS}`, process: 'web.1' }));
    }
    const res = await fetch(`${url}/insert/jsonline?_stream_fields=service.name,deployment.environment.name,process`, { method: 'POST', headers: { 'content-type': 'application/stream+json' }, body: `${lines.join('\n')}\n` });
    if (res.status !== 200) throw new Error(`ingest: ${res.status} ${await res.text()}`);
  }
  await fetch(`${url}/internal/force_flush`, { method: 'POST' });
  return Date.now() - started;
}

async function timeRuns(fn) {
  await fn(); // warm-up
  const xs = [];
  for (let i = 0; i < RUNS; i++) {
    const t = process.hrtime.bigint();
    await fn();
    xs.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return xs;
}

async function tailLatency(url, source) {
  const shipper = createVictoriaLogsShipper({ url, labels: localStreamLabels('tailbench', 'staging') });
  const ctl = new AbortController();
  const sent = new Map();
  const lat = [];
  let warm;
  const warmed = new Promise((r) => (warm = r));
  let finished;
  const done = new Promise((r) => (finished = r));
  const reader = (async () => {
    for await (const e of source.tail({ component: 'tailbench', environment: 'staging' }, { backlog: 0, signal: ctl.signal })) {
      if (e.type !== 'line') continue;
      if (e.line.message === 'warm') warm();
      const at = sent.get(e.line.message);
      if (at !== undefined) {
        lat.push(Date.now() - at);
        if (lat.length === 50) finished();
      }
    }
  })();
  shipper.push('web.1', 'warm'); // the stream's first rows become searchable late
  await warmed;
  for (let i = 1; i <= 50; i++) {
    sent.set(`line ${i}`, Date.now());
    shipper.push('web.1', `line ${i}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  await done;
  ctl.abort();
  await reader;
  await shipper.close();
  return lat;
}

export async function logSourceRows() {
  const bin = ensureVictoriaLogs({ log: (m) => console.log(m) });
  if (!bin) throw new Error('no VictoriaLogs (set VICTORIALOGS_BIN or install Go)');
  const dir = mkdtempSync(join(tmpdir(), 'idp-bench-logs-'));
  const vl = await startVictoriaLogs({ bin, dataDir: join(dir, 'data'), port: await freePort() });
  try {
    const ingestMs = await seed(vl.url);
    const source = new VictoriaLogsSource('local', VictoriaLogsSourceConfig.parse({ type: 'victorialogs', url: vl.url }));
    const target = { component: 'bench', environment: 'env-7' };
    let count = 0;
    const n1000 = await timeRuns(async () => (count = (await source.history({ ...target, limit: 1000 })).length));
    if (count !== 1000) throw new Error(`-n 1000 returned ${count} lines`);
    const grep = await timeRuns(() => source.history({ ...target, limit: 200, grep: 'error' }));
    const proc = await timeRuns(() => source.history({ ...target, limit: 1000, process: 'web' }));
    const tail = await tailLatency(vl.url, source);
    const row = (what, xs, target = '') => [what, `${pct(xs, 50).toFixed(1)} / ${pct(xs, 95).toFixed(1)} ms`, target];
    return [
      [`VictoriaLogs: ingest ${LINES.toLocaleString('en')} lines of ${STREAMS} streams (setup)`, `${ingestMs} ms`, ''],
      row(`VictoriaLogs source: history -n 1000 of one stream (of ${LINES.toLocaleString('en')} lines), p50 / p95`, n1000, '≤ 300 ms for `idp logs -n 1000`'),
      row('VictoriaLogs source: history --grep error -n 200, p50 / p95', grep),
      row('VictoriaLogs source: history --process web -n 1000, p50 / p95', proc),
      row('VictoriaLogs source: shipper push → tail event, p50 / p95 of 50', tail, 'p50 ≤ 1.5 s for `idp logs --tail`'),
    ];
  } finally {
    await vl.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) console.table(await logSourceRows());
