/**
 * `idp logs` on the embedded stack as `npm start` runs it: the local runtime runs the demo's environments and ships
 * their lines to the stack's VictoriaLogs; the real `idp` bin reads them back through the Platform API.
 *
 * - no token → 401 on the three routes; carol (not in team-payments) may read staging's logs, not production's (403:
 *   `idp.permissions.ownersOnly: [prod*]` covers log reads);
 * - clone + merge → running → its request line appears in `idp logs --tail` (Heroku's format) → destroy + merge → it
 *   stops; Ctrl-C exits 130;
 * - history: -n, --grep, --process, --json;
 * - VictoriaLogs SIGKILLed and started again during `--tail` while the app writes numbered lines → the CLI shows every
 *   number exactly once, in order; while it is down `idp logs` says which source failed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EnvironmentView, WorkflowStatus } from '@idp/core';
import type { PlatformClient } from '@idp/core/client';
import { eventually } from '@idp/worker/testing';
import { startEmbedded, type EmbeddedStack } from '../testing/embedded.js';

const IDP = fileURLToPath(new URL('../../../../cli/bin/idp.js', import.meta.url));

/** The pid and command line of the process listening as `http://127.0.0.1:<port>` was started with (VictoriaLogs). */
function victoriaLogsOn(port: string): { pid: number; argv: string[] } {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (argv.includes(`-httpListenAddr=127.0.0.1:${port}`)) return { pid: Number(name), argv };
    } catch {
      // gone
    }
  }
  throw new Error(`no VictoriaLogs on port ${port}`);
}

