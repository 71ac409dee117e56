/**
 * Log sources from configuration (`idp.logs` / the standalone server's IDP_LOGS_CONFIG): one adapter per configured
 * source, by type. A new backend is one more case here (and its file, run through contract.ts).
 */
import { LogsConfig, type LogSourceConfig } from '@idp/core';
import { LokiSource } from './loki.js';
import { SearchLogSource } from './opensearch.js';
import type { LogSource } from './source.js';
import { VictoriaLogsSource } from './victorialogs.js';

/** The adapter for one configured source; credentials are read from `env` when a query needs them. */
export function createLogSource(name: string, config: LogSourceConfig, env: NodeJS.ProcessEnv = process.env): LogSource {
  switch (config.type) {
    case 'victorialogs':
      return new VictoriaLogsSource(name, config, { env });
    case 'opensearch':
    case 'elasticsearch':
      return new SearchLogSource(name, config, { env });
    case 'loki':
      return new LokiSource(name, config, { env });
  }
}

/** Every configured source by name. */
export function logSourcesFrom(config: LogsConfig, env: NodeJS.ProcessEnv = process.env): Map<string, LogSource> {
  const parsed = LogsConfig.parse(config);
  return new Map(Object.entries(parsed.sources).map(([name, c]) => [name, createLogSource(name, c, env)]));
}
