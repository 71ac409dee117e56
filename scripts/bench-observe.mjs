// Issue #15's figures as a user sees them — the real `idp` bin, a cold process each, against the embedded stack
// (Backstage with the idp plugin, the local runtime, its VictoriaLogs and Prometheus), signed in as alice:
//  - a line written by the app → shown by `idp logs --tail`: one `idp logs --env staging --tail` running; 50 requests
//    to staging's running URL, 200 ms apart, each timed from the request to its line on the CLI's stdout; p50/p95;
//  - `idp logs --env staging -n 1000` while the store holds 1,000,000 lines of 50 streams (20,000 lines for each of 50
//    environments of the demo component, staging one of them, `_time` over the last hour; untimed setup): p50/p95 of
//    RUNS, and what the API call itself takes (its Server-Timing: read paws.yaml / the source);
//  - `idp metrics --env staging` (the last hour, five PromQL range queries): p50/p95 of RUNS, and the API call itself.
// `node scripts/bench-observe.mjs` prints the rows; observeRows() returns them for scripts/bench.mjs.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startEmbedded } from '../backstage-plugin/backend/dist/testing/embedded.js';
import { pct } from './bench-clone.mjs';

const idpBin = join(resolve('.'), 'cli/bin/idp.js');
const RUNS = Number(process.env.IDP_BENCH_OBSERVE_RUNS ?? 20);
const LINES = 1_000_000;
const STREAMS = 50;
const ms = (ns) => Number(ns) / 1e6;

