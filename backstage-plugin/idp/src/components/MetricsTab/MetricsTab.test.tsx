/**
 * The Metrics tab against the real PlatformClient over a fake API answering the contract's MetricsView: five panels
 * with their latest value in the CLI's units, the range picker (one call per range, kept in the URL), null points
 * drawn as gaps — never as zeros —, "no data" said per panel and for the whole environment, and the API's refusal.
 */
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { MetricSeriesView, MetricsView } from '@idp/core';
import type { Handler } from '../../testing/api';
import { renderTab } from '../../testing/render';
import { env, list, REPO } from '../EnvironmentsTab/fixtures';
import { segments } from './MetricChart';
import { MetricsTab } from './MetricsTab';

const ENVS = list([env({ name: 'staging', runtime: { state: 'running', url: 'http://127.0.0.1:41234' } }), env({ name: 'production' })]);
const START = 1_795_000_000;
/** Points a minute apart from START. */
const pts = (values: (number | null)[]): MetricSeriesView['points'] => values.map((v, i) => [START + 60 * i, v]);
const series = (panel: MetricSeriesView['panel'], title: string, unit: MetricSeriesView['unit'], values: (number | null)[]): MetricSeriesView => ({ panel, title, unit, points: pts(values) });
const view = (over: Partial<MetricsView> = {}): MetricsView => ({
  component: 'checkout',
  environment: 'staging',
  source: 'metric source "local" (prometheus at http://127.0.0.1:9090)',
  start: new Date(START * 1000).toISOString(),
  end: new Date((START + 240) * 1000).toISOString(),
  step: 60,
  series: [
    series('requests', 'Requests', 'req/s', [10, 12.34, null, 11, 12.34]),
    series('errorRate', 'Error rate', 'ratio', [0, 0.012, null, 0.01, 0.012]),
    series('p95', 'p95 latency', 's', [0.09, 0.085, null, null, 0.085]),
    series('cpu', 'CPU', 'cores', [0.04, 0.05, 0.05, 0.05, 0.05]),
    series('memory', 'Memory', 'bytes', [null, null, null, null, null]),
  ],
  ...over,
});
const render = (routes: Record<string, Handler>, url?: string) =>
  renderTab(<MetricsTab />, { 'GET /environments': () => ({ body: ENVS }), ...routes }, url ? { initialRouteEntries: [url] } : {});
const metricCalls = (api: { calls: string[] }) => api.calls.filter((c) => c.includes('/metrics'));

