/**
 * idp's resource type for Backstage permissions: an environment of a catalog entity. Registered with the
 * permissions registry, with the rules a policy can put in a conditional decision and a loader, so the permission
 * framework itself resolves conditions (`permissions.authorize` with a resourceRef calls back into this plugin).
 */
import type { Entity } from '@backstage/catalog-model';
import { RELATION_OWNED_BY, stringifyEntityRef } from '@backstage/catalog-model';
import { createConditionExports, createPermissionResourceRef, createPermissionRule } from '@backstage/plugin-permission-node';
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

export function registerIdpPermissions(registry: PermissionsRegistryService, catalog: CatalogService, auth: AuthService): void {
  registry.addResourceType({
    resourceRef: idpEnvironmentResourceRef,
    permissions: idpPermissions,
    rules: Object.values(idpRules),
    async getResources(refs) {
      const parsed = refs.map(parseEnvironmentResourceRef);
      const entityRefs = [...new Set(parsed.flatMap((p) => (p ? [p.entityRef] : [])))];
      const { items } = await catalog.getEntitiesByRefs({ entityRefs }, { credentials: await auth.getOwnServiceCredentials() });
      const byRef = new Map(items.flatMap((e) => (e ? [[stringifyEntityRef(e), e] as const] : [])));
      return parsed.map((p) => (p ? { entityRef: p.entityRef, entity: byRef.get(p.entityRef), environment: p.environment } : undefined));
    },
  });
}