function cli(args, { cwd, env }) {
  return new Promise((res, rej) => {
    const t = process.hrtime.bigint();
    const child = spawn(process.execPath, [idpBin, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.once('close', (code) => (code === 0 ? res({ out, ms: ms(process.hrtime.bigint() - t) }) : rej(new Error(`idp ${args.join(' ')} exited ${code}: ${err}`))));
  });
}

async function until(what, fn, timeoutMs = 60_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** 1M lines of 50 streams into the stack's VictoriaLogs, as the runtime's shipper writes them (stream fields, seq). */
async function seed(url) {
  const base = Date.now() * 1e6 - 3600e9;
  const step = 3600e9 / LINES;
  for (let b = 0; b < 20; b++) {
    const lines = [];
    for (let i = 0; i < LINES / 20; i++) {
      const n = b * (LINES / 20) + i;
      const ns = BigInt(Math.floor(base + n * step));
      const time = new Date(Number(ns / 1_000_000n)).toISOString().replace(/\.\d{3}Z$/, `.${(ns % 1_000_000_000n).toString().padStart(9, '0')}Z`);
      const env = n % STREAMS === 0 ? 'staging' : `bench-${n % STREAMS}`;
      lines.push(JSON.stringify({ _msg: `GET /item/${n} 200 ${n % 50}ms`, _time: time, seq: n, 'service.name': 'checkout', 'deployment.environment.name': env, process: 'web.1' }));
    }
    const res = await fetch(`${url}/insert/jsonline?_stream_fields=service.name,deployment.environment.name,process`, { method: 'POST', headers: { 'content-type': 'application/stream+json' }, body: `${lines.join('\n')}\n` });
    if (res.status !== 200) throw new Error(`ingest: ${res.status} ${await res.text()}`);
  }
  await fetch(`${url}/internal/force_flush`, { method: 'POST' });
}

/** The API call alone (in-process fetch), with its Server-Timing steps: p50 of each over RUNS. */
async function apiTiming(url, token) {
  const total = [];
  const steps = {};
  for (let i = 0; i < RUNS + 1; i++) {
    const t = process.hrtime.bigint();
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    await res.text();
    if (i === 0) continue; // warm-up
    total.push(ms(process.hrtime.bigint() - t));
    for (const m of (res.headers.get('server-timing') ?? '').matchAll(/(\w+);dur=([\d.]+)/g)) (steps[m[1]] ??= []).push(Number(m[2]));
  }
  return `${pct(total, 50).toFixed(0)} ms (${Object.entries(steps).map(([k, xs]) => `${k} ${pct(xs, 50).toFixed(0)}`).join(', ')})`;
}

export async function observeRows() {
  const stack = await startEmbedded();
  const home = mkdtempSync(join(tmpdir(), 'idp-bench-observe-'));
  try {
    const token = await stack.tokenFor('alice');
    const env = { PATH: process.env.PATH ?? '', HOME: home, XDG_CONFIG_HOME: join(home, 'config'), NO_COLOR: '1', IDP_API_URL: stack.apiUrl, IDP_TOKEN: token };
    const cwd = stack.demo.workdir;
    const alice = await stack.clientAs('alice');
    const ref = { repo: stack.demo.bare, path: 'paws.yaml' };
    const staging = await until('staging running', async () => {
      const r = (await alice.listEnvironments(ref)).environments.find((e) => e.name === 'staging')?.runtime;
      return r?.state === 'running' && r.url;
    });

    // Tail latency: app line → CLI stdout.
    const follow = spawn(process.execPath, [idpBin, 'logs', '--env', 'staging', '--tail', '-n', '1'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const seen = new Map();
    let buffered = '';
    follow.stdout.on('data', (d) => {
      buffered += d;
      for (const m of buffered.matchAll(/GET \/bench-tail\/(\d+) /g)) if (!seen.has(m[1])) seen.set(m[1], Date.now());
    });
    await fetch(`${staging}/bench-tail/0`); // the connection up and the stream warm
    await until('the tail to show its first line', () => seen.has('0'), 60_000);
    const sent = new Map();
    for (let i = 1; i <= 50; i++) {
      sent.set(String(i), Date.now());
      await fetch(`${staging}/bench-tail/${i}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await until('all 50 lines in idp logs --tail', () => seen.size === 51, 60_000);
    follow.kill('SIGINT');
    const tail = [...sent].map(([k, t]) => seen.get(k) - t);

    // History and metrics through the CLI.
    await seed(stack.logsUrl);
    const timeCli = async (args, check) => {
      await cli(args, { cwd, env });
      const xs = [];
      for (let i = 0; i < RUNS; i++) {
        const r = await cli(args, { cwd, env });
        check?.(r.out);
        xs.push(r.ms);
      }
      return xs;
    };
    const n1000 = await timeCli(['logs', '--env', 'staging', '-n', '1000'], (out) => {
      const lines = out.split('\n').filter(Boolean).length;
      if (lines !== 1000) throw new Error(`idp logs -n 1000 printed ${lines} lines`);
    });
    const metrics = await timeCli(['metrics', '--env', 'staging']);
    const version = await timeCli(['--version']);
    const q = `repo=${encodeURIComponent(stack.demo.bare)}&path=paws.yaml`;
    const row = (what, xs, target = '') => [what, `${pct(xs, 50).toFixed(0)} / ${pct(xs, 95).toFixed(0)} ms`, target];
    return [
      row('line written by the app → shown by `idp logs --tail`, p50 / p95 of 50', tail, 'p50 ≤ 1.5 s'),
      row(`\`idp logs -n 1000\` (store: ${LINES.toLocaleString('en')} lines of ${STREAMS} streams), p50 / p95`, n1000, '≤ 300 ms'),
      ['  of which the API call (in-process; Server-Timing steps, p50)', await apiTiming(`${stack.apiUrl}/environments/staging/logs?${q}&n=1000`, token), ''],
      row('`idp metrics --env staging` (1 h, five panels), p50 / p95', metrics, '≤ 500 ms'),
      ['  of which the API call (in-process; Server-Timing steps, p50)', await apiTiming(`${stack.apiUrl}/environments/staging/metrics?${q}`, token), ''],
      row('  node + the CLI\'s start (`idp --version`), p50 / p95', version, ''),
    ];
  } finally {
    await stack.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) console.table(await observeRows());
