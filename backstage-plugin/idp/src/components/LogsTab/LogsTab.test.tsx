/**
 * The Logs tab against the real PlatformClient over a fetch that serves real NDJSON streams, written chunk by chunk
 * as the API writes them: the live tail (Heroku's line format, lines split across chunks, notices), its reconnects
 * from the last cursor when a stream ends or breaks (with the "reconnecting" state in sight), Pause that stops
 * reading and Resume that picks up from the cursor, a refusal that stops it with the API's message, the filters sent,
 * the bounded window and the scrolling that follows only a reader at the bottom, and History (-n, since, until).
 */
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { LogTailEvent } from '@idp/core';
import { ndjsonStream, type Handler } from '../../testing/api';
import { renderTab } from '../../testing/render';
import { env, list, REPO } from '../EnvironmentsTab/fixtures';
import { LiveTail } from './LiveTail';
import { LogsTab } from './LogsTab';

const ENVS = list([
  env({ name: 'staging', runtime: { state: 'running', url: 'http://127.0.0.1:41234', image: 'ghcr.io/acme/checkout:1.4.2' } }),
  env({ name: 'production', runtime: { state: 'crashed', reason: 'web.1 exited with code 1' } }),
  env({ name: 'review-9', source: 'pending' }),
]);
const line = (n: number, over: Partial<Extract<LogTailEvent, { type: 'line' }>> = {}): LogTailEvent => ({
  type: 'line',
  time: `2026-11-26T10:00:0${n}.123456789Z`,
  process: 'web.1',
  message: `GET /item/${n} 200 3ms`,
  cursor: `c${n}`,
  ...over,
});

type Stream = ReturnType<typeof ndjsonStream>;
/** Every tail request, with the stream that answers it (the test writes to it). */
function tails() {
  const opened: Array<{ query: URLSearchParams; stream: Stream }> = [];
  const handler: Handler = (req) => {
    const stream = ndjsonStream(req.signal);
    opened.push({ query: req.query, stream });
    return stream.response;
  };
  return { opened, handler };
}

const render = (routes: Record<string, Handler>, url?: string) =>
  renderTab(<LogsTab />, { 'GET /environments': () => ({ body: ENVS }), ...routes }, url ? { initialRouteEntries: [url] } : {});
const shownLines = () => screen.queryAllByTestId('tail-line').map((l) => l.textContent);
const status = () => screen.getByTestId('tail-status').textContent;