describe('MetricsTab', () => {
  it('shows the five panels of the first environment, each latest value in the CLI\'s units, from one call over the last hour', async () => {
    const { api } = await render({ 'GET /environments/:env/metrics': () => ({ body: view() }) });
    expect(await screen.findByTestId('metric-requests-now')).toHaveTextContent('12.3/s');
    expect(screen.getByTestId('metric-errorRate-now')).toHaveTextContent('1.20%');
    expect(screen.getByTestId('metric-p95-now')).toHaveTextContent('85.0ms');
    expect(screen.getByTestId('metric-cpu-now')).toHaveTextContent('0.05 cores');
    // The range each panel spans, as `idp metrics` prints it.
    expect(screen.getByTestId('metric-requests-readout')).toHaveTextContent('10.0/s – 12.3/s');
    expect(screen.getByTestId('metrics-summary')).toHaveTextContent('The last 1h, a point every 60 s, from metric source "local" (prometheus at http://127.0.0.1:9090)');
    expect(metricCalls(api)).toEqual([`GET /environments/staging/metrics?repo=${encodeURIComponent(REPO.repo)}&path=paws.yaml&since=1h`]);
  });

  it('draws null points as gaps, never zeros: a line per run of known points, a dot for a point alone', async () => {
    await render({ 'GET /environments/:env/metrics': () => ({ body: view() }) });
    const requests = await screen.findByTestId('metric-requests');
    const lines = within(requests).getAllByTestId('metric-segment');
    expect(lines).toHaveLength(2);
    // x runs 0..320 over the range (a point a quarter of it apart); the missing third point (x=160) is in no line.
    const xs = lines.map((l) => [...l.getAttribute('d')!.matchAll(/(-?[\d.]+),(-?[\d.]+)/g)].map((m) => Number(m[1])));
    expect(xs).toEqual([[0, 80], [240, 320]]);
    // No point at y = the bottom (0) where there was no data: every drawn y is of a real value.
    const ys = lines.flatMap((l) => [...l.getAttribute('d')!.matchAll(/(-?[\d.]+),(-?[\d.]+)/g)].map((m) => Number(m[2])));
    expect(ys.every((y) => y < 92)).toBe(true);
    expect(within(requests).getByRole('img')).toHaveAccessibleName(/with gaps where there is no data/);

    // p95: one run of two points, then a point alone after two missing ones: a dot.
    const p95 = screen.getByTestId('metric-p95');
    expect(within(p95).getAllByTestId('metric-segment')).toHaveLength(1);
    expect(within(p95).getAllByTestId('metric-dot')).toHaveLength(1);
    // A series with no point at all: said, no chart (not a flat line at zero).
    const memory = screen.getByTestId('metric-memory');
    expect(within(memory).getByText('No data in this range')).toBeInTheDocument();
    expect(within(memory).queryByRole('img')).toBeNull();
    expect(screen.getByTestId('metric-memory-now')).toHaveTextContent('no data');
    expect(segments(pts([null, 1, null]))).toEqual([[[START + 60, 1]]]);
  });

  it('the range picker asks again for 6h, 24h or 7d (kept in the URL); another environment asks for its own', async () => {
    const user = userEvent.setup();
    const { api } = await render({ 'GET /environments/:env/metrics': () => ({ body: view() }) });
    await screen.findByTestId('metric-requests');
    await user.click(screen.getByRole('radio', { name: 'Last 6h' }));
    await waitFor(() => expect(metricCalls(api)).toHaveLength(2));
    expect(metricCalls(api)[1]).toMatch(/\/environments\/staging\/metrics\?.*&since=6h$/);
    await user.click(screen.getByRole('button', { name: /Environment/ }));
    await user.click(await screen.findByRole('option', { name: 'production' }));
    await waitFor(() => expect(metricCalls(api)).toHaveLength(3));
    expect(metricCalls(api)[2]).toMatch(/\/environments\/production\/metrics\?.*&since=6h$/);
  });

  it('opens at ?env=&range= as `idp open production --metrics` links it', async () => {
    const { api } = await render({ 'GET /environments/:env/metrics': () => ({ body: view() }) }, '/?env=production&range=7d');
    await screen.findByTestId('metric-requests');
    expect(metricCalls(api)).toEqual([`GET /environments/production/metrics?repo=${encodeURIComponent(REPO.repo)}&path=paws.yaml&since=7d`]);
    expect(screen.getByRole('radio', { name: 'Last 7d' })).toBeChecked();
  });

  it('says so when the environment has no data at all, naming the source and what to check', async () => {
    const empty = view({ series: view().series.map((s) => ({ ...s, points: s.points.map(([t]) => [t, null] as [number, null]) })) });
    await render({ 'GET /environments/:env/metrics': () => ({ body: empty }) });
    expect(await screen.findByText('No data for staging in this range')).toBeInTheDocument();
    expect(screen.getByText(/metric source "local" \(prometheus at http:\/\/127\.0\.0\.1:9090\) has no points for it: is it running/)).toBeInTheDocument();
    expect(screen.getAllByText('No data in this range')).toHaveLength(5);
  });

  it("shows the API's message when the metrics cannot be read (a 403, a source down)", async () => {
    const message = 'carol may not read the metrics of checkout in staging (idp.metrics.read): ask team-payments.';
    await render({ 'GET /environments/:env/metrics': () => ({ status: 403, body: { error: { code: 'forbidden', message } } }) });
    expect(await screen.findByText(message)).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent("Cannot read staging's metrics");
  });
});
