/**
 * The stores the embedded stack runs start, answer, survive a crash with their data directory, and stop:
 * real VictoriaLogs and Prometheus (VICTORIALOGS_BIN / PROMETHEUS_BIN from `npm test`'s preflight).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { findVictoriaLogs, startVictoriaLogs } from './logs/index.js';
import { findPrometheus, startPrometheus } from './metrics/index.js';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

describe('the embedded stores as processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'idp-stores-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('VictoriaLogs: stores a line, keeps it across SIGTERM and restart, frees its port when stopped', async () => {
    const vl = await startVictoriaLogs({ bin: findVictoriaLogs()!, dataDir: join(dir, 'vl'), port: await freePort() });
    try {
      const post = await fetch(`${vl.url}/insert/jsonline?_stream_fields=service.name`, { method: 'POST', headers: { 'content-type': 'application/stream+json' }, body: '{"_msg":"hello","service.name":"s"}\n' });
      assert.equal(post.status, 200);
      await vl.stop();
      assert.equal(vl.pid(), undefined);
      await assert.rejects(fetch(`${vl.url}/health`));
      await vl.restart();
      const q = await fetch(`${vl.url}/select/logsql/query`, { method: 'POST', body: new URLSearchParams({ query: '{service.name="s"}' }) });
      assert.match(await q.text(), /"_msg":"hello"/);
    } finally {
      await vl.stop();
    }
  });

  it('Prometheus: ready, reads its file_sd targets directory, and stops', async () => {
    const prom = await startPrometheus({ bin: findPrometheus()!, dir: join(dir, 'prom'), port: await freePort() });
    try {
      const res = await fetch(`${prom.url}/api/v1/query?query=up`);
      assert.equal(((await res.json()) as { status: string }).status, 'success');
      const cfg = await fetch(`${prom.url}/api/v1/status/config`);
      assert.ok(((await cfg.json()) as { data: { yaml: string } }).data.yaml.includes(prom.targetsDir));
    } finally {
      await prom.stop();
    }
    await assert.rejects(fetch(`${prom.url}/-/ready`));
  });
});
