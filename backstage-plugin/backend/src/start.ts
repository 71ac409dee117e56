/**
 * `npm start`: the whole stack on one laptop, in this one process. The Temporal dev server (SQLite under IDP_HOME),
 * the worker, the local git forge with a seeded demo component, and a real Backstage backend on 127.0.0.1:7007
 * (auth, catalog, scaffolder, permissions, the idp plugin at /api/idp; its SQLite under IDP_HOME/backstage).
 * Also the embedded default's "platform": VictoriaLogs and Prometheus (child processes, data under IDP_HOME) and the
 * local runtime, which runs every merged environment of the local forge's components and feeds them both.
 * Ctrl-C, or SIGTERM/SIGHUP to this process or to `npm start`, stops everything (the apps too: the next start runs
 * them again from what is merged).
 * With TEMPORAL_ADDRESS set, it uses that Temporal instead of starting one.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { ensureEmbeddedSecretStore, EMBEDDED_STORE, secretStoresFrom } from '@idp/providers/secrets';
import { createVictoriaLogsShipper, ensureVictoriaLogs, localStreamLabels, startVictoriaLogs, VICTORIALOGS_MISSING } from '@idp/providers/logs';
import { ensurePrometheus, startPrometheus, PROMETHEUS_MISSING } from '@idp/providers/metrics';
import { resolve, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configFromEnv } from '@idp/api';
import { installRuntime, startWorker, ensureTemporalCli, startDevServer, demoNext, demoSeeded, seedDemo, startLocalRuntime, bareReposIn } from '@idp/worker';
import { createEmbeddedBackend } from './backend.js';
import { catalogReady } from './catalog-ready.js';
import { seedDemoCatalog } from './demo-catalog.js';

const home = resolve(process.env.IDP_HOME ?? '.idp');
mkdirSync(join(home, 'logs'), { recursive: true });
mkdirSync(join(home, 'backstage'), { recursive: true });
const log = (m: string) => console.log(`[idp] ${m}`);
const stops: (() => Promise<void>)[] = [];
installRuntime();
// Backstage's own logs are for its operators; the stack's output is what a user needs (LOG_LEVEL=info brings them back).
// Through config, not LOG_LEVEL: the Scaffolder gives each task step a logger at LOG_LEVEL (default info), and a step's
// info lines are its log in the Create page and `idp create` — LOG_LEVEL=warn would drop them.
if (!process.env.LOG_LEVEL) process.env.APP_CONFIG_backend_logger_level ??= 'warn';
// A development stack, as `backstage-cli package start` runs one: among other things the auth backend then accepts
// its CLI client document over http on loopback (`idp login`), which it otherwise requires over https.
process.env.NODE_ENV = 'development';

let stopping = false;
async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  log('stopping...');
  for (const stop of stops.reverse()) await stop().catch((e) => console.error(e));
  process.exit(code);
}
// A signal to this process stops all it started (a terminal's Ctrl-C, a supervisor's stop, `kill <pid>`, the terminal
// closing); repeats are ignored (a Ctrl-C reaches this process twice, from the terminal and from npm).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0));

try {
  const apiPort = Number(process.env.IDP_API_PORT ?? 7007);
  const temporalPort = Number(process.env.IDP_TEMPORAL_PORT ?? 7233);
  // Not VictoriaLogs' and Prometheus' own defaults (9428, 9090): a developer may run those already.
  const logsPort = Number(process.env.IDP_LOGS_PORT ?? 7428);
  const metricsPort = Number(process.env.IDP_METRICS_PORT ?? 7490);
  // What app-config.yaml substitutes: the one place these settings are read.
  Object.assign(process.env, { IDP_HOME: realpathSync(home), IDP_API_PORT: String(apiPort), IDP_TEMPORAL_PORT: String(temporalPort) });
  // The golden paths the catalog serves (templates/*/template.yaml): this checkout's, unless the caller names others.
  process.env.IDP_TEMPLATES ??= fileURLToPath(new URL('../../../templates', import.meta.url));
  // Secrets: the embedded SOPS + age store in IDP_HOME (secrets.git, age.key), unless the caller configured stores
  // (IDP_SECRETS_CONFIG, or idp.secrets in app-config, which the plugin reads first). Written as the standalone
  // server's secrets file, so the plugin and any idp-server started beside it read the same thing.
  if (!process.env.IDP_SECRETS_CONFIG && !process.env.APP_CONFIG_idp_secrets) {
    const file = join(home, 'secrets-config.yaml');
    writeFileSync(file, `# The embedded secret store (npm start): SOPS + age, in ${home}.\n${stringify(await ensureEmbeddedSecretStore(realpathSync(home), { log }))}`);
    process.env.IDP_SECRETS_CONFIG = file;
  }
  // The embedded log and metric stores (real ones, started like the Temporal dev server), where the local runtime's
  // apps write their lines and are scraped. A first start builds VictoriaLogs (`go install`, ~55 s once) and, without
  // an installed Prometheus (apt-get install prometheus), downloads its official release (else builds it: minutes, once).
  const victoriaLogsBin = ensureVictoriaLogs({ log });
  if (!victoriaLogsBin) throw new Error(VICTORIALOGS_MISSING);
  const prometheusBin = await ensurePrometheus({ log });
  if (!prometheusBin) throw new Error(PROMETHEUS_MISSING);
  const logs = await startVictoriaLogs({ bin: victoriaLogsBin, dataDir: join(home, 'victorialogs'), port: logsPort, logFile: join(home, 'logs', 'victorialogs.log') });
  stops.push(logs.stop);
  const metrics = await startPrometheus({ bin: prometheusBin, dir: join(home, 'prometheus'), port: metricsPort, logFile: join(home, 'logs', 'prometheus.log') });
  stops.push(metrics.stop);
  // Where the Platform API reads them (idp logs, idp metrics), unless the caller configured sources (IDP_LOGS_CONFIG /
  // IDP_METRICS_CONFIG, or idp.logs / idp.metrics in app-config): written as the standalone server's files, like secrets'.
  if (!process.env.IDP_LOGS_CONFIG && !process.env.APP_CONFIG_idp_logs) {
    const file = join(home, 'logs-config.yaml');
    writeFileSync(file, `# The embedded log store (npm start): VictoriaLogs, data in ${join(home, 'victorialogs')}.\n${stringify({ sources: { local: { type: 'victorialogs', url: logs.url } }, default: 'local' })}`);
    process.env.IDP_LOGS_CONFIG = file;
  }
  if (!process.env.IDP_METRICS_CONFIG && !process.env.APP_CONFIG_idp_metrics) {
    const file = join(home, 'metrics-config.yaml');
    writeFileSync(file, `# The embedded metric store (npm start): Prometheus, data in ${join(home, 'prometheus')}.\n${stringify({ sources: { local: { type: 'prometheus', url: metrics.url, scrapeInterval: '1s' } }, default: 'local' })}`);
    process.env.IDP_METRICS_CONFIG = file;
  }
  // The local runtime's status, for the Platform API's `idp env list` (read from its state file).
  process.env.IDP_RUNTIME_STATE = join(realpathSync(home), 'runtime', 'state.json');
  const cfg = configFromEnv(process.env);
  // The embedded stack serves the repositories under its own folder (the demo lives there): IDP_REPO_ROOTS adds yours.
  if (!cfg.repoRoots.length) cfg.repoRoots = [realpathSync(home)];
  process.env.IDP_REPO_ROOTS = cfg.repoRoots.join(':');
  // The demo team, as the local forge sees reviewers: by their Backstage identity.
  cfg.teams ??= { 'team-payments': ['user:default/alice', 'user:default/bob'] };
  process.env.IDP_TEAMS ??= JSON.stringify(cfg.teams);

  let uiUrl: string | undefined;
  if (!process.env.TEMPORAL_ADDRESS) {
    const cli = await ensureTemporalCli(resolve('.tools'), { log });
    if (!cli) throw new Error('No Temporal CLI, no official download (temporal.download unreachable) and no Go to build one: install Go (https://go.dev/dl/) or the Temporal CLI (https://docs.temporal.io/cli), or set TEMPORAL_CLI.');
    const server = await startDevServer({ cli, home, port: temporalPort, uiPort: temporalPort + 1000 });
    stops.push(server.stop);
    uiUrl = server.uiUrl;
    // The Platform API links each workflow run of the activity to this Web UI (unless the caller names another).
    process.env.IDP_TEMPORAL_WEB_URL ??= uiUrl;
    cfg.temporalAddress = `127.0.0.1:${temporalPort}`;
  } else {
    cfg.temporalAddress = process.env.TEMPORAL_ADDRESS;
  }
  // The demo's staging runs with a secret (STRIPE_KEY): a random test key in the embedded SOPS store, pinned in the
  // seeded paws.yaml. With stores of the caller's, the template's reference stays unpinned (and unresolved).
  let demoSecrets: Parameters<typeof seedDemo>[1] = {};
  const embeddedStore = cfg.secrets?.stores[EMBEDDED_STORE]?.type === 'sops' ? secretStoresFrom(cfg.secrets, process.env, cfg.secretsCacheDir ? { cacheDir: cfg.secretsCacheDir } : {}).get(EMBEDDED_STORE) : undefined;
  if (embeddedStore && !demoSeeded(home)) {
    const stripe = await embeddedStore.putVersion({ component: 'checkout', env: 'staging', key: 'STRIPE_KEY' }, `sk_test_demo_${randomBytes(12).toString('hex')}`, 'idp-demo:checkout/staging/STRIPE_KEY');
    demoSecrets = { secrets: { staging: { STRIPE_KEY: stripe } } };
  }
  const demo = seedDemo(home, demoSecrets);
  seedDemoCatalog(home, demo);
  // IDP_WORKER=off: the stack without its worker, for tests that run one in a process of their own and kill it.
  if (process.env.IDP_WORKER !== 'off') {
    const worker = await startWorker(cfg);
    stops.push(worker.stop);
    worker.run.catch((e) => {
      console.error('[idp] worker failed:', e);
      void shutdown(1);
    });
  }

  // The local runtime: every environment of the local forge's components, as merged, runs here (see worker/src/runtime).
  const runtime = await startLocalRuntime({
    home: realpathSync(home),
    repos: () => [demo.bare, ...bareReposIn([join(home, 'repos')])],
    targetsDir: metrics.targetsDir,
    secrets: cfg.secrets,
    shipper: ({ component, environment, notice }) => createVictoriaLogsShipper({ url: logs.url, labels: localStreamLabels(component, environment), onNotice: notice }),
  });
  stops.push(runtime.stop);

  const backend = createEmbeddedBackend();
  stops.push(() => backend.stop());
  await backend.start();
  await catalogReady;
  const next = await demoNext(demo.bare);
  const api = `http://127.0.0.1:${apiPort}/api/idp`;

  const app = `http://127.0.0.1:${apiPort}`;
  console.log(`
  idp is running (state in ${home})

  Open ${app}/catalog/default/component/checkout/environments

  That is Backstage, signed in as guest: the demo component's Environments, Releases and Activity tabs, Create (the
  golden paths), search, and Download CLI. Add ?as=alice to any page to act as alice (bob: her reviewer; carol: another
  team), ?as=guest to go back.

  Platform API   ${api}
  Temporal       ${cfg.temporalAddress}${uiUrl ? `   (Web UI ${uiUrl})` : ''}
  Logs           VictoriaLogs ${logs.url}   Metrics  Prometheus ${metrics.url}
  Runtime        every merged environment runs here: \`idp env list\` says where (log: ${join(home, 'logs', 'runtime.log')})
  Demo component ${demo.workdir}   (origin: ${demo.bare}; component:default/checkout, owned by team-payments = alice, bob)

  Or in a terminal:
    cd ${demo.workdir}
    alias idp="node ${process.cwd()}/cli/bin/idp.js"   # or: npm link -w cli, or the binary from Download CLI
    idp login
    idp env clone staging ${next.preview} --ttl 72h
    idp login --user alice && idp pr review ${next.pr} --approve && idp pr merge ${next.pr}
    idp templates                                   # the golden paths; run one with: idp create <name>

  Ctrl-C stops everything.
`);
} catch (err) {
  console.error(`[idp] could not start: ${err instanceof Error ? err.message : String(err)}`);
  await shutdown(1);
}