describe('LogsTab: live', () => {
  it("follows the first environment at once: its last 100 lines, then each new one, in Heroku's format, lines split across chunks included", async () => {
    const t = tails();
    await render({ 'GET /environments/:env/logs/tail': t.handler });
    await waitFor(() => expect(t.opened).toHaveLength(1));
    const q = t.opened[0]!.query;
    expect(Object.fromEntries(q)).toEqual({ repo: REPO.repo, path: 'paws.yaml', backlog: '100' });
    expect(status()).toBe('Connecting…');
    // The running app, as `idp env list` says it.
    expect(screen.getByRole('link', { name: 'http://127.0.0.1:41234' })).toHaveAttribute('href', 'http://127.0.0.1:41234');

    t.opened[0]!.stream.send(line(1), line(2));
    await waitFor(() => expect(shownLines()).toEqual(['2026-11-26T10:00:01Z app[web.1]: GET /item/1 200 3ms', '2026-11-26T10:00:02Z app[web.1]: GET /item/2 200 3ms']));
    expect(status()).toBe('● Live');
    expect(screen.getAllByTestId('tail-line')[0]).toHaveAttribute('title', '2026-11-26T10:00:01.123456789Z');

    // One event split across two chunks, then an app's colours: shown once it is whole, without the escapes.
    const third = JSON.stringify(line(3, { message: '\u001b[32mGET /item/3\u001b[0m 200 3ms' }));
    t.opened[0]!.stream.raw(third.slice(0, 20));
    t.opened[0]!.stream.raw(`${third.slice(20)}\n`);
    await waitFor(() => expect(shownLines()).toHaveLength(3));
    expect(shownLines()[2]).toBe('2026-11-26T10:00:03Z app[web.1]: GET /item/3 200 3ms');
    // The source's notices, between the lines where they happened.
    t.opened[0]!.stream.send({ type: 'notice', message: 'log source "local" (victorialogs at http://127.0.0.1:9428): connection refused — retrying until it answers' });
    expect(await screen.findByTestId('tail-notice')).toHaveTextContent('— log source "local" (victorialogs at http://127.0.0.1:9428): connection refused — retrying until it answers');
    expect(t.opened).toHaveLength(1);
  });

  it('reconnects by itself from the last cursor when the stream ends (a heartbeat moves it too), showing "Reconnecting…" meanwhile', async () => {
    const t = tails();
    await render({ 'GET /environments/:env/logs/tail': t.handler });
    await waitFor(() => expect(t.opened).toHaveLength(1));
    t.opened[0]!.stream.send(line(1), line(2), { type: 'heartbeat', cursor: 'c2-idle' });
    await waitFor(() => expect(shownLines()).toHaveLength(2));
    t.opened[0]!.stream.end();

    await waitFor(() => expect(t.opened).toHaveLength(2));
    expect(status()).toBe('Reconnecting…');
    expect(screen.getByText('the connection ended')).toBeInTheDocument();
    // Resumed after the last point seen: no backlog again (no line twice), none missed.
    expect(t.opened[1]!.query.get('cursor')).toBe('c2-idle');
    expect(t.opened[1]!.query.has('backlog')).toBe(false);
    t.opened[1]!.stream.send(line(3));
    await waitFor(() => expect(shownLines()).toHaveLength(3));
    expect(status()).toBe('● Live');
    expect(shownLines()[2]).toMatch(/GET \/item\/3 /);
  });

  it('a broken connection or a 503 while the API restarts is retried with back-off from the cursor, the reason in sight', async () => {
    const t = tails();
    let unavailable = 1;
    await render({
      'GET /environments/:env/logs/tail': (req) =>
        t.opened.length === 1 && unavailable-- > 0 ? { status: 503, body: { error: { code: 'unavailable', message: 'The idp API is restarting; try again.' } } } : t.handler(req),
    });
    await waitFor(() => expect(t.opened).toHaveLength(1));
    t.opened[0]!.stream.send(line(1));
    await waitFor(() => expect(shownLines()).toHaveLength(1));
    t.opened[0]!.stream.fail();
    // The 503 comes next: said, and retried.
    expect(await screen.findByText('The idp API is restarting; try again.')).toBeInTheDocument();
    expect(status()).toBe('Reconnecting…');
    await waitFor(() => expect(t.opened).toHaveLength(2));
    expect(t.opened[1]!.query.get('cursor')).toBe('c1');
    t.opened[1]!.stream.send(line(2));
    await waitFor(() => expect(shownLines()).toHaveLength(2));
    expect(status()).toBe('● Live');
  });

  it('Pause stops reading (the connection is closed); Resume reconnects from the cursor and shows what was written meanwhile', async () => {
    const user = userEvent.setup();
    const t = tails();
    await render({ 'GET /environments/:env/logs/tail': t.handler });
    await waitFor(() => expect(t.opened).toHaveLength(1));
    t.opened[0]!.stream.send(line(1), line(2));
    await waitFor(() => expect(shownLines()).toHaveLength(2));

    await user.click(screen.getByRole('button', { name: 'Pause' }));
    expect(await t.opened[0]!.stream.closed).toBe('aborted');
    expect(status()).toBe('Paused');
    expect(t.opened).toHaveLength(1);

    await user.click(screen.getByRole('button', { name: 'Resume' }));
    await waitFor(() => expect(t.opened).toHaveLength(2));
    expect(t.opened[1]!.query.get('cursor')).toBe('c2');
    t.opened[1]!.stream.send(line(3), line(4));
    await waitFor(() => expect(shownLines()).toHaveLength(4));
    expect(status()).toBe('● Live');
  });

  it("a refusal stops the tail with the API's message, and is not retried", async () => {
    const message = 'carol may not read the logs of checkout in production (idp.logs.read): ask team-payments.';
    const { api } = await render({ 'GET /environments/:env/logs/tail': () => ({ status: 403, body: { error: { code: 'forbidden', message } } }) }, '/?env=production');
    expect(await screen.findByText(message)).toBeInTheDocument();
    expect(status()).toBe('Stopped');
    expect(screen.getByRole('alert')).toHaveTextContent("Cannot follow production's logs");
    // production crashed: said beside the picker.
    expect(screen.getByText(/crashed: web\.1 exited with code 1/)).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Pause' })).toBeNull();
    const tailCalls = () => api.calls.filter((c) => c.includes('/logs/tail'));
    expect(tailCalls()).toEqual([`GET /environments/production/logs/tail?repo=${encodeURIComponent(REPO.repo)}&path=paws.yaml&backlog=100`]);
  });

  it('the filters restart the tail with process and grep (kept in the URL); another environment starts its own', async () => {
    const user = userEvent.setup();
    const t = tails();
    await render({ 'GET /environments/:env/logs/tail': t.handler });
    await waitFor(() => expect(t.opened).toHaveLength(1));
    t.opened[0]!.stream.send(line(1));
    await waitFor(() => expect(shownLines()).toHaveLength(1));

    await user.type(screen.getByRole('textbox', { name: 'Process' }), 'web');
    await user.type(screen.getByRole('textbox', { name: 'Containing' }), 'error "x"{enter}');
    await waitFor(() => expect(t.opened).toHaveLength(2));
    expect(await t.opened[0]!.stream.closed).toBe('aborted');
    expect(Object.fromEntries(t.opened[1]!.query)).toEqual({ repo: REPO.repo, path: 'paws.yaml', backlog: '100', grep: 'error "x"', process: 'web' });
    // A new tail: the old lines are gone.
    expect(shownLines()).toEqual([]);
    expect(screen.getByText('following staging (process web, containing "error "x"")')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: /Environment/ }));
    await user.click(await screen.findByRole('option', { name: 'production' }));
    await waitFor(() => expect(t.opened).toHaveLength(3));
    expect(t.opened[2]!.query.get('grep')).toBe('error "x"');
    expect(await t.opened[1]!.stream.closed).toBe('aborted');
  });

  it('leaving the tab closes the connection', async () => {
    const t = tails();
    const { unmount } = await render({ 'GET /environments/:env/logs/tail': t.handler });
    await waitFor(() => expect(t.opened).toHaveLength(1));
    unmount();
    expect(await t.opened[0]!.stream.closed).toBe('aborted');
  });
});

