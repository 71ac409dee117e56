// Issue #13's UI figure: a component's entity page → the idp Environments tab rendered with its data, in Chromium
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
    return [
      [`entity page → Environments tab with data, p50 of ${RUNS} (Chromium, warm)`, `${p((r) => r.at)} ms`, '≤ 1 s'],
      ['  document received / DOMContentLoaded', `${p((r) => r.doc)} / ${p((r) => r.dcl)} ms`, ''],
      ['  guest sign-in done (auth refresh)', `${p((r) => r.authEnd)} ms`, ''],
      ['  GET /api/idp/environments start → end', `${p((r) => r.envStart)} → ${p((r) => r.envEnd)} ms`, ''],
      ['  render after the data', `${p((r) => r.at - r.envEnd)} ms`, ''],
    ];
  } finally {
    await browser.close();
    await stack.stop();
  }
}

if (process.argv[1] === new URL(import.meta.url).pathname) for (const r of await uiRows()) console.log(r.join('  '));
