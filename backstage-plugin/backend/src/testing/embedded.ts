/**
 * The embedded stack as `npm start` runs it — the Temporal dev server, the worker, a real Backstage backend with the
 * idp plugin — in a child process on free ports with its own IDP_HOME, for end-to-end tests. Sign-in is the real
 * auth backend's: the guest provider and the demo provider issue the users' Backstage tokens.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { PlatformClient } from '@idp/core/client';
import { freePort, freeTemporalPort } from '@idp/worker/testing';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const startScript = fileURLToPath(new URL('../start.js', import.meta.url));

export interface EmbeddedStack {
  home: string;
  baseUrl: string;
  apiUrl: string;
  /** The stack's Temporal frontend (host:port), and the pid of its node process (Backstage + worker; the dev server is its child). */
  temporalAddress: string;
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
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  ownersOnly?: string[];
  env?: Record<string, string>;
  /** More catalog entities (YAML documents), given the demo's paths; read from a file location beside the demo's. */
  catalog?: (demo: EmbeddedStack['demo']) => string;
  /** false: the stack runs no worker (IDP_WORKER=off); start them with spawnWorker(). */
  worker?: boolean;
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
  const [apiPort, temporalPort] = [await freePort(), await freeTemporalPort()];
  const child: ChildProcess = spawn(process.execPath, [startScript], {
    cwd: repoRoot,
    env: {
      ...process.env,
      IDP_HOME: home,
      IDP_API_PORT: String(apiPort),
      IDP_TEMPORAL_PORT: String(temporalPort),
      IDP_POLL_INTERVAL_MS: '1000',
      ...(opts.ownersOnly ? { APP_CONFIG_idp_permissions_ownersOnly: JSON.stringify(opts.ownersOnly) } : {}),
      ...catalogEnv,
      ...(opts.worker === false ? { IDP_WORKER: 'off' } : {}),
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const lines = createInterface({ input: child.stdout! });
  const ready = new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => {
      out += `${line}\n`;
      if (line.includes('idp is running')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the embedded stack exited (${code}) before it was ready:\n${out}`)));
  });
  const workers: ChildProcess[] = [];
  const stop = async () => {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    rmSync(home, { recursive: true, force: true });
  };
  try {
    await ready;
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
    pid: child.pid!,
    demo,
    tokenFor,
    clientAs: async (user) => new PlatformClient({ baseUrl: `${baseUrl}/api/idp`, token: await tokenFor(user) }),
    output: () => out,
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
