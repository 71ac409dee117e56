/**
 * VictoriaLogs as the embedded stack and the tests run it: one data directory, loopback only, rows kept for 100 years
 * (its default retention, 7 d, would drop the old timestamps a test or an import writes), and flushed to disk every
 * second rather than every 5 s, so a crash loses at most the last second of acknowledged rows (the shipper resends a
 * recent window after a failure, and readers drop the duplicates).
 */
import { join } from 'node:path';
import { startServerProcess, type ServerProcess } from '../server-process.js';

/** The stream fields the local runtime's lines carry (OpenTelemetry's names, as the default `stream` template reads). */
export const LOCAL_STREAM_FIELDS = ['service.name', 'deployment.environment.name', 'process'] as const;

export function startVictoriaLogs(opts: { bin: string; dataDir: string; port: number; logFile?: string }): Promise<ServerProcess> {
  return startServerProcess({
    name: 'VictoriaLogs',
    bin: opts.bin,
    args: [
      `-httpListenAddr=127.0.0.1:${opts.port}`,
      `-storageDataPath=${opts.dataDir}`,
      '-retentionPeriod=100y',
      '-futureRetention=1d',
      '-inmemoryDataFlushInterval=1s',
      '-loggerLevel=WARN',
    ],
    port: opts.port,
    logFile: opts.logFile ?? join(opts.dataDir, 'victoria-logs.log'),
    readyPath: '/health',
  });
}
