/**
 * The API server's surface (issue 9, findings 7-9): who may reach it under
 * which name, what it tells about the server's disk and user, how it answers
 * bad bodies and a missing Temporal, and the bounds of GET /pulls.
 *
 * These need no running Temporal: the server gets a client of a Temporal that
 * is not there (a lazy connection to a closed port).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { standaloneIdentity, startApiServer } from '@idp/api';
import { assertSafeExposure, configFromEnv } from '@idp/api';
import { providersFor } from '@idp/api';
import { startApi } from '../services.js';
import { createRepo, type TestRepo } from '@idp/providers/testing';
import { forgesFromEnv, LocalForge } from '@idp/providers';
import { CHECKOUT_PAWS } from './fixtures.js';

const DEFAULT_USER = 'platform-admin@corp.example';

/** GET/POST with any Host header (fetch does not let a caller set it). */
function raw(url: string, o: { method?: string; host?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: u.hostname, port: u.port, path: u.pathname + u.search, method: o.method ?? 'GET', headers: { ...(o.host ? { host: o.host } : {}), ...o.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

describe('API server surface (no Temporal running)', () => {
  let connection: Connection;
  let server: Awaited<ReturnType<typeof startApiServer>>;
  let root: string;
  let served: TestRepo;
  let outside: TestRepo;
  let failWith: Error | undefined;

  before(async () => {
    connection = Connection.lazy({ address: '127.0.0.1:1' });
    root = await mkdtemp(join(tmpdir(), 'idp-roots-'));
    served = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    outside = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    const lookup = providersFor({ apiUrl: 'http://127.0.0.1:7007/api/idp', repoRoots: [served.root, root], forges: new Map() });
    server = await startApiServer({
      host: '127.0.0.1',
      port: 0,
      temporal: new Client({ connection }),
      taskQueue: 'surface',
      providers: (repo) => {
        if (failWith) throw failWith;
        return lookup(repo);
      },
      pollIntervalMs: 1000,
      version: 'test',
      temporalAddress: '127.0.0.1:1',
      namespace: 'default',
      identity: standaloneIdentity({ user: DEFAULT_USER }),
      allowedHosts: ['https://idp.corp.example/api/idp', 'idp-api'],
    });
  });
  after(async () => {
    await server?.close();
    await connection?.close();
    await served?.cleanup();
    await outside?.cleanup();
    await rm(root, { recursive: true, force: true });
  });

  it('answers only to loopback names and its configured hosts (DNS rebinding gets 421 before any route)', async () => {
    const health = `${server.url}/openapi.json`; // answers without Temporal
    for (const host of ['evil.example', 'evil.example:7007', '127.0.0.1.nip.io', 'localhost.evil.example']) {
      const res = await raw(health, { host });
      assert.equal(res.status, 421, host);
      assert.doesNotMatch(res.body, /version|temporal/, 'nothing of the API answered');
    }
    for (const host of ['localhost', `127.0.0.1:${new URL(server.url).port}`, '[::1]:7007', 'idp.corp.example', 'IDP-API:7007']) {
      assert.equal((await raw(health, { host })).status, 200, host);
    }
    // Every route, not only /health; POSTs refused before they do anything.
    assert.equal((await raw(`${server.url}/environments`, { method: 'POST', host: 'evil.example', headers: { 'content-type': 'application/json' }, body: '{}' })).status, 421);
  });

  it('/health tells nobody who acts: neither the server\'s user nor an echo of what the caller claimed', async () => {
    const res = await raw(`${server.url}/health`);
    assert.equal(res.status, 200);
    assert.ok(!res.body.includes(DEFAULT_USER), res.body);
    const claimed = await raw(`${server.url}/health`, { headers: { 'x-idp-user': 'me@corp.example' } });
    assert.equal(claimed.status, 200);
    assert.ok(!claimed.body.includes('me@corp.example'), claimed.body);
  });

  it('a repository outside the served folders reads exactly as an absent one (no path oracle)', async () => {
    const workingCopyOutside = outside.workdir;
    const plainDirOutside = join(outside.root, 'not-a-repo');
    await mkdir(plainDirOutside);
    const absentInside = join(served.root, 'nothing-here.git');
    const absentOutside = join(outside.root, 'nothing-here.git');
    const answers = [];
    for (const repo of [outside.bare, workingCopyOutside, plainDirOutside, absentInside, absentOutside]) {
      const res = await raw(`${server.url}/component?repo=${encodeURIComponent(repo)}`);
      answers.push({ status: res.status, body: res.body.replaceAll(JSON.stringify(repo).slice(1, -1), '<repo>') });
    }
    for (const a of answers) assert.deepEqual(a, answers[0]);
    assert.equal(answers[0]!.status, 404);
    // The served one works.
    assert.equal((await raw(`${server.url}/component?repo=${encodeURIComponent(served.bare)}`)).status, 200);
  });

  it('a body over 1 MB is 413, not 500', async () => {
    const body = JSON.stringify({ repo: served.bare, name: 'big', padding: 'x'.repeat(1024 * 1024 + 10) });
    const res = await raw(`${server.url}/environments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(res.status, 413);
    assert.equal((JSON.parse(res.body) as { error: { code: string } }).error.code, 'invalid_request');
  });

  it('"Temporal is unreachable" only when Temporal is: an error that merely mentions "connect" is not', async () => {
    const down = await raw(`${server.url}/workflows/${encodeURIComponent('env-clone:checkout:preview-1@1a2b3c4d5e')}`);
    assert.equal(down.status, 503);
    assert.match(down.body, /Temporal is unreachable/);

    failWith = new Error('connect ECONNREFUSED 10.9.8.7:443 (the forge)');
    try {
      const forge = await raw(`${server.url}/component?repo=${encodeURIComponent(served.bare)}`);
      assert.equal(forge.status, 500);
      assert.doesNotMatch(forge.body, /Temporal/);
    } finally {
      failWith = undefined;
    }
  });

  it('GET /pulls is bounded: limit (1-100, default 100) returns the newest', async () => {
    const forge = new LocalForge({ repo: served.bare });
    for (const n of [1, 2, 3]) {
      await served.push({ branch: `feature/${n}`, files: { [`f${n}.txt`]: String(n) } });
      await forge.openPullRequest({ head: `feature/${n}`, base: 'main', title: `change ${n}`, body: '', author: 'dev@example.com' });
    }
    const list = async (q: string) => {
      const res = await raw(`${server.url}/pulls?repo=${encodeURIComponent(served.bare)}${q}`);
      return { status: res.status, numbers: res.status === 200 ? (JSON.parse(res.body) as { pulls: { number: number }[] }).pulls.map((p) => p.number).sort() : [] };
    };
    assert.deepEqual(await list('&state=all'), { status: 200, numbers: [1, 2, 3] });
    assert.deepEqual(await list('&state=all&limit=2'), { status: 200, numbers: [2, 3] }, 'the newest two');
    for (const bad of ['0', '101', 'lots', '1.5']) assert.equal((await list(`&limit=${bad}`)).status, 400, bad);
    const spec = JSON.parse((await raw(`${server.url}/openapi.json`)).body) as { paths: Record<string, { get: { parameters: { name: string; schema: { maximum?: number } }[] } }> };
    assert.equal(spec.paths['/pulls']!.get.parameters.find((p) => p.name === 'limit')?.schema.maximum, 100);
    assert.equal(spec.paths['/pulls']!.get.parameters.find((p) => p.name === 'page')?.schema.maximum, 1000, 'pages are bounded too');
    for (const bad of ['0', '1001', 'next']) assert.equal((await list(`&page=${bad}`)).status, 400, `page=${bad}`);
  });
});

describe('starting the API beyond loopback', () => {
  const cfg = (env: Record<string, string>) => configFromEnv({ IDP_API_PORT: '0', TEMPORAL_ADDRESS: '127.0.0.1:1', ...env });

  it('refuses without an API token and repository roots, saying what to set', async () => {
    await assert.rejects(startApi(cfg({ IDP_API_HOST: '0.0.0.0' })), /IDP_API_TOKEN.*IDP_REPO_ROOTS/);
    await assert.rejects(startApi(cfg({ IDP_API_HOST: '0.0.0.0', IDP_API_TOKEN: 't0ken' })), (e: Error) => /IDP_REPO_ROOTS/.test(e.message) && !/t0ken/.test(e.message));
    await assert.rejects(startApi(cfg({ IDP_API_HOST: '10.1.2.3', IDP_REPO_ROOTS: tmpdir() })), /IDP_API_TOKEN/);
    assert.doesNotThrow(() => assertSafeExposure(cfg({ IDP_API_HOST: '0.0.0.0', IDP_API_TOKEN: 't0ken', IDP_REPO_ROOTS: tmpdir() })));
    assert.doesNotThrow(() => assertSafeExposure(cfg({ IDP_API_HOST: '127.0.0.1' })), 'loopback needs neither');
  });
});

describe('IDP_FORGES errors', () => {
  const CANARY = 'glpat-CANARY7f3e9a1b2c';
  it('never echo what the variable holds (it may hold a token)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'idp-forges-'));
    try {
      const file = join(dir, 'forges.json');
      const variants = [
        `{"git.acme.internal": {"kind": "gitlab", "token": ${CANARY}}}`, // unquoted: JSON.parse quotes the text around it
        `{"git.acme.internal": {"kind": "gitlab", "token": "${CANARY}",}}`,
        `{"git.acme.internal": {"kind": "${CANARY}", "token": "x"}}`,
        `{"git.acme.internal": {"kind": "gitlab", "token": "x", "${CANARY}": 1}}`,
        `{"git.acme.internal": {"kind": "gitlab", "apiUrl": "${CANARY}"}}`,
        `{"git.acme.internal": {"kind": "gitlab", "token": ["${CANARY}"]}}`,
        `["${CANARY}"]`,
      ];
      for (const v of variants) {
        for (const value of [v, `@${file}`]) {
          await writeFile(file, v);
          let message = '';
          try {
            forgesFromEnv({ IDP_FORGES: value });
          } catch (e) {
            message = (e as Error).message;
          }
          assert.ok(message.startsWith('IDP_FORGES'), `refused: ${v}`);
          assert.ok(!message.includes('CANARY'), `no part of the token in: ${message}`);
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
