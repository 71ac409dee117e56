/**
 * Who is calling, from Backstage: the token's principal (httpAuth), never a header. A user is known by their entity
 * ref and by every name the same person has on a forge (the User entity's email and forge-login annotations), so
 * four-eyes holds across them; a service principal (a static token) is a service and never approves.
 */
import type { AuthService, BackstageCredentials, HttpAuthService, PermissionsService } from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import { AuthorizeResult, type PolicyDecision, type ResourcePermission } from '@backstage/plugin-permission-common';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { catalogEntityReadPermission } from '@backstage/plugin-catalog-common/alpha';
import type { Request } from 'express';
import { IdpError } from '@idp/core';
import type { Actor, ComponentRef, IdpAction, Identity } from '@idp/api';
import type { IdpEnvironmentResource, LoadEnvironment } from './permissions.js';
import type { ContextResolver } from './context/resolve.js';
import {
  idpEnvironmentChangePermission,
  idpPullMergePermission,
  idpPullReviewPermission,
  idpReleaseRequestPermission,
  idpVariableWritePermission,
  idpSecretWritePermission,
  idpLogsReadPermission,
  idpMetricsReadPermission,
} from '@idp/backstage-plugin-idp-common';

/** Annotations that name a user on a forge (Backstage's well-known ones, which its sign-in resolvers read too). */
const FORGE_LOGIN_ANNOTATIONS = { github: 'github.com/user-login', gitlab: 'gitlab.com/user-login' } as const;

const PERMISSION_FOR: Partial<Record<IdpAction, ResourcePermission<'idp-environment'>>> = {
  'environment.change': idpEnvironmentChangePermission,
  'variable.write': idpVariableWritePermission,
  'secret.write': idpSecretWritePermission,
  'release.request': idpReleaseRequestPermission,
  'pull.review': idpPullReviewPermission,
  'pull.merge': idpPullMergePermission,
  'pull.close': idpPullMergePermission,
  'pull.check': idpPullMergePermission,
  'logs.read': idpLogsReadPermission,
  'metrics.read': idpMetricsReadPermission,
};

export const SIGN_IN_HINT = 'Sign in first: run `idp login` (or set IDP_TOKEN to a Backstage token, e.g. a static token in CI).';

export interface BackstageIdentityDeps {
  httpAuth: HttpAuthService;
  auth: AuthService;
  permissions: PermissionsService;
  catalog: CatalogService;
  /** idp's own resources: loading one, and applying a conditional decision to it (registerIdpPermissions). */
  environments: { load: LoadEnvironment; allowed(decision: PolicyDecision, resource: IdpEnvironmentResource): boolean };
  /** Finds the catalog entity of a repository + paws.yaml (context/resolve.ts); absent: the paws.yaml name is the entity's. */
  context?: ContextResolver;
}

