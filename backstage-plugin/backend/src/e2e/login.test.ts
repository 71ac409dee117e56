/**
 * `idp login` / `whoami` / `version` / `logout` against the real embedded Backstage (`npm start`'s process): the
 * real `idp` binary in child processes, the real auth backend (CLI client ID metadata document, PKCE, refresh
 * tokens, revocation), and once the real browser flow in Chromium (playwright-core) through the sign-in page.
 * Every command's stdout and stderr, and the stack's own output, are scanned for every token the test has seen.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startEmbedded, type EmbeddedStack } from '../testing/embedded.js';

const idpBin = fileURLToPath(new URL('../../../../cli/bin/idp.js', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

interface Stored {
  logins: Record<string, { accessToken: string; refreshToken?: string; expiresAt: string; user?: string }>;
}

describe('idp login against the embedded Backstage', () => {
  let stack: EmbeddedStack;
  let home: string;
  let env: Record<string, string>;
  let credentials: string;
  /** Every token the test has seen: none may appear in any output. */
  const tokens = new Set<string>();
  const outputs: string[] = [];

  before(async () => {
    // Every log line Backstage writes, down to debug, is scanned for tokens at the end.
    stack = await startEmbedded({ env: { LOG_LEVEL: 'debug' } });
    home = mkdtempSync(join(tmpdir(), 'idp-login-'));
    env = { PATH: process.env.PATH ?? '', HOME: home, XDG_CONFIG_HOME: join(home, 'config'), IDP_API_URL: stack.apiUrl, NO_COLOR: '1', BROWSER: 'none' };
    credentials = join(home, 'config', 'idp', 'credentials.json');
  });
  after(async () => {
    await stack?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  const stored = () => (JSON.parse(readFileSync(credentials, 'utf8')) as Stored).logins[stack.apiUrl]!;
  const remember = () => {
    if (!existsSync(credentials)) return;
    for (const l of Object.values((JSON.parse(readFileSync(credentials, 'utf8')) as Stored).logins)) {
      tokens.add(l.accessToken);
      if (l.refreshToken) tokens.add(l.refreshToken);
    }
  };
  const idp = (args: string[], opts: { cwd?: string } = {}) =>
    new Promise<{ code: number; out: string; err: string }>((resolve) => {
      execFile(process.execPath, [idpBin, ...args], { env, cwd: opts.cwd ?? home }, (error, out, err) => {
        outputs.push(out, err);
        remember();
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, out, err });
      });
    });

  it('signs in through the browser: the sign-in page, Guest, back to the CLI', async () => {
    const cli = spawn(process.execPath, [idpBin, 'login', '--no-browser'], { env, cwd: home, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    cli.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number>((resolve) => cli.once('exit', (code) => resolve(code ?? 1)));
    // The CLI prints the sign-in page's URL (it does not open a browser with --no-browser), then waits.
    const url = await new Promise<string>((resolve, reject) => {
      cli.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /^ {2}(http:\/\/\S+)$/m.exec(err);
        if (m) resolve(m[1]!);
      });
      void exited.then((code) => reject(new Error(`idp login exited ${code} before printing a URL:\n${err}`)));
    });
    assert.match(url, new RegExp(`^${stack.baseUrl}/oauth2/authorize/[0-9a-f-]+$`));

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    try {
      const page = await browser.newPage();
      await page.goto(url);
      // The page says who asks, offers Guest and the demo catalog's people (escaped, from the catalog).
      await page.locator('#client', { hasText: 'Backstage CLI asks to act as you' }).waitFor();
      assert.deepEqual(await page.locator('select#user option').evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value)), ['alice', 'bob', 'carol']);
      await page.click('#guest');
      await page.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\/callback\?/);
      assert.equal(await page.textContent('h1'), 'Signed in');
    } finally {
      await browser.close();
    }
    assert.equal(await exited, 0, err);
    outputs.push(out, err);
    remember();
    assert.equal(out, `Signed in to ${stack.baseUrl} as user:development/guest.\n`);

    // The tokens are the user's alone, with a refresh token to outlive the access token.
    assert.equal(statSync(credentials).mode & 0o777, 0o600);
    assert.equal(statSync(dirname(credentials)).mode & 0o777, 0o700);
    assert.ok(stored().refreshToken);

    const me = await idp(['whoami']);
    assert.equal(me.code, 0, me.err);
    assert.match(me.out, /^user:development\/guest {2}\(user\)\n/);
  });

  it('the sign-in page refuses what is not a session id', async () => {
    const res = await fetch(`${stack.baseUrl}/oauth2/authorize/${encodeURIComponent('<script>')}`);
    assert.equal(res.status, 400);
    assert.doesNotMatch(await res.text(), /<script>/);
  });

  it('--user signs in as a demo catalog user without a browser; whoami is the server\'s view', async () => {
    const r = await idp(['login', '--user', 'alice']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `Signed in to ${stack.baseUrl} as user:default/alice.\n`);
    const me = await idp(['whoami', '--json']);
    assert.equal(me.code, 0, me.err);
    const who = JSON.parse(me.out) as { id: string; kind: string; aliases: string[] };
    assert.equal(who.id, 'user:default/alice');
    assert.equal(who.kind, 'user');
    assert.deepEqual(new Set(who.aliases), new Set(['user:default/alice', 'alice@example.com', 'alice-gh']));

    const refused = await idp(['login', '--user', 'mallory']);
    assert.equal(refused.code, 5);
    assert.match(refused.err, /Signing in as mallory was refused: .*not found/i);
  });

  it('acts as the signed-in user: env clone opens a PR authored by them', async () => {
    const r = await idp(['env', 'clone', 'staging', 'preview-login', '--json'], { cwd: stack.demo.workdir });
    assert.equal(r.code, 0, r.err);
    const status = JSON.parse(r.out) as { pr: { number: number } };
    const pr = await idp(['pr', 'show', String(status.pr.number), '--json'], { cwd: stack.demo.workdir });
    assert.equal(pr.code, 0, pr.err);
    assert.equal((JSON.parse(pr.out) as { author: string }).author, 'user:default/alice');
  });

  it('version: the CLI, the API URL and the Backstage serving it', async () => {
    const r = await idp(['version']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`^idp CLI +\\d+\\.\\d+\\.\\d+\\nAPI +${stack.apiUrl} +\\(from IDP_API_URL\\)\\nServed by +Backstage \\d+\\.\\d+\\.\\d+ at ${stack.baseUrl}\\nAPI version +\\S+\\n$`));
  });

  it('renews an expiring token silently with the refresh token, and uses the new one', async () => {
    const before = stored();
    // The stored access token is no longer usable (and says it has expired): only a renewed one can succeed.
    const all = JSON.parse(readFileSync(credentials, 'utf8')) as Stored;
    all.logins[stack.apiUrl] = { ...before, accessToken: 'stale', expiresAt: new Date(Date.now() - 1000).toISOString() };
    writeFileSync(credentials, JSON.stringify(all));
    const me = await idp(['whoami']);
    assert.equal(me.code, 0, me.err);
    assert.match(me.out, /^user:default\/alice /);
    const after = stored();
    assert.notEqual(after.accessToken, 'stale');
    assert.notEqual(after.accessToken, before.accessToken);
    // The auth backend rotates refresh tokens.
    assert.notEqual(after.refreshToken, before.refreshToken);
    assert.ok(Date.parse(after.expiresAt) > Date.now() + 30 * 60_000);
    assert.equal(statSync(credentials).mode & 0o777, 0o600);
  });

  it('an expired token whose refresh token was revoked: "run `idp login`", exit 5', async () => {
    const kept = readFileSync(credentials, 'utf8');
    const out = await idp(['logout']);
    assert.equal(out.code, 0, out.err);
    assert.equal(out.out, `Signed out of ${stack.baseUrl} (user:default/alice).\n`);
    assert.equal(existsSync(credentials), false);

    // Signed out: the server refuses, and says what to do.
    const after = await idp(['env', 'list'], { cwd: stack.demo.workdir });
    assert.equal(after.code, 5);
    assert.match(after.err, /idp login/);

    // The same login put back, expired: its refresh token was revoked by the logout.
    const all = JSON.parse(kept) as Stored;
    all.logins[stack.apiUrl]!.expiresAt = new Date(Date.now() - 1000).toISOString();
    writeFileSync(credentials, JSON.stringify(all), { mode: 0o600 });
    const revoked = await idp(['env', 'list'], { cwd: stack.demo.workdir });
    assert.equal(revoked.code, 5);
    assert.match(revoked.err, /Your sign-in has expired and could not be renewed \(.+\): run `idp login`/);
  });

  it('IDP_TOKEN wins over the stored login', async () => {
    const r = await idp(['login', '--user', 'bob']);
    assert.equal(r.code, 0, r.err);
    const carol = await stack.tokenFor('carol');
    tokens.add(carol);
    env.IDP_TOKEN = carol;
    try {
      const me = await idp(['whoami']);
      assert.equal(me.code, 0, me.err);
      assert.match(me.out, /^user:default\/carol /);
    } finally {
      delete env.IDP_TOKEN;
    }
  });

  it('no token in any output or log line', () => {
    assert.ok(tokens.size >= 6, `tokens seen: ${tokens.size}`);
    // The stack's log reaches down to the auth backend's lines about these very tokens.
    assert.match(stack.output(), /Issued refresh token for user user:default\/alice/);
    const everything = [...outputs, stack.output()].join('\n');
    for (const token of tokens) assert.ok(!everything.includes(token), 'a token was printed');
  });
});
