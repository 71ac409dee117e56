// Issue #15's figures for the local runtime, on the embedded stack (`npm start`'s: Temporal, the worker, Backstage
// with the idp plugin, VictoriaLogs, Prometheus, the runtime), signed in as alice:
//  - merge → running: a clone of staging's PR merged through the Platform API → the runtime has the environment
//    running (its web process answers HTTP 200 on its URL), polled every 10 ms; p50/p95 of RUNS, split into merge →
//    picked up (the environment on record in state.json) and picked up → running;
//  - destroy merged → stopped (its port closed), p50 of the same RUNS (each preview destroyed before the next clone).
// PRs are opened untimed (each waits for its PR first). `node scripts/bench-runtime.mjs` prints the rows; runtimeRows()
// returns them for scripts/bench.mjs (IDP_BENCH_ONLY=runtime).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startEmbedded } from '../backstage-plugin/backend/dist/testing/embedded.js';

const RUNS = Number(process.env.IDP_BENCH_RUNTIME_RUNS ?? 10);

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function until(what, fn, timeoutMs = 60_000, everyMs = 10) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function runtimeRows() {
  const stack = await startEmbedded();
  const rows = [];
  try {
    const alice = await stack.clientAs('alice');
    const ref = { repo: stack.demo.bare, path: 'paws.yaml' };
    const record = (env) => JSON.parse(readFileSync(join(stack.home, 'runtime', 'state.json'), 'utf8')).environments[`checkout/${env}`];
    const prOf = async (started) => started.pr ?? (await until(`${started.workflowId}'s PR`, async () => (await alice.workflow(started.workflowId, 5)).pr, 60_000, 100));
    await until('staging running', async () => record('staging')?.state === 'running', 60_000, 100);
    const total = [];
    const pickup = [];
    const start = [];
    const stop = [];
    for (let i = 0; i < RUNS; i++) {
      const name = `bench-rt-${i}`;
      const pr = await prOf(await alice.cloneEnvironment('staging', { ...ref, target: name, ttl: '1h' }));
      const t0 = performance.now();
      await alice.merge(pr.number, ref);
      const merged = performance.now();
      await until(`${name} on record`, async () => !!record(name));
      const picked = performance.now();
      const url = await until(`${name} running`, async () => {
        const r = record(name);
        return r?.state === 'running' && (await fetch(r.url)).status === 200 && r.url;
      });
      const running = performance.now();
      total.push(running - t0);
      pickup.push(picked - merged);
      start.push(running - picked);

      const destroy = await prOf(await alice.destroyEnvironment(name, ref));
      const d0 = performance.now();
      await alice.merge(destroy.number, ref);
      await until(`${name} stopped`, async () => fetch(url, { signal: AbortSignal.timeout(1000) }).then(() => false, () => true));
      stop.push(performance.now() - d0);
    }
    rows.push([`merge → environment running under the local runtime (HTTP 200), p50 / p95 of ${RUNS}`, `${pct(total, 50).toFixed(0)} / ${pct(total, 95).toFixed(0)} ms`, '']);
    rows.push(['  after the merge answered: picked up from the default branch (p50)', `${pct(pickup, 50).toFixed(0)} ms`, 'poll 300 ms']);
    rows.push(['  picked up → running: checkout, secrets, port, spawn, listening (p50)', `${pct(start, 50).toFixed(0)} ms`, '']);
    rows.push([`destroy merged → stopped (port closed), p50 of ${RUNS}`, `${pct(stop, 50).toFixed(0)} ms`, '']);
  } finally {
    await stack.stop();
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const [a, b, c] of await runtimeRows()) console.log(`${a}  ${b}  ${c}`);
}
