/**
 * The embedded stack as `npm start` runs it — the Temporal dev server, the worker, a real Backstage backend with the
 * idp plugin — in a child process on free ports with its own IDP_HOME, for end-to-end tests. Sign-in is the real
 * auth backend's: the guest provider and the demo provider issue the users' Backstage tokens.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { PlatformClient } from '@idp/core/client';
import type { SecretsConfig } from '@idp/core';
import { eventually, freePort, freeTemporalPort, portFree } from '@idp/worker/testing';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const startScript = fileURLToPath(new URL('../start.js', import.meta.url));

export interface EmbeddedStack {
  home: string;
  baseUrl: string;
  apiUrl: string;
  /** The stack's Temporal frontend (host:port), and the pid of its node process (Backstage + worker; the dev server is its child). */
  temporalAddress: string;
  /** The stack's VictoriaLogs and Prometheus (http://127.0.0.1:<port>), which its local runtime feeds. */
  logsUrl: string;
  metricsUrl: string;
  pid: number;
  /** The demo component's bare repository (the "remote") and its working copy. */
  demo: { bare: string; workdir: string };
  /** A Backstage user token for a demo catalog user (alice, bob, carol), or for guest. */
  tokenFor(user: string): Promise<string>;
  clientAs(user: string): Promise<PlatformClient>;
  /** Everything the stack printed: tests scan it for tokens. */
  output(): string;
  /**
   * With `worker: false`: a worker in a process of its own, configured as the stack's would be (tests kill it with
   * SIGKILL and start another). The stack stops those still running.
   */
  spawnWorker(): ChildProcess;
  /**
   * Kills the whole stack at once (SIGKILL to Backstage, its worker and the Temporal dev server) and starts it again on
   * the same IDP_HOME and ports: what is durable (Temporal's and Backstage's SQLite files, the repositories) survives.
   * A stack that already died (a fault point: IDP_FAULT) has what is left of it killed the same way. `env` changes the
   * environment of the new start (e.g. IDP_FAULT: '' to start it without the fault).
   */
  crashAndRestart(env?: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  ownersOnly?: string[];
  env?: Record<string, string>;
  /** More catalog entities (YAML documents), given the demo's paths; read from a file location beside the demo's. */
  catalog?: (demo: EmbeddedStack['demo']) => string;
  /** false: the stack runs no worker (IDP_WORKER=off); start them with spawnWorker(). */
  worker?: boolean;
  /**
   * The stack's secret stores and routing (as idp.secrets), instead of the embedded SOPS store: written to a file in the
   * stack's IDP_HOME and named by IDP_SECRETS_CONFIG. Credentials they name (tokenEnv…) go in `env`.
   */
  secrets?: SecretsConfig;
}

/** Whether the stack failed to start because a port was taken: its own output, or the log of a server it starts, says so. */
function portTaken(home: string, out: string): boolean {
  let log = '';
  for (const file of ['temporal.log', 'victorialogs.log', 'prometheus.log']) {
    try {
      log += readFileSync(join(home, 'logs', file), 'utf8');
    } catch {
      // No such log: the stack stopped before starting that server.
    }
  }
  return /address already in use|EADDRINUSE/i.test(out + log);
}

/**
 * The apps the stack's local runtime left running (it was killed, not stopped: crashAndRestart, a test's failure),
 * from its state file: stopped if they are still those processes (same start time), with what they started.
 */
