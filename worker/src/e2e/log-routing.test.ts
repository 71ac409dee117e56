/**
 * The platform's log routing through the standalone Platform API and the real `idp` bin: staging's lines come from a
 * real VictoriaLogs, production's from Loki (its fake, checked against Loki's documented shapes) — chosen by the
 * `idp.logs` rules, first match wins, else the default. A failing source is named in the error the user sees: Loki
 * down (unreachable), and a malformed selector in the config (the store's own message, and the setting to fix).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { LogsConfig } from '@idp/core';
import { logSourcesFor, providersFor, standaloneIdentity, startApiServer } from '@idp/api';
import { findVictoriaLogs, startVictoriaLogs, type ServerProcess } from '@idp/providers/logs';
import { createRepo, startLokiFake, type LokiFake, type TestRepo } from '@idp/providers/testing';
import { freePort } from '../testing/ports.js';
import { eventually } from '../testing/index.js';
import { CHECKOUT_PAWS } from './fixtures.js';

const IDP = fileURLToPath(new URL('../../../cli/bin/idp.js', import.meta.url));
const USER = 'dev@corp.example';

describe('log routing: staging from VictoriaLogs, production from Loki', () => {
  let dir: string;
  let vl: ServerProcess;
  let loki: LokiFake;
  let repo: TestRepo;
  let connection: Connection;
  const servers: { url: string; close(): Promise<void> }[] = [];

  const serve = async (config: unknown) => {
    const logs = LogsConfig.parse(config);
    const server = await startApiServer({
      host: '127.0.0.1',
      port: 0,
      temporal: new Client({ connection }),
      taskQueue: 'log-routing',
      providers: providersFor({ apiUrl: 'http://127.0.0.1:7007/api/idp', repoRoots: [repo.root], forges: new Map() }),
      pollIntervalMs: 1000,
      version: 'test',
      temporalAddress: '127.0.0.1:1',
      namespace: 'default',
      identity: standaloneIdentity({ user: USER }),
      logs: logSourcesFor(logs),
    });
    servers.push(server);
    return server.url;
  };
  const idp = (api: string, args: string[]) =>
    spawnSync(process.execPath, [IDP, ...args, '--repo', repo.bare], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), NO_COLOR: '1', IDP_API_URL: api, IDP_USER: USER } });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'idp-log-routing-'));
    connection = Connection.lazy({ address: '127.0.0.1:1' });
    repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    vl = await startVictoriaLogs({ bin: findVictoriaLogs()!, dataDir: join(dir, 'vl'), port: await freePort() });
    loki = await startLokiFake();
    const vlLine = { _msg: 'GET / 200 3ms from-victorialogs', 'service.name': 'checkout', 'deployment.environment.name': 'staging', process: 'web.1', seq: 1 };
    await fetch(`${vl.url}/insert/jsonline?_stream_fields=service.name,deployment.environment.name,process`, { method: 'POST', headers: { 'content-type': 'application/stream+json' }, body: `${JSON.stringify(vlLine)}\n` });
    await fetch(`${vl.url}/internal/force_flush`, { method: 'POST' });
    const ns = `${BigInt(Date.now()) * 1_000_000n}`;
    const push = await fetch(`${loki.url}/loki/api/v1/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ streams: [{ stream: { service_name: 'checkout', deployment_environment_name: 'production', process: 'web.1' }, values: [[ns, 'GET / 500 9ms from-loki']] }] }),
    });
    assert.equal(push.status, 204, await push.text());
  });
  after(async () => {
    for (const s of servers) await s.close();
    await loki?.close();
    await vl?.stop();
    await connection?.close();
    await repo?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('each environment is read from the source its rule names; a source down is named in the error', async () => {
    const api = await serve({ sources: { local: { type: 'victorialogs', url: vl.url }, loki: { type: 'loki', url: loki.url } }, rules: [{ environments: 'prod*', source: 'loki' }], default: 'local' });
    const staging = await eventually(async () => {
      const r = idp(api, ['logs', '--env', 'staging']);
      return r.stdout.includes('from-victorialogs') && r;
    }, 30_000, 'staging\'s line from VictoriaLogs');
    assert.match(staging.stdout, /^\S+Z app\[web\.1\]: GET \/ 200 3ms from-victorialogs$/m);
    assert.ok(!staging.stdout.includes('from-loki'));
    const production = idp(api, ['logs', '--env', 'production', '--json']);
    assert.equal(production.status, 0, production.stderr);
    assert.deepEqual(production.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { message: string }).message), ['GET / 500 9ms from-loki']);
    assert.deepEqual(loki.violations, []);

    await loki.stop();
    const down = idp(api, ['logs', '--env', 'production']);
    assert.equal(down.status, 1);
    assert.match(down.stderr, new RegExp(`log source "loki" \\(loki at http://127\\.0\\.0\\.1:${loki.port}\\)`));
    await loki.start();
  });

  it('a malformed selector in the config: the store\'s own message, naming the source', async () => {
    const api = await serve({ sources: { broken: { type: 'victorialogs', url: vl.url, stream: '{service.name="{component}"' } }, default: 'broken' });
    const r = idp(api, ['logs', '--env', 'staging']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`log source "broken" \\(victorialogs at ${vl.url.replaceAll('.', '\\.')}\\)`));
    assert.match(r.stderr, /stream/);
  });
});