export function backstageIdentity({ httpAuth, auth, permissions, catalog, environments, context }: BackstageIdentityDeps): Identity {
  // One verification per request, shared by actorOf and authorize.
  const seen = new WeakMap<Request, Promise<BackstageCredentials<{ type: 'user'; userEntityRef: string } | { type: 'service'; subject: string }>>>();
  const credentialsOf = (req: Request) => {
    let c = seen.get(req);
    if (!c) {
      c = httpAuth.credentials(req, { allow: ['user', 'service'] }).catch(() => {
        throw new IdpError('unauthenticated', 401, SIGN_IN_HINT);
      }) as never;
      seen.set(req, c!);
    }
    return c!;
  };

  /** The entity the catalog says this repository + paws.yaml is (as idp itself reads the catalog); else the name guess. */
  const entityRefOf = async (component: ComponentRef): Promise<string> => {
    const found = await context?.resolve({ remotes: [{ name: 'origin', url: component.repo }], paws: { path: component.path, name: component.name } }, await auth.getOwnServiceCredentials());
    return found?.status === 'matched' ? found.entity!.entityRef : componentEntityRef(component.name);
  };

  return {
    async actorOf(req: Request): Promise<Actor> {
      const credentials = await credentialsOf(req);
      if (auth.isPrincipal(credentials, 'user')) {
        const ref = credentials.principal.userEntityRef;
        const entity = await catalog.getEntityByRef(ref, { credentials: await auth.getOwnServiceCredentials() }).catch(() => undefined);
        const forgeLogins = forgeLoginsOf(entity);
        return { id: ref, kind: 'user', aliases: aliasesOf(ref, entity), ...(Object.keys(forgeLogins).length ? { forgeLogins } : {}) };
      }
      const subject = (credentials.principal as { subject: string }).subject;
      return { id: subject, kind: 'service', aliases: [subject] };
    },

    async authorize(req, actor, check) {
      // Reads that name no component (a workflow's status by its id; PRs of a repository without paws.yaml, such as a
      // deployment repository): any signed-in caller. Changes there are still checked, against no entity.
      if (!check.component && check.action === 'component.read') return;
      if (check.action === 'component.read') {
        // Reading what idp knows of a component is reading its catalog entity: the catalog's own permission decides.
        const entityRef = await entityRefOf(check.component!);
        const [read] = await permissions.authorize([{ permission: catalogEntityReadPermission, resourceRef: entityRef }], { credentials: await credentialsOf(req) });
        if (read?.result === AuthorizeResult.ALLOW) return;
        throw new IdpError('forbidden', 403, `${actor.id} may not read ${entityRef}: Backstage's permission policy does not grant ${catalogEntityReadPermission.name}.`);
      }
      const permission = PERMISSION_FOR[check.action];
      if (!permission) return;
      // Conditional decisions are applied here, to the environment idp already knows, as a plugin does for its own resources.
      const [decision] = await permissions.authorizeConditional([{ permission }], { credentials: await credentialsOf(req) });
      if (decision?.result === AuthorizeResult.ALLOW) return;
      // Only a condition or a refusal needs the entity: an unconditional allow costs no catalog query.
      const entityRef = check.component ? await entityRefOf(check.component) : '';
      if (decision?.result === AuthorizeResult.CONDITIONAL) {
        const resource = entityRef ? await environments.load(entityRef, check.env) : { entityRef, environment: check.env };
        if (environments.allowed(decision, resource)) return;
      }
      const where = check.env ? ` in ${check.env}` : '';
      throw new IdpError(
        'forbidden',
        403,
        `${actor.id} may not ${check.action.replace('.', ' ')} for ${entityRef || check.component?.repo || 'this repository'}${where}: Backstage's permission policy does not grant ${permission.name}` +
          `${check.component?.owner ? ` (the component is owned by ${check.component.owner}; ask them or a platform admin)` : ''}.`,
      );
    },
  };
}

/** The catalog entity a paws.yaml component is taken to be when the catalog has no match for its repository. */
export function componentEntityRef(name: string): string {
  return `component:default/${name.toLowerCase()}`;
}

/** The entity ref, the email and the forge logins of a user: the names one person may review under. */
export function aliasesOf(ref: string, entity: Entity | undefined): string[] {
  const names = new Set([ref]);
  const email = (entity?.spec as { profile?: { email?: unknown } } | undefined)?.profile?.email;
  if (typeof email === 'string' && email) names.add(email);
  for (const login of Object.values(forgeLoginsOf(entity))) names.add(login);
  return [...names];
}

/**
 * The user's forge logins as the catalog vouches for them (the platform, not the caller, writes the User entity): a
 * release request without a forge token (a Scaffolder task) still knows whose approval is the requester's own.
 */
export function forgeLoginsOf(entity: Entity | undefined): NonNullable<Actor['forgeLogins']> {
  const logins: NonNullable<Actor['forgeLogins']> = {};
  for (const [forge, annotation] of Object.entries(FORGE_LOGIN_ANNOTATIONS) as [keyof typeof FORGE_LOGIN_ANNOTATIONS, string][]) {
    const login = entity?.metadata.annotations?.[annotation]?.trim();
    if (login) logins[forge] = login;
  }
  return logins;
}
