/**
 * The Go toolchain rules the builds of idp's tools share (the Temporal CLI, sops): whether the installed Go is new
 * enough for a module's go.mod, the module the Go proxy serves a Go release as (what `go` itself fetches), and
 * `go install` of a tool with a Go new enough for it (sops, VictoriaLogs, Prometheus).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { join } from 'node:path';

/** `go1.19.8` ≥ `1.25.0`? A development build counts as new enough. */
export function goAtLeast(goVersion: string, wanted: string): boolean {
  const m = /^go(\d+)\.(\d+)(?:\.(\d+))?/.exec(goVersion);
  if (!m) return true;
  const have = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  const want = wanted.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (have[i] !== (want[i] ?? 0)) return have[i]! > (want[i] ?? 0);
  return true;
}

/** The module the Go proxy serves a Go release as, for this machine. */
export function goToolchainModule(goVersion: string, os: string = platform(), cpu: string = arch()): string {
  const goArch = ({ x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm' } as Record<string, string>)[cpu] ?? cpu;
  const goOs = os === 'win32' ? 'windows' : os;
  return `golang.org/toolchain@v0.0.1-go${goVersion}.${goOs}-${goArch}`;
}

/**
 * A `go` of at least `wanted`: the installed one, else that release fetched from the Go module proxy as the module
 * golang.org/toolchain (how Go ≥ 1.21 switches toolchains itself; Debian's Go pins GOTOOLCHAIN=local, and its 1.19
 * knows no switching). Null when there is no Go at all. The Temporal CLI's build does the same
 * (worker/src/embedded/temporal-cli.ts).
 */
export function goFor(wanted: string, what: string, env: NodeJS.ProcessEnv, log: (m: string) => void): string | null {
  let version: string;
  try {
    version = execFileSync('go', ['env', 'GOVERSION'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
  if (goAtLeast(version, wanted)) return 'go';
  const module = goToolchainModule(wanted);
  log(`${version} cannot build ${what} (its go.mod wants go ${wanted}): fetching ${module} from the Go module proxy...`);
  const out = execFileSync('go', ['mod', 'download', '-json', module], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const dir = (JSON.parse(out) as { Dir?: string }).Dir;
  if (!dir) throw new Error(`Could not fetch Go ${wanted} (\`go mod download ${module}\`): install Go ${wanted} or newer (https://go.dev/dl/).`);
  // Module zips carry no file modes: make the toolchain's commands executable, as Go's own switch does.
  for (const sub of ['bin', ...readdirSync(join(dir, 'pkg', 'tool')).map((d) => join('pkg', 'tool', d))]) {
    for (const f of readdirSync(join(dir, sub))) chmodSync(join(dir, sub, f), 0o555);
  }
  return join(dir, 'bin', 'go');
}

/**
 * `go install <module>` into `bin` with a Go of at least `goVersion` (fetched from the module proxy when the installed
 * one is older). False when there is no Go at all; a failed build throws.
 */
export function goInstall(module: string, goVersion: string, bin: string, opts: { env: NodeJS.ProcessEnv; log: (m: string) => void; what: string }): boolean {
  const go = goFor(goVersion, opts.what, opts.env, opts.log);
  if (!go) return false;
  mkdirSync(bin, { recursive: true });
  // GOROOT unset: a fetched toolchain finds its own. GOTOOLCHAIN=local: it runs as is, no further switch.
  const { GOROOT: _, ...rest } = opts.env;
  execFileSync(go, ['install', module], { env: { ...rest, GOBIN: bin, GOTOOLCHAIN: 'local' }, stdio: ['ignore', 'inherit', 'inherit'] });
  return true;
}
