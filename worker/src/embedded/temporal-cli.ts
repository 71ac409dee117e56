/**
 * Getting the Temporal CLI (which carries the dev server), in this order:
 *  1. one already there: TEMPORAL_CLI, then PATH, then <repo>/.tools/bin/temporal;
 *  2. the official build, downloaded by @temporalio/testing from temporal.download (seconds) into .tools/bin;
 *  3. `go install` of v1.5.1 (the newest tag without a `replace` directive; later tags cannot be
 *     go-installed): 5–8 minutes and ~2 GB of module cache, once. Its go.mod wants Go 1.25.0; an older
 *     Go (Debian 12's is 1.19, which cannot even read that go.mod) first fetches Go 1.25.0 from the Go
 *     module proxy as the module golang.org/toolchain — how Go ≥ 1.21 itself switches toolchains.
 * Each step that fetches or builds says so, and why, through `log`.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { goAtLeast, goToolchainModule } from '@idp/providers/go-toolchain';
import { DOWNLOAD_TIMEOUT_MS, PROBE_TIMEOUT_MS, probeUrl, tryOfficialDownload } from '@idp/providers/tool-download';

export { goAtLeast, goToolchainModule, PROBE_TIMEOUT_MS, DOWNLOAD_TIMEOUT_MS };

export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';
/** The `go` line of that tag's go.mod. */
export const TEMPORAL_CLI_GO = '1.25.0';

/** An installed CLI, or null. */
export function findTemporalCli(toolsDir: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.TEMPORAL_CLI) {
    if (!existsSync(env.TEMPORAL_CLI)) throw new Error(`TEMPORAL_CLI=${env.TEMPORAL_CLI} does not exist.`);
    return env.TEMPORAL_CLI;
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'temporal'))) return join(dir, 'temporal');
  }
  return existsSync(join(toolsDir, 'bin', 'temporal')) ? join(toolsDir, 'bin', 'temporal') : null;
}

/** How steps 2 and 3 reach the outside; tests replace them. */
export interface CliSources {
  /** Resolves when temporal.download answers (any HTTP status); `signal` aborts it. */
  probe(signal: AbortSignal): Promise<void>;
  /** Downloads the official CLI to `dest`; when `signal` aborts, it must leave nothing running. */
  download(dest: string, signal: AbortSignal): Promise<void>;
  /** Output of a command, or null when it cannot run (e.g. no `go`). */
  output(cmd: string, args: string[], env: NodeJS.ProcessEnv): string | null;
  /** A long command with its output shown; throws when it fails. */
  run(cmd: string, args: string[], env: NodeJS.ProcessEnv): void;
}

export interface EnsureOptions {
  env?: NodeJS.ProcessEnv;
  log?: (m: string) => void;
  sources?: Partial<CliSources>;
  probeTimeoutMs?: number;
  downloadTimeoutMs?: number;
}

/** The CLI's path, fetched or built when none is installed; null when there is no download and no Go. */
export async function ensureTemporalCli(toolsDir: string, opts: EnsureOptions = {}): Promise<string | null> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => {});
  const src: CliSources = { ...defaultSources(toolsDir), ...opts.sources };
  const found = findTemporalCli(toolsDir, env);
  if (found) return found;

  const dest = join(toolsDir, 'bin', 'temporal');
  mkdirSync(join(toolsDir, 'bin'), { recursive: true });
  log('No Temporal CLI (TEMPORAL_CLI, PATH, .tools/bin): downloading the official build through @temporalio/testing...');
  // Bounded (a probe of temporal.download, then the download): a network without it falls through to Go in seconds.
  const failed = await tryOfficialDownload({
    host: 'temporal.download',
    probe: (s) => src.probe(s),
    download: (s) => src.download(dest, s),
    env,
    probeTimeoutMs: opts.probeTimeoutMs,
    downloadTimeoutMs: opts.downloadTimeoutMs,
  });
  if (!failed) {
    log(`Downloaded the Temporal CLI to ${dest}.`);
    return dest;
  }
  log(`The official download failed (${failed}); building the Temporal CLI with Go instead.`);
  return goInstallTemporalCli(toolsDir, env, log, src) ? dest : null;
}

/** `go install`s the CLI into <toolsDir>/bin; false when there is no Go. */
function goInstallTemporalCli(toolsDir: string, env: NodeJS.ProcessEnv, log: (m: string) => void, src: CliSources): boolean {
  const version = src.output('go', ['env', 'GOVERSION'], env)?.trim();
  if (!version) return false;
  let go = 'go';
  if (!goAtLeast(version, TEMPORAL_CLI_GO)) {
    const module = goToolchainModule(TEMPORAL_CLI_GO);
    log(`${version} cannot build the Temporal CLI (its go.mod wants go ${TEMPORAL_CLI_GO}): fetching ${module} from the Go module proxy...`);
    const out = src.output('go', ['mod', 'download', '-json', module], env);
    const dir = out ? (JSON.parse(out) as { Dir?: string }).Dir : undefined;
    if (!dir) throw new Error(`Could not fetch Go ${TEMPORAL_CLI_GO} from the module proxy (\`go mod download ${module}\`): install Go ${TEMPORAL_CLI_GO} or newer (https://go.dev/dl/) and run again.`);
    // Module zips carry no file modes: make the toolchain's commands executable, as Go's own toolchain switch does.
    for (const sub of ['bin', ...readdirSync(join(dir, 'pkg', 'tool')).map((d) => join('pkg', 'tool', d))]) {
      for (const f of readdirSync(join(dir, sub))) chmodSync(join(dir, sub, f), 0o555);
    }
    go = join(dir, 'bin', 'go');
  }
  log(`Building the Temporal CLI: \`go install ${TEMPORAL_CLI_MODULE}\` into ${toolsDir}/bin (once; 5–8 minutes and ~2 GB of Go module cache)...`);
  // GOROOT unset: a fetched toolchain finds its own. GOTOOLCHAIN=local: it runs as is, no further switch.
  const { GOROOT: _, ...rest } = env;
  src.run(go, ['install', TEMPORAL_CLI_MODULE], { ...rest, GOBIN: join(toolsDir, 'bin'), ...(go === 'go' ? {} : { GOTOOLCHAIN: 'local' }) });
  return true;
}

function defaultSources(toolsDir: string): CliSources {
  return {
    probe: (signal) => probeUrl('https://temporal.download/', signal),
    download: async (dest, signal) => {
      // @temporalio/testing downloads the dev server only as part of starting one: start it, stop it, keep the file.
      const dir = join(toolsDir, 'download');
      rmSync(dir, { recursive: true, force: true });
      const { TestWorkflowEnvironment } = await import('@temporalio/testing');
      const starting = TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'cached-download', downloadDir: dir }, ip: '127.0.0.1', ui: false } });
      // A start that outlives the timeout is stopped when it arrives, so nothing is left running.
      signal.addEventListener('abort', () => void starting.then((e) => e.teardown(), () => {}));
      try {
        await (await starting).teardown();
        if (signal.aborted) return;
        const file = readdirSync(dir).find((f) => f.startsWith('temporal') && !f.endsWith('.downloading'));
        if (!file) throw new Error(`the download left no CLI in ${dir}`);
        renameSync(join(dir, file), dest);
      } finally {
        if (!signal.aborted) rmSync(dir, { recursive: true, force: true });
      }
    },
    output: (cmd, args, env) => {
      try {
        return execFileSync(cmd, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      } catch {
        return null;
      }
    },
    run: (cmd, args, env) => {
      execFileSync(cmd, args, { env, stdio: 'inherit' });
    },
  };
}
