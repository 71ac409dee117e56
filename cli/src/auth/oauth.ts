/**
 * Backstage's own CLI sign-in, spoken directly (node:crypto, node:http, fetch): OAuth 2 authorization code with
 * PKCE S256 on a loopback redirect, against the auth backend's client ID metadata document for CLIs
 * (`<backend>/api/auth/.well-known/oauth-client/cli.json`), refresh tokens (`offline_access`) and revocation.
 * Written here rather than reusing @backstage/cli-node's CliAuth: CliAuth only refreshes (the login itself lives in
 * @backstage/cli-module-auth, with inquirer, glob and fs-extra), keeps its own instance store and secret store
 * rather than one entry per idp API URL, and would put Backstage's CLI dependencies into every idp install.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { API_BASE_PATH, safeForTokens, UnreachableError } from '@idp/core/client';
import { IdpError } from '@idp/core/errors';
import type { StoredLogin } from './store.js';

/** The Backstage backend serving an idp API URL: the API is its `idp` plugin, at <backend>/api/idp. */
export function backendOf(apiUrl: string): string {
  const url = new URL(apiUrl.replace(/\/+$/, ''));
  if (!url.pathname.endsWith(API_BASE_PATH)) {
    throw new IdpError('invalid_request', 400, `${apiUrl} is not a Backstage plugin URL (…${API_BASE_PATH}); \`idp login\` signs in to the Backstage backend serving it.`);
  }
  url.pathname = url.pathname.slice(0, -API_BASE_PATH.length);
  url.search = '';
  url.hash = '';
  return url.toString().replace(/\/+$/, '');
}

export const authBase = (backend: string) => `${backend}/api/auth`;
export const cliClientId = (backend: string) => `${authBase(backend)}/.well-known/oauth-client/cli.json`;

/** RFC 7636: a random verifier, its S256 challenge, and a state that ties the callback to this login. */
export function pkce(): { verifier: string; challenge: string; state: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url'), state: randomBytes(16).toString('base64url') };
}

export function authorizeUrl(o: { backend: string; clientId: string; redirectUri: string; challenge: string; state: string }): string {
  const url = new URL(`${authBase(o.backend)}/v1/authorize`);
  url.search = new URLSearchParams({
    client_id: o.clientId,
    redirect_uri: o.redirectUri,
    response_type: 'code',
    // offline_access: a refresh token, so the login outlives the one-hour access token.
    scope: 'openid offline_access',
    state: o.state,
    code_challenge: o.challenge,
    code_challenge_method: 'S256',
  }).toString();
  return url.toString();
}

/** The auth backend's error, never with the request's tokens in it. */
export class AuthError extends IdpError {
  constructor(
    message: string,
    /** The OAuth error code (invalid_grant...), when the server sent one. */
    readonly oauthError?: string,
  ) {
    super('unauthenticated', 401, message);
  }
}

function assertSafe(backend: string): void {
  if (!safeForTokens(new URL(backend))) {
    throw new IdpError('invalid_request', 400, `Refusing to sign in to ${backend} over plain http: tokens would travel in the clear. Use https (or this machine's loopback).`);
  }
}

async function call(url: string, init: RequestInit): Promise<{ status: number; location: string | null; body: Record<string, unknown> }> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(30_000) });
  } catch (e) {
    throw new UnreachableError(new URL(url).origin, e);
  }
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    /* not JSON: described by the status below */
  }
  return { status: res.status, location: res.headers.get('location'), body };
}

/** The message of an OAuth or Backstage error body, without a final period (it is quoted inside sentences). */
function describe(status: number, body: Record<string, unknown>): string {
  return describeBody(status, body).replace(/\.+$/, '');
}

function describeBody(status: number, body: Record<string, unknown>): string {
  const err = body.error as unknown;
  if (typeof err === 'string') return `${typeof body.error_description === 'string' ? body.error_description : err}`;
  if (err && typeof err === 'object' && typeof (err as { message?: unknown }).message === 'string') return (err as { message: string }).message;
  return `HTTP ${status}`;
}

interface TokenResponse {
  access_token: string;
  expires_in: number;
  refresh_token?: string;
}

