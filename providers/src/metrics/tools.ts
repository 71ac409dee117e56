/**
 * Prometheus, the metric store `npm start` and the tests run (real), found or fetched the way the Temporal CLI is
 * (worker/src/embedded/temporal-cli.ts), in this order:
 *  1. one already there: PROMETHEUS_BIN, then `prometheus` on PATH (Debian's `apt-get install prometheus`, Homebrew's),
 *     then .tools/prometheus-3.16.0/prometheus (a download), then .tools/bin/prometheus (a Go build, with its marker);
 *  2. the official release from GitHub (`prometheus-3.16.0.<os>-<arch>.tar.gz`, checked against the release's
 *     sha256sums.txt), seconds with the internet, into .tools/prometheus-3.16.0/; bounded (github.com must answer a
 *     probe within 5 s, the download finish within 5 min), so a machine without GitHub falls through at once;
 *  3. `go install github.com/prometheus/prometheus/cmd/prometheus@v0.316.0` (the same 3.16.0; the Go module proxy is
 *     reachable where GitHub may not be) into .tools/bin — ~5 min on 2 cores and 150 MB, once.
 * Each step that fetches or builds says so, and why, through `log`.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { x as untar } from 'tar';
import { goInstall } from '../go-toolchain.js';
import { TOOLS_DIR, type ToolOptions } from '../secrets/tools.js';
import { checksumFor, fetchText, fetchToFile, probeUrl, tryOfficialDownload } from '../tool-download.js';

/** The release idp fetches or builds; its Go module version is v0.3xx.y for Prometheus 3.xx.y. */
export const PROMETHEUS_VERSION = '3.16.0';
export const PROMETHEUS_MODULE_VERSION = '0.316.0';
export const PROMETHEUS_MODULE = `github.com/prometheus/prometheus/cmd/prometheus@v${PROMETHEUS_MODULE_VERSION}`;
/** The `go` line of its go.mod. */
export const PROMETHEUS_GO = '1.26.7';
/** Where GitHub serves the release assets: `<base>/v<version>/<asset>`. */
export const PROMETHEUS_RELEASES = 'https://github.com/prometheus/prometheus/releases/download';

export const PROMETHEUS_MISSING = `The embedded metric store is Prometheus: install it (Debian/Ubuntu: apt-get install prometheus; macOS: brew install prometheus) or set PROMETHEUS_BIN; idp could neither download the official release (${PROMETHEUS_RELEASES}/v${PROMETHEUS_VERSION}/) nor build it, for want of Go (https://go.dev/dl/; \`go install ${PROMETHEUS_MODULE}\`, several minutes once).`;

