/** GET /environments/:env/metrics: the five panels of `idp metrics` over a range, from the routed metric source. */
import { InvalidRequestError, METRIC_PANELS, parseTimeBound, type MetricsView } from '@idp/core';
import type { MetricSource } from '@idp/providers/metrics';
import { sourceFailure } from './observe.js';

/** About this many points per series unless a step is asked for: a sparkline's width, few enough to be quick. */
const POINTS = 60;

export async function environmentMetrics(source: MetricSource, ask: { component: string; environment: string; since: string; until?: string | undefined; step?: number | undefined; process?: string | undefined }): Promise<MetricsView> {
  const now = new Date();
  const start = parseTimeBound(ask.since, 'since', now);
  const end = ask.until ? parseTimeBound(ask.until, 'until', now) : now;
  if (start >= end) throw new InvalidRequestError(`--since (${start.toISOString()}) must be before --until (${end.toISOString()}).`);
  const step = ask.step ?? Math.max(1, Math.ceil((end.getTime() - start.getTime()) / 1000 / POINTS));
  const series = await source.query({ component: ask.component, environment: ask.environment, start, end, step, ...(ask.process ? { process: ask.process } : {}) }).catch(sourceFailure);
  return {
    component: ask.component,
    environment: ask.environment,
    source: source.description,
    start: start.toISOString(),
    end: end.toISOString(),
    step,
    series: series.map((s) => ({ panel: s.panel, title: METRIC_PANELS[s.panel].title, unit: METRIC_PANELS[s.panel].unit, points: s.points })),
  };
}
