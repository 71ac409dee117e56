/**
 * idp login [--user <name>] [--no-browser]: sign in to the Backstage backend serving the API, the way Backstage's
 * own CLI does (authorization code + PKCE on a loopback redirect), and keep the tokens for this API URL.
 * `--user alice` (embedded stack only) signs in as a demo catalog user without a browser.
 */
import type { Health } from '@idp/core';
import { PlatformClient, UnreachableError } from '@idp/core/client';
import type { CommandInput } from '../../command.js';
import { resolveApi } from '../../context.js';
import { UsageError } from '../../exit-codes.js';
import { contextFlags, stringFlag } from '../shared/common.js';
import { approveAsDemoUser, AuthError, authorizeUrl, backendOf, checkCliClient, cliClientId, exchangeCode, pkce, startCallback, startSession, userOf } from '../../auth/oauth.js';
import { saveLogin } from '../../auth/store.js';

/** How long the CLI waits for the browser to come back. */
const WAIT_MS = 10 * 60_000;

export async function run(input: CommandInput): Promise<void> {
  const { io, ui, flags } = input;
  const api = resolveApi(contextFlags(flags), io.env);
  const user = stringFlag(flags, 'user');
  if (user !== undefined && !/^[a-z0-9][a-z0-9._-]{0,62}$/i.test(user)) throw new UsageError(`"${user}" is not a user name; name a user of the demo catalog, e.g. --user alice.`);
  // The standalone server has no sign-in of its own: say so rather than fail on a missing auth backend.
  const health = (await new PlatformClient({ baseUrl: api.url }).health().catch((e: unknown) => {
    if (e instanceof UnreachableError) throw e;
    return undefined; // not idp's answer: the auth backend below tells whether sign-in works there
  })) as (Health & { servedBy?: { name: string } }) | undefined;
  if (health?.servedBy?.name === 'standalone') {
    throw new UsageError(
      `${api.url} is the standalone idp server: it has no sign-in. It acts as the user it was started with, or, started with IDP_API_TOKEN, as the IDP_USER of whoever sends that token.`,
      'Point IDP_API_URL (or --api) at a Backstage serving the idp plugin to sign in.',
    );
  }
  const backend = backendOf(api.url);
  const clientId = cliClientId(backend);
  await checkCliClient(backend);

  const { verifier, challenge, state } = pkce();
  const callback = await startCallback(state);
  try {
    const { pageUrl: url, sessionId } = await startSession(authorizeUrl({ backend, clientId, redirectUri: callback.redirectUri, challenge, state }));
    if (user) {
      ui.note(`Signing in to ${backend} as ${user} (demo sign-in: the embedded stack only, from this machine)...`);
      await approveAsDemoUser({ backend, sessionId, redirectUri: callback.redirectUri, user });
    } else {
      // Printed even with --json (on stderr): without it there is no way to finish signing in.
      io.stderr.write(`Sign in to ${backend} in your browser:\n\n  ${url}\n\n`);
      if (flags.browser === false) {
        io.stderr.write('Open that URL in a browser on this machine (it comes back to 127.0.0.1).\n');
      } else {
        const { openBrowser } = await import('../../auth/browser.js');
        if (!(await openBrowser(url, io.env))) io.stderr.write('Could not open a browser: open that URL yourself.\n');
      }
      io.stderr.write('Waiting for you to sign in (Ctrl-C cancels)...\n');
    }
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      callback.code,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new AuthError(`No sign-in within ${WAIT_MS / 60_000} minutes; run \`idp login\` again.`)), WAIT_MS);
        timer.unref();
      }),
    ]).finally(() => clearTimeout(timer));

    const login = await exchangeCode({ backend, clientId, code, redirectUri: callback.redirectUri, verifier, now: new Date() });
    const who = await userOf(backend, login.accessToken);
    saveLogin(io.env, api.url, { ...login, ...(who ? { user: who } : {}) });

    if (ui.json) return ui.printJson({ api: api.url, backend, user: who ?? null, expiresAt: login.expiresAt, refreshable: Boolean(login.refreshToken) });
    ui.print(`Signed in to ${backend} as ${who ?? 'an unknown user'}.`);
    if (!login.refreshToken) {
      ui.note(`The server issued no refresh token (a Backstage admin enables them with auth.experimentalRefreshToken.enabled), so this sign-in lasts until ${login.expiresAt}.`);
    }
    if (io.env.IDP_TOKEN) ui.note('IDP_TOKEN is set: it is used instead of this sign-in until you unset it.');
  } finally {
    await callback.close();
  }
}