describe('LiveTail: the window', () => {
  const renderTail = (max: number, t: ReturnType<typeof tails>) =>
    renderTab(<LiveTail repo={REPO} env="staging" backlog={10} max={max} />, { 'GET /environments/:env/logs/tail': t.handler });

  it('keeps only the newest lines, saying how many were dropped', async () => {
    const t = tails();
    await renderTail(5, t);
    await waitFor(() => expect(t.opened).toHaveLength(1));
    t.opened[0]!.stream.send(...[1, 2, 3, 4, 5, 6, 7, 8].map((n) => line(n)));
    await waitFor(() => expect(shownLines()[0]).toMatch(/item\/4 /));
    expect(shownLines()).toHaveLength(5);
    expect(screen.getByText(/3 older lines no longer shown/)).toBeInTheDocument();
  });

  it('keeps the newest line in view, unless the reader scrolled up; "Jump to newest" follows again', async () => {
    const user = userEvent.setup();
    const t = tails();
    await renderTail(100, t);
    await waitFor(() => expect(t.opened).toHaveLength(1));
    const box = screen.getByTestId('tail-lines');
    // jsdom lays nothing out: the box says how tall its content is (20 px a line) and how much it shows.
    Object.defineProperty(box, 'clientHeight', { configurable: true, get: () => 100 });
    Object.defineProperty(box, 'scrollHeight', { configurable: true, get: () => 20 * box.querySelectorAll('[data-testid=tail-line]').length });

    t.opened[0]!.stream.send(...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => line(n)));
    await waitFor(() => expect(shownLines()).toHaveLength(9));
    expect(box.scrollTop).toBe(180);

    // The reader scrolls up to read: new lines do not pull them down.
    act(() => {
      box.scrollTop = 20;
      box.dispatchEvent(new Event('scroll'));
    });
    t.opened[0]!.stream.send(line(10, { cursor: 'c10', time: '2026-11-26T10:00:10Z' }));
    await waitFor(() => expect(shownLines()).toHaveLength(10));
    expect(box.scrollTop).toBe(20);
    await user.click(screen.getByRole('button', { name: 'Jump to newest' }));
    expect(box.scrollTop).toBe(200);
    expect(screen.queryByRole('button', { name: 'Jump to newest' })).toBeNull();
  });
});