async function tokenRequest(backend: string, form: Record<string, string>): Promise<TokenResponse> {
  assertSafe(backend);
  const { status, body } = await call(`${authBase(backend)}/v1/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(form).toString(),
  });
  if (status !== 200 || typeof body.access_token !== 'string' || typeof body.expires_in !== 'number') {
    throw new AuthError(describe(status, body), typeof body.error === 'string' ? body.error : undefined);
  }
  return body as unknown as TokenResponse;
}

function toLogin(backend: string, clientId: string, t: TokenResponse, now: Date, previousRefresh?: string): StoredLogin {
  return {
    backend,
    clientId,
    accessToken: t.access_token,
    // The auth backend rotates refresh tokens: the new one replaces the old, which no longer works.
    ...((t.refresh_token ?? previousRefresh) ? { refreshToken: t.refresh_token ?? previousRefresh } : {}),
    expiresAt: new Date(now.getTime() + t.expires_in * 1000).toISOString(),
  };
}

export async function exchangeCode(o: { backend: string; clientId: string; code: string; redirectUri: string; verifier: string; now: Date }): Promise<StoredLogin> {
  const t = await tokenRequest(o.backend, { grant_type: 'authorization_code', code: o.code, redirect_uri: o.redirectUri, code_verifier: o.verifier, client_id: o.clientId });
  return toLogin(o.backend, o.clientId, t, o.now);
}

export async function refresh(login: StoredLogin, now: Date): Promise<StoredLogin> {
  if (!login.refreshToken) throw new AuthError('the session has no refresh token');
  const t = await tokenRequest(login.backend, { grant_type: 'refresh_token', refresh_token: login.refreshToken, client_id: login.clientId });
  return { ...toLogin(login.backend, login.clientId, t, now, login.refreshToken), ...(login.user ? { user: login.user } : {}) };
}

/** Revokes the refresh token (access tokens are short-lived JWTs that cannot be revoked). */
export async function revoke(login: StoredLogin): Promise<void> {
  if (!login.refreshToken) return;
  assertSafe(login.backend);
  const { status, body } = await call(`${authBase(login.backend)}/v1/revoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: login.refreshToken, token_type_hint: 'refresh_token', client_id: login.clientId }).toString(),
  });
  if (status !== 200) throw new AuthError(describe(status, body));
}

