// Makes sure the Temporal CLI is there (an installed one, else the official download, else a Go build; see
// worker/src/embedded/temporal-cli.ts) and prints its path. Exit 2: no download and no Go to build one.
import { resolve } from 'node:path';
import { ensureTemporalCli } from '../worker/dist/embedded/temporal-cli.js';

const cli = await ensureTemporalCli(resolve('.tools'), { log: (m) => console.error(m) });
if (!cli) {
  console.error('No Temporal CLI, no official download and no Go to build one: install Go (any version) or the Temporal CLI, or set TEMPORAL_CLI.');
  process.exit(2);
}
console.log(cli);
process.exit(0); // the SDK's runtime, loaded for the download, need not keep this script alive
