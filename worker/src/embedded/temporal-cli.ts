/**
 * Finding the Temporal CLI (which carries the dev server): TEMPORAL_CLI, then
 * PATH, then a copy installed earlier under <repo>/.tools/bin, then — where Go
 * is installed — `go install` of v1.5.1 (the newest tag without a `replace`
 * directive; later tags cannot be go-installed). Returns null when none can be
 * had; the caller then falls back to @temporalio/testing's own download.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return null;
}

export function findTemporalCli(toolsDir: string, opts: { install?: boolean; log?: (m: string) => void } = {}): string | null {
  if (process.env.TEMPORAL_CLI) {
    if (!existsSync(process.env.TEMPORAL_CLI)) throw new Error(`TEMPORAL_CLI=${process.env.TEMPORAL_CLI} does not exist.`);
    return process.env.TEMPORAL_CLI;
  }
  const found = onPath('temporal') ?? (existsSync(join(toolsDir, 'bin', 'temporal')) ? join(toolsDir, 'bin', 'temporal') : null);
  if (found || opts.install === false) return found;
  if (spawnSync('go', ['version'], { stdio: 'ignore' }).status !== 0) return null;
  opts.log?.(`Installing the Temporal CLI with \`go install ${TEMPORAL_CLI_MODULE}\` into ${toolsDir}/bin (once; a few minutes)...`);
  execFileSync('go', ['install', TEMPORAL_CLI_MODULE], { stdio: 'inherit', env: { ...process.env, GOBIN: join(toolsDir, 'bin') } });
  return join(toolsDir, 'bin', 'temporal');
}
