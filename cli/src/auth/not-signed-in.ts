/** The "run `idp login`" error (exit 5), on its own so that commands can raise it without loading the OAuth code. */
import { IdpError } from '@idp/core/errors';

export const notSignedIn = (apiUrl: string, why: string) =>
  new IdpError('unauthenticated', 401, `${why}: run \`idp login\`${apiUrl ? ` (for ${apiUrl})` : ''}, or set IDP_TOKEN to a Backstage token.`);
