/**
 * The local runtime on the embedded stack as `npm start` runs it — Backstage with the idp plugin, the worker, the
 * Temporal dev server, the demo repository, the embedded SOPS store, and the VictoriaLogs and Prometheus it starts —
 * driven through the Platform API and the real `idp` bin, checked against VictoriaLogs' and Prometheus' own HTTP APIs.
 *
 * - what `npm start` seeds runs at once: staging (its STRIPE_KEY resolved from the SOPS store) and production,
 *   each at its URL (`idp env list`: "running at http://127.0.0.1:<port>"), reporting its image;
 * - clone staging → preview + merge → the runtime starts it (HTTP 200, its image) → its request line is in
 *   VictoriaLogs with the stream fields → its target is up in Prometheus with the labels → destroy + merge → stopped:
 *   process gone, port closed, target gone;
 * - a release merged → restarted on the new image (same URL);
 * - a secret canary set and merged reaches the app's environment (read from /proc: the app lists names only) and
 *   nothing else: not VictoriaLogs (every field of every row), the runtime's own log files, state.json, nor
 *   `idp env list --json`;
 * - the whole stack SIGKILLed while the runtime reconciles a merge, then started again: it converges, with one process
 *   per environment (the old ones stopped, the ports kept).
 *
 * merge → running is measured and printed (not asserted: timing goals belong to `npm run bench`).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EnvironmentList, EnvironmentView, WorkflowStatus } from '@idp/core';
import type { PlatformClient } from '@idp/core/client';
import type { RuntimeStateFile } from '@idp/api';
import { canaryValue } from '@idp/providers/testing';
import { eventually } from '@idp/worker/testing';
import { startEmbedded, type EmbeddedStack } from '../testing/embedded.js';

const IDP = fileURLToPath(new URL('../../../../cli/bin/idp.js', import.meta.url));

/** The start time (clock ticks since boot) of a live process, or undefined. */
function startKey(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return f[0] === 'Z' ? undefined : f[19];
  } catch {
    return undefined;
  }
}