/** The auth backend's view of a token's user (`/v1/userinfo`): its entity ref, without decoding anything here. */
export async function userOf(backend: string, accessToken: string): Promise<string | undefined> {
  const { status, body } = await call(`${authBase(backend)}/v1/userinfo`, { headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' } });
  const sub = (body as { claims?: { sub?: unknown } }).claims?.sub ?? body.sub;
  return status === 200 && typeof sub === 'string' ? sub : undefined;
}

/** The client ID metadata document must be served: it is off unless the backend enables it. */
export async function checkCliClient(backend: string): Promise<void> {
  assertSafe(backend);
  const { status } = await call(cliClientId(backend), { headers: { accept: 'application/json' } });
  if (status === 404) {
    throw new IdpError(
      'invalid_request',
      400,
      `${backend} does not offer CLI sign-in: its auth backend serves no client ID metadata document. A Backstage admin enables it with \`auth.clientIdMetadataDocuments.enabled: true\` (and \`auth.experimentalRefreshToken.enabled: true\`); meanwhile set IDP_TOKEN.`,
    );
  }
  if (status !== 200) throw new AuthError(`${backend} answered ${status} for its CLI client document; is it a Backstage backend?`);
}

export interface Callback {
  redirectUri: string;
  /** Resolves with the authorization code once the browser comes back with it (and the right state). */
  code: Promise<string>;
  close(): Promise<void>;
}

const page = (title: string, text: string) =>
  `<!doctype html><meta charset="utf-8"><title>${title}</title><body style="font-family:sans-serif;margin:3em"><h1>${title}</h1><p>${text}</p></body>`;

/** A one-shot HTTP server on a random loopback port, for `http://127.0.0.1:<port>/callback`. */
export async function startCallback(state: string): Promise<Callback> {
  let settle!: { resolve: (code: string) => void; reject: (e: Error) => void };
  const code = new Promise<string>((resolve, reject) => (settle = { resolve, reject }));
  code.catch(() => undefined); // observed by the caller; never an unhandled rejection in between
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback') {
      res.writeHead(404).end();
      return;
    }
    const reply = (status: number, title: string, text: string) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page(title, text));
    };
    // Another page (or process) cannot complete this login: the state is this login's secret.
    if (url.searchParams.get('state') !== state) return reply(400, 'Sign-in failed', 'This sign-in link does not belong to the waiting <code>idp login</code>.');
    const error = url.searchParams.get('error');
    if (error) {
      reply(400, 'Sign-in failed', 'You can close this tab; <code>idp login</code> says why.');
      settle.reject(new AuthError(`Sign-in was not completed: ${(url.searchParams.get('error_description') ?? error).replace(/\.+$/, '')}.`, error));
      return;
    }
    const c = url.searchParams.get('code');
    if (!c) return reply(400, 'Sign-in failed', 'No authorization code in the callback.');
    reply(200, 'Signed in', 'You are signed in to idp. You can close this tab and go back to the terminal.');
    settle.resolve(c);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  return {
    redirectUri: `http://127.0.0.1:${port}/callback`,
    code,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Opens the authorization session (GET /v1/authorize, not followed): the auth backend answers with the sign-in
 * page's URL (`${app.baseUrl}/oauth2/authorize/<session>`), or refuses the request, which is then told here, in the
 * terminal, rather than as JSON in a browser tab.
 */
export async function startSession(authorize: string): Promise<{ pageUrl: string; sessionId: string }> {
  const { status, location, body } = await call(authorize, { headers: { accept: 'application/json' } });
  const page = location ? new URL(location, authorize) : undefined;
  const sessionId = page && /\/oauth2\/authorize\/([A-Za-z0-9-]+)$/.exec(page.pathname)?.[1];
  if (page && sessionId) return { pageUrl: page.toString(), sessionId };
  const why = (page?.searchParams.get('error_description') ?? describe(status, body)).replace(/\.+$/, '');
  throw new AuthError(`The auth backend refused to start a sign-in: ${why}.`);
}

/**
 * `idp login --user <name>` (embedded stack only): the CLI does what the sign-in page does — it gets the demo
 * user's Backstage token from the `idp-demo` provider, which refuses unless the backend is the embedded one and the
 * request comes from this machine, approves the authorization session with it, and follows the redirect.
 * `--user guest` is Backstage's own guest (user:development/guest), from the guest provider.
 */
export async function approveAsDemoUser(o: { backend: string; sessionId: string; redirectUri: string; user: string }): Promise<void> {
  const auth = authBase(o.backend);
  const provider = o.user === 'guest' ? `${auth}/guest/refresh` : `${auth}/idp-demo/refresh?user=${encodeURIComponent(o.user)}`;
  const demo = await call(provider, { headers: { 'x-requested-with': 'XMLHttpRequest', accept: 'application/json' } });
  const token = (demo.body.backstageIdentity as { token?: unknown } | undefined)?.token;
  if (demo.status !== 200 || typeof token !== 'string') {
    const why = describe(demo.status, demo.body);
    const hint = /unknown auth provider/i.test(why) ? ' (the idp-demo provider exists only in the embedded stack, `npm start`)' : /user not found/i.test(why) ? ' in the catalog' : '';
    throw new AuthError(`Signing in as ${o.user} was refused: ${why}${hint}. Run \`idp login\` without --user to sign in through the browser.`);
  }
  const approved = await call(`${auth}/v1/sessions/${encodeURIComponent(o.sessionId)}/approve`, { method: 'POST', headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
  const redirectUrl = approved.body.redirectUrl;
  if (approved.status !== 200 || typeof redirectUrl !== 'string') throw new AuthError(`Signing in as ${o.user} was refused: ${describe(approved.status, approved.body)}.`);
  // Back to our own loopback callback, as the browser would go; nowhere else.
  if (!redirectUrl.startsWith(`${o.redirectUri}?`)) throw new AuthError('The auth backend redirected somewhere other than this login\'s callback.');
  const back = await fetch(redirectUrl, { signal: AbortSignal.timeout(30_000) });
  await back.body?.cancel();
}
