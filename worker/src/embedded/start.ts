/**
 * `npm start`: the whole stack on one laptop. The Temporal dev server (SQLite
 * under IDP_HOME, Web UI on), the worker and the Platform API in this process,
 * the local git forge, and a seeded demo component. Ctrl-C stops everything.
 * With TEMPORAL_ADDRESS set, it uses that Temporal instead of starting one.
 */
import { mkdirSync, realpathSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { configFromEnv } from '../config.js';
import { installRuntime, startApi, startWorker } from '../services.js';
import { defaultUser } from '../user.js';
import { findTemporalCli } from './temporal-cli.js';
import { startDevServer, searchAttributeArgs } from './temporal-server.js';
import { demoNext, demoTeams, seedDemo } from './demo.js';

const home = resolve(process.env.IDP_HOME ?? '.idp');
mkdirSync(join(home, 'logs'), { recursive: true });
const log = (m: string) => console.log(`[idp] ${m}`);
const stops: (() => Promise<void>)[] = [];
installRuntime();

async function shutdown(code: number) {
  log('stopping...');
  for (const stop of stops.reverse()) await stop().catch((e) => console.error(e));
  process.exit(code);
}

try {
  const external = process.env.TEMPORAL_ADDRESS;
  const cfg = configFromEnv(process.env);
  // The embedded stack serves the repositories under its own folder (the demo lives there), not any on the disk:
  // IDP_REPO_ROOTS adds your own (e.g. IDP_REPO_ROOTS=$HOME/src).
  if (!cfg.repoRoots.length) cfg.repoRoots = [realpathSync(home)];
  cfg.teams = demoTeams(cfg.teams, log);
  let uiUrl: string | undefined;
  if (!external) {
    const port = Number(process.env.IDP_TEMPORAL_PORT ?? 7233);
    const cli = findTemporalCli(resolve('.tools'), { log });
    if (cli) {
      const server = await startDevServer({ cli, home, port, uiPort: port + 1000 });
      stops.push(server.stop);
      uiUrl = server.uiUrl;
    } else {
      // No CLI and no Go: let @temporalio/testing download the same dev server (how users elsewhere get it).
      log('No Temporal CLI found; downloading the dev server through @temporalio/testing...');
      const { TestWorkflowEnvironment } = await import('@temporalio/testing');
      const env = await TestWorkflowEnvironment.createLocal({
        server: { dbFilename: join(home, 'temporal.db'), ip: '127.0.0.1', port, ui: true, uiPort: port + 1000, extraArgs: searchAttributeArgs() },
      });
      stops.push(() => env.teardown());
      uiUrl = `http://127.0.0.1:${port + 1000}`;
    }
    cfg.temporalAddress = `127.0.0.1:${port}`;
  }
  const worker = await startWorker(cfg);
  stops.push(worker.stop);
  const api = await startApi(cfg, defaultUser());
  stops.push(api.close);
  const demo = seedDemo(home);
  const next = await demoNext(demo.bare);

  process.once('SIGINT', () => void shutdown(0));
  process.once('SIGTERM', () => void shutdown(0));
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

  Ctrl-C stops everything.
`);
} catch (err) {
  console.error(`[idp] could not start: ${err instanceof Error ? err.message : String(err)}`);
  await shutdown(1);
}