/** Live processes whose working directory is under `dir` (the runtime runs each app in a checkout there). */
function processesIn(dir: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/cwd`).startsWith(dir) && startKey(Number(name))) found.push(Number(name));
    } catch {
      // gone, or not ours
    }
  }
  return found;
}

const refused = async (url: string) => fetch(url, { signal: AbortSignal.timeout(2000) }).then(() => false, () => true);

describe('the local runtime on the embedded stack', () => {
  let stack: EmbeddedStack;
  let alice: PlatformClient;
  let bob: PlatformClient;
  let cliHome: string;
  const mergeToRunning: number[] = [];
  before(async () => {
    stack = await startEmbedded();
    [alice, bob] = [await stack.clientAs('alice'), await stack.clientAs('bob')];
    cliHome = mkdtempSync(join(tmpdir(), 'idp-runtime-cli-'));
  });
  after(async () => {
    if (mergeToRunning.length) {
      const sorted = [...mergeToRunning].sort((a, b) => a - b);
      console.log(`# merge → running (local runtime): p50 ${sorted[Math.floor((sorted.length - 1) / 2)]} ms of ${sorted.length} (${sorted.join(', ')} ms)`);
    }
    await stack?.stop();
    if (cliHome) rmSync(cliHome, { recursive: true, force: true });
  });

  const ref = () => ({ repo: stack.demo.bare, path: 'paws.yaml' });
  const stateFile = () => join(stack.home, 'runtime', 'state.json');
  const state = () => JSON.parse(readFileSync(stateFile(), 'utf8')) as RuntimeStateFile;
  const record = (env: string) => state().environments[`checkout/${env}`];
  const envs = async (): Promise<EnvironmentView[]> => (await alice.listEnvironments(ref())).environments;
  const runtimeOf = async (env: string) => (await envs()).find((e) => e.name === env)?.runtime;
  const running = (env: string, pred: (r: NonNullable<EnvironmentView['runtime']>) => boolean = () => true, timeoutMs = 60_000) =>
    eventually(async () => {
      const r = await runtimeOf(env);
      return r?.state === 'running' && pred(r) && r;
    }, timeoutMs, `${env} running under the local runtime`);
  const idpAs = async (user: string, args: string[]) => {
    const r = spawnSync(process.execPath, [IDP, ...args], {
      cwd: stack.demo.workdir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: cliHome, XDG_CONFIG_HOME: join(cliHome, 'config'), NO_COLOR: '1', IDP_API_URL: stack.apiUrl, IDP_TOKEN: await stack.tokenFor(user) },
    });
    assert.equal(r.status, 0, `idp ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  /** The started change's PR merged (by alice), and when that was. */
  const merge = async (started: WorkflowStatus): Promise<number> => {
    const pr = started.pr ?? (await eventually(async () => (await alice.workflow(started.workflowId, 5)).pr, 60_000, `${started.workflowId}'s PR`));
    await alice.merge(pr.number, ref());
    return Date.now();
  };
  /** Rows of VictoriaLogs matching the LogsQL `query` (the last hour), as it answers them (every field). */
  const vlRows = async (query: string): Promise<Record<string, string>[]> => {
    const res = await fetch(`${stack.logsUrl}/select/logsql/query`, { method: 'POST', body: new URLSearchParams({ query: `${query} _time:1h` }), headers: { 'accept-encoding': 'identity' } });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, string>);
  };
  const promTargets = async () => {
    const body = (await (await fetch(`${stack.metricsUrl}/api/v1/targets?state=active`)).json()) as { data: { activeTargets: { labels: Record<string, string>; health: string; scrapeUrl: string }[] } };
    return body.data.activeTargets;
  };

  it('runs what npm start seeds at once: staging (its secret resolved) and production, each at its URL with its image', async () => {
    const [staging, production] = [await running('staging'), await running('production')];
    assert.match(staging.url!, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(staging.url, production.url);
    for (const r of [staging, production]) {
      assert.equal(r.image, 'ghcr.io/acme/checkout:1.4.2');
      assert.deepEqual(await (await fetch(`${r.url}/version`)).json(), { image: 'ghcr.io/acme/checkout:1.4.2' });
    }
    // The demo's STRIPE_KEY (a random test key in the embedded SOPS store) reached staging's environment.
    assert.ok(((await (await fetch(`${staging.url}/env`)).json()) as string[]).includes('STRIPE_KEY'));
    const table = await idpAs('alice', ['env', 'list']);
    assert.match(table, new RegExp(`staging .*running at ${staging.url!.replaceAll('.', '\\.')}`));
    assert.match(table, new RegExp(`production .*running at ${production.url!.replaceAll('.', '\\.')}`));
  });

  it('clone + merge → running (its request line in VictoriaLogs, its target up in Prometheus); destroy + merge → stopped', async () => {
    const name = 'preview-rt';
    const clone = await alice.cloneEnvironment('staging', { ...ref(), target: name, ttl: '72h' });
    const merged = await merge(clone);
    const preview = await running(name);
    mergeToRunning.push(Date.now() - merged);
    assert.equal(preview.image, 'ghcr.io/acme/checkout:1.4.2');
    const probe = randomUUID();
    const res = await fetch(`${preview.url}/?probe=${probe}`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /ghcr\.io\/acme\/checkout:1\.4\.2/);

    // Its line, in VictoriaLogs, with the environment's stream fields.
    const rows = await eventually(async () => {
      const r = await vlRows(`{service.name="checkout",deployment.environment.name="${name}"} "${probe}"`);
      return r.length > 0 && r;
    }, 30_000, 'the request line in VictoriaLogs');
    assert.equal(rows.length, 1);
    assert.match(rows[0]!._msg!, new RegExp(`^GET /\\?probe=${probe} 200 \\d+ms$`));
    assert.deepEqual([rows[0]!['service.name'], rows[0]!['deployment.environment.name'], rows[0]!.process], ['checkout', name, 'web.1']);

    // Its target, up in Prometheus, with the labels; its series carry them.
    const labels = { service_name: 'checkout', deployment_environment_name: name, process: 'web.1' };
    const port = new URL(preview.url!).port;
    await eventually(async () => (await promTargets()).some((t) => t.health === 'up' && t.scrapeUrl === `http://127.0.0.1:${port}/metrics` && Object.entries(labels).every(([k, v]) => t.labels[k] === v)), 30_000, 'the target up in Prometheus');
    const series = await eventually(async () => {
      const q = new URLSearchParams({ query: `http_requests_total{service_name="checkout",deployment_environment_name="${name}"}` });
      const body = (await (await fetch(`${stack.metricsUrl}/api/v1/query?${q}`)).json()) as { data: { result: { metric: Record<string, string> }[] } };
      return body.data.result.length > 0 && body.data.result;
    }, 30_000, 'http_requests_total of the preview in Prometheus');
    assert.equal(series[0]!.metric.process, 'web.1');
    assert.equal(series[0]!.metric.code, '200');

    // Destroyed: stopped — its process gone, its port closed, its target gone.
    const pid = record(name)!.processes[0]!;
    const destroy = await alice.destroyEnvironment(name, ref());
    await merge(destroy);
    await eventually(async () => !(await envs()).some((e) => e.name === name) && !record(name), 60_000, `${name} gone`);
    assert.equal(startKey(pid.pid), undefined, 'its process is gone');
    assert.ok(await refused(preview.url!), 'its port is closed');
    assert.ok(!existsSync(join(stack.home, 'prometheus', 'targets', `checkout--${name}.json`)));
    await eventually(async () => !(await promTargets()).some((t) => t.labels.deployment_environment_name === name), 30_000, 'the target gone from Prometheus');
  });

  it('a release merged → restarted on the new image, at the same URL', async () => {
    const before = await running('staging');
    const pid = record('staging')!.processes[0]!.pid;
    const release = await alice.createRelease({ ...ref(), env: 'staging', image: 'ghcr.io/acme/checkout:1.4.3' });
    const pr = release.pr ?? (await eventually(async () => (await alice.workflow(release.workflowId, 5)).pr, 60_000, 'the release PR'));
    // Four eyes: bob's approval merges it (staging's policy: one approval, auto-merge).
    await bob.review(pr.number, { ...ref(), event: 'approve' });
    const after = await running('staging', (r) => r.image === 'ghcr.io/acme/checkout:1.4.3');
    assert.equal(after.url, before.url);
    assert.notEqual(record('staging')!.processes[0]!.pid, pid);
    assert.equal(startKey(pid), undefined, 'the old process is gone');
    assert.deepEqual(await (await fetch(`${after.url}/version`)).json(), { image: 'ghcr.io/acme/checkout:1.4.3' });
  });

  it('a secret reaches the app\'s environment and nothing else: not VictoriaLogs, the runtime\'s logs, state.json, idp env list', async () => {
    const canary = canaryValue('runtime');
    const before = record('staging')!.processes[0]!.pid;
    const set = await alice.setSecret('staging', 'CANARY_TOKEN', { ...ref(), value: canary });
    await merge(set);
    const after = await eventually(async () => {
      const r = record('staging');
      return r?.state === 'running' && r.processes[0]!.pid !== before && r;
    }, 60_000, 'staging restarted with the new secret');
    // In its environment (the app itself only lists names: /env).
    const environ = readFileSync(`/proc/${after.processes[0]!.pid}/environ`, 'utf8').split('\0');
    assert.ok(environ.includes(`CANARY_TOKEN=${canary}`), 'the secret is in the process\'s environment');
    assert.ok(((await (await fetch(`${after.url}/env`)).json()) as string[]).includes('CANARY_TOKEN'));
    for (let i = 0; i < 3; i++) await fetch(`${after.url}/?n=${i}`);
    // Positive control for the VictoriaLogs scan: the requests just made are there.
    await eventually(async () => (await vlRows('{service.name="checkout"} "/?n=2"')).length > 0, 30_000, 'the requests in VictoriaLogs');

    const everything = JSON.stringify(await vlRows('*'));
    assert.ok(!everything.includes(canary), 'not in any field of any VictoriaLogs row');
    const logs = join(stack.home, 'logs');
    for (const f of readdirSync(logs)) assert.ok(!readFileSync(join(logs, f), 'utf8').includes(canary), `not in ${f}`);
    assert.match(readFileSync(join(logs, 'runtime.log'), 'utf8'), /checkout\/staging: secrets changed/, 'the runtime log says why it restarted');
    assert.ok(!readFileSync(stateFile(), 'utf8').includes(canary), 'not in state.json');
    const list = await idpAs('alice', ['env', 'list', '--json']);
    assert.ok((JSON.parse(list) as EnvironmentList).environments.some((e) => e.name === 'staging' && e.runtime?.state === 'running'));
    assert.ok(!list.includes(canary), 'not in idp env list --json');
    assert.ok(!stack.output().includes(canary), 'not in the stack\'s output');
  });

  it('the stack SIGKILLed while the runtime reconciles a merge, then started again: it converges, one process per environment', async () => {
    const name = 'preview-kill';
    const clone = await alice.cloneEnvironment('staging', { ...ref(), target: name, ttl: '72h' });
    await merge(clone);
    // Killed as soon as the runtime has picked the merge up (the environment on record, its process being started).
    await eventually(async () => !!record(name), 60_000, `${name} picked up`);
    const left = Object.values(state().environments).flatMap((r) => r.processes);
    await stack.crashAndRestart();
    const envsAfter = ['staging', 'production', name];
    const states = await eventually(async () => {
      const s = state();
      const rs = envsAfter.map((e) => s.environments[`checkout/${e}`]);
      return rs.every((r) => r?.state === 'running') && rs;
    }, 90_000, 'every environment running again');
    for (const p of left) assert.equal(startKey(p.pid) === p.startKey, false, `the old ${p.name} (pid ${p.pid}) was stopped`);
    const pids = states.flatMap((r) => r!.processes.map((p) => p.pid)).sort((a, b) => a - b);
    assert.equal(pids.length, envsAfter.length, 'one process per environment');
    assert.deepEqual(processesIn(join(stack.home, 'runtime', 'checkouts')).sort((a, b) => a - b), pids, 'and no other app process');
    const preview = await running(name);
    assert.equal((await fetch(preview.url!)).status, 200);
  });
});
