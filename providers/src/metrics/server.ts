/**
 * Prometheus as the embedded stack and the tests run it: loopback only, scraping every target listed in the JSON
 * files of `targetsDir` (file_sd: the local runtime writes one file per running environment, with its labels), often
 * enough that a fresh environment has rates within seconds.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServerProcess, type ServerProcess } from '../server-process.js';

export interface PrometheusOptions {
  bin: string;
  /** Holds prometheus.yml, data/ and targets/ (unless targetsDir is given). */
  dir: string;
  port: number;
  targetsDir?: string;
  /** Default 1s: the embedded stack is one laptop's handful of processes. */
  scrapeInterval?: string;
  logFile?: string;
}

export async function startPrometheus(opts: PrometheusOptions): Promise<ServerProcess & { targetsDir: string }> {
  const targetsDir = opts.targetsDir ?? join(opts.dir, 'targets');
  mkdirSync(targetsDir, { recursive: true });
  const interval = opts.scrapeInterval ?? '1s';
  const config = join(opts.dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      `  scrape_interval: ${interval}`,
      `  scrape_timeout: ${interval}`,
      'scrape_configs:',
      '  - job_name: idp-local-runtime',
      '    file_sd_configs:',
      `      - files: [${JSON.stringify(join(targetsDir, '*.json'))}]`,
      '        refresh_interval: 1s',
      '',
    ].join('\n'),
  );
  const server = await startServerProcess({
    name: 'Prometheus',
    bin: opts.bin,
    args: [`--config.file=${config}`, `--storage.tsdb.path=${join(opts.dir, 'data')}`, `--web.listen-address=127.0.0.1:${opts.port}`, '--web.enable-lifecycle', '--log.level=warn'],
    port: opts.port,
    logFile: opts.logFile ?? join(opts.dir, 'prometheus.log'),
    readyPath: '/-/ready',
  });
  return { ...server, targetsDir };
}
