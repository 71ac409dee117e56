/**
 * idp's resource type for Backstage permissions: an environment of a catalog entity. Registered with the
 * permissions registry, with the rules a policy can put in a conditional decision and a loader, so the permission
 * framework itself resolves conditions (`permissions.authorize` with a resourceRef calls back into this plugin).
 */
import type { Entity } from '@backstage/catalog-model';
import { RELATION_OWNED_BY, stringifyEntityRef } from '@backstage/catalog-model';
import { createConditionAuthorizer, createConditionExports, createPermissionResourceRef, createPermissionRule } from '@backstage/plugin-permission-node';
import type { PolicyDecision } from '@backstage/plugin-permission-common';
import type { AuthService, PermissionsRegistryService } from '@backstage/backend-plugin-api';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { z } from 'zod';
import { IDP_ENVIRONMENT_RESOURCE_TYPE, idpPermissions, parseEnvironmentResourceRef } from '@idp/backstage-plugin-idp-common';
import { matchesGlob } from '@idp/core';

/** What a rule sees: the entity (absent when the component is not in the catalog) and the environment. */
export interface IdpEnvironmentResource {
  entityRef: string;
  entity?: Entity;
  environment?: string;
}

export const idpEnvironmentResourceRef = createPermissionResourceRef<IdpEnvironmentResource, never>().with({
  pluginId: 'idp',
  resourceType: IDP_ENVIRONMENT_RESOURCE_TYPE,
});

/** The environment's name matches a glob (`prod*`, `preview-*`); false when the request names no environment. */
const isEnvironment = createPermissionRule({
  name: 'IS_ENVIRONMENT',
  description: 'Allow when the environment name matches a pattern (* matches any characters)',
  resourceRef: idpEnvironmentResourceRef,
  paramsSchema: z.object({ pattern: z.string().describe('Environment name pattern, e.g. prod*') }),
  apply: (r, { pattern }) => r.environment !== undefined && matchesGlob(r.environment, pattern),
  toQuery: () => {
    throw new Error('idp environments are never listed by query');
  },
});

/** The caller owns the entity: one of their ownership refs (themselves, their groups) is its owner. */
const isEntityOwner = createPermissionRule({
  name: 'IS_ENTITY_OWNER',
  description: 'Allow when the entity is owned by one of the given refs (pass the user\'s ownership claims)',
  resourceRef: idpEnvironmentResourceRef,
  paramsSchema: z.object({ claims: z.array(z.string()).describe('Ownership entity refs of the caller') }),
  apply: (r, { claims }) => {
    const owners = (r.entity?.relations ?? []).filter((rel) => rel.type === RELATION_OWNED_BY).map((rel) => rel.targetRef);
    return owners.some((o) => claims.includes(o));
  },
  toQuery: () => {
    throw new Error('idp environments are never listed by query');
  },
});

export const idpRules = { isEnvironment, isEntityOwner };

/** For permission policies: `idpConditions.isEntityOwner({ claims })`, `createIdpConditionalDecision(permission, …)`. */
export const { conditions: idpConditions, createConditionalDecision: createIdpConditionalDecision } = createConditionExports({
  resourceRef: idpEnvironmentResourceRef,
  rules: idpRules,
});

/** Loads the resource a decision is about: the entity from the catalog (as this plugin), and the environment. */
export type LoadEnvironment = (entityRef: string, environment: string | undefined) => Promise<IdpEnvironmentResource>;

/**
 * Registers the resource type, and returns what idp needs to decide on its own resources: the loader and a check of
 * a (conditional) decision against a loaded resource — the way a plugin applies conditions on resources it owns.
 */
export function registerIdpPermissions(registry: PermissionsRegistryService, catalog: CatalogService, auth: AuthService) {
  const entitiesByRef = async (entityRefs: string[]) => {
    const { items } = await catalog.getEntitiesByRefs({ entityRefs }, { credentials: await auth.getOwnServiceCredentials() });
    return new Map(items.flatMap((e) => (e ? [[stringifyEntityRef(e), e] as const] : [])));
  };
  registry.addResourceType({
    resourceRef: idpEnvironmentResourceRef,
    permissions: idpPermissions,
    rules: Object.values(idpRules),
    // For other plugins that ask about an idp environment by its ref (`permissions.authorize` with a resourceRef).
    async getResources(refs) {
      const parsed = refs.map(parseEnvironmentResourceRef);
      const byRef = await entitiesByRef([...new Set(parsed.flatMap((p) => (p ? [p.entityRef] : [])))]);
      return parsed.map((p) => (p ? { entityRef: p.entityRef, entity: byRef.get(p.entityRef), environment: p.environment } : undefined));
    },
  });
  const allowed = createConditionAuthorizer(registry.getPermissionRuleset(idpEnvironmentResourceRef));
  const load: LoadEnvironment = async (entityRef, environment) => ({ entityRef, entity: (await entitiesByRef([entityRef])).get(entityRef), environment });
  return { load, allowed: (decision: PolicyDecision, resource: IdpEnvironmentResource) => allowed(decision, resource) };
}
