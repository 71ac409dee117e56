/**
 * Who acts on a Platform API request, as an input of the router: the
 * standalone server verifies it here (standaloneIdentity), the Backstage
 * backend plugin from Backstage's own credentials (httpAuth, userInfo). The
 * router never takes the acting user from anything else.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { IdpError } from '@idp/core';

export interface Actor {
  /** Who acts, as PRs, reviews and the release ledger record it: standalone — the person's email; Backstage — the
   *  user entity ref (user:default/alice) or a service principal's subject. */
  id: string;
  kind: 'user' | 'service';
  /** Every name the same person may appear under on a forge (emails, forge logins, entity ref): four-eyes treats them as one. */
  aliases: string[];
  /** The person's login on each kind of forge as the identity provider vouches for it (Backstage: the User entity's
   *  `github.com/user-login` / `gitlab.com/user-login` annotations). A release uses it when no forge token came with
   *  the request (a Scaffolder task has none). The standalone identity vouches for none. */
  forgeLogins?: Partial<Record<'github' | 'gitlab', string>>;
}

export type IdpAction = 'component.read' | 'logs.read' | 'metrics.read' | 'environment.change' | 'variable.write' | 'secret.write' | 'release.request' | 'pull.review' | 'pull.merge' | 'pull.close' | 'pull.check';

/** The component a request acts on, as its paws.yaml names it (owner: metadata.owner). */
export interface ComponentRef {
  name: string;
  owner?: string;
  repo: string;
  path: string;
}

export interface AuthorizeCheck {
  action: IdpAction;
  /** Absent only where the request names no component (GET /workflows/:id; a PR route on a repository without that paws.yaml). */
  component?: ComponentRef;
  env?: string;
}

export interface Identity {
  /** The caller from a verified credential; throws IdpError('unauthenticated', 401, <what to do>) when there is none. */
  actorOf(req: Request): Promise<Actor>;
  /** Throws IdpError('forbidden', 403, <what is missing>) when the actor may not do `action` on this component/env. */
  authorize?(req: Request, actor: Actor, check: AuthorizeCheck): Promise<void>;
}

export interface StandaloneIdentityOptions {
  /** The person this server acts as (IDP_USER, else `git config user.email`). */
  user?: string | undefined;
  /** IDP_API_TOKEN: when set, every request must carry it (Bearer), and may then name its user with x-idp-user. */
  sharedSecret?: string | undefined;
}

/**
 * The standalone server (`idp-server api`). Without a
 * shared secret anyone who can reach the port is taken to be its one user, so
 * it acts only as that user: a request naming someone else is refused rather
 * than believed. With a shared secret, whoever holds it is trusted to say who
 * they are (x-idp-user) — the secret, not the header, is the credential.
 */
export function standaloneIdentity(opts: StandaloneIdentityOptions): Identity {
  const secret = opts.sharedSecret ? Buffer.from(`Bearer ${opts.sharedSecret}`) : undefined;
  return {
    async actorOf(req) {
      const named = req.header('x-idp-user')?.trim() || undefined;
      if (secret) {
        const sent = Buffer.from(req.header('authorization') ?? '');
        if (sent.length !== secret.length || !timingSafeEqual(sent, secret)) {
          throw new IdpError('unauthenticated', 401, 'Missing or wrong API token: set IDP_API_TOKEN to the token the server was started with.');
        }
        const user = named ?? opts.user;
        if (!user) throw new IdpError('unauthenticated', 401, 'Who is acting is unknown: set IDP_USER or `git config user.email` where you run idp.');
        return userActor(user);
      }
      if (!opts.user) {
        throw new IdpError('unauthenticated', 401, 'This standalone server has no user to act as: start it with IDP_USER (or `git config user.email`) set, or with IDP_API_TOKEN so clients can name theirs.');
      }
      if (named && named.toLowerCase() !== opts.user.toLowerCase()) {
        throw new IdpError(
          'forbidden',
          403,
          secret
            ? `This standalone server acts as ${opts.user} unless a request carries its shared secret: set IDP_API_TOKEN to it (npm start keeps it in IDP_HOME/api-token) to act as ${named}.`
            : `This standalone server acts only as ${opts.user}; start it with IDP_API_TOKEN (a shared secret its clients send) to let requests name another user, or unset IDP_USER here.`,
        );
      }
      return userActor(opts.user);
    },
  };
}

function userActor(user: string): Actor {
  return { id: user, kind: 'user', aliases: [user] };
}
