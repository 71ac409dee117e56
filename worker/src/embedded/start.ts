/**
 * `npm start`: the whole stack on one laptop. The Temporal dev server (SQLite
 * under IDP_HOME, Web UI on), the worker and the Platform API in this process,
 * the local git forge, and a seeded demo component. Ctrl-C, or SIGTERM/SIGHUP to
 * this process or to `npm start`, stops everything.
 * With TEMPORAL_ADDRESS set, it uses that Temporal instead of starting one.
 */
import { mkdirSync, realpathSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { configFromEnv } from '@idp/api';
import { installRuntime, startApi, startWorker } from '../services.js';
import { defaultUser } from '../user.js';
import { ensureTemporalCli } from './temporal-cli.js';
import { startDevServer } from './temporal-server.js';
import { demoNext, demoTeams, seedDemo } from './demo.js';
import { embeddedApiToken } from './api-token.js';
import { isLoopbackHost } from '@idp/api';

const home = resolve(process.env.IDP_HOME ?? '.idp');
mkdirSync(join(home, 'logs'), { recursive: true });
const log = (m: string) => console.log(`[idp] ${m}`);
const stops: (() => Promise<void>)[] = [];
installRuntime();

let stopping = false;
async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  log('stopping...');
  for (const stop of stops.reverse()) await stop().catch((e) => console.error(e));
  process.exit(code);
}
// A signal to this process stops all it started: a terminal's Ctrl-C, a supervisor's or an IDE's stop, `kill <pid>`
// (npm passes SIGINT and SIGTERM on to it), the terminal closing (SIGHUP). Listening from the start, so a signal while
// starting stops what has started so far (the dev server, still starting, is killed on exit: temporal-server.ts).
// Repeats are ignored: a Ctrl-C reaches this process twice, from the terminal and from npm.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0));

try {
  const external = process.env.TEMPORAL_ADDRESS;
  const cfg = configFromEnv(process.env);
  // The embedded stack serves the repositories under its own folder (the demo lives there), not any on the disk:
  // IDP_REPO_ROOTS adds your own (e.g. IDP_REPO_ROOTS=$HOME/src).
  if (!cfg.repoRoots.length) cfg.repoRoots = [realpathSync(home)];
  cfg.teams = demoTeams(cfg.teams, log);
  // Several people on one laptop (the README's alice and bob): clients holding the secret in IDP_HOME may name theirs;
  // without it a request acts as you (a browser opening a PR page). Only on loopback: exposed, the secret is required.
  const generatedSecret = !cfg.apiToken && isLoopbackHost(cfg.apiHost);
  if (generatedSecret) cfg.apiToken = embeddedApiToken(home);
  let uiUrl: string | undefined;
  if (!external) {
    const port = Number(process.env.IDP_TEMPORAL_PORT ?? 7233);
    const cli = await ensureTemporalCli(resolve('.tools'), { log });
    if (!cli) throw new Error('No Temporal CLI, no official download (temporal.download unreachable) and no Go to build one: install Go (https://go.dev/dl/; any version, an older one fetches the Go the build needs) or the Temporal CLI (https://docs.temporal.io/cli), or set TEMPORAL_CLI.');
    const server = await startDevServer({ cli, home, port, uiPort: port + 1000 });
    stops.push(server.stop);
    uiUrl = server.uiUrl;
    cfg.temporalAddress = `127.0.0.1:${port}`;
  }
  const worker = await startWorker(cfg);
  stops.push(worker.stop);
  const api = await startApi(cfg, defaultUser(), { secretRequired: !generatedSecret });
  stops.push(api.close);
  const demo = seedDemo(home);
  const next = await demoNext(demo.bare);

  worker.run.catch((e) => {
    console.error('[idp] worker failed:', e);
    void shutdown(1);
  });

  console.log(`
  idp is running (state in ${home})

  Platform API   ${api.url}
  Temporal       ${cfg.temporalAddress}${uiUrl ? `   (Web UI ${uiUrl})` : ''}
  Demo component ${demo.workdir}   (origin: ${demo.bare})
  Repositories   served from ${cfg.repoRoots.join(', ')}   (IDP_REPO_ROOTS to change)

  Try, in another terminal:
    cd ${demo.workdir}
    alias idp="node ${process.cwd()}/cli/bin/idp.js"   # or: npm link -w cli
    idp env clone staging ${next.preview} --ttl 72h
    idp pr review ${next.pr} --approve && idp pr merge ${next.pr}
    idp env list
    export IDP_API_TOKEN=$(cat ${join(home, 'api-token')})   # then IDP_USER=alice idp … acts as alice

  Ctrl-C stops everything.
`);
} catch (err) {
  console.error(`[idp] could not start: ${err instanceof Error ? err.message : String(err)}`);
  await shutdown(1);
}