function stopLeftoverApps(home: string): void {
  let state: { environments?: Record<string, { processes?: { pid: number; startKey: string }[] }> };
  try {
    state = JSON.parse(readFileSync(join(home, 'runtime', 'state.json'), 'utf8'));
  } catch {
    return;
  }
  for (const env of Object.values(state.environments ?? {})) {
    for (const p of env.processes ?? []) {
      try {
        const stat = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
        if (stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] === p.startKey) process.kill(-p.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
}

export async function startEmbedded(opts: EmbeddedOptions = {}): Promise<EmbeddedStack> {
  const home = mkdtempSync(join(tmpdir(), 'idp-embedded-'));
  const demo = { bare: join(home, 'demo', 'checkout.git'), workdir: join(home, 'demo', 'checkout') };
  let catalogEnv: Record<string, string> = {};
  if (opts.catalog) {
    const extra = join(home, 'extra-catalog.yaml');
    writeFileSync(extra, opts.catalog(demo));
    // Backstage's environment config replaces the list: the demo's two locations, the templates', and this one.
    const locations = [join(home, 'demo', 'org.yaml'), join(demo.workdir, 'catalog-info.yaml'), join(repoRoot, 'templates', '*', 'template.yaml'), extra].map((target) => ({ type: 'file', target }));
    catalogEnv = { APP_CONFIG_catalog_locations: JSON.stringify(locations) };
  }
  let secretsEnv: Record<string, string> = {};
  if (opts.secrets) {
    const file = join(home, 'test-secrets-config.yaml');
    writeFileSync(file, stringify(opts.secrets));
    secretsEnv = { IDP_SECRETS_CONFIG: file };
  }
  let relaunchEnv: Record<string, string> = {};
  let [apiPort, temporalPort] = [await freePort(), await freeTemporalPort()];
  // VictoriaLogs and Prometheus, which the stack starts for its local runtime.
  let [logsPort, metricsPort] = [await freePort(), await freePort()];
  let out = '';
  let child!: ChildProcess;
  /** Starts the stack on this home and these ports (again, after a crash) and resolves once it says it is running. */
  const launch = (): Promise<void> => {
    child = spawn(process.execPath, [startScript], {
      cwd: repoRoot,
      env: {
        ...process.env,
        IDP_HOME: home,
        IDP_API_PORT: String(apiPort),
        IDP_TEMPORAL_PORT: String(temporalPort),
        IDP_LOGS_PORT: String(logsPort),
        IDP_METRICS_PORT: String(metricsPort),
        IDP_POLL_INTERVAL_MS: '1000',
        ...(opts.ownersOnly ? { APP_CONFIG_idp_permissions_ownersOnly: JSON.stringify(opts.ownersOnly) } : {}),
        ...catalogEnv,
        ...(opts.worker === false ? { IDP_WORKER: 'off' } : {}),
        ...secretsEnv,
        ...opts.env,
        ...relaunchEnv,
      },
      // Its own process group: crash() kills the whole stack at once (Backstage, the worker, the Temporal dev server).
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const started = child;
    started.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const lines = createInterface({ input: started.stdout! });
    return new Promise<void>((resolve, reject) => {
      lines.on('line', (line) => {
        out += `${line}\n`;
        if (line.includes('idp is running')) resolve();
      });
      started.once('exit', (code) => reject(new Error(`the embedded stack exited (${code}) before it was ready:\n${out}`)));
    });
  };
  const ready = launch();
  const workers: ChildProcess[] = [];
  const stop = async () => {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    stopLeftoverApps(home);
    rmSync(home, { recursive: true, force: true });
  };
  try {
    await ready.catch(async (e: unknown) => {
      // A port picked free may be taken before it is bound: by this stack's ports (chosen here), or by the ones the
      // Temporal CLI picks for itself (HTTP, metrics, its services), when other stacks start at the same moment.
      // Only that is tried again, on other ports, and only a few times; anything else fails the start.
      for (let attempt = 1; attempt <= 3 && portTaken(home, out); attempt++) {
        if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
        [apiPort, temporalPort, logsPort, metricsPort] = [await freePort(), await freeTemporalPort(), await freePort(), await freePort()];
        out += `\n[embedded test stack] a port was taken; starting again on others (${attempt})\n`;
        try {
          return await launch();
        } catch (again) {
          e = again;
        }
      }
      let log = '';
      try {
        log = readFileSync(join(home, 'logs', 'temporal.log'), 'utf8').split('\n').slice(-20).join('\n');
      } catch {
        // No dev server log to add.
      }
      throw log ? new Error(`${(e as Error).message}\n--- the Temporal dev server's log, last lines:\n${log}`) : e;
    });
  } catch (e) {
    await stop();
    throw e;
  }
  const baseUrl = `http://127.0.0.1:${apiPort}`;
  const tokenFor = async (user: string) => {
    const url = user === 'guest' ? `${baseUrl}/api/auth/guest/refresh` : `${baseUrl}/api/auth/idp-demo/refresh?user=${encodeURIComponent(user)}`;
    const res = await fetch(url, { headers: { 'x-requested-with': 'XMLHttpRequest' } });
    if (!res.ok) throw new Error(`sign-in as ${user} failed: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { backstageIdentity: { token: string } };
    return body.backstageIdentity.token;
  };
  return {
    home,
    baseUrl,
    apiUrl: `${baseUrl}/api/idp`,
    temporalAddress: `127.0.0.1:${temporalPort}`,
    logsUrl: `http://127.0.0.1:${logsPort}`,
    metricsUrl: `http://127.0.0.1:${metricsPort}`,
    get pid() {
      return child.pid!;
    },
    demo,
    tokenFor,
    clientAs: async (user) => new PlatformClient({ baseUrl: `${baseUrl}/api/idp`, token: await tokenFor(user) }),
    output: () => out,
    async crashAndRestart(env = {}) {
      // SIGKILL to the group: no shutdown hook runs, as when the machine dies; then the same start on the same state.
      const alive = child.exitCode === null && child.signalCode === null;
      const exited = alive ? once(child, 'exit') : Promise.resolve();
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch (e) {
        // The whole group is gone already.
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
      }
      await exited;
      relaunchEnv = { ...relaunchEnv, ...env };
      // (Its apps may still run: the new start's runtime stops them before it starts its own, on the same ports.)
      await eventually(async () => (await portFree(apiPort)) && (await portFree(temporalPort)) && (await portFree(logsPort)) && (await portFree(metricsPort)), 30_000, 'the crashed stack\'s ports to be free');
      await launch();
    },
    spawnWorker() {
      // What start.ts gives its own worker: the stack's Temporal, its repositories, the demo team, the API's URL for PR links.
      const w = fork(join(repoRoot, 'worker/dist/main.js'), ['worker'], {
        env: {
          ...process.env,
          IDP_HOME: home,
          TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
          IDP_API_PORT: String(apiPort),
          IDP_REPO_ROOTS: realpathSync(home),
          IDP_TEAMS: JSON.stringify({ 'team-payments': ['user:default/alice', 'user:default/bob'] }),
          IDP_POLL_INTERVAL_MS: '1000',
          ...secretsEnv,
          ...opts.env,
        },
        stdio: ['ignore', 'ignore', process.env.IDP_TEST_VERBOSE ? 'inherit' : 'ignore', 'ipc'],
      });
      workers.push(w);
      return w;
    },
    stop,
  };
}
