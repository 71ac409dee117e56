// `npm run bench`: the figures issue #2 asks for, measured on this machine.
//  - `idp --version` cold start (median of 15) beside the Heroku CLI's (`heroku --version`,
//    installed from npm into a temp dir) as a ratio. Target ≤ 0.2×.
//  - clone → PR URL latency, p50/p95, on the warm embedded stack (npm start's stack). Target p50 ≤ 300 ms.
//  - 100 concurrent clones: wall time, PRs opened, requests lost. Target 0 lost.
// Issue #3 adds:
//  - API calls per opened PR on each forge (fakes), repositories of 10 and 100,000 files. Target ≤ 4 on GitHub.
// Issue #4 adds (bench-releases.mjs):
//  - approving review → merge on the local forge, p50. Target ≤ 1 s.
//  - worker RSS with 1,000 release workflows waiting for approval. Target ≤ 300 MB.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PlatformClient } from '@idp/core/client';
import { seedDemo } from '../worker/dist/embedded/demo.js';
import { forgeCallRows } from './bench-forge-calls.mjs';
import { releaseRows } from './bench-releases.mjs';

const root = resolve('.');
const ms = (ns) => Number(ns) / 1e6;
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const median = (xs) => pct(xs, 50);

function coldStart(cmd, args, runs = 15) {
  spawnSync(cmd, args, { stdio: 'ignore' }); // page cache warm, process cold
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
    times.push(ms(process.hrtime.bigint() - t));
  }
  return median(times);
}

const rows = [];
const work = mkdtempSync(join(tmpdir(), 'idp-bench-'));
let stack;
try {
  // 1. Cold start. Both run on the same Node (the one running this script).
  const idp = coldStart(process.execPath, [join(root, 'cli/bin/idp.js'), '--version']);
  console.error('installing the Heroku CLI from npm for comparison...');
  execFileSync('npm', ['install', '--prefix', join(work, 'heroku'), '--no-audit', '--no-fund', '--loglevel=error', 'heroku'], { stdio: 'inherit' });
  const herokuBin = join(work, 'heroku/node_modules/heroku/bin/run');
  const heroku = coldStart(process.execPath, [herokuBin, '--version']);
  rows.push(['idp --version cold start (median of 15)', `${idp.toFixed(1)} ms`, '']);
  rows.push(['heroku --version cold start (median of 15)', `${heroku.toFixed(1)} ms`, '']);
  rows.push(['ratio idp / heroku', `${(idp / heroku).toFixed(3)}×`, '≤ 0.2×']);

  // 2–3. The embedded stack, started as `npm start` starts it, with its own IDP_HOME and ports.
  const home = join(work, 'home');
  const apiPort = 17000 + Math.floor(Math.random() * 1000);
  const temporalPort = 18000 + Math.floor(Math.random() * 1000);
  stack = spawn(process.execPath, [join(root, 'worker/dist/embedded/start.js')], {
    env: { ...process.env, IDP_HOME: home, IDP_API_PORT: String(apiPort), IDP_TEMPORAL_PORT: String(temporalPort), IDP_USER: 'bench@idp.local' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const client = new PlatformClient({ baseUrl: `http://127.0.0.1:${apiPort}/api/idp`, user: 'bench@idp.local' });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      if ((await client.health()).temporal.reachable) break;
    } catch {}
    if (Date.now() > deadline) throw new Error('the embedded stack did not come up in 120 s');
    await new Promise((r) => setTimeout(r, 300));
  }
  const { bare } = seedDemo(home);

  for (let i = 0; i < 5; i++) await client.cloneEnvironment('staging', { repo: bare, target: `warm-${i}` });
  const lat = [];
  for (let i = 0; i < 30; i++) {
    const t = process.hrtime.bigint();
    const res = await client.cloneEnvironment('staging', { repo: bare, target: `lat-${i}` });
    if (!res.pr?.url) throw new Error('no PR URL');
    lat.push(ms(process.hrtime.bigint() - t));
  }
  rows.push(['clone → PR URL p50 (30 sequential, warm)', `${median(lat).toFixed(0)} ms`, '≤ 300 ms']);
  rows.push(['clone → PR URL p95', `${pct(lat, 95).toFixed(0)} ms`, '']);

  const t = process.hrtime.bigint();
  const results = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => client.cloneEnvironment('staging', { repo: bare, target: `burst-${i}` })));
  const wall = ms(process.hrtime.bigint() - t);
  const ok = results.filter((r) => r.status === 'fulfilled' && r.value.pr?.url);
  const pulls = (await client.listPulls({ repo: bare }, 'open')).filter((p) => p.head.includes('/burst-'));
  rows.push(['100 concurrent clones: wall time', `${(wall / 1000).toFixed(1)} s`, '']);
  rows.push(['100 concurrent clones: PRs opened / lost', `${pulls.length} / ${100 - ok.length}`, '0 lost']);
  for (const r of results) if (r.status === 'rejected') console.error('lost:', r.reason?.message);
  rows.push(...(await forgeCallRows()));
  rows.push(...(await releaseRows()));
} finally {
  if (stack && stack.exitCode === null) {
    stack.kill('SIGINT');
    await new Promise((r) => stack.once('exit', r));
  }
  rmSync(work, { recursive: true, force: true });
}

const w = [Math.max(...rows.map((r) => r[0].length)), Math.max(...rows.map((r) => r[1].length))];
console.log(`\n${'figure'.padEnd(w[0])}  ${'measured'.padEnd(w[1])}  target`);
for (const [a, b, c] of rows) console.log(`${a.padEnd(w[0])}  ${b.padEnd(w[1])}  ${c}`);