describe('LogsTab: history', () => {
  // LogViewer is virtualised: it renders lines only into a container with a size, which jsdom does not lay out.
  const rect = Object.getOwnPropertyDescriptor(Element.prototype, 'getBoundingClientRect')!;
  beforeAll(() => {
    Object.defineProperty(Element.prototype, 'getBoundingClientRect', { configurable: true, value: () => ({ x: 0, y: 0, top: 0, left: 0, right: 1000, bottom: 600, width: 1000, height: 600, toJSON: () => ({}) }) });
  });
  afterAll(() => Object.defineProperty(Element.prototype, 'getBoundingClientRect', rect));

  const LIST = { component: 'checkout', environment: 'staging', source: 'log source "local" (victorialogs at http://127.0.0.1:9428)', lines: [1, 2, 3].map((n) => ({ time: `2026-11-26T10:00:0${n}.5Z`, process: 'web.1', message: `GET /item/${n} 500 3ms` })) };

  it('loads the newest -n lines of a range with the filters, shown in Heroku\'s format; no tail runs', async () => {
    const user = userEvent.setup();
    const { api } = await render({ 'GET /environments/:env/logs': () => ({ body: LIST }), 'GET /environments/:env/logs/tail': tails().handler }, '/?env=staging&mode=history&grep=500');
    expect(await screen.findByText('2026-11-26T10:00:01Z app[web.1]: GET /item/1 500 3ms')).toBeInTheDocument();
    expect(screen.getByText('2026-11-26T10:00:03Z app[web.1]: GET /item/3 500 3ms')).toBeInTheDocument();
    expect(screen.getByTestId('history-summary')).toHaveTextContent('from log source "local" (victorialogs at http://127.0.0.1:9428)');
    const history = () => api.calls.filter((c) => /\/logs(\?|$)/.test(c));
    expect(history()).toEqual([`GET /environments/staging/logs?repo=${encodeURIComponent(REPO.repo)}&path=paws.yaml&n=100&grep=500`]);

    await user.type(screen.getByRole('textbox', { name: 'Since' }), '1h');
    await user.type(screen.getByRole('textbox', { name: 'Until' }), '10m');
    const lines = screen.getByRole('textbox', { name: 'Lines' });
    await user.clear(lines);
    await user.type(lines, '200');
    await user.click(screen.getByRole('button', { name: 'Apply' }));
    await waitFor(() => expect(history()).toHaveLength(2));
    expect(history()[1]).toBe(`GET /environments/staging/logs?repo=${encodeURIComponent(REPO.repo)}&path=paws.yaml&n=200&since=1h&until=10m&grep=500`);
    expect(api.calls.some((c) => c.includes('/logs/tail'))).toBe(false);
  });

  it('says so when there is no line, naming the source; a bad range shows the API\'s message', async () => {
    const answers = [
      { body: { ...LIST, lines: [] } },
      { status: 400, body: { error: { code: 'invalid_request', message: '--since must be a duration (30m, 1h, 2d) or an RFC 3339 timestamp, not "yesterday".' } } },
    ];
    const user = userEvent.setup();
    await render({ 'GET /environments/:env/logs': () => answers.shift()! }, '/?mode=history&grep=nope');
    expect(await screen.findByText('No lines containing "nope" from staging (log source "local" (victorialogs at http://127.0.0.1:9428)).')).toBeInTheDocument();
    await user.type(screen.getByRole('textbox', { name: 'Since' }), 'yesterday{enter}');
    expect(await screen.findByText('--since must be a duration (30m, 1h, 2d) or an RFC 3339 timestamp, not "yesterday".')).toBeInTheDocument();
  });

  it('switches between Live and History', async () => {
    const user = userEvent.setup();
    const t = tails();
    await render({ 'GET /environments/:env/logs': () => ({ body: LIST }), 'GET /environments/:env/logs/tail': t.handler });
    await waitFor(() => expect(t.opened).toHaveLength(1));
    await user.click(screen.getByRole('radio', { name: 'History' }));
    expect(await screen.findByText('2026-11-26T10:00:02Z app[web.1]: GET /item/2 500 3ms')).toBeInTheDocument();
    expect(await t.opened[0]!.stream.closed).toBe('aborted');
    await user.click(screen.getByRole('radio', { name: 'Live' }));
    await waitFor(() => expect(t.opened).toHaveLength(2));
    expect(within(screen.getByTestId('tail-status')).getByText('Connecting…')).toBeInTheDocument();
  });
});
