// Issue #13's UI figure (and #15's: the Logs tab's live line, the Metrics tab; observeRows below): a component's entity page → the idp Environments tab rendered with its data, in Chromium
// (playwright-core, Debian chromium), on a warm embedded stack and a warm browser (assets cached after a first visit).
// Each of 10 runs is a new page navigated to /catalog/default/component/checkout/environments; "rendered with data" is
// the moment the staging row exists (data-testid="env-staging"), read as performance.now() in the page (0 = the
// navigation's start). Where the time goes: the document (responseEnd), DOMContentLoaded, the sign-in (guest token),
// the GET /api/idp/environments request (start → end), and the render after it, each p50.
import { chromium } from 'playwright-core';
import { startEmbedded } from '../backstage-plugin/backend/dist/testing/embedded.js';
import { pct } from './bench-clone.mjs';

const RUNS = 10;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function uiRows() {
  const stack = await startEmbedded();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const url = `${stack.baseUrl}/catalog/default/component/checkout/environments`;
    const visit = async () => {
      const page = await context.newPage();
      await page.goto(url);
      const at = await (await page.waitForFunction(() => (document.querySelector('[data-testid="env-staging"]') ? performance.now() : 0), undefined, { polling: 'raf', timeout: 60_000 })).jsonValue();
      const parts = await page.evaluate(() => {
        const nav = performance.getEntriesByType('navigation')[0];
        const res = performance.getEntriesByType('resource');
        const find = (re) => res.find((r) => re.test(r.name));
        const env = find(/\/api\/idp\/environments\?/);
        const auth = find(/\/api\/auth\/[^/]+\/refresh/);
        return { doc: nav.responseEnd, dcl: nav.domContentLoadedEventEnd, authEnd: auth?.responseEnd, envStart: env?.startTime, envEnd: env?.responseEnd };
      });
      await page.close();
      return { at, ...parts };
    };
    await visit(); // warm: the app's assets in the browser's cache, the stack's first requests done
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await visit());
    const p = (f) => pct(runs.map(f).filter((x) => typeof x === 'number'), 50).toFixed(0);
    const observe = await observeRows(stack, context);
    return [
      [`entity page → Environments tab with data, p50 of ${RUNS} (Chromium, warm)`, `${p((r) => r.at)} ms`, '≤ 1 s'],
      ['  document received / DOMContentLoaded', `${p((r) => r.doc)} / ${p((r) => r.dcl)} ms`, ''],
      ['  guest sign-in done (auth refresh)', `${p((r) => r.authEnd)} ms`, ''],
      ['  GET /api/idp/environments start → end', `${p((r) => r.envStart)} → ${p((r) => r.envEnd)} ms`, ''],
      ['  render after the data', `${p((r) => r.at - r.envEnd)} ms`, ''],
      ...observe,
    ];
  } finally {
    await browser.close();
    await stack.stop();
  }
}

/**
 * Issue #15's UI figures: a line the app writes → shown by the Logs tab's live tail (LINES requests to staging's URL,
 * one at a time, each timed from the request to its line in the page — the shipper, the log store's ~1 s settle the
 * tail waits, the NDJSON stream, the render), and the entity page → the Metrics tab's five panels drawn.
 */
async function observeRows(stack, context) {
  const LINES = 50;
  const client = await stack.clientAs('guest');
  const ref = { repo: stack.demo.bare, path: 'paws.yaml' };
  let app;
  for (let i = 0; i < 600 && !app; i++) {
    const r = (await client.listEnvironments(ref)).environments.find((e) => e.name === 'staging')?.runtime;
    if (r?.state === 'running' && r.url) app = r.url;
    else await new Promise((res) => setTimeout(res, 100));
  }
  if (!app) throw new Error('staging is not running on the bench stack');
  const tabUrl = (tab) => `${stack.baseUrl}/catalog/default/component/checkout/${tab}?env=staging`;

  const page = await context.newPage();
  await page.goto(tabUrl('logs'));
  await page.getByTestId('tail-status').filter({ hasText: 'Live' }).waitFor({ timeout: 60_000 });
  const lineMs = [];
  for (let i = 0; i < LINES; i++) {
    const probe = `bench-${Date.now()}-${i}`;
    const t0 = performance.now();
    await fetch(`${app}/?${probe}`);
    await page.getByTestId('tail-line').filter({ hasText: probe }).waitFor({ timeout: 60_000 });
    lineMs.push(performance.now() - t0);
  }
  await page.close();

  const metricsAt = [];
  for (let i = 0; i < 6; i++) {
    const m = await context.newPage();
    await m.goto(tabUrl('metrics'));
    metricsAt.push(await (await m.waitForFunction(() => (document.querySelectorAll('[data-testid^="metric-"][data-testid$="-now"]').length === 5 ? performance.now() : 0), undefined, { polling: 'raf', timeout: 60_000 })).jsonValue());
    await m.close();
  }
  metricsAt.shift(); // the first visit warms the Metrics tab's chunk
  return [
    [`app line → Logs tab (live tail), p50 / p95 of ${LINES} (Chromium)`, `${pct(lineMs, 50).toFixed(0)} / ${pct(lineMs, 95).toFixed(0)} ms`, 'p50 ≤ 1.5 s (as idp logs --tail)'],
    [`entity page → Metrics tab's five panels, p50 of ${metricsAt.length} (Chromium, warm)`, `${pct(metricsAt, 50).toFixed(0)} ms`, ''],
  ];
}

if (process.argv[1] === new URL(import.meta.url).pathname) for (const r of await uiRows()) console.log(r.join('  '));
