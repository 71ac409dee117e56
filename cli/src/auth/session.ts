/**
 * The stored login as a token for the next request: used as is while it has more than a minute to live, else
 * renewed silently with its refresh token (and saved). A login that cannot be renewed (expired, revoked, the user
 * gone from the catalog) is an unauthenticated error: "run `idp login`", exit 5.
 */
import { notSignedIn } from './not-signed-in.js';
import { AuthError, refresh } from './oauth.js';
import { readLogin, saveLogin } from './store.js';

type Env = Record<string, string | undefined>;

/** Renew this long before the expiry, so a token never expires on its way to the server. */
const EARLY_MS = 60_000;

export async function freshAccessToken(env: Env, apiUrl: string): Promise<string> {
  const login = readLogin(env, apiUrl);
  if (!login) throw notSignedIn(apiUrl, 'You are not signed in');
  if (Date.parse(login.expiresAt) - Date.now() > EARLY_MS) return login.accessToken;
  if (!login.refreshToken) throw notSignedIn(apiUrl, 'Your sign-in has expired');
  try {
    const renewed = await refresh(login, new Date());
    saveLogin(env, apiUrl, renewed);
    return renewed.accessToken;
  } catch (e) {
    if (!(e instanceof AuthError)) throw e;
    // Another idp process may have renewed it first: the auth backend rotates refresh tokens, so ours is spent.
    const now = readLogin(env, apiUrl);
    if (now && now.refreshToken !== login.refreshToken && Date.parse(now.expiresAt) - Date.now() > EARLY_MS) return now.accessToken;
    throw notSignedIn(apiUrl, `Your sign-in has expired and could not be renewed (${e.message})`);
  }
}
