/**
 * The sign-in (consent) page of the embedded stack. `idp login` starts Backstage's CLI flow at the auth backend's
 * /v1/authorize, which sends the browser to `${app.baseUrl}/oauth2/authorize/<session>`: in a full Backstage that is
 * the @backstage/plugin-auth frontend page; the embedded stack has no frontend yet, so this serves a minimal one on
 * the root router. The page signs in with a provider of the auth backend (guest; and, in the embedded stack only,
 * any user of the demo catalog through the `idp-demo` provider), approves the session with that Backstage token
 * (POST /v1/sessions/<id>/approve) and follows the redirect back to the CLI's loopback callback.
 * No token or secret is ever in the page: the script gets the token from the auth backend when the user clicks.
 */
import { coreServices, createBackendPlugin } from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import type { Request, Response, NextFunction } from 'express';
import { isLoopbackHost } from '@idp/api';

const SESSION_ID = /^[A-Za-z0-9-]{1,100}$/;

/** Everything rendered goes through here: names and descriptions come from the catalog. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface DemoUser {
  name: string;
  displayName: string;
  email?: string;
}

export function signInHtml(o: { sessionId: string; authBase: string; guest: boolean; demoUsers: DemoUser[] | undefined }): string {
  const options = (o.demoUsers ?? [])
    .map((u) => `<option value="${escapeHtml(u.name)}">${escapeHtml(u.displayName)}${u.email ? ` (${escapeHtml(u.email)})` : ''}</option>`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · idp</title>
<link rel="stylesheet" href="/oauth2/sign-in.css">
<link rel="icon" href="data:,">
<script src="/oauth2/sign-in.js" defer></script>
</head>
<body data-session="${escapeHtml(o.sessionId)}" data-auth="${escapeHtml(o.authBase)}">
<main>
<h1>Sign in to idp</h1>
<p id="client">An application on this machine asks to act as you.</p>
${o.guest ? '<p><button type="button" id="guest">Continue as Guest</button></p>' : ''}
${
  o.demoUsers?.length
    ? `<form id="demo"><label for="user">Or as a person of the demo catalog</label>
<select id="user" name="user">${options}</select>
<button type="submit">Continue</button>
<small>Demo sign-in: the embedded stack (<code>npm start</code>) only.</small></form>`
    : ''
}
${!o.guest && !o.demoUsers?.length ? '<p>No sign-in provider here offers this page; sign in through your Backstage.</p>' : ''}
<p id="status" role="status" aria-live="polite"></p>
</main>
</body>
</html>
`;
}

/** The page's script: served as a file (Backstage's CSP allows no inline script), it reads its inputs from data-*. */
export const SIGN_IN_JS = `'use strict';
(() => {
  const body = document.body;
  const session = body.dataset.session;
  const auth = body.dataset.auth;
  const status = document.getElementById('status');
  const buttons = () => document.querySelectorAll('button');
  async function json(url, init) {
    const res = await fetch(url, Object.assign({ credentials: 'include' }, init));
    const data = await res.json().catch(() => ({}));
    if (!res.ok) {
      const e = data && data.error;
      throw new Error((e && e.message) || (data && data.error_description) || (typeof e === 'string' ? e : 'HTTP ' + res.status));
    }
    return data;
  }
  async function signIn(provider, user) {
    buttons().forEach((b) => (b.disabled = true));
    status.textContent = 'Signing in' + (user ? ' as ' + user : '') + '...';
    try {
      const query = user ? '?user=' + encodeURIComponent(user) : '';
      const identity = await json(auth + '/' + provider + '/refresh' + query, { headers: { 'X-Requested-With': 'XMLHttpRequest' } });
      const token = identity && identity.backstageIdentity && identity.backstageIdentity.token;
      if (!token) throw new Error('the auth backend returned no Backstage token');
      const approved = await json(auth + '/v1/sessions/' + encodeURIComponent(session) + '/approve', {
        method: 'POST',
        headers: { Authorization: 'Bearer ' + token },
      });
      status.textContent = 'Signed in; returning to the command line...';
      window.location.href = approved.redirectUrl;
    } catch (e) {
      status.textContent = 'Sign-in failed: ' + e.message;
      buttons().forEach((b) => (b.disabled = false));
    }
  }
  json(auth + '/v1/sessions/' + encodeURIComponent(session)).then(
    (s) => {
      document.getElementById('client').textContent = s.clientName + ' asks to act as you (it returns to ' + new URL(s.redirectUri).host + ').';
    },
    (e) => {
      status.textContent = 'This sign-in request is no longer valid (' + e.message + '): run idp login again.';
      buttons().forEach((b) => (b.disabled = true));
    },
  );
  const guest = document.getElementById('guest');
  if (guest) guest.addEventListener('click', () => signIn('guest'));
  const demo = document.getElementById('demo');
  if (demo) demo.addEventListener('submit', (ev) => {
    ev.preventDefault();
    signIn('idp-demo', document.getElementById('user').value);
  });
})();
`;

