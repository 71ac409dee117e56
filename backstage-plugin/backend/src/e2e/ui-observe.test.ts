/**
 * The Logs and Metrics tabs and the running app in a real browser (Debian chromium through playwright-core) against
 * the embedded stack `npm start` runs — the local runtime running the demo's environments, their lines shipped to
 * the stack's VictoriaLogs and their metrics scraped by its Prometheus — signed in as guest:
 *   - the Environments tab shows staging running, and its "Open app" link is the URL the API reports (`idp env list`'s
 *     "running at"), where the app answers;
 *   - the Logs tab follows staging live: a request made to staging's URL after the tail is live shows up as its line,
 *     in Heroku's format, without a reload (the NDJSON stream read through Backstage's fetchApi, with the token);
 *     History finds the same line; Pause closes the stream and Resume catches up on what was written meanwhile;
 *   - the Metrics tab shows the five panels, the request rate once Prometheus has scraped the app's requests.
 * Screenshots are kept in test-artifacts/ui/ (not in git) for a person to look at.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { EnvironmentRuntime } from '@idp/core';
import type { PlatformClient } from '@idp/core/client';
import { eventually } from '@idp/worker/testing';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startEmbedded, type EmbeddedStack } from '../testing/embedded.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const SHOTS = join(root, 'test-artifacts/ui');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('the Logs and Metrics tabs in Chromium', () => {
  let stack: EmbeddedStack;
  let browser: Browser;
  let guest: PlatformClient;
  const tab = (name: string) => `${stack.baseUrl}/catalog/default/component/checkout/${name}`;
  const ref = () => ({ repo: stack.demo.bare, path: 'paws.yaml' });
  /** A page in a browser of its own, signed in as guest; its waits are for conditions (the runner's timeout bounds all). */
  const newPage = async (): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    context.setDefaultTimeout(0);
    return context.newPage();
  };
  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  /** staging as the API reports it once the local runtime runs it (what `idp env list --json` prints). */
  const stagingRunning = () =>
    eventually(async () => {
      const r = (await guest.listEnvironments(ref())).environments.find((e) => e.name === 'staging')?.runtime;
      return r?.state === 'running' && r.url !== undefined && (r as EnvironmentRuntime & { url: string });
    }, 60_000, 'staging running');

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    stack = await startEmbedded();
    guest = await stack.clientAs('guest');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('the Environments tab shows staging running, "Open app" pointing where the app answers', async () => {
    const { url } = await stagingRunning();
    const page = await newPage();
    await page.goto(tab('environments'));
    const open = page.getByTestId('runtime-staging').getByRole('link', { name: 'Open app of staging' });
    await open.waitFor();
    assert.equal(await open.getAttribute('href'), url);
    assert.equal(await open.getAttribute('target'), '_blank');
    assert.equal((await fetch(url)).status, 200);
    await shot(page, 'environments-running');
  });

  it("the Logs tab follows staging live: a request to staging's URL appears as its line, without a reload; History finds it; Pause and Resume miss nothing", async () => {
    const { url } = await stagingRunning();
    const page = await newPage();
    // Every tail request the page makes (the NDJSON route), to see Pause close one and Resume open the next.
    const tails: string[] = [];
    page.on('request', (r) => r.url().includes('/logs/tail') && tails.push(r.url()));
    await page.goto(`${tab('logs')}?env=staging`);
    const status = page.getByTestId('tail-status');
    // Live: the stream answered (the backlog's lines, or a heartbeat on a quiet environment).
    await status.filter({ hasText: 'Live' }).waitFor();
    assert.equal(tails.length, 1);
    assert.match(tails[0]!, /[?&]backlog=100(&|$)/);

    const probe = randomUUID();
    assert.equal((await fetch(`${url}/?probe=${probe}`)).status, 200);
    const line = page.getByTestId('tail-line').filter({ hasText: probe });
    await line.waitFor();
    assert.match((await line.textContent()) ?? '', new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ app\\[web\\.1\\]: GET /\\?probe=${probe} 200 \\d+ms$`));
    await shot(page, 'logs-live');

    // Paused: the stream is closed; what is written meanwhile comes on Resume, from where it stopped.
    await page.getByRole('button', { name: 'Pause' }).click();
    await status.filter({ hasText: 'Paused' }).waitFor();
    const meanwhile = randomUUID();
    assert.equal((await fetch(`${url}/?meanwhile=${meanwhile}`)).status, 200);
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByTestId('tail-line').filter({ hasText: meanwhile }).waitFor();
    assert.equal(tails.length, 2);
    assert.match(tails[1]!, /[?&]cursor=/);
    assert.equal(await page.getByTestId('tail-line').filter({ hasText: probe }).count(), 1, 'no line twice after Resume');

    // History: the newest lines containing the probe, in Backstage's log viewer.
    await page.getByRole('radio', { name: 'History' }).click();
    await page.getByRole('textbox', { name: 'Containing' }).fill(probe);
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByTestId('history-lines').getByText(`GET /?probe=${probe} 200`).waitFor();
    await shot(page, 'logs-history');
  });

  it('the Metrics tab shows the five panels, the request rate once Prometheus has scraped the requests', async () => {
    const { url } = await stagingRunning();
    for (let i = 0; i < 5; i++) assert.equal((await fetch(`${url}/?metrics=${i}`)).status, 200);
    const page = await newPage();
    await page.goto(`${tab('metrics')}?env=staging`);
    for (const panel of ['requests', 'errorRate', 'p95', 'cpu', 'memory']) await page.getByTestId(`metric-${panel}`).waitFor();
    assert.match((await page.getByTestId('metrics-summary').textContent()) ?? '', /The last 1h, a point every \d+ s, from metric source/);
    // The memory of a running process is always there: a chart, with its latest value in bytes.
    await page.getByTestId('metric-memory').getByRole('img').waitFor();
    assert.match((await page.getByTestId('metric-memory-now').textContent()) ?? '', /^\d+(\.\d+)? (B|KB|MB|GB)$/);
    // The requests made above: a rate above 0 once a scrape after them is in range (the tab refetches every 30 s;
    // reloading asks sooner).
    const rate = await eventually(async () => {
      await page.reload();
      const now = (await page.getByTestId('metric-requests-now').textContent()) ?? '';
      return /\/s$/.test(now) && Number.parseFloat(now) > 0 && now;
    }, 120_000, 'a request rate above 0 in the Requests panel');
    assert.match(rate, /^\d+(\.\d+)?\/s$/);
    await page.getByTestId('metric-requests').getByRole('img').waitFor();
    await page.getByRole('radio', { name: 'Last 6h' }).click();
    await page.getByTestId('metrics-summary').filter({ hasText: 'The last 6h' }).waitFor();
    await shot(page, 'metrics');
  });
});
