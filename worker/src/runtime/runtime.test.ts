/**
 * The local runtime on its own, against real things: a bare git repository holding the demo's paws.yaml and its web
 * service (templates/), the embedded SOPS + age store holding a canary secret, real processes on real ports. (The
 * embedded stack's end-to-end test adds the PRs, VictoriaLogs and Prometheus: backstage-plugin/backend/src/e2e/runtime.test.ts.)
 *
 * - merged → running: every environment of paws.yaml answers on its own port, reporting its image; its request lines
 *   reach the shipper as `web.1`'s; its Prometheus target file carries the environment's labels;
 * - a commit that changes one environment restarts only that one (a release: on the new image); one that adds an
 *   environment starts it; one that removes it stops it (process gone, port closed, target gone);
 * - the secret reaches the process's environment (read from /proc, the app only lists names) and nowhere else: not in
 *   the shipped lines, state.json, the runtime's log;
 * - a secret no store the runtime reads holds: crashed, the reason names key and reference;
 * - a process that dies is started again; a runtime SIGKILLed leaves its apps running, and the next one stops them
 *   before starting its own (one process per environment, same port).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RuntimeStateFile } from '@idp/api';
import { ensureEmbeddedSecretStore, secretStoresFrom, EMBEDDED_STORE } from '@idp/providers/secrets';
import { canaryValue } from '@idp/providers/testing';
import type { SecretsConfig } from '@idp/core';
import { eventually } from '../e2e/fixtures.js';
import { startLocalRuntime, type LocalRuntime } from './runtime.js';
import { listening, processStartKey } from './process.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const runtimeModule = fileURLToPath(new URL('./runtime.js', import.meta.url));

const paws = (extra = '', stagingImage = '') => `apiVersion: paws.dev/v1
kind: Workload
metadata: { name: checkout, owner: team-payments }
containers:
  web:
    image: ghcr.io/acme/checkout:1.4.2
    command: [node]
    args: [server.mjs]
    variables: { LOG_LEVEL: info, DATABASE_URL: "\${resources.db.url}", SERVICE: "\${metadata.name}" }
service: { ports: { www: { port: 80, targetPort: 8080 } } }
resources: { db: { type: postgres } }
environments:
  staging:
    variables: { LOG_LEVEL: debug }
    secrets:
      STRIPE_KEY: { ref: "sops://checkout/staging.enc.yaml#STRIPE_KEY" }
${stagingImage ? `    image: ${stagingImage}\n` : ''}  production: {}
${extra}`;

describe('the local runtime', () => {
  let home: string;
  let bare: string;
  let work: string;
  let secrets: SecretsConfig;
  let canary: string;
  let runtime: LocalRuntime | undefined;
  const lines: { env: string; process: string; line: string }[] = [];
  const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, encoding: 'utf8' });
  const commit = (text: string, message: string) => {
    writeFileSync(join(work, 'paws.yaml'), text);
    git(work, 'commit', '-qam', message);
    git(work, 'push', '-q', 'origin', 'main');
  };
  const state = () => JSON.parse(readFileSync(join(home, 'runtime', 'state.json'), 'utf8')) as RuntimeStateFile;
  const env = (name: string) => state().environments[`checkout/${name}`];
  const running = (name: string, pred: (r: NonNullable<ReturnType<typeof env>>) => boolean = () => true) =>
    eventually(async () => {
      const r = env(name);
      return r?.state === 'running' && pred(r) && r;
    }, 30_000, `${name} running`);
  const start = async () => {
    runtime = await startLocalRuntime({
      home,
      repos: () => [bare],
      targetsDir: join(home, 'targets'),
      secrets,
      pollMs: 100,
      stopGraceMs: 3_000,
      shipper: ({ environment }) => ({ push: (process, line) => lines.push({ env: environment, process, line }) }),
    });
  };

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'idp-runtime-'));
    bare = join(home, 'checkout.git');
    work = join(home, 'work');
    secrets = await ensureEmbeddedSecretStore(home);
    canary = canaryValue();
    await secretStoresFrom(secrets, process.env, { cacheDir: join(home, 'cache') }).get(EMBEDDED_STORE)!.putVersion({ component: 'checkout', env: 'staging', key: 'STRIPE_KEY' }, canary, 'seed');
    git(home, 'init', '-q', '--bare', '--initial-branch=main', bare);
    git(home, 'clone', '-q', bare, work);
    writeFileSync(join(work, 'server.mjs'), readFileSync(join(repoRoot, 'templates/checkout-app/server.mjs')));
    writeFileSync(join(work, 'paws.yaml'), paws());
    git(work, 'checkout', '-qB', 'main');
    git(work, 'add', '.');
    git(work, 'commit', '-qm', 'initial');
    git(work, 'push', '-q', 'origin', 'main');
    await start();
  });
  after(async () => {
    await runtime?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('runs every environment of the merged paws.yaml on its own port, with its image, lines, target and secret', async () => {
    const [staging, production] = [await running('staging'), await running('production')];
    assert.notEqual(staging.port, production.port);
    assert.equal(staging.url, `http://127.0.0.1:${staging.port}`);
    const res = await fetch(`${staging.url}/version`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { image: 'ghcr.io/acme/checkout:1.4.2' });
    assert.equal(staging.image, 'ghcr.io/acme/checkout:1.4.2');
    await eventually(async () => lines.some((l) => l.env === 'staging' && l.process === 'web.1' && /^GET \/version 200 \d+ms$/.test(l.line)), 10_000, 'the request line shipped');

    const target = JSON.parse(readFileSync(join(home, 'targets', 'checkout--staging.json'), 'utf8'));
    assert.deepEqual(target, [{ targets: [`127.0.0.1:${staging.port}`], labels: { service_name: 'checkout', deployment_environment_name: 'staging', process: 'web.1' } }]);

    // The process's environment: the variables (a resource output left unset, ${metadata.name} filled), the secret.
    const pid = staging.processes[0]!.pid;
    const environ = new Map(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    assert.equal(environ.get('STRIPE_KEY'), canary);
    assert.equal(environ.get('LOG_LEVEL'), 'debug');
    assert.equal(environ.get('SERVICE'), 'checkout');
    assert.equal(environ.get('DATABASE_URL'), undefined);
    assert.equal(environ.get('PORT'), String(staging.port));
    assert.equal(environ.get('IDP_IMAGE'), 'ghcr.io/acme/checkout:1.4.2');
    assert.equal(environ.get('TEMPORAL_CLI'), undefined, 'nothing of the host process\'s own settings');
    // The app lists names only; production has no secret.
    assert.ok(((await (await fetch(`${staging.url}/env`)).json()) as string[]).includes('STRIPE_KEY'));
    assert.ok(!((await (await fetch(`${production.url}/env`)).json()) as string[]).includes('STRIPE_KEY'));

    // Nowhere else: the shipped lines, the state file, the runtime's log.
    assert.ok(!JSON.stringify(lines).includes(canary));
    assert.ok(!readFileSync(join(home, 'runtime', 'state.json'), 'utf8').includes(canary));
    assert.ok(!readFileSync(join(home, 'logs', 'runtime.log'), 'utf8').includes(canary));
    assert.match(readFileSync(join(home, 'logs', 'runtime.log'), 'utf8'), /checkout\/staging: starting web\.1 \(node server\.mjs\).*not set .*DATABASE_URL/);
  });

  it('a new environment starts, a release restarts only its environment, a removed one stops', async () => {
    const [staging, production] = [await running('staging'), await running('production')];
    commit(paws('  preview-1:\n    from: staging\n'), 'preview-1');
    const preview = await running('preview-1');
    assert.equal((await fetch(preview.url!)).status, 200);
    assert.equal(env('staging')!.processes[0]!.pid, staging.processes[0]!.pid, 'staging keeps running');

    // A release of staging (paws format: environments.staging.image): staging restarts on it, on its port; preview-1
    // (from: staging) inherits it and restarts too; production does not.
    commit(paws('  preview-1:\n    from: staging\n', 'ghcr.io/acme/checkout:1.4.3'), 'release 1.4.3 to staging');
    const released = await running('staging', (r) => r.image === 'ghcr.io/acme/checkout:1.4.3');
    assert.notEqual(released.processes[0]!.pid, staging.processes[0]!.pid);
    assert.equal(released.port, staging.port, 'the same URL after a restart');
    assert.deepEqual(await (await fetch(`${released.url}/version`)).json(), { image: 'ghcr.io/acme/checkout:1.4.3' });
    await running('preview-1', (r) => r.image === 'ghcr.io/acme/checkout:1.4.3');
    assert.equal(env('production')!.processes[0]!.pid, production.processes[0]!.pid, 'production keeps running');
    assert.equal(processStartKey(staging.processes[0]!.pid), undefined, 'the old staging process is gone');

    // Destroyed: process gone, port closed, target gone, record gone.
    const previewNow = env('preview-1')!;
    commit(paws('', 'ghcr.io/acme/checkout:1.4.3'), 'destroy preview-1');
    await eventually(async () => !env('preview-1'), 30_000, 'preview-1 gone');
    assert.equal(processStartKey(previewNow.processes[0]!.pid), undefined);
    assert.equal(await listening(previewNow.port!), false);
    assert.ok(!existsSync(join(home, 'targets', 'checkout--preview-1.json')));
  });

  it('an unresolvable secret is a crash that says which key and reference; a process that dies is started again', async () => {
    commit(paws('  qa:\n    secrets:\n      PAYMENTS_TOKEN: { ref: "vault://kv/checkout/qa#token" }\n', 'ghcr.io/acme/checkout:1.4.3'), 'qa');
    const qa = await eventually(async () => env('qa')?.state === 'crashed' && env('qa'), 30_000, 'qa crashed');
    assert.match(qa.reason!, /secret PAYMENTS_TOKEN \(vault:\/\/kv\/checkout\/qa#token\) cannot be resolved: no configured secret store serves this reference/);
    assert.deepEqual(qa.processes, []);

    const production = await running('production');
    process.kill(production.processes[0]!.pid, 'SIGKILL');
    await eventually(async () => env('production')?.state === 'crashed', 10_000, 'production crashed');
    assert.match(env('production')!.reason!, /web\.1 was killed by SIGKILL/);
    const again = await running('production', (r) => r.processes[0]!.pid !== production.processes[0]!.pid);
    assert.equal(again.port, production.port);
  });

  it('a runtime killed (SIGKILL) leaves its apps on record; the next one stops them first: one process per environment', async () => {
    await runtime!.stop();
    runtime = undefined;
    // The runtime in a process of its own, killed outright once its apps run.
    const child = spawn(process.execPath, ['--input-type=module', '-e', `
      const { startLocalRuntime } = await import(${JSON.stringify(runtimeModule)});
      await startLocalRuntime({ home: ${JSON.stringify(home)}, repos: () => [${JSON.stringify(bare)}], targetsDir: ${JSON.stringify(join(home, 'targets'))}, secrets: ${JSON.stringify(secrets)}, pollMs: 100 });
      setInterval(() => {}, 1000);
    `], { stdio: 'ignore' });
    const before = await eventually(async () => {
      const s = state();
      const [a, b] = [s.environments['checkout/staging'], s.environments['checkout/production']];
      return a?.state === 'running' && b?.state === 'running' && [a, b];
    }, 30_000, 'the child runtime\'s apps running').finally(() => child.kill('SIGKILL'));
    await new Promise((r) => child.once('exit', r));
    const orphans = before.map((r) => r.processes[0]!);
    assert.ok(orphans.every((p) => processStartKey(p.pid) === p.startKey), 'its apps outlive it');

    await start();
    const [staging, production] = [await running('staging'), await running('production')];
    assert.ok(orphans.every((p) => processStartKey(p.pid) === undefined), 'the orphans were stopped');
    assert.deepEqual([staging.port, production.port], before.map((r) => r.port), 'on the same ports');
    assert.equal((await fetch(staging.url!)).status, 200);
  });
});
