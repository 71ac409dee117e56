/**
 * Prometheus, the metric store `npm start` and the tests run (real): PROMETHEUS_BIN, then `prometheus` on PATH (Debian's
 * `apt-get install prometheus`, Homebrew's), then .tools/bin/prometheus; else `go install
 * github.com/prometheus/prometheus/cmd/prometheus@v0.316.0` (Prometheus 3.x; the module proxy is reachable where GitHub's
 * release downloads may not be) into .tools/bin — a long build (~4–6 min on 2 cores, 150 MB) done once, so the start
 * banner says so and points at the package.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { goInstall } from '../go-toolchain.js';
import { TOOLS_DIR, type ToolOptions } from '../secrets/tools.js';

export const PROMETHEUS_MODULE_VERSION = '0.316.0';
export const PROMETHEUS_MODULE = `github.com/prometheus/prometheus/cmd/prometheus@v${PROMETHEUS_MODULE_VERSION}`;
/** The `go` line of its go.mod. */
export const PROMETHEUS_GO = '1.26.7';

export const PROMETHEUS_MISSING = `The embedded metric store is Prometheus: install it (Debian/Ubuntu: apt-get install prometheus; macOS: brew install prometheus) or set PROMETHEUS_BIN, or install Go (https://go.dev/dl/) so idp can build it (\`go install ${PROMETHEUS_MODULE}\`, several minutes once).`;

/** An installed Prometheus (any 2.x or 3.x serves the query API idp reads), or null. */
export function findPrometheus(opts: ToolOptions = {}): string | null {
  const env = opts.env ?? process.env;
  if (env.PROMETHEUS_BIN) {
    if (!existsSync(env.PROMETHEUS_BIN)) throw new Error(`PROMETHEUS_BIN=${env.PROMETHEUS_BIN} does not exist.`);
    return env.PROMETHEUS_BIN;
  }
  const onPath = (env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, 'prometheus')).find((c) => existsSync(c));
  if (onPath) return onPath;
  const built = join(opts.toolsDir ?? TOOLS_DIR, 'bin', 'prometheus');
  const marker = `${built}.version`;
  return existsSync(built) && existsSync(marker) && readFileSync(marker, 'utf8').trim() === PROMETHEUS_MODULE_VERSION ? built : null;
}

/** Prometheus's path, built with Go into <tools>/bin when none is installed; null when there is no Go. */
export function ensurePrometheus(opts: ToolOptions = {}): string | null {
  const found = findPrometheus(opts);
  if (found) return found;
  const bin = join(opts.toolsDir ?? TOOLS_DIR, 'bin');
  const log = opts.log ?? (() => {});
  log(`No Prometheus (PROMETHEUS_BIN, PATH, .tools/bin): building it with \`go install ${PROMETHEUS_MODULE}\` into ${bin} (once, several minutes; \`apt-get install prometheus\` is faster)...`);
  if (!goInstall(PROMETHEUS_MODULE, PROMETHEUS_GO, bin, { env: opts.env ?? process.env, log, what: `Prometheus (module v${PROMETHEUS_MODULE_VERSION})` })) return null;
  const path = join(bin, 'prometheus');
  if (!existsSync(path)) throw new Error(`\`go install ${PROMETHEUS_MODULE}\` left no prometheus in ${bin}.`);
  writeFileSync(`${path}.version`, `${PROMETHEUS_MODULE_VERSION}\n`);
  return path;
}
