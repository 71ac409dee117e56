/**
 * The VictoriaLogs source against a real VictoriaLogs (VICTORIALOGS_BIN from `npm test`'s preflight): the log source
 * contract, written the way the local runtime ships (the VictoriaLogs shipper), then what is particular to it:
 * tenants, a bearer token for a proxy in front, a batch arriving late.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { VictoriaLogsSourceConfig } from '@idp/core';
import { Follow, freePort, logSourceContract, assertSourceError } from './contract.js';
import { startVictoriaLogs } from './server.js';
import { createVictoriaLogsShipper, localStreamLabels, type VictoriaLogsShipper } from './ship-victorialogs.js';
import { createLogSource, logSourcesFrom } from './sources.js';
import { findVictoriaLogs } from './tools.js';
import { dateToNs, formatTimeNs, nowNs } from './time.js';
import { VictoriaLogsSource } from './victorialogs.js';
import { encodeCursor } from './poll-tail.js';
import type { ServerProcess } from '../server-process.js';

const vlBin = () => {
  const bin = findVictoriaLogs();
  if (!bin) throw new Error('No VictoriaLogs: run the tests through `npm test` (scripts/test.mjs builds it) or set VICTORIALOGS_BIN.');
  return bin;
};

/** Until VictoriaLogs makes what it acknowledged searchable (it may be restarting). */
async function forceFlush(vl: ServerProcess): Promise<void> {
  for (;;) {
    try {
      const res = await fetch(`${vl.url}/internal/force_flush`, { method: 'POST' });
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // down for a moment (the restart cases): the shipper got its rows in, so it is coming back
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

logSourceContract('victorialogs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'idp-vl-contract-'));
  const vl = await startVictoriaLogs({ bin: vlBin(), dataDir: join(dir, 'data'), port: await freePort() });
  const config = VictoriaLogsSourceConfig.parse({ type: 'victorialogs', url: vl.url });
  const shippers = new Map<string, VictoriaLogsShipper>();
  let seq = 1000;
  const closed = await freePort();
  return {
    source: new VictoriaLogsSource('local', config),
    async write(lines) {
      const used = new Set<VictoriaLogsShipper>();
      for (const l of lines) {
        const key = `${l.component}\n${l.environment}`;
        let s = shippers.get(key);
        if (!s) shippers.set(key, (s = createVictoriaLogsShipper({ url: vl.url, labels: localStreamLabels(l.component, l.environment) })));
        const stamp = l.time || l.seq !== undefined ? { timeNs: l.time ? dateToNs(l.time) : nowNs(), seq: l.seq ?? ++seq } : undefined;
        s.push(l.process, l.message, stamp);
        used.add(s);
      }
      await Promise.all([...used].map((s) => s.flush()));
      await forceFlush(vl);
    },
    async restart(whileDown) {
      await vl.stop();
      await whileDown();
      await vl.restart();
    },
    async kill(whileDown) {
      await vl.kill();
      await whileDown();
      await vl.restart();
    },
    unreachable: () => new VictoriaLogsSource('gone', { ...config, url: `http://127.0.0.1:${closed}` }),
    badSelector: () => new VictoriaLogsSource('broken', { ...config, stream: '{service.name="{component}"' }),
    badSelectorSays: /cannot parse `query` arg/,
    async cleanup() {
      await Promise.all([...shippers.values()].map((s) => s.close()));
      await vl.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('VictoriaLogs source: what is particular to it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'idp-vl-'));
  let vl: ServerProcess;
  let config: VictoriaLogsSourceConfig;
  const post = async (rows: object[], headers: Record<string, string> = {}) => {
    const res = await fetch(`${vl.url}/insert/jsonline?_stream_fields=service.name,deployment.environment.name,process`, {
      method: 'POST',
      headers: { 'content-type': 'application/stream+json', ...headers },
      body: rows.map((r) => `${JSON.stringify(r)}\n`).join(''),
    });
    assert.equal(res.status, 200);
    await forceFlush(vl);
  };
  const row = (component: string, msg: string, extra: object = {}) => ({ _msg: msg, 'service.name': component, 'deployment.environment.name': 'staging', process: 'web.1', ...extra });

  before(async () => {
    vl = await startVictoriaLogs({ bin: vlBin(), dataDir: join(dir, 'data'), port: await freePort() });
    config = VictoriaLogsSourceConfig.parse({ type: 'victorialogs', url: vl.url });
  });
  after(async () => {
    await vl.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the configured tenant (AccountID / ProjectID) and only it', async () => {
    await post([row('tenanted', 'in tenant 7:3')], { AccountID: '7', ProjectID: '3' });
    await post([row('tenanted', 'in tenant 0:0')]);
    const t = { component: 'tenanted', environment: 'staging', limit: 10 };
    assert.deepEqual((await new VictoriaLogsSource('t', { ...config, accountId: '7', projectId: '3' }).history(t)).map((l) => l.message), ['in tenant 7:3']);
    assert.deepEqual((await new VictoriaLogsSource('t', config).history(t)).map((l) => l.message), ['in tenant 0:0']);
  });

  it('sends the bearer token of tokenEnv to a proxy in front; a refusal or a missing variable names the source and the setting', async () => {
    await post([row('behind-proxy', 'through the proxy')]);
    // A vmauth-like proxy: 401 without the token, else forwarded to VictoriaLogs.
    const proxy = createHttpServer((req, res) => {
      if (req.headers.authorization !== 'Bearer s3cret-token') {
        res.writeHead(401, { 'content-type': 'text/plain' }).end('missing or wrong bearer token');
        return;
      }
      const up = request(`${vl.url}${req.url}`, { method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode!, r.headers);
        r.pipe(res);
      });
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    try {
      const t = { component: 'behind-proxy', environment: 'staging', limit: 10 };
      const ok = new VictoriaLogsSource('proxied', { ...config, url, tokenEnv: 'VL_TOKEN' }, { env: { VL_TOKEN: 's3cret-token' } });
      assert.deepEqual((await ok.history(t)).map((l) => l.message), ['through the proxy']);
      const wrong = new VictoriaLogsSource('proxied', { ...config, url, tokenEnv: 'VL_TOKEN' }, { env: { VL_TOKEN: 'nope' } });
      await assert.rejects(wrong.history(t), (e) => assertSourceError(e, wrong, 'rejected') && /401: missing or wrong bearer token.*tokenEnv/.test((e as Error).message));
      const unset = new VictoriaLogsSource('proxied', { ...config, url, tokenEnv: 'VL_TOKEN' }, { env: {} });
      await assert.rejects(unset.history(t), (e) => assertSourceError(e, unset, 'rejected') && /VL_TOKEN \(tokenEnv\) is not set/.test((e as Error).message));
      assert.ok(!String(await wrong.history(t).catch((e: Error) => e.message)).includes('nope'), 'the token never appears in an error');
    } finally {
      proxy.close();
    }
  });

  it('a batch that arrives late (stamped seconds before it is stored, as after an outage) is shown in the tail, in order', async () => {
    const source = new VictoriaLogsSource('local', config);
    // Following since 10 s ago (as a tail resumed from a cursor of then), so rows stamped 8 s ago are after its start.
    const f = new Follow(source, { component: 'late', environment: 'staging' }, { cursor: encodeCursor({ t: nowNs() - 10_000_000_000n, ids: new Set() }) });
    try {
      await post([row('late', 'first', { _time: formatTimeNs(nowNs()), seq: 1 })]);
      await f.until('the first line', (x) => x.messages().includes('first'));
      // Stamped 8 s ago, stored only now (and in reverse): VictoriaLogs' own /tail would never show these.
      const t0 = nowNs() - 8_000_000_000n;
      await post(Array.from({ length: 20 }, (_, i) => row('late', `late ${i + 1}`, { _time: formatTimeNs(t0 + BigInt(i) * 1_000_000n), seq: i + 2 })).reverse());
      await f.until('the 20 late lines', (x) => x.lines().length >= 21);
      await post([row('late', 'last', { _time: formatTimeNs(nowNs()), seq: 30 })]);
      await f.until('the last line', (x) => x.messages().includes('last'));
    } finally {
      await f.stop();
    }
    assert.deepEqual(f.messages(), ['first', ...Array.from({ length: 20 }, (_, i) => `late ${i + 1}`), 'last']);
  });

  it('history of -n over many duplicates still returns n distinct lines (asks again further back)', async () => {
    const t0 = nowNs() - 60_000_000_000n;
    const rows = Array.from({ length: 30 }, (_, i) => row('dups', `d${i + 1}`, { _time: formatTimeNs(t0 + BigInt(i) * 1_000_000n), seq: i + 1 }));
    // The newest 20 three times each (a shipper re-sending twice).
    await post([...rows, ...rows.slice(10), ...rows.slice(10)]);
    const got = await new VictoriaLogsSource('local', config).history({ component: 'dups', environment: 'staging', limit: 25 });
    assert.deepEqual(got.map((l) => l.message), Array.from({ length: 25 }, (_, i) => `d${i + 6}`));
  });

  it('from config: createLogSource / logSourcesFrom build it', () => {
    const sources = logSourcesFrom({ sources: { local: { type: 'victorialogs', url: vl.url } }, rules: [], default: 'local' } as never);
    const local = sources.get('local')!;
    assert.ok(local instanceof VictoriaLogsSource);
    assert.equal(local.description, `log source "local" (victorialogs at ${vl.url})`);
    // Loki and OpenSearch/Elasticsearch: loki.test.ts, opensearch.test.ts.
    assert.equal(createLogSource('l', { type: 'loki', url: 'http://x', selector: '{a="{component}"}', processLabel: 'process' }).description, 'log source "l" (loki at http://x)');
  });
});
