/**
 * The permissions idp checks, one per kind of change it makes on a component's behalf. Each is a resource
 * permission on an environment of a catalog entity (resource type `idp-environment`, ref
 * `<entity ref>#<environment>`), so a policy can decide by the entity (its owner, its annotations) and by the
 * environment (e.g. only the owners may release to `prod*`). Reads need only a signed-in caller, except logs and
 * metrics, which have permissions of their own.
 */
import { createPermission } from '@backstage/plugin-permission-common';

/** The resource type of idp's permissions: an environment of a catalog entity. */
export const IDP_ENVIRONMENT_RESOURCE_TYPE = 'idp-environment';

/** Clone, create, destroy or extend an environment (a PR against the component's paws.yaml). */
export const idpEnvironmentChangePermission = createPermission({
  name: 'idp.environment.change',
  attributes: { action: 'update' },
  resourceType: IDP_ENVIRONMENT_RESOURCE_TYPE,
});

/** Request a release, promotion or rollback into an environment (a PR gated by its approval policy). */
export const idpReleaseRequestPermission = createPermission({
  name: 'idp.release.request',
  attributes: { action: 'create' },
  resourceType: IDP_ENVIRONMENT_RESOURCE_TYPE,
});

/** Approve or request changes on a PR through idp (on the local forge, the review is recorded as the caller). */
export const idpPullReviewPermission = createPermission({
  name: 'idp.pull.review',
  attributes: { action: 'update' },
  resourceType: IDP_ENVIRONMENT_RESOURCE_TYPE,
});

/** Merge or close a PR through idp, or report a check on one (local forge). */
export const idpPullMergePermission = createPermission({
  name: 'idp.pull.merge',
  attributes: { action: 'update' },
  resourceType: IDP_ENVIRONMENT_RESOURCE_TYPE,
});

/** Set or unset an environment's variables (a PR against the component's paws.yaml). */
export const idpVariableWritePermission = createPermission({
  name: 'idp.variable.write',
  attributes: { action: 'update' },
  resourceType: IDP_ENVIRONMENT_RESOURCE_TYPE,
});

/** Set or unset a secret of an environment: write its value to the secret store, or point it at a reference (a PR). */
export const idpSecretWritePermission = createPermission({
  name: 'idp.secret.write',
  attributes: { action: 'update' },
  resourceType: IDP_ENVIRONMENT_RESOURCE_TYPE,
});

/** Read an environment's logs (`idp logs`, the Logs tab): logs may carry personal data, so a policy can grant them apart. */
export const idpLogsReadPermission = createPermission({
  name: 'idp.logs.read',
  attributes: { action: 'read' },
  resourceType: IDP_ENVIRONMENT_RESOURCE_TYPE,
});

/** Read an environment's metrics (`idp metrics`, the Metrics tab). */
export const idpMetricsReadPermission = createPermission({
  name: 'idp.metrics.read',
  attributes: { action: 'read' },
  resourceType: IDP_ENVIRONMENT_RESOURCE_TYPE,
});

export const idpPermissions = [idpEnvironmentChangePermission, idpVariableWritePermission, idpReleaseRequestPermission, idpPullReviewPermission, idpPullMergePermission, idpSecretWritePermission, idpLogsReadPermission, idpMetricsReadPermission];

/** `component:default/checkout#production`; `#*` when the request names no single environment (a PR action). */
export function environmentResourceRef(entityRef: string, environment: string | undefined): string {
  return `${entityRef}#${environment ?? '*'}`;
}

export function parseEnvironmentResourceRef(ref: string): { entityRef: string; environment: string | undefined } | undefined {
  const i = ref.lastIndexOf('#');
  if (i <= 0) return undefined;
  const environment = ref.slice(i + 1);
  return { entityRef: ref.slice(0, i), environment: environment === '*' ? undefined : environment };
}
