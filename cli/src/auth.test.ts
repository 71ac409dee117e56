/**
 * The CLI's side of signing in, without a server: where and how tokens are stored, PKCE, the loopback callback,
 * which token a request carries (IDP_TOKEN › IDP_API_TOKEN › the stored login) and who it names, and a stored
 * login that has expired. The flow against a real Backstage backend is in backstage-plugin/backend's e2e test.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Health } from '@idp/core';
import { backendOf, pkce, startCallback } from './auth/oauth.js';
import { configDir, credentialsFile, deleteLogin, readLogin, saveLogin, type StoredLogin } from './auth/store.js';
import { ExitCode } from './exit-codes.js';
import { api, run, useFakeApi } from './testing/harness.js';
import { tempDir } from './testing/io.js';

useFakeApi();

const login = (over: Partial<StoredLogin> = {}): StoredLogin => ({
  backend: 'http://127.0.0.1:9',
  clientId: 'http://127.0.0.1:9/api/auth/.well-known/oauth-client/cli.json',
  accessToken: 'access-TOKEN-1',
  refreshToken: 'refresh-TOKEN-1',
  expiresAt: new Date(Date.now() + 3600_000).toISOString(),
  user: 'user:default/alice',
  ...over,
});

const mode = (p: string) => statSync(p).mode & 0o777;

describe('credentials file', () => {
  it('lives in the config dir of each OS', () => {
    assert.equal(configDir({ XDG_CONFIG_HOME: '/x', HOME: '/h' }, 'linux'), '/x/idp');
    assert.equal(configDir({ HOME: '/h' }, 'linux'), '/h/.config/idp');
    assert.equal(configDir({ HOME: '/h' }, 'darwin'), '/h/Library/Application Support/idp');
    assert.equal(configDir({ APPDATA: 'C:\\Users\\a\\AppData\\Roaming' }, 'win32'), path.join('C:\\Users\\a\\AppData\\Roaming', 'idp'));
  });

  it('is 0600 in a 0700 folder, one entry per API URL, and goes away with its last entry', () => {
    const env = { XDG_CONFIG_HOME: path.join(tempDir(), 'cfg') };
    saveLogin(env, 'http://127.0.0.1:7007/api/idp/', login());
    saveLogin(env, 'https://idp.example.com/api/idp', login({ accessToken: 'other' }));
    const file = credentialsFile(env);
    assert.equal(mode(file), 0o600);
    assert.equal(mode(path.dirname(file)), 0o700);
    // The same API with or without a trailing slash is one entry.
    assert.equal(readLogin(env, 'http://127.0.0.1:7007/api/idp')?.accessToken, 'access-TOKEN-1');
    assert.equal(readLogin(env, 'https://idp.example.com/api/idp')?.accessToken, 'other');
    saveLogin(env, 'http://127.0.0.1:7007/api/idp', login({ accessToken: 'renewed' }));
    assert.equal(mode(file), 0o600);
    assert.equal(Object.keys((JSON.parse(readFileSync(file, 'utf8')) as { logins: object }).logins).length, 2);
    assert.equal(deleteLogin(env, 'http://127.0.0.1:7007/api/idp'), true);
    assert.equal(deleteLogin(env, 'http://127.0.0.1:7007/api/idp'), false);
    assert.equal(readLogin(env, 'https://idp.example.com/api/idp')?.accessToken, 'other');
    deleteLogin(env, 'https://idp.example.com/api/idp');
    assert.equal(existsSync(file), false);
  });
});

describe('OAuth pieces', () => {
  it('PKCE: the challenge is the S256 of a fresh 256-bit verifier', () => {
    const a = pkce();
    const b = pkce();
    assert.equal(a.challenge, createHash('sha256').update(a.verifier).digest('base64url'));
    assert.match(a.verifier, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a.verifier, b.verifier);
    assert.notEqual(a.state, b.state);
  });

  it('the backend is the API URL without the plugin path; anything else is refused', () => {
    assert.equal(backendOf('http://127.0.0.1:7007/api/idp'), 'http://127.0.0.1:7007');
    assert.equal(backendOf('https://backstage.acme.io/internal/api/idp/'), 'https://backstage.acme.io/internal');
    assert.throws(() => backendOf('https://idp.acme.io/v1'), /not a Backstage plugin URL/);
  });

  it('the loopback callback takes the code only with this login\'s state, and reports a refusal', async () => {
    const cb = await startCallback('the-state');
    try {
      assert.match(cb.redirectUri, /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
      const forged = await fetch(`${cb.redirectUri}?code=stolen&state=other`);
      assert.equal(forged.status, 400);
      assert.equal((await fetch(cb.redirectUri.replace('/callback', '/elsewhere'))).status, 404);
      const ok = await fetch(`${cb.redirectUri}?code=the-code&state=the-state`);
      assert.equal(ok.status, 200);
      assert.equal(await cb.code, 'the-code');
    } finally {
      await cb.close();
    }
    const denied = await startCallback('s');
    try {
      await fetch(`${denied.redirectUri}?error=access_denied&error_description=User%20denied%20the%20request&state=s`);
      await assert.rejects(denied.code, /Sign-in was not completed: User denied the request/);
    } finally {
      await denied.close();
    }
  });
});

describe('which token a request carries', () => {
  const health: Health = { status: 'ok', version: '0.1.0', temporal: { address: 'x', namespace: 'default', taskQueue: 'q', reachable: true } };
  const cfg = () => ({ XDG_CONFIG_HOME: path.join(tempDir(), 'cfg') });

  it('the stored login for this API URL, without x-idp-user', async () => {
    const env = cfg();
    saveLogin(env, api.url, login());
    api.on('GET /whoami', { body: { id: 'user:default/alice', kind: 'user', aliases: ['user:default/alice', 'alice@example.com', 'alice-gh'] } });
    const r = await run(['whoami'], { env });
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'user:default/alice  (user)\nAlso known as: alice@example.com, alice-gh\n');
    assert.equal(api.requests[0]!.headers.authorization, 'Bearer access-TOKEN-1');
    assert.equal(api.requests[0]!.headers['x-idp-user'], undefined);
    assert.doesNotMatch(r.out + r.err, /-TOKEN-1/);
  });

  it('IDP_TOKEN wins over the stored login; IDP_API_TOKEN (the standalone secret) still names the user', async () => {
    const env = cfg();
    saveLogin(env, api.url, login());
    api.on('GET /whoami', { body: { id: 'user:default/bob', kind: 'user', aliases: [] } });
    assert.equal((await run(['whoami'], { env: { ...env, IDP_TOKEN: 'ci-token' } })).code, 0);
    assert.equal(api.requests[0]!.headers.authorization, 'Bearer ci-token');
    assert.equal(api.requests[0]!.headers['x-idp-user'], undefined);
    assert.equal((await run(['whoami'], { env: { ...env, IDP_API_TOKEN: 'shared' } })).code, 0);
    assert.equal(api.requests[1]!.headers.authorization, 'Bearer shared');
    assert.equal(api.requests[1]!.headers['x-idp-user'], 'alice@example.com');
  });

  it('a stored login of another API URL is not sent', async () => {
    const env = cfg();
    saveLogin(env, 'https://elsewhere.example.com/api/idp', login());
    api.on('GET /whoami', { status: 401, body: { error: { code: 'unauthenticated', message: 'Sign in first: run `idp login`.' } } });
    const r = await run(['whoami'], { env });
    assert.equal(r.code, ExitCode.rejected);
    assert.equal(api.requests[0]!.headers.authorization, undefined);
  });

  it('an expired login without a refresh token: "run `idp login`", exit 5, nothing sent', async () => {
    const env = cfg();
    saveLogin(env, api.url, login({ expiresAt: new Date(Date.now() - 1000).toISOString(), refreshToken: undefined }));
    const r = await run(['env', 'list'], { env });
    assert.equal(r.code, ExitCode.rejected);
    assert.match(r.err, /Your sign-in has expired: run `idp login`/);
    assert.equal(api.requests.length, 0);
    assert.doesNotMatch(r.out + r.err, /-TOKEN-1/);
  });

  it('a stored login is neither sent nor renewed over plain http to another machine', async () => {
    const env = cfg();
    const remote = 'http://idp.example.com/api/idp';
    // Expired, with a backend that does not exist: a renewal attempt would fail with another message.
    saveLogin(env, remote, login({ backend: 'http://idp.example.com', expiresAt: new Date(0).toISOString() }));
    const r = await run(['env', 'list', '--api', remote], { env });
    assert.equal(r.code, ExitCode.rejected);
    assert.match(r.err, /Refusing to send your idp login token over plain http to idp\.example\.com/);
  });

  it('version: the CLI, the API URL and what serves it, from /health without a token', async () => {
    const env = cfg();
    saveLogin(env, api.url, login());
    api.on('GET /health', { body: { ...health, servedBy: { name: 'Backstage', version: '1.12.0', appUrl: 'https://backstage.example.com' } } });
    const r = await run(['version'], { env });
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^idp CLI +0\.1\.0\nAPI +http:\/\/127\.0\.0\.1:\d+\/api\/idp +\(from IDP_API_URL\)\nServed by +Backstage 1\.12\.0 at https:\/\/backstage\.example\.com\nAPI version +0\.1\.0\n$/);
    assert.equal(api.requests[0]!.headers.authorization, undefined);
  });

  it('login on the standalone server says it has no sign-in, and stores nothing', async () => {
    const env = cfg();
    api.on('GET /health', { body: { ...health, servedBy: { name: 'standalone', version: '0.1.0' } } });
    const r = await run(['login'], { env });
    assert.equal(r.code, ExitCode.usage);
    assert.match(r.err, /is the standalone idp server: it has no sign-in/);
    assert.equal(existsSync(credentialsFile(env)), false);
    assert.deepEqual(api.requests.map((q) => q.path), ['/health']);
  });

  it('logout without a stored login says so and changes nothing', async () => {
    const r = await run(['logout'], { env: cfg() });
    assert.equal(r.code, 0);
    assert.match(r.out, /^Not signed in to http:\/\/127\.0\.0\.1:\d+\/api\/idp\.\n$/);
  });
});
