// `npm test`: every workspace's tests against real components — Node's built-in runner for core, workflows,
// providers, api, cli, worker and the embedded Backstage backend; Jest (`backstage-cli package test`, as Backstage
// packages are tested) for the Backstage plugin packages. Makes sure the Temporal CLI (the dev server the
// integration tests start) is there first: the official download, else a Go build (worker/src/embedded/temporal-cli.ts);
// likewise sops (a Go build) and moto_server (a Python venv) for the secret-store tests (providers/src/secrets/tools.ts),
// VictoriaLogs (a Go build) and Prometheus (installed, else the official download, else a Go build) for the log and
// metric sources, and OpenSearch (Maven Central jars run on Java; resolved once) for the search log source.
// `node scripts/test.mjs <files…>` runs just those compiled node:test files.
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { ensureTemporalCli } from '../worker/dist/embedded/temporal-cli.js';
import { ensureMoto, ensureSops, MOTO_MISSING, SOPS_MISSING } from '../providers/dist/secrets/tools.js';
import { ensureOpenSearch, ensureVictoriaLogs, OPENSEARCH_MISSING, VICTORIALOGS_MISSING } from '../providers/dist/logs/tools.js';
import { ensurePrometheus, PROMETHEUS_MISSING } from '../providers/dist/metrics/tools.js';

const cli = await ensureTemporalCli(resolve('.tools'), { log: (m) => console.log(m) });
if (!cli) {
  console.error('The tests need the Temporal CLI: put `temporal` on PATH, set TEMPORAL_CLI, or install Go (any version).');
  process.exit(1);
}
const sops = ensureSops({ log: (m) => console.log(m) });
if (!sops) {
  console.error(SOPS_MISSING);
  process.exit(1);
}
const moto = ensureMoto({ log: (m) => console.log(m) });
if (!moto) {
  console.error(MOTO_MISSING);
  process.exit(1);
}
// The log and metric stores the observability tests (and the embedded stack) run.
const victoriaLogs = ensureVictoriaLogs({ log: (m) => console.log(m) });
if (!victoriaLogs) {
  console.error(VICTORIALOGS_MISSING);
  process.exit(1);
}
const prometheus = await ensurePrometheus({ log: (m) => console.log(m) });
if (!prometheus) {
  console.error(PROMETHEUS_MISSING);
  process.exit(1);
}
const openSearch = ensureOpenSearch({ log: (m) => console.log(m) });
if (!openSearch) {
  console.error(OPENSEARCH_MISSING);
  process.exit(1);
}
// Every child runs on this Node (the registry's Node 24), whatever `node` the PATH would find.
const env = { ...process.env, TEMPORAL_CLI: cli, SOPS_BIN: sops, MOTO_SERVER: moto, VICTORIALOGS_BIN: victoriaLogs, PROMETHEUS_BIN: prometheus, OPENSEARCH_HOME: openSearch, CI: 'true', PATH: `${dirname(process.execPath)}:${resolve('node_modules/.bin')}:${process.env.PATH}` };
const files = process.argv.slice(2);
let failed = false;

// The frontend packages are bundled by backstage-cli, not emitted by tsc -b: type-check them here.
if (!files.length) {
  for (const pkg of ['backstage-plugin/idp', 'backstage-plugin/app']) {
    const tsc = spawnSync(process.execPath, [resolve('node_modules/typescript/bin/tsc'), '-p', pkg], { stdio: 'inherit', env });
    failed ||= tsc.status !== 0;
  }
}
// The e2e tests (browser ones included) run against the app the embedded stack serves.
(await import('./build-app.mjs')).buildApp();

if (!files.length) {
  for (const pkg of ['backstage-plugin/idp-backend', 'actions', 'backstage-plugin/idp']) {
    const jest = spawnSync(process.execPath, [resolve('node_modules/@backstage/cli/bin/backstage-cli'), 'package', 'test'], { stdio: 'inherit', env, cwd: resolve(pkg) });
    failed ||= jest.status !== 0;
  }
}
const patterns = files.length
  ? files
  : ['core/dist/**/*.test.js', 'workflows/dist/**/*.test.js', 'providers/dist/**/*.test.js', 'api/dist/**/*.test.js', 'cli/dist/**/*.test.js', 'worker/dist/**/*.test.js', 'backstage-plugin/backend/dist/**/*.test.js'];
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=300000', ...patterns], { stdio: 'inherit', env });
failed ||= r.status !== 0;
process.exit(failed ? 1 : 0);
