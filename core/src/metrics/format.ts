/**
 * A metric value in its unit, as people read it — 12.3/s, 1.2%, 85ms, 0.05 cores, 45.2 MB — shared by `idp metrics`
 * and the Backstage Metrics tab, so both faces say the same number the same way. Browser-safe (no Node imports):
 * `@idp/core/metrics-format`.
 */
import type { MetricSeriesView } from '../api/contract.js';

/** `-` for no data (null), never 0. */
export function formatValue(v: number | null, unit: MetricSeriesView['unit']): string {
  if (v === null) return '-';
  const num = (x: number) => (x === 0 ? '0' : Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : Math.abs(x) >= 0.01 ? x.toFixed(2) : x.toPrecision(2));
  switch (unit) {
    case 'req/s':
      return `${num(v)}/s`;
    case 'ratio':
      return `${num(v * 100)}%`;
    case 's':
      return v < 1 ? `${num(v * 1000)}ms` : `${num(v)}s`;
    case 'cores':
      return `${num(v)} cores`;
    case 'bytes': {
      const units = ['B', 'KB', 'MB', 'GB', 'TB'];
      let i = 0;
      while (Math.abs(v) >= 1024 && i < units.length - 1) (v /= 1024), i++;
      return `${num(v)} ${units[i]}`;
    }
  }
}
