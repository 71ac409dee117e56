// `npm test`: every workspace's tests on Node's built-in runner, against real
// components. Makes sure the Temporal CLI (the dev server the integration tests
// start) is there first: the official download, else a Go build (worker/src/embedded/temporal-cli.ts).
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { ensureTemporalCli } from '../worker/dist/embedded/temporal-cli.js';

const cli = await ensureTemporalCli(resolve('.tools'), { log: (m) => console.log(m) });
if (!cli) {
  console.error('The tests need the Temporal CLI: put `temporal` on PATH, set TEMPORAL_CLI, or install Go (any version).');
  process.exit(1);
}
const files = process.argv.slice(2);
const patterns = files.length ? files : ['core/dist/**/*.test.js', 'workflows/dist/**/*.test.js', 'providers/dist/**/*.test.js', 'api/dist/**/*.test.js', 'cli/dist/**/*.test.js', 'worker/dist/**/*.test.js'];
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=300000', ...patterns], {
  stdio: 'inherit',
  env: { ...process.env, TEMPORAL_CLI: cli },
});
process.exit(r.status ?? 1);
