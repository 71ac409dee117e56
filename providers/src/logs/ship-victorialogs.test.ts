/**
 * The local runtime's shipper against a real VictoriaLogs, read back through the VictoriaLogs source (the reader
 * drops the copies a re-send leaves): a crash of the store while lines flow loses none and shows none twice; a store
 * down for long keeps the newest lines and says how many were dropped; lines keep their order within a process.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { VictoriaLogsSourceConfig } from '@idp/core';
import { startVictoriaLogs } from './server.js';
import { createVictoriaLogsShipper, localStreamLabels } from './ship-victorialogs.js';
import { findVictoriaLogs } from './tools.js';
import { parseTimeNs } from './time.js';
import { VictoriaLogsSource } from './victorialogs.js';
import { freePort } from './contract.js';
import type { ServerProcess } from '../server-process.js';

const dir = mkdtempSync(join(tmpdir(), 'idp-ship-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

async function store(port?: number): Promise<{ vl: ServerProcess; source: VictoriaLogsSource }> {
  const vl = await startVictoriaLogs({ bin: findVictoriaLogs()!, dataDir: join(dir, `vl-${++n}`), port: port ?? (await freePort()) });
  return { vl, source: new VictoriaLogsSource('local', VictoriaLogsSourceConfig.parse({ type: 'victorialogs', url: vl.url })) };
}

/** Raw rows of a component in the store (duplicates included). */
async function rawCount(vl: ServerProcess, component: string): Promise<number> {
  await fetch(`${vl.url}/internal/force_flush`, { method: 'POST' });
  const res = await fetch(`${vl.url}/select/logsql/query`, { method: 'POST', body: new URLSearchParams({ query: `{service.name="${component}"} | stats count() n` }) });
  return Number((JSON.parse(await res.text()) as { n: string }).n);
}

