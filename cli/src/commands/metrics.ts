/**
 * idp metrics --env <env>: request rate, error rate, p95 latency, CPU and memory over the last hour (--since), each
 * with its latest value, its range and a sparkline — what Heroku's Metrics tab shows, in a terminal. --json: the
 * API's MetricsView (every point).
 */
import type { MetricsView } from '@idp/core';
import { formatValue } from '@idp/core/metrics-format';
import type { CommandInput } from '../command.js';
import { UsageError } from '../exit-codes.js';
import { colors, table, type Colors } from '../output.js';
import { setup, stringFlag } from './shared/common.js';
import { processFlag, requiredEnv } from './shared/observe.js';

const BARS = '▁▂▃▄▅▆▇█';

/** One character a point, scaled between the series' min and max; a gap (no data) is a space. */
export function sparkline(values: (number | null)[]): string {
  const known = values.filter((v): v is number => v !== null);
  if (!known.length) return '';
  const min = Math.min(...known);
  const max = Math.max(...known);
  return values.map((v) => (v === null ? ' ' : BARS[max === min ? (max === 0 ? 0 : BARS.length - 1) : Math.round(((v - min) / (max - min)) * (BARS.length - 1))])).join('');
}

/** A value in its unit (12.3/s, 1.2%, 85ms, 0.05 cores, 45.2 MB): one formatter for the CLI and the Metrics tab. */
export { formatValue };

export function metricsTable(view: MetricsView, c: Colors = colors(false)): string {
  const rows = view.series.map((s) => {
    const values = s.points.map(([, v]) => v);
    const known = values.filter((v): v is number => v !== null);
    const last = [...values].reverse().find((v) => v !== null) ?? null;
    const range = known.length ? `${formatValue(Math.min(...known), s.unit)} – ${formatValue(Math.max(...known), s.unit)}` : c.dim('no data');
    return [s.title, formatValue(last, s.unit), range, sparkline(values)];
  });
  return table(['METRIC', 'NOW', 'RANGE', `LAST ${describeRange(view)}`], rows, c);
}

function describeRange(view: MetricsView): string {
  const s = Math.round((Date.parse(view.end) - Date.parse(view.start)) / 1000);
  return s % 86400 === 0 ? `${s / 86400}D` : s % 3600 === 0 ? `${s / 3600}H` : s % 60 === 0 ? `${s / 60}M` : `${s}S`;
}

export async function run(input: CommandInput): Promise<void> {
  const env = requiredEnv(input, 'metrics');
  const proc = processFlag(input);
  const since = stringFlag(input.flags, 'since');
  const until = stringFlag(input.flags, 'until');
  const rawStep = stringFlag(input.flags, 'step');
  const step = rawStep === undefined ? undefined : /^\d+$/.test(rawStep) ? Number(rawStep) : NaN;
  if (step !== undefined && !(step >= 1 && step <= 86_400)) throw new UsageError(`--step must be a number of seconds from 1 to 86400, not "${rawStep}".`);
  const { client, ref } = await setup(input);
  const view = await client.metrics(ref, env, { since, until, step, process: proc });
  if (input.ui.json) return input.ui.printJson(view);
  input.io.stdout.write(metricsTable(view, input.ui.out));
  if (view.series.every((s) => s.points.every(([, v]) => v === null))) {
    input.ui.note(`No data for ${env} in this range from ${view.source}: is it running, and does it expose the metrics idp.metrics reads?`);
  }
}
