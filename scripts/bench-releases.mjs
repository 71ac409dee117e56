// Release figures (issue #4), on the local forge and the real Temporal dev server:
//  - approving review → merge: the review goes through the Platform API, which signals the
//    release workflow (the local forge's webhook); timed until the forge reports the PR merged.
//  - worker memory with 1,000 release workflows waiting for approval: a worker in its own
//    process (as deployed), its RSS read from /proc once every release has its PR open.
// Run alone with `node scripts/bench-releases.mjs`; `npm run bench` includes it.
// IDP_BENCH_RELEASES=200 makes the memory run smaller (for a quick look); IDP_BENCH_WORKER_ENV='{"IDP_MAX_CACHED_WORKFLOWS":"10"}'
// passes settings to the measured worker; IDP_BENCH_TRACE=1 prints its RSS while it settles.
import { readFileSync } from 'node:fs';
import { startTestStack } from '../worker/dist/testing/stack.js';
import { createRepo } from '../providers/dist/testing/index.js';

const WAITING = Number(process.env.IDP_BENCH_RELEASES ?? 1000);
const ENVS_PER_REPO = 100;
const ms = (ns) => Number(ns) / 1e6;
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const sleep = (n) => new Promise((r) => setTimeout(r, n));

function paws(envs) {
  const lines = ['apiVersion: paws.dev/v1', 'kind: Workload', 'metadata:', '  name: bench', 'containers:', '  web:', '    image: ghcr.io/acme/bench:1.0.0', 'environments:'];
  for (const env of envs) lines.push(`  ${env}:`, '    release: { approvals: 1 }');
  return lines.join('\n') + '\n';
}

async function reviewToMerge(rows) {
  const stack = await startTestStack({ pollIntervalMs: 600_000 });
  const repo = await createRepo({ files: { 'paws.yaml': paws(['staging']) } });
  try {
    const ref = { repo: repo.bare };
    const reviewer = stack.clientAs('reviewer@idp.local');
    const lat = [];
    for (let i = 0; i < 25; i++) {
      const res = await stack.client.createRelease({ ...ref, env: 'staging', image: `ghcr.io/acme/bench:2.0.${i}` });
      // Requested a moment after the previous release ended, it may still be queued behind it while the queue records the end.
      while (!res.pr) res.pr = (await stack.client.workflow(res.workflowId, 10, res.phase)).pr;
      const t = process.hrtime.bigint();
      await reviewer.review(res.pr.number, { ...ref, event: 'approve' });
      while ((await stack.client.pull(ref, res.pr.number)).state !== 'merged') await sleep(5);
      if (i >= 5) lat.push(ms(process.hrtime.bigint() - t)); // the first five warm caches up
      // The next release takes the lock once this one has ended.
      await stack.client.workflow(res.workflowId, 10);
    }
    rows.push(['approving review → merge p50 (local forge, 20 releases)', `${pct(lat, 50).toFixed(0)} ms`, '≤ 1 s']);
    rows.push(['approving review → merge p95', `${pct(lat, 95).toFixed(0)} ms`, '']);
  } finally {
    await stack.stop();
    await repo.cleanup();
  }
}

const rssMb = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

async function waitingMemory(rows) {
  const stack = await startTestStack({ inProcessWorker: false, pollIntervalMs: 600_000 });
  const repos = [];
  try {
    for (let r = 0; r * ENVS_PER_REPO < WAITING; r++) {
      const envs = Array.from({ length: Math.min(ENVS_PER_REPO, WAITING - r * ENVS_PER_REPO) }, (_, i) => `env-${i}`);
      repos.push({ envs, repo: await createRepo({ files: { 'paws.yaml': paws(envs) } }) });
    }
    const worker = stack.spawnWorker(JSON.parse(process.env.IDP_BENCH_WORKER_ENV ?? '{}'));
    const idle = await (async () => {
      await sleep(5_000);
      return rssMb(worker.pid);
    })();
    const t = Date.now();
    let opened = 0;
    // Ten requests at a time, one per repository: each repository's writes are serialized by the local forge.
    await Promise.all(
      repos.map(async ({ envs, repo }) => {
        for (const env of envs) {
          const res = await stack.client.createRelease({ repo: repo.bare, env, image: 'ghcr.io/acme/bench:2.0.0' });
          if (!res.pr) throw new Error(`no PR for ${env}: ${JSON.stringify(res)}`);
          if (++opened % 100 === 0) process.stderr.write(`releases waiting: ${opened} (worker RSS ${rssMb(worker.pid).toFixed(0)} MB)\n`);
        }
      }),
    );
    const created = (Date.now() - t) / 1000;
    const peak = rssMb(worker.pid);
    // Settled: once nothing has happened for a minute (the requests' garbage is collected and returned).
    for (let i = 0; i < 6; i++) {
      await sleep(10_000);
      if (process.env.IDP_BENCH_TRACE) process.stderr.write(`  +${(i + 1) * 10} s: ${rssMb(worker.pid).toFixed(0)} MB\n`);
    }
    const settled = rssMb(worker.pid);
    rows.push([`${WAITING} releases waiting for approval: started in`, `${created.toFixed(0)} s`, '']);
    rows.push([`worker RSS: idle / with ${WAITING} waiting / 1 min later`, `${idle.toFixed(0)} / ${peak.toFixed(0)} / ${settled.toFixed(0)} MB`, '≤ 300 MB']);
    worker.kill('SIGTERM');
  } finally {
    await stack.stop();
    for (const { repo } of repos) await repo.cleanup();
  }
}

export async function releaseRows() {
  const rows = [];
  if (!process.env.IDP_BENCH_SKIP_LATENCY) await reviewToMerge(rows);
  await waitingMemory(rows);
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await releaseRows();
  for (const [a, b, c] of rows) console.log(`${a}  ${b}  ${c}`);
}