/** The release's tarball for a platform, or null where Prometheus publishes none as .tar.gz (Windows: a .zip). */
export function prometheusTarball(version: string = PROMETHEUS_VERSION, os: string = platform(), cpu: string = arch()): string | null {
  const goOs = ({ linux: 'linux', darwin: 'darwin', freebsd: 'freebsd', openbsd: 'openbsd', netbsd: 'netbsd' } as Record<string, string>)[os];
  const goArch = ({ x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'armv7', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[cpu];
  return goOs && goArch ? `prometheus-${version}.${goOs}-${goArch}.tar.gz` : null;
}

/** Where the download goes: <tools>/prometheus-<version>/prometheus. */
export function downloadedPrometheus(toolsDir: string = TOOLS_DIR): string {
  return join(toolsDir, `prometheus-${PROMETHEUS_VERSION}`, 'prometheus');
}

/** An installed Prometheus (any 2.x or 3.x serves the query API idp reads), or null. */
export function findPrometheus(opts: ToolOptions = {}): string | null {
  const env = opts.env ?? process.env;
  if (env.PROMETHEUS_BIN) {
    if (!existsSync(env.PROMETHEUS_BIN)) throw new Error(`PROMETHEUS_BIN=${env.PROMETHEUS_BIN} does not exist.`);
    return env.PROMETHEUS_BIN;
  }
  const onPath = (env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, 'prometheus')).find((c) => existsSync(c));
  if (onPath) return onPath;
  const toolsDir = opts.toolsDir ?? TOOLS_DIR;
  // The download's directory appears whole (renamed into place), so its binary being there is enough.
  if (existsSync(downloadedPrometheus(toolsDir))) return downloadedPrometheus(toolsDir);
  const built = join(toolsDir, 'bin', 'prometheus');
  const marker = `${built}.version`;
  return existsSync(built) && existsSync(marker) && readFileSync(marker, 'utf8').trim() === PROMETHEUS_MODULE_VERSION ? built : null;
}

/** How steps 2 and 3 reach the outside; tests replace them. */
export interface PrometheusSources {
  /** Resolves when github.com answers (any HTTP status); `signal` aborts it. */
  probe(signal: AbortSignal): Promise<void>;
  /** The official release's `prometheus` into `file` (its directory appearing whole); on abort, nothing left behind. */
  download(file: string, signal: AbortSignal): Promise<void>;
  /** `go install` into `bin`; false when there is no Go. A failed build throws. */
  build(bin: string): boolean;
}

export interface EnsurePrometheusOptions extends ToolOptions {
  sources?: Partial<PrometheusSources>;
  probeTimeoutMs?: number;
  downloadTimeoutMs?: number;
  /** Instead of PROMETHEUS_RELEASES (the tests serve a release from loopback). */
  releases?: string;
}

/** Prometheus's path, downloaded (else built with Go) when none is installed; null when neither can be done. */
export async function ensurePrometheus(opts: EnsurePrometheusOptions = {}): Promise<string | null> {
  const found = findPrometheus(opts);
  if (found) return found;
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => {});
  const toolsDir = opts.toolsDir ?? TOOLS_DIR;
  const src: PrometheusSources = { ...defaultSources(env, log, opts.releases ?? PROMETHEUS_RELEASES), ...opts.sources };

  const file = downloadedPrometheus(toolsDir);
  log(`No Prometheus (PROMETHEUS_BIN, PATH, .tools): downloading the official release ${PROMETHEUS_VERSION} from GitHub into ${join(toolsDir, `prometheus-${PROMETHEUS_VERSION}`)}...`);
  const failed = await tryOfficialDownload({
    host: 'github.com',
    probe: (s) => src.probe(s),
    download: (s) => src.download(file, s),
    env,
    probeTimeoutMs: opts.probeTimeoutMs,
    downloadTimeoutMs: opts.downloadTimeoutMs,
  });
  if (!failed) {
    log(`Downloaded Prometheus ${PROMETHEUS_VERSION} to ${file}.`);
    return file;
  }
  const bin = join(toolsDir, 'bin');
  log(`The official download failed (${failed}); building Prometheus with \`go install ${PROMETHEUS_MODULE}\` into ${bin} instead (once, several minutes; \`apt-get install prometheus\` is faster)...`);
  if (!src.build(bin)) return null;
  const path = join(bin, 'prometheus');
  if (!existsSync(path)) throw new Error(`\`go install ${PROMETHEUS_MODULE}\` left no prometheus in ${bin}.`);
  writeFileSync(`${path}.version`, `${PROMETHEUS_MODULE_VERSION}\n`);
  return path;
}

/**
 * The release tarball for this machine, verified against the release's sha256sums.txt, unpacked aside and renamed
 * into place: an aborted or failed download leaves no .tools/prometheus-<version>/ for findPrometheus to trust.
 */
export async function downloadPrometheus(file: string, signal: AbortSignal, releases: string = PROMETHEUS_RELEASES, tarball: string | null = prometheusTarball()): Promise<void> {
  if (!tarball) throw new Error(`Prometheus publishes no .tar.gz release for ${platform()}-${arch()}`);
  const base = `${releases}/v${PROMETHEUS_VERSION}`;
  const want = checksumFor(await fetchText(`${base}/sha256sums.txt`, signal), tarball);
  if (!want) throw new Error(`${base}/sha256sums.txt lists no ${tarball}`);
  const dir = dirname(file);
  mkdirSync(dirname(dir), { recursive: true });
  const aside = mkdtempSync(`${dir}.download-`);
  try {
    const archive = join(aside, tarball);
    const got = await fetchToFile(`${base}/${tarball}`, archive, signal);
    if (got !== want) throw new Error(`${tarball} does not match sha256sums.txt (sha256 ${got}, expected ${want}); not installed`);
    const entry = `${tarball.replace(/\.tar\.gz$/, '')}/prometheus`;
    const out = join(aside, 'out');
    mkdirSync(out);
    await untar({ file: archive, cwd: out, strip: 1 }, [entry]);
    if (!existsSync(join(out, 'prometheus'))) throw new Error(`${tarball} holds no ${entry}`);
    chmodSync(join(out, 'prometheus'), 0o755);
    if (signal.aborted) return;
    rmSync(dir, { recursive: true, force: true });
    renameSync(out, dir);
  } finally {
    rmSync(aside, { recursive: true, force: true });
  }
}

function defaultSources(env: NodeJS.ProcessEnv, log: (m: string) => void, releases: string): PrometheusSources {
  return {
    probe: (signal) => probeUrl(new URL(releases).origin, signal),
    download: (file, signal) => downloadPrometheus(file, signal, releases),
    build: (bin) => goInstall(PROMETHEUS_MODULE, PROMETHEUS_GO, bin, { env, log, what: `Prometheus ${PROMETHEUS_VERSION} (module v${PROMETHEUS_MODULE_VERSION})` }),
  };
}
