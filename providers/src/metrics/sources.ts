/**
 * Metric sources from configuration (`idp.metrics` / the standalone server's IDP_METRICS_CONFIG): one adapter per
 * configured source. Prometheus and VictoriaMetrics (and Thanos, Mimir: the same API) share the one adapter.
 */
import { MetricsConfig, type MetricSourceConfig } from '@idp/core';
import { PrometheusSource } from './prometheus.js';
import type { MetricSource } from './source.js';

/** The adapter for one configured source; its token is read from `env` when a query needs it. */
export function createMetricSource(name: string, config: MetricSourceConfig, env: NodeJS.ProcessEnv = process.env): MetricSource {
  switch (config.type) {
    case 'prometheus':
    case 'victoriametrics':
      return new PrometheusSource(name, config, { env });
  }
}

/** Every configured source by name. */
export function metricSourcesFrom(config: MetricsConfig, env: NodeJS.ProcessEnv = process.env): Map<string, MetricSource> {
  const parsed = MetricsConfig.parse(config);
  return new Map(Object.entries(parsed.sources).map(([name, c]) => [name, createMetricSource(name, c, env)]));
}
