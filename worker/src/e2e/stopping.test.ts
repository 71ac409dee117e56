/**
 * Stopping `npm start` the way a process supervisor, an IDE's stop button or `kill <pid>` does: one signal to the
 * npm process alone, not to its process group (a terminal's Ctrl-C signals the whole group). Everything npm started
 * — the node process of the stack, the Temporal dev server, VictoriaLogs, Prometheus and the apps the local runtime
 * runs (the demo's staging and production, each in a process group of its own) — must stop, and free its ports.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from './fixtures.js';
import { freePort, freeTemporalPort } from '../testing/ports.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

interface Proc { pid: number; ppid: number; start: string; state: string; cmd: string }

/** Live processes from /proc. `start` (start time in ticks since boot) tells a process from a later one with its pid. */
function processes(): Map<number, Proc> {
  const all = new Map<number, Proc>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid … starttime is field 22; comm may hold spaces and parentheses, so split after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim();
      all.set(Number(name), { pid: Number(name), state: fields[0]!, ppid: Number(fields[1]), start: fields[19]!, cmd });
    } catch {
      // gone while listing
    }
  }
  return all;
}

/** The process listening on 127.0.0.1:`port`, from /proc/net/tcp (the socket's inode) and /proc/<pid>/fd (who holds it). */
function listenerOf(port: number): Proc | undefined {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set(
    ['/proc/net/tcp', '/proc/net/tcp6']
      .flatMap((table) => (existsSync(table) ? readFileSync(table, 'utf8').split('\n').slice(1) : []))
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f[1]?.endsWith(`:${hex}`) && f[3] === '0A') // 0A: LISTEN
      .map((f) => f[9]),
  );
  for (const proc of processes().values()) {
    try {
      for (const fd of readdirSync(`/proc/${proc.pid}/fd`)) {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${proc.pid}/fd/${fd}`));
        if (m && inodes.has(m[1])) return proc;
      }
    } catch {
      // gone, or not ours to read
    }
  }
  return undefined;
}

function descendants(root: number): Proc[] {
  const all = [...processes().values()];
  const found: Proc[] = [];
  const queue = [root];
  while (queue.length) {
    const parent = queue.shift()!;
    for (const p of all.filter((q) => q.ppid === parent)) {
      found.push(p);
      queue.push(p.pid);
    }
  }
  return found;
}

/** Those of `procs` still running (a zombie has exited; only its parent has not collected it yet). */
function stillRunning(procs: Proc[]): Proc[] {
  const now = processes();
  return procs.filter((p) => {
    const q = now.get(p.pid);
    return q && q.start === p.start && q.state !== 'Z';
  });
}

async function startThenSignal(signal: NodeJS.Signals) {
  const home = mkdtempSync(join(tmpdir(), 'idp-stopping-'));
  const apiPort = await freePort();
  const temporalPort = await freeTemporalPort(apiPort);
  const [logsPort, metricsPort] = [await freePort(), await freePort()];
  const ports = [apiPort, temporalPort, temporalPort + 1000, logsPort, metricsPort];
  const env: NodeJS.ProcessEnv = { ...process.env, IDP_HOME: home, IDP_API_PORT: String(apiPort), IDP_TEMPORAL_PORT: String(temporalPort), IDP_LOGS_PORT: String(logsPort), IDP_METRICS_PORT: String(metricsPort) };
  delete env.TEMPORAL_ADDRESS; // start its own dev server, as a new user's `npm start` does
  // Its own process group, as under a supervisor: the signal below reaches npm and nothing else.
  const npm = spawn('npm', ['start'], { cwd: repoRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  npm.stdout.on('data', (d) => (output += d));
  npm.stderr.on('data', (d) => (output += d));
  const npmExited = new Promise<void>((resolve) => npm.once('exit', () => resolve()));
  let started: Proc[] = [];
  try {
    await Promise.race([
      eventually(async () => (await fetch(`http://127.0.0.1:${apiPort}/api/idp/health`)).ok, 90_000, 'the Platform API of `npm start`'),
      npmExited.then(() => Promise.reject(new Error(`npm start exited while starting:\n${output}`))),
    ]);
    // The demo's environments, running under the local runtime: their ports are the stack's too.
    const apps = await eventually(async () => {
      const state = JSON.parse(readFileSync(join(home, 'runtime', 'state.json'), 'utf8')) as { environments: Record<string, { state: string; port?: number }> };
      const envs = ['checkout/staging', 'checkout/production'].map((k) => state.environments[k]);
      return envs.every((e) => e?.state === 'running') && envs.map((e) => e!.port!);
    }, 60_000, 'the demo\'s environments running');
    ports.push(...apps);
    started = [processes().get(npm.pid!)!, ...descendants(npm.pid!)];
    const cmds = started.map((p) => p.cmd).join('\n');
    assert.ok(started.some((p) => p.cmd.includes('server start-dev')), `the Temporal dev server is among what npm started:\n${cmds}`);
    assert.ok(started.some((p) => p.cmd.includes('victoria-logs')), `VictoriaLogs is among what npm started:\n${cmds}`);
    assert.ok(started.some((p) => p.cmd.includes('prometheus')), `Prometheus is among what npm started:\n${cmds}`);
    assert.equal(started.filter((p) => p.cmd === 'node server.mjs').length, 2, `the demo's two environments are among what npm started:\n${cmds}`);
    for (const port of ports) assert.ok(listenerOf(port), `something npm started listens on ${port}`);

    process.kill(npm.pid!, signal);

    // Polling /proc: the grandchildren are not this process's children, so their exit cannot be awaited otherwise.
    const left = await eventually(async () => stillRunning(started).length === 0, 30_000, `everything \`npm start\` started to stop`).then(
      () => [],
      () => stillRunning(started),
    );
    assert.deepEqual(left.map((p) => p.cmd), [], `still running after ${signal} to npm:\n${output}`);
    // Freed by the stack: nothing it started listens there any more. (Not "the port can be bound": a test running
    // alongside may since have been handed the same number, for a listener or a client connection.)
    for (const port of ports) {
      const holder = listenerOf(port);
      assert.ok(!holder || !started.some((p) => p.pid === holder.pid && p.start === holder.start), `port ${port} is still held by what npm start started: ${holder?.cmd}`);
    }
    assert.match(output, /\[idp\] stopping\.\.\./, 'the stack stopped itself, cleanly');
  } finally {
    // What a failed run left behind (only what this test started).
    if (!started.length) started = [...descendants(npm.pid!), ...(npm.exitCode === null && npm.signalCode === null ? [processes().get(npm.pid!)!] : [])];
    for (const p of stillRunning(started.filter(Boolean))) process.kill(p.pid, 'SIGKILL');
    rmSync(home, { recursive: true, force: true });
  }
}

describe('stopping `npm start` with a signal to npm alone', { timeout: 120_000 }, () => {
  it('SIGTERM stops npm, the stack and the Temporal dev server, and frees their ports', () => startThenSignal('SIGTERM'));
  it('SIGINT stops npm, the stack and the Temporal dev server, and frees their ports', () => startThenSignal('SIGINT'));
  // npm gone without passing a signal on: what it started notices, and stops as if it had.
  it('SIGKILL to npm stops the stack and the Temporal dev server, and frees their ports', () => startThenSignal('SIGKILL'));
});