describe('VictoriaLogs shipper', () => {
  it('the store SIGKILLed while lines flow: afterwards every line is there once (reader-side), in order', async () => {
    const { vl, source } = await store();
    const notices: string[] = [];
    const shipper = createVictoriaLogsShipper({ url: vl.url, labels: localStreamLabels('crashy', 'staging'), onNotice: (m) => notices.push(m) });
    try {
      let i = 0;
      const write = async (count: number) => {
        for (const end = i + count; i < end; ) {
          shipper.push('web.1', `n=${++i}`);
          await new Promise((r) => setTimeout(r, 5)); // an app logging steadily
        }
      };
      await write(150);
      await vl.kill(); // rows it acknowledged in the last ~1 s were only in memory
      await write(50); // shipped into a dead store: kept and retried
      await vl.restart();
      await write(100);
      await shipper.flush();
      await fetch(`${vl.url}/internal/force_flush`, { method: 'POST' });
      const lines = await source.history({ component: 'crashy', environment: 'staging', limit: 1000 });
      assert.deepEqual(lines.map((l) => l.message), Array.from({ length: 300 }, (_, k) => `n=${k + 1}`));
      const stats = shipper.stats();
      assert.equal(stats.dropped, 0);
      assert.ok(stats.failures > 0 && stats.resent > 0, `the failure was seen and recent lines re-sent: ${JSON.stringify(stats)}`);
      assert.ok(notices.some((m) => /unreachable/.test(m)) && notices.some((m) => /answers again/.test(m)), notices.join('\n'));
      const raw = await rawCount(vl, 'crashy');
      assert.ok(raw >= 300, `the store holds ${raw} rows for 300 lines (copies the reader drops)`);
    } finally {
      await shipper.close();
      await vl.stop();
    }
  });

  it('the store SIGKILLed while the process is quiet (no POST fails): the recent lines are re-sent anyway', async () => {
    const { vl, source } = await store();
    const shipper = createVictoriaLogsShipper({ url: vl.url, labels: localStreamLabels('quiet', 'staging') });
    try {
      for (let i = 1; i <= 50; i++) shipper.push('web.1', `n=${i}`);
      await shipper.flush(); // acknowledged, most likely not yet on disk
      await vl.kill();
      await vl.restart();
      const want = Array.from({ length: 50 }, (_, k) => `n=${k + 1}`);
      let got: string[] = [];
      for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
        await fetch(`${vl.url}/internal/force_flush`, { method: 'POST' });
        got = (await source.history({ component: 'quiet', environment: 'staging', limit: 100 })).map((l) => l.message);
        if (got.length === 50 && shipper.stats().resent >= 50) break;
      }
      assert.deepEqual(got, want);
      assert.ok(shipper.stats().resent >= 50, `re-sent after the store closed the connection: ${JSON.stringify(shipper.stats())}`);
    } finally {
      await shipper.close();
      await vl.stop();
    }
  });

  it('the store down for long: the newest maxPending lines wait and are shipped, the rest counted in a line saying so', async () => {
    const port = await freePort();
    let failed!: (m: string) => void;
    const unreachable = new Promise<string>((r) => (failed = r));
    // Nothing listens yet: every POST fails.
    const shipper = createVictoriaLogsShipper({ url: `http://127.0.0.1:${port}`, labels: localStreamLabels('down', 'staging'), maxPending: 50, onNotice: (m) => failed(m) });
    for (let i = 1; i <= 80; i++) shipper.push('web.1', `n=${i}`);
    assert.equal(shipper.stats().dropped, 30);
    assert.match(await unreachable, /log store http:\/\/127\.0\.0\.1:\d+ unreachable \(ECONNREFUSED\); keeping lines and retrying/);
    const { vl, source } = await store(port);
    try {
      await shipper.flush();
      await shipper.flush(); // the line about the dropped ones, queued when the store answered
      await fetch(`${vl.url}/internal/force_flush`, { method: 'POST' });
      const lines = await source.history({ component: 'down', environment: 'staging', limit: 1000 });
      assert.deepEqual(lines.map((l) => l.message), [...Array.from({ length: 50 }, (_, k) => `n=${k + 31}`), '[idp] 30 lines of web.1 were dropped while the log store was unreachable']);
    } finally {
      await shipper.close();
      await vl.stop();
    }
  });

  it('lines pushed in the same millisecond keep their order per process: strictly increasing ns times and seq', async () => {
    const { vl, source } = await store();
    const shipper = createVictoriaLogsShipper({ url: vl.url, labels: localStreamLabels('burst', 'staging') });
    try {
      for (let i = 1; i <= 500; i++) {
        shipper.push('web.1', `web ${i}`);
        shipper.push('worker.1', `worker ${i}`);
      }
      await shipper.flush();
      await fetch(`${vl.url}/internal/force_flush`, { method: 'POST' });
      for (const p of ['web', 'worker']) {
        const lines = await source.history({ component: 'burst', environment: 'staging', process: p, limit: 1000 });
        assert.deepEqual(lines.map((l) => l.message), Array.from({ length: 500 }, (_, k) => `${p} ${k + 1}`));
        const times = lines.map((l) => parseTimeNs(l.time));
        assert.ok(times.every((t, k) => k === 0 || t > times[k - 1]!), `${p}: times strictly increase`);
      }
      // Batched: far fewer POSTs than lines.
      const metrics = await (await fetch(`${vl.url}/metrics`)).text();
      const posts = Number(/vl_http_requests_total\{path="\/insert\/jsonline"\} (\d+)/.exec(metrics)?.[1]);
      assert.ok(posts >= 1 && posts <= 10, `1000 lines in ${posts} POSTs`);
    } finally {
      await shipper.close();
      await vl.stop();
    }
  });

  it('close() ships what is waiting, then ignores pushes', async () => {
    const { vl, source } = await store();
    const shipper = createVictoriaLogsShipper({ url: vl.url, labels: localStreamLabels('closing', 'staging') });
    try {
      shipper.push('web.1', 'last words');
      await shipper.close();
      shipper.push('web.1', 'too late');
      await fetch(`${vl.url}/internal/force_flush`, { method: 'POST' });
      const lines = await source.history({ component: 'closing', environment: 'staging', limit: 10 });
      assert.deepEqual(lines.map((l) => l.message), ['last words']);
      assert.equal(shipper.stats().pending, 0);
    } finally {
      await vl.stop();
    }
  });
});
