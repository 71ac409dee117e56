/**
 * What the log and metric routes share: the source the platform routes a (component, environment) to (idp.logs /
 * idp.metrics, first matching rule else the default), and a source's failure as the API's error, naming the source.
 */
import { NotFoundError, parsePaws, ProviderError, routeSource, IdpError, type LogsConfig, type MetricsConfig } from '@idp/core';
import { logSourcesFrom, type LogSource } from '@idp/providers/logs';
import { metricSourcesFrom, type MetricSource } from '@idp/providers/metrics';
import type { ComponentRef } from './identity.js';

/** The platform's log sources (built from idp.logs / IDP_LOGS_CONFIG) and their routing. */
export interface LogSources {
  config: LogsConfig;
  sources: Record<string, LogSource>;
}
export interface MetricSources {
  config: MetricsConfig;
  sources: Record<string, MetricSource>;
}

/** The configured log sources, built once (each reads its credentials from `env` when it queries). */
export function logSourcesFor(config: LogsConfig | undefined, env: NodeJS.ProcessEnv = process.env): LogSources | undefined {
  return config ? { config, sources: Object.fromEntries(logSourcesFrom(config, env)) } : undefined;
}

/** The configured metric sources, built once. */
export function metricSourcesFor(config: MetricsConfig | undefined, env: NodeJS.ProcessEnv = process.env): MetricSources | undefined {
  return config ? { config, sources: Object.fromEntries(metricSourcesFrom(config, env)) } : undefined;
}

const NONE = {
  logs: 'This server has no log sources configured: set idp.logs in app-config (or IDP_LOGS_CONFIG for the standalone server) to the VictoriaLogs, Loki or OpenSearch/Elasticsearch your platform ships logs to.',
  metrics: 'This server has no metric sources configured: set idp.metrics in app-config (or IDP_METRICS_CONFIG for the standalone server) to the Prometheus (or compatible) your platform scrapes into.',
} as const;

/** The source serving this component's environment; 404 when the environment is not in paws.yaml. */
export function sourceFor<S>(
  kind: 'logs' | 'metrics',
  configured: { config: LogsConfig | MetricsConfig; sources: Record<string, S> } | undefined,
  component: ComponentRef,
  text: string,
  env: string,
): S {
  const { spec } = parsePaws(text, component.path);
  if (!Object.hasOwn(spec.environments ?? {}, env)) {
    throw new NotFoundError(`There is no environment ${env} in ${component.path} on the default branch; \`idp env list\` shows them.`);
  }
  if (!configured) throw new IdpError('not_found', 404, NONE[kind]);
  const { source } = routeSource(configured.config, { component: component.name, ...(component.owner ? { owner: component.owner } : {}), env }, kind);
  const found = configured.sources[source];
  if (!found) throw new IdpError('internal', 500, `The ${kind} config routes ${component.name} in ${env} to "${source}", which has not been built; restart the server.`);
  return found;
}

/** A SourceError (or anything a source threw) as the API's 502, whose message names the source. */
export function sourceFailure(err: unknown): never {
  if (err instanceof IdpError) throw err;
  if (err instanceof Error && err.name === 'SourceError') throw new ProviderError(err.message, { kind: (err as { kind?: string }).kind });
  throw err;
}