describe('idp logs on the embedded stack', () => {
  let stack: EmbeddedStack;
  let alice: PlatformClient;
  let cliHome: string;
  const children: ChildProcess[] = [];
  before(async () => {
    stack = await startEmbedded({ ownersOnly: ['prod*'] });
    alice = await stack.clientAs('alice');
    cliHome = mkdtempSync(join(tmpdir(), 'idp-logs-cli-'));
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await stack?.stop();
    if (cliHome) rmSync(cliHome, { recursive: true, force: true });
  });

  const ref = () => ({ repo: stack.demo.bare, path: 'paws.yaml' });
  const cliEnv = async (user: string) => ({ PATH: process.env.PATH ?? '', HOME: cliHome, XDG_CONFIG_HOME: join(cliHome, 'config'), NO_COLOR: '1', IDP_API_URL: stack.apiUrl, IDP_TOKEN: await stack.tokenFor(user) });
  const idp = async (user: string, args: string[]) => spawnSync(process.execPath, [IDP, ...args], { cwd: stack.demo.workdir, encoding: 'utf8', env: await cliEnv(user) });
  /** `idp logs --tail …` running, its stdout as it comes. */
  const tail = async (args: string[]) => {
    const child = spawn(process.execPath, [IDP, 'logs', '--tail', ...args], { cwd: stack.demo.workdir, env: await cliEnv('alice') });
    children.push(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => void (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => void (err += d.toString()));
    const exit = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    return { child, exit, out: () => out, err: () => err };
  };
  const running = (env: string) =>
    eventually(async () => {
      const r = (await alice.listEnvironments(ref())).environments.find((e: EnvironmentView) => e.name === env)?.runtime;
      return r?.state === 'running' && r.url !== undefined && r;
    }, 60_000, `${env} running`);
  const merge = async (started: WorkflowStatus) => {
    const pr = started.pr ?? (await eventually(async () => (await alice.workflow(started.workflowId, 5)).pr, 60_000, `${started.workflowId}'s PR`));
    await alice.merge(pr.number, ref());
  };

  it('no token → 401 on every log and metric route; carol may read staging\'s logs, not production\'s (403)', async () => {
    const q = `repo=${encodeURIComponent(stack.demo.bare)}&path=paws.yaml`;
    for (const path of ['/environments/staging/logs', '/environments/staging/logs/tail', '/environments/staging/metrics']) {
      const res = await fetch(`${stack.apiUrl}${path}?${q}`);
      assert.equal(res.status, 401, path);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'unauthenticated');
    }
    const staging = await idp('carol', ['logs', '--env', 'staging', '-n', '1']);
    assert.equal(staging.status, 0, staging.stderr);
    const production = await idp('carol', ['logs', '--env', 'production']);
    assert.equal(production.status, 5, production.stderr);
    assert.match(production.stderr, /idp\.logs\.read/);
    const tailed = await idp('carol', ['logs', '--env', 'production', '--tail']);
    assert.equal(tailed.status, 5, 'the tail is refused before it starts, not retried');
    const unknown = await idp('alice', ['logs', '--env', 'nope']);
    assert.equal(unknown.status, 3);
    assert.match(unknown.stderr, /no environment nope/);
  });

  it('clone + merge → running → its request line in `idp logs --tail`; destroy + merge → stopped; Ctrl-C → 130', async () => {
    const name = 'preview-logs';
    await merge(await alice.cloneEnvironment('staging', { ...ref(), target: name }));
    const { url } = await running(name);
    const follow = await tail(['--env', name]);
    const probe = randomUUID();
    assert.equal((await fetch(`${url!}/?probe=${probe}`)).status, 200);
    const shown = await eventually(async () => follow.out().split('\n').find((l) => l.includes(probe)), 30_000, 'the request line in idp logs --tail');
    assert.match(shown, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ app\\[web\\.1\\]: GET /\\?probe=${probe} 200 \\d+ms$`));

    await merge(await alice.destroyEnvironment(name, { ...ref(), confirm: name }));
    await eventually(async () => fetch(url!, { signal: AbortSignal.timeout(2000) }).then(() => false, () => true), 60_000, `${name} stopped`);
    follow.child.kill('SIGINT');
    assert.equal(await follow.exit, 130);
  });

  it('history: the newest -n lines containing --grep, of --process, as NDJSON with --json', async () => {
    const { url } = await running('staging');
    const probe = randomUUID();
    for (let i = 1; i <= 4; i++) assert.equal((await fetch(`${url!}/item/${i}?p=${probe}`)).status, 404);
    const json = await eventually(async () => {
      const r = await idp('alice', ['logs', '--env', 'staging', '-n', '3', '--grep', probe, '--process', 'web', '--json']);
      const lines = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { time: string; process: string; message: string });
      return lines.length === 3 && lines.at(-1)!.message.includes('/item/4') && lines;
    }, 30_000, 'three lines of the probe');
    assert.deepEqual(json.map((l) => l.message.replace(/ \d+ms$/, '')), [2, 3, 4].map((i) => `GET /item/${i}?p=${probe} 404`));
    assert.ok(json.every((l) => l.process === 'web.1' && /^\d{4}-.*Z$/.test(l.time)));
    const none = await idp('alice', ['logs', '--env', 'staging', '--grep', probe, '--process', 'worker']);
    assert.equal(none.stdout, '');
  });

  it('idp metrics: staging\'s requests, 5xx share, latency, CPU and memory, as Prometheus scraped them from the app', async () => {
    const { url } = await running('staging');
    for (let i = 0; i < 20; i++) await fetch(`${url!}/metrics-probe/${i}`);
    for (let i = 0; i < 5; i++) await fetch(`${url!}/status/500`);
    type View = { series: { panel: string; points: [number, number | null][] }[] };
    const latest = (v: View, panel: string) => v.series.find((s) => s.panel === panel)!.points.map(([, x]) => x).filter((x): x is number => x !== null).at(-1);
    const view = await eventually(async () => {
      const r = await idp('alice', ['metrics', '--env', 'staging', '--since', '5m', '--json']);
      const v = JSON.parse(r.stdout) as View;
      return (latest(v, 'requests') ?? 0) > 0 && (latest(v, 'errorRate') ?? 0) > 0 && v;
    }, 60_000, 'staging\'s requests and errors in idp metrics');
    assert.deepEqual(view.series.map((s) => s.panel), ['requests', 'errorRate', 'p95', 'cpu', 'memory']);
    assert.ok(latest(view, 'errorRate')! < 1, 'a share of the requests, not all');
    assert.ok(latest(view, 'memory')! > 1024 * 1024, 'the app\'s resident memory, in bytes');
    const table = await idp('alice', ['metrics', '--env', 'staging', '--since', '5m']);
    assert.equal(table.status, 0, table.stderr);
    assert.match(table.stdout, /^Requests\s+\S+\/s\s/m);
    assert.match(table.stdout, /^Memory\s+[\d.]+ MB\s/m);
  });

  it('VictoriaLogs killed and started again during --tail while the app writes numbered lines: each number once, in order', async () => {
    const { url } = await running('staging');
    const run = randomUUID().slice(0, 8);
    const follow = await tail(['--env', 'staging', '-n', '1', '--grep', `/seq-${run}/`]);
    const numbers = () => [...follow.out().matchAll(new RegExp(`GET /seq-${run}/(\\d+) `, 'g'))].map((m) => Number(m[1]));
    const hit = async (from: number, to: number) => {
      for (let i = from; i <= to; i++) await fetch(`${url!}/seq-${run}/${i}`);
    };
    await hit(1, 20);
    await eventually(async () => numbers().includes(20), 30_000, 'lines 1-20 shown');

    const port = new URL(stack.logsUrl).port;
    const vl = victoriaLogsOn(port);
    process.kill(vl.pid, 'SIGKILL');
    await eventually(async () => fetch(`${stack.logsUrl}/health`).then(() => false, () => true), 10_000, 'VictoriaLogs down');
    await hit(21, 40);
    // While it is down, history says which source failed and what happened.
    const down = await idp('alice', ['logs', '--env', 'staging', '-n', '1']);
    assert.notEqual(down.status, 0);
    assert.match(down.stderr, new RegExp(`log source "local" \\(victorialogs at http://127\\.0\\.0\\.1:${port}\\)`));

    // Started again as it was (same binary, flags, data directory and port).
    const again = spawn(vl.argv[0]!, vl.argv.slice(1), { stdio: 'ignore' });
    children.push(again);
    await eventually(async () => (await fetch(`${stack.logsUrl}/health`).catch(() => undefined))?.ok, 30_000, 'VictoriaLogs back');
    await hit(41, 60);
    await eventually(async () => numbers().includes(60), 60_000, 'lines up to 60 shown');
    assert.deepEqual(numbers(), Array.from({ length: 60 }, (_, i) => i + 1));
    follow.child.kill('SIGINT');
    assert.equal(await follow.exit, 130);
  });
});