const SIGN_IN_CSS = `body{font-family:system-ui,sans-serif;margin:0;background:#f4f4f4}main{max-width:28em;margin:4em auto;padding:2em;background:#fff;border-radius:8px;box-shadow:0 1px 4px #0002}
button{font-size:1em;padding:.5em 1em;cursor:pointer}select{font-size:1em;margin:.5em 0;display:block}small{display:block;color:#666;margin-top:.5em}#status{color:#333;min-height:1.5em}`;

export const signInPagePlugin = createBackendPlugin({
  pluginId: 'idp-sign-in',
  register(env) {
    env.registerInit({
      deps: {
        rootHttpRouter: coreServices.rootHttpRouter,
        config: coreServices.rootConfig,
        discovery: coreServices.discovery,
        auth: coreServices.auth,
        catalog: catalogServiceRef,
      },
      async init({ rootHttpRouter, config, discovery, auth, catalog }) {
        const authBase = new URL(await discovery.getExternalBaseUrl('auth')).pathname.replace(/\/+$/, '');
        const guest = config.has('auth.providers.guest');
        // The same conditions as the idp-demo provider itself (demo-auth.ts): offered only where it would work.
        const demo = config.getOptionalBoolean('auth.providers.idp-demo.embedded') === true && isLoopbackHost(config.getOptionalString('backend.listen.host') ?? '');

        async function demoUsers(): Promise<DemoUser[]> {
          const { items } = await catalog.getEntities(
            { filter: { kind: 'User', 'metadata.namespace': 'default' }, fields: ['metadata.name', 'spec.profile'] },
            { credentials: await auth.getOwnServiceCredentials() },
          );
          return items
            .map((e) => {
              const profile = (e.spec as { profile?: { displayName?: unknown; email?: unknown } } | undefined)?.profile;
              return {
                name: e.metadata.name,
                displayName: typeof profile?.displayName === 'string' ? profile.displayName : e.metadata.name,
                ...(typeof profile?.email === 'string' ? { email: profile.email } : {}),
              };
            })
            .sort((a, b) => a.name.localeCompare(b.name));
        }

        const send = (res: Response, type: string, body: string) => {
          res.status(200).type(type).set('cache-control', 'no-store').send(body);
        };
        rootHttpRouter.use('/oauth2', (req: Request, res: Response, next: NextFunction) => {
          if (req.method !== 'GET') return next();
          if (req.path === '/sign-in.js') return send(res, 'application/javascript; charset=utf-8', SIGN_IN_JS);
          if (req.path === '/sign-in.css') return send(res, 'text/css; charset=utf-8', SIGN_IN_CSS);
          const m = /^\/authorize\/([^/]+)$/.exec(req.path);
          if (!m) return next();
          const sessionId = decodeURIComponent(m[1]!);
          if (!SESSION_ID.test(sessionId)) {
            res.status(400).type('text/plain').send('Not a sign-in session id.');
            return;
          }
          (demo ? demoUsers() : Promise.resolve(undefined)).then(
            (users) => send(res, 'text/html; charset=utf-8', signInHtml({ sessionId, authBase, guest, demoUsers: users })),
            next,
          );
        });
      },
    });
  },
});
