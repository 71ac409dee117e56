/**
 * A metric source: where an environment's request rate, error rate, p95 latency, CPU and memory are read from
 * (Prometheus and what speaks its HTTP API: VictoriaMetrics, Thanos, Mimir), behind this interface with a contract
 * suite (contract.ts). The PromQL of each panel is platform config (core's MetricsConfig).
 */
import type { MetricPanel } from '@idp/core';

export interface MetricsQuery {
  component: string;
  environment: string;
  /** `web` matches `web` and `web.*`. */
  process?: string;
  start: Date;
  end: Date;
  /** Seconds between points. */
  step: number;
}

export interface MetricSeries {
  panel: MetricPanel;
  /**
   * [unix seconds, value]; null where the source has no value (no samples, NaN). Evenly spaced by the step: the asked
   * one, or the coarser one the source used (`step`).
   */
  points: [number, number | null][];
  /** The seconds between points when the source coarsened the asked step (a range too fine for it); else the asked one. */
  step?: number;
}

export interface MetricSource {
  readonly name: string;
  /** `metric source "local" (prometheus at http://127.0.0.1:9090)` */
  readonly description: string;
  /** Every panel over the range, fetched in parallel: one series per panel, in METRIC_PANELS order. */
  query(query: MetricsQuery): Promise<MetricSeries[]>;
}
