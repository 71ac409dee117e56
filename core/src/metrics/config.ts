/**
 * Where an environment's metrics are read from: Prometheus-compatible sources (Prometheus, VictoriaMetrics, Thanos,
 * Mimir — anything serving /api/v1/query_range) and the rules that route a (component, environment) to one. The same
 * shape is `idp.metrics` in Backstage's app-config and the standalone server's IDP_METRICS_CONFIG file.
 *
 * ```yaml
 * metrics:
 *   sources:
 *     local: { type: prometheus, url: http://127.0.0.1:9090 }
 *     k8s:   { type: prometheus, url: https://prometheus.internal, tokenEnv: PROM_TOKEN,
 *              selector: 'namespace="{environment}",app_kubernetes_io_name="{component}"',
 *              queries: { cpu: 'sum(rate(container_cpu_usage_seconds_total{{selector}}[{window}]))' } }
 *   default: local
 * ```
 *
 * Each of the five panels `idp metrics` shows is one PromQL template over `{selector}` (the label matchers of one
 * environment, with `{process}` when asked) and `{window}` (the rate window the step calls for). Defaults: the
 * Prometheus client libraries' conventional names (prom-client, client_golang, prometheus_client) and OpenTelemetry's
 * `service.name` / `deployment.environment.name` as Prometheus labels.
 */
import { z } from 'zod';
import { ENV_VAR, sourcesConfig } from '../config/rules.js';
import { queryTemplate } from '../config/template.js';

/** The panels, in the order `idp metrics` shows them, with their units. */
export const METRIC_PANELS = {
  requests: { title: 'Requests', unit: 'req/s' },
  errorRate: { title: 'Errors (5xx)', unit: 'ratio' },
  p95: { title: 'p95 latency', unit: 's' },
  cpu: { title: 'CPU', unit: 'cores' },
  memory: { title: 'Memory', unit: 'bytes' },
} as const;
export type MetricPanel = keyof typeof METRIC_PANELS;

export const DEFAULT_METRIC_QUERIES: Record<MetricPanel, string> = {
  requests: 'sum(rate(http_requests_total{{selector}}[{window}]))',
  errorRate: 'sum(rate(http_requests_total{{selector},code=~"5.."}[{window}])) / sum(rate(http_requests_total{{selector}}[{window}]))',
  p95: 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{{selector}}[{window}])))',
  cpu: 'sum(rate(process_cpu_seconds_total{{selector}}[{window}]))',
  memory: 'sum(process_resident_memory_bytes{{selector}})',
};

const query = queryTemplate(['selector', 'window']);

export const PrometheusSourceConfig = z.strictObject({
  type: z.enum(['prometheus', 'victoriametrics']),
  url: z.url(),
  /** PromQL label matchers (without braces) selecting one environment of one component. */
  selector: queryTemplate(['component', 'environment']).default('service_name="{component}",deployment_environment_name="{environment}"'),
  /** The label naming the process (`web.1`); `--process web` matches `web` and `web.*`. */
  processLabel: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('process'),
  /** Per-panel PromQL; a panel left out keeps its default. */
  queries: z.strictObject({ requests: query.optional(), errorRate: query.optional(), p95: query.optional(), cpu: query.optional(), memory: query.optional() }).default({}),
  /** The scrape interval: the shortest step, and a quarter of the shortest rate window. */
  scrapeInterval: z.string().regex(/^\d+(ms|s|m)$/).default('15s'),
  tokenEnv: z.string().regex(ENV_VAR).optional(),
  token: z.never({ error: 'token must not be written in the config; name the variable that holds it with tokenEnv instead' }).optional(),
});
export type PrometheusSourceConfig = z.infer<typeof PrometheusSourceConfig>;
export const MetricSourceConfig = PrometheusSourceConfig;
export type MetricSourceConfig = PrometheusSourceConfig;

export const MetricsConfig = sourcesConfig(MetricSourceConfig);
export type MetricsConfig = z.infer<typeof MetricsConfig>;
