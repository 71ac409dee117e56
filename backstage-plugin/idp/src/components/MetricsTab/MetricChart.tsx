/**
 * One panel of the Metrics tab: a series over the range as a small line chart, its latest value and its range in the
 * CLI's units (formatValue, shared with `idp metrics`).
 *
 * Plain SVG, not a chart library: the Backstage app's dependency tree has none (core-components' TrendLine is
 * react-sparklines, which takes numbers only — a missing point would have to become a 0 or be dropped, and both lie),
 * and five small line charts need a few lines of path building, not a new dependency in every app that installs
 * the plugin. A missing point (null: the source had no data then) is a gap in the line, never a zero; a point alone
 * between gaps is a dot. The y axis starts at 0 (every panel's unit is non-negative), so a small change does not
 * look like a big one; hovering reads a point's time and value.
 */
import { Card, CardBody, CardHeader, Flex, Text } from '@backstage/ui';
import type { MetricSeriesView } from '@idp/core';
import { formatValue } from '@idp/core/metrics-format';
import { useState, type PointerEvent } from 'react';

const W = 320;
const H = 96;
const PAD = 4;

type Point = [number, number];

/** The runs of consecutive known points: each is drawn as one line; nulls separate them. */
export function segments(points: MetricSeriesView['points']): Point[][] {
  const out: Point[][] = [];
  let run: Point[] = [];
  for (const [t, v] of points) {
    if (v === null) {
      if (run.length) out.push(run);
      run = [];
    } else run.push([t, v]);
  }
  if (run.length) out.push(run);
  return out;
}

/** "10:05", or "Nov 26 10:05" when the range spans more than a day. */
function timeLabel(unixSeconds: number, long: boolean): string {
  const d = new Date(unixSeconds * 1000);
  return long ? d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }) : d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/** The values' range, as `idp metrics` prints it ("10.0/s – 12.3/s"); one value when they are all the same. */
function spread(known: number[], fmt: (v: number) => string): string {
  const [lo, hi] = [fmt(Math.min(...known)), fmt(Math.max(...known))];
  return lo === hi ? lo : `${lo} – ${hi}`;
}

export function MetricChart({ series, start, end }: { series: MetricSeriesView; start: number; end: number }) {
  const [hover, setHover] = useState<number | undefined>(undefined);
  const known = series.points.map(([, v]) => v).filter((v): v is number => v !== null);
  const last = [...series.points].reverse().find(([, v]) => v !== null)?.[1] ?? null;
  const long = end - start > 86_400;
  const span = Math.max(end - start, 1);
  const top = Math.max(0, ...known);
  const bottom = Math.min(0, ...known);
  const x = (t: number) => ((t - start) / span) * W;
  // An all-zero series is a flat line at the bottom.
  const y = (v: number) => (top === bottom ? H - PAD : H - PAD - ((v - bottom) / (top - bottom)) * (H - 2 * PAD));
  const runs = segments(series.points);
  const fmt = (v: number | null) => formatValue(v, series.unit);

  const onMove = (e: PointerEvent<SVGSVGElement>) => {
    const box = e.currentTarget.getBoundingClientRect();
    if (!box.width || !series.points.length) return;
    const t = start + ((e.clientX - box.left) / box.width) * span;
    let best = 0;
    series.points.forEach(([pt], i) => Math.abs(pt - t) < Math.abs(series.points[best]![0] - t) && (best = i));
    setHover(best);
  };
  const hovered = hover === undefined ? undefined : series.points[hover];

  return (
    <Card data-testid={`metric-${series.panel}`}>
      <CardHeader>
        <Flex justify="between" align="baseline">
          <Text weight="bold">{series.title}</Text>
          <Text variant="title-small" data-testid={`metric-${series.panel}-now`} title="The latest value">
            {known.length ? fmt(last) : 'no data'}
          </Text>
        </Flex>
      </CardHeader>
      <CardBody>
        {known.length === 0 ? (
          <Flex align="center" justify="center" style={{ height: H }}>
            <Text color="secondary">No data in this range</Text>
          </Flex>
        ) : (
          <>
            <svg
              viewBox={`0 0 ${W} ${H}`}
              preserveAspectRatio="none"
              width="100%"
              height={H}
              role="img"
              aria-label={`${series.title}: latest ${fmt(last)}, from ${fmt(Math.min(...known))} to ${fmt(Math.max(...known))}${runs.length > 1 || known.length < series.points.length ? ', with gaps where there is no data' : ''}`}
              onPointerMove={onMove}
              onPointerLeave={() => setHover(undefined)}
              style={{ display: 'block', overflow: 'visible' }}
            >
              <line x1={0} x2={W} y1={H - PAD} y2={H - PAD} stroke="var(--bui-border-1, #ccc)" vectorEffect="non-scaling-stroke" />
              {runs.map((run, i) =>
                run.length === 1 ? (
                  <circle key={i} data-testid="metric-dot" cx={x(run[0]![0])} cy={y(run[0]![1])} r={2} fill="var(--bui-fg-info, #1f5493)" />
                ) : (
                  <g key={i}>
                    <path d={`M${x(run[0]![0])},${H - PAD} ${run.map(([t, v]) => `L${x(t)},${y(v)}`).join(' ')} L${x(run.at(-1)![0])},${H - PAD} Z`} fill="var(--bui-fg-info, #1f5493)" opacity={0.12} />
                    <path data-testid="metric-segment" d={`M${run.map(([t, v]) => `${x(t)},${y(v)}`).join(' L')}`} fill="none" stroke="var(--bui-fg-info, #1f5493)" strokeWidth={1.5} vectorEffect="non-scaling-stroke" />
                  </g>
                ),
              )}
              {hovered && <line x1={x(hovered[0])} x2={x(hovered[0])} y1={0} y2={H} stroke="var(--bui-fg-secondary, #888)" strokeDasharray="2 2" vectorEffect="non-scaling-stroke" />}
            </svg>
            <Flex justify="between">
              <Text variant="body-x-small" color="secondary">
                {timeLabel(start, long)}
              </Text>
              <Text variant="body-x-small" color="secondary" data-testid={`metric-${series.panel}-readout`}>
                {hovered ? `${timeLabel(hovered[0], long)} · ${hovered[1] === null ? 'no data' : fmt(hovered[1])}` : spread(known, fmt)}
              </Text>
              <Text variant="body-x-small" color="secondary">
                {timeLabel(end, long)}
              </Text>
            </Flex>
          </>
        )}
      </CardBody>
    </Card>
  );
}
