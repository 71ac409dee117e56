/**
 * The Backstage UI in a real browser (Debian chromium through playwright-core) against the embedded stack `npm start`
 * runs — the app served by the backend's app plugin, signed in as guest — doing what a developer does there:
 *   - clone an environment from the Environments tab → the PR exists, and `idp env list` in a terminal shows it;
 *   - request a production release from the Releases tab, approved by two other people (alice and bob, each in their
 *     own browser signed in through the demo provider) → the Releases tab shows it merged;
 *   - set a secret from the Secrets & Variables tab (the embedded SOPS store) → a PR pinning its reference; merged, the
 *     tab lists it as existing; its value is never in the page (nor in the PR's diff); set a variable there → its PR,
 *     merged, listed with its value; a secret-looking one is refused with the API's pointer at secrets;
 *   - the Activity tab lists the workflows with their PR and Temporal links;
 *   - the Download CLI page's curl command, run in a temp HOME, installs a binary that names this Backstage and whose
 *     `idp env list` works after `idp login`.
 * Screenshots of each tab are kept in test-artifacts/ui/ (not in git) for a person to look at.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startEmbedded, type EmbeddedStack } from '../testing/embedded.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const IDP = join(root, 'cli/bin/idp.js');
const SHOTS = join(root, 'test-artifacts/ui');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HOST = `${process.platform}-${process.arch}`;

const run = (file: string, args: string[], opts: { env: Record<string, string>; cwd?: string }) =>
  new Promise<{ code: number; out: string; err: string }>((resolve) => {
    execFile(file, args, { env: opts.env, cwd: opts.cwd }, (error, out, err) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, out, err }));
  });

describe('the Backstage UI in Chromium', () => {
  let stack: EmbeddedStack;
  let browser: Browser;
  let home: string;
  let env: Record<string, string>;
  const tab = (name: string) => `${stack.baseUrl}/catalog/default/component/checkout/${name}`;
  /**
   * A page in a browser of its own (signed in as guest, unless its first URL says `?as=<user>`). Its waits are for
   * conditions, with no clock of their own: a loaded machine is slower, not wrong (the test runner's timeout bounds all).
   */
  const pageAs = async (): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    context.setDefaultTimeout(0);
    return context.newPage();
  };
  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const idp = (args: string[], cwd?: string) => run(process.execPath, [IDP, ...args], { env, cwd });

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    // The Download CLI page serves the host's binary: built (or found up to date) in dist/cli, which the stack serves.
    execFileSync(process.execPath, [join(root, 'scripts/build-cli-binaries.mjs'), '--targets', HOST], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    home = mkdtempSync(join(tmpdir(), 'idp-ui-home-'));
    env = { PATH: `${join(root, 'node_modules/.bin')}:/usr/local/bin:/usr/bin:/bin`, HOME: home, XDG_CONFIG_HOME: join(home, 'config'), NO_COLOR: '1', BROWSER: 'none' };
    stack = await startEmbedded({ env: { APP_CONFIG_idp_cli_directory: join(root, 'dist/cli') } });
    env.IDP_API_URL = stack.apiUrl;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('clones staging from the Environments tab: the PR exists and `idp env list` in a terminal shows the new environment', async () => {
    const page = await pageAs();
    await page.goto(tab('environments'));
    await page.getByTestId('env-staging').waitFor();
    await shot(page, 'environments');

    await page.getByRole('button', { name: 'Clone staging' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('New environment').fill('preview-ui');
    await shot(page, 'environments-clone-dialog');
    await dialog.getByRole('button', { name: 'Clone', exact: true }).click();
    const link = dialog.getByRole('link', { name: /^PR #\d+$/ });
    await link.waitFor();
    const n = Number(/\d+/.exec((await link.textContent()) ?? '')![0]);
    const pr = await (await stack.clientAs('carol')).pull({ repo: stack.demo.bare, path: 'paws.yaml' }, n);
    assert.equal(pr.state, 'open');
    assert.equal(await link.getAttribute('href'), pr.url);
    await shot(page, 'environments-clone-started');

    // The PR's URL (the local forge's is the API's) opens the app's PR page in a browser; an API client still gets JSON.
    const prPage = await pageAs();
    await prPage.goto(pr.url);
    assert.match(prPage.url(), new RegExp(`/idp/pulls/${n}\\?repo=`));
    await prPage.getByText(new RegExp(`PR #${n}: .*preview-ui`)).waitFor();
    await shot(prPage, 'pull-request');
    const anonymous = await fetch(pr.url);
    assert.equal(anonymous.status, 401);
    assert.equal(((await anonymous.json()) as { error: { code: string } }).error.code, 'unauthenticated');

    assert.equal((await idp(['login', '--user', 'alice'])).code, 0);
    const list = await idp(['env', 'list'], stack.demo.workdir);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, /preview-ui/);
    // The tab itself shows it, as pending in PR #n, without a reload.
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await page.getByTestId('env-preview-ui').waitFor();
    await shot(page, 'environments-after-clone');
  });

  it('a production release requested in the Releases tab, approved by alice and bob in theirs, shows merged', async () => {
    const guest = await pageAs();
    await guest.goto(tab('releases'));
    await guest.getByRole('button', { name: 'Create release' }).first().click();
    const dialog = guest.getByRole('dialog');
    await dialog.getByLabel(/environment/i).first().click();
    await guest.getByRole('option', { name: 'production' }).click();
    await dialog.getByLabel(/image/i).first().fill('ghcr.io/acme/checkout:2.0.0');
    await dialog.getByRole('button', { name: 'Create release', exact: true }).click();
    const link = dialog.getByRole('link', { name: /^PR #\d+$/ });
    await link.waitFor();
    const n = Number(/\d+/.exec((await link.textContent()) ?? '')![0]);
    await shot(guest, 'releases-requested');
    // production requires ci/build (no CI runs on the local forge: reported as `idp pr check` would).
    await (await stack.clientAs('alice')).check(n, { repo: stack.demo.bare, path: 'paws.yaml', name: 'ci/build', state: 'success' });

    for (const user of ['alice', 'bob']) {
      const page = await pageAs();
      await page.goto(`${tab('releases')}?as=${user}`);
      const row = page.getByTestId('release-production-v1');
      await row.waitFor();
      const approve = page.getByRole('button', { name: 'Approve v1 of production' });
      if (!(await approve.isVisible())) await row.click();
      await approve.click();
      await page.getByText('Approved v1 of production.').or(page.getByTestId('release-production-v1').filter({ hasText: /merged/ })).first().waitFor();
      await shot(page, `releases-approved-by-${user}`);
    }
    // Two approvals and the check: idp merges it (or its policy waits for a person to merge: then alice does, in the UI).
    await guest.reload();
    const row = guest.getByTestId('release-production-v1');
    await row.waitFor();
    if (!/merged/i.test((await row.textContent()) ?? '')) {
      const alice = await pageAs();
      await alice.goto(`${tab('releases')}?as=alice`);
      const merge = alice.getByRole('button', { name: 'Merge v1 of production' });
      if (!(await merge.isVisible())) await alice.getByTestId('release-production-v1').click();
      await merge.click();
    }
    await guest.getByTestId('release-production-v1').filter({ hasText: /merged/i }).waitFor();
    await shot(guest, 'releases');
  });

  it('the Create page runs a golden path of templates/ with idp\'s actions: the task ends with the PR', async () => {
    const page = await pageAs();
    await page.goto(`${stack.baseUrl}/create`);
    await page.getByText('Add a preview environment').first().waitFor();
    await shot(page, 'create');
    await page.goto(`${stack.baseUrl}/create/templates/default/add-preview-environment`);
    const service = page.getByRole('textbox', { name: 'Service' });
    await service.click();
    await service.fill('checkout');
    await page.getByRole('option', { name: /checkout/ }).first().click();
    await page.getByLabel('Preview name').fill('preview-create');
    await page.getByRole('button', { name: 'Review' }).click();
    await page.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(/\/create\/tasks\//);
    const link = page.getByRole('link', { name: /pull request/i }).first();
    await link.waitFor();
    const n = Number(/\/pulls\/(\d+)/.exec((await link.getAttribute('href')) ?? '')?.[1]);
    const pr = await (await stack.clientAs('carol')).pull({ repo: stack.demo.bare, path: 'paws.yaml' }, n);
    assert.equal(pr.state, 'open');
    assert.match(pr.title, /preview-create/);
    await shot(page, 'create-task');
  });

  it('sets a secret from the Secrets & Variables tab: a PR pins its reference, merged it is listed, and its value is never in the page', async () => {
    const page = await pageAs();
    await page.goto(`${tab('secrets')}?env=staging`);
    await page.getByTestId('secret-route').waitFor();
    await shot(page, 'secrets');

    const canary = `ui-canary-${randomUUID()}`;
    await page.getByRole('button', { name: 'Set secret', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Key').fill('UI_CANARY');
    await dialog.getByLabel('Value').fill(canary);
    assert.equal(await dialog.getByLabel('Value').getAttribute('type'), 'password');
    assert.ok(!(await page.content()).includes(canary), 'typed, the value is not in the page');
    await shot(page, 'secrets-set-dialog');
    await dialog.getByRole('button', { name: 'Set', exact: true }).click();
    const link = dialog.getByRole('link', { name: /^PR #\d+$/ });
    await link.waitFor();
    const n = Number(/\d+/.exec((await link.textContent()) ?? '')![0]);
    await dialog.getByText(/^Stored UI_CANARY in store /).waitFor();
    assert.ok(!(await page.content()).includes(canary), 'sent, the value is not in the page');
    await shot(page, 'secrets-set-started');

    const ref = { repo: stack.demo.bare, path: 'paws.yaml' };
    const alice = await stack.clientAs('alice');
    const pr = await alice.pull(ref, n);
    assert.equal(pr.state, 'open');
    assert.equal(await link.getAttribute('href'), pr.url);
    const patch = (await alice.diff(ref, n)).files.map((f) => f.patch).join('\n');
    // Exactly one line changes: the reference, flow-style, pinning the sops store's commit as its version.
    const changed = patch.split('\n').filter((l) => /^[+-]/.test(l) && !/^(\+\+\+|---) /.test(l));
    assert.equal(changed.length, 1, patch);
    assert.match(changed[0]!, /^\+\s+UI_CANARY: \{ ref: "?sops:\/\/[^",]+#UI_CANARY"?, version: "?[0-9a-f]{40}"? \}$/);
    assert.ok(!patch.includes(canary), 'the PR has the reference, not the value');

    // Merged: the dialog follows it to merged, and the tab lists the secret, existing in its store.
    await alice.merge(n, ref);
    await dialog.getByTestId('workflow-phase').filter({ hasText: 'merged' }).waitFor();
    // (The submit button the focus was on is gone once started: closed with its button, not Escape.)
    await dialog.getByRole('button', { name: 'Close' }).first().click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    const row = page.getByTestId('secret-UI_CANARY');
    await row.filter({ hasText: 'exists' }).waitFor();
    assert.ok(!(await page.content()).includes(canary), 'listed, the value is not in the page');
    await shot(page, 'secrets-after-merge');
  });

  it('sets a variable from the Secrets & Variables tab: one PR, merged it is listed; a secret-looking one is refused pointing at secrets', async () => {
    const page = await pageAs();
    await page.goto(`${tab('secrets')}?env=staging`);
    await page.getByTestId('variables').waitFor();
    await page.getByRole('button', { name: 'Set variable', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Key').fill('FEATURE_UI');
    await dialog.getByLabel('Value').fill('on');
    await dialog.getByRole('button', { name: 'Set', exact: true }).click();
    const link = dialog.getByRole('link', { name: /^PR #\d+$/ });
    await link.waitFor();
    const n = Number(/\d+/.exec((await link.textContent()) ?? '')![0]);
    const ref = { repo: stack.demo.bare, path: 'paws.yaml' };
    const alice = await stack.clientAs('alice');
    const patch = (await alice.diff(ref, n)).files.map((f) => f.patch).join('\n');
    assert.match(patch, /^\+\s+FEATURE_UI: "?on"?$/m);
    await alice.merge(n, ref);
    await dialog.getByTestId('workflow-phase').filter({ hasText: 'merged' }).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).first().click();
    await page.getByTestId('variable-FEATURE_UI').filter({ hasText: 'own' }).waitFor();
    await shot(page, 'variables-after-merge');

    const canary = `sk_live_${randomUUID().replace(/-/g, '')}`;
    await page.getByRole('button', { name: 'Set variable', exact: true }).click();
    const refused = page.getByRole('dialog');
    await refused.getByLabel('Key').fill('PAYMENTS_API');
    await refused.getByLabel('Value').fill(canary);
    await refused.getByRole('button', { name: 'Set', exact: true }).click();
    await refused.getByRole('alert').filter({ hasText: /looks like a secret.*idp secrets set PAYMENTS_API --env staging/ }).waitFor();
    assert.equal(await refused.getByLabel('Value').inputValue(), '');
    assert.ok(!(await page.content()).includes(canary), 'refused, the value is not kept in the page');
    await shot(page, 'variables-refused-as-secret');
  });

  it('the Activity tab lists the workflows with links to their PR and to Temporal', async () => {
    const page = await pageAs();
    await page.goto(tab('activity'));
    const rows = page.locator('[data-testid^="activity-"]');
    await rows.first().waitFor();
    assert.ok((await rows.count()) >= 2, 'the clone and the release');
    assert.ok((await page.getByRole('link', { name: /^PR #\d+$/ }).count()) >= 2);
    const temporal = page.getByRole('link', { name: /temporal/i }).first();
    assert.match((await temporal.getAttribute('href')) ?? '', /\/namespaces\/[^/]+\/workflows\//);
    await shot(page, 'activity');
  });

  it('the Download CLI page\'s curl command installs an idp pointed at this Backstage; idp login and idp env list work', async () => {
    const page = await pageAs();
    await page.goto(`${stack.baseUrl}/idp/cli`);
    const command = page.getByText(/^curl -fsSL \S+\/api\/idp\/cli\/install\.sh \| sh$/);
    await command.first().waitFor();
    await shot(page, 'download-cli');
    const line = ((await command.first().textContent()) ?? '').trim();
    assert.equal(line, `curl -fsSL ${stack.apiUrl}/cli/install.sh | sh`);

    const userHome = mkdtempSync(join(tmpdir(), 'idp-ui-install-'));
    try {
      const shellEnv = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: userHome, XDG_CONFIG_HOME: join(userHome, 'config'), NO_COLOR: '1', BROWSER: 'none' };
      const install = await run('/bin/sh', ['-c', line], { env: shellEnv });
      assert.equal(install.code, 0, install.err);
      const bin = join(userHome, '.idp/bin/idp');
      const version = await run(bin, ['version'], { env: shellEnv });
      assert.equal(version.code, 0, version.err);
      assert.match(version.out, new RegExp(`${stack.apiUrl}[^\\n]*installed from this Backstage`));
      assert.equal((await run(bin, ['login', '--user', 'bob'], { env: shellEnv })).code, 0);
      const list = await run(bin, ['env', 'list'], { env: shellEnv, cwd: stack.demo.workdir });
      assert.equal(list.code, 0, list.err);
      assert.match(list.out, /staging/);
    } finally {
      rmSync(userHome, { recursive: true, force: true });
    }
  });
});
