/**
 * VictoriaLogs, the log store `npm start` and the tests run (real, like the Temporal dev server): VICTORIALOGS_BIN,
 * then `victoria-logs` on PATH, then .tools/bin/victoria-logs; else `go install
 * github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs@v1.52.1` into .tools/bin (~55 s once; a Go older than its
 * go.mod wants is fetched from the module proxy first). Its release binaries are on GitHub, which idp's users can
 * reach but this project's CI cannot; the module proxy is reachable from both, so the build is the one way here.
 */
import { existsSync, writeFileSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { goInstall } from '../go-toolchain.js';
import { TOOLS_DIR, type ToolOptions } from '../secrets/tools.js';

export const VICTORIALOGS_VERSION = '1.52.1';
export const VICTORIALOGS_MODULE = `github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs@v${VICTORIALOGS_VERSION}`;
/** The `go` line of its go.mod. */
export const VICTORIALOGS_GO = '1.26.5';

export const VICTORIALOGS_MISSING = `The embedded log store is VictoriaLogs v${VICTORIALOGS_VERSION}: install Go (https://go.dev/dl/, or Debian's golang-go) so idp can build it (\`go install ${VICTORIALOGS_MODULE}\`), or put victoria-logs on PATH, or set VICTORIALOGS_BIN.`;

/**
 * An installed VictoriaLogs, or null. VICTORIALOGS_BIN and PATH are taken as they are (this build prints no version);
 * .tools/bin's only with the marker naming the version built.
 */
export function findVictoriaLogs(opts: ToolOptions = {}): string | null {
  const env = opts.env ?? process.env;
  if (env.VICTORIALOGS_BIN) {
    if (!existsSync(env.VICTORIALOGS_BIN)) throw new Error(`VICTORIALOGS_BIN=${env.VICTORIALOGS_BIN} does not exist.`);
    return env.VICTORIALOGS_BIN;
  }
  const onPath = (env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, 'victoria-logs')).find((c) => existsSync(c));
  if (onPath) return onPath;
  const built = join(opts.toolsDir ?? TOOLS_DIR, 'bin', 'victoria-logs');
  const marker = `${built}.version`;
  return existsSync(built) && existsSync(marker) && readFileSync(marker, 'utf8').trim() === VICTORIALOGS_VERSION ? built : null;
}

/** VictoriaLogs' path, built with Go into <tools>/bin when none is installed; null when there is no Go. */
export function ensureVictoriaLogs(opts: ToolOptions = {}): string | null {
  const found = findVictoriaLogs(opts);
  if (found) return found;
  const bin = join(opts.toolsDir ?? TOOLS_DIR, 'bin');
  const log = opts.log ?? (() => {});
  log(`No VictoriaLogs (VICTORIALOGS_BIN, PATH, .tools/bin): building it with \`go install ${VICTORIALOGS_MODULE}\` into ${bin} (once, ~55 s)...`);
  if (!goInstall(VICTORIALOGS_MODULE, VICTORIALOGS_GO, bin, { env: opts.env ?? process.env, log, what: `VictoriaLogs v${VICTORIALOGS_VERSION}` })) return null;
  const path = join(bin, 'victoria-logs');
  if (!existsSync(path)) throw new Error(`\`go install ${VICTORIALOGS_MODULE}\` left no victoria-logs in ${bin}.`);
  writeFileSync(`${path}.version`, `${VICTORIALOGS_VERSION}\n`);
  return path;
}
