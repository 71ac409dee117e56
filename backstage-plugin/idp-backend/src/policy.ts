/**
 * idp's permission policy, for a Backstage that has none of its own (the embedded stack ships it): every signed-in
 * user may do everything idp does, except that `idp.permissions.ownersOnly` (environment patterns, e.g. ['prod*'])
 * limits release requests, secret writes and log reads (production logs carry customers' data) in those environments to
 * the members of the component's owning group. A platform with its
 * own policy uses `idpConditions` / `createIdpConditionalDecision` in it instead.
 */
import { coreServices, createBackendModule } from '@backstage/backend-plugin-api';
import { AuthorizeResult, isPermission, type PolicyDecision, type PermissionCriteria, type PermissionCondition } from '@backstage/plugin-permission-common';
import type { PermissionPolicy, PolicyQuery, PolicyQueryUser } from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { idpLogsReadPermission, idpReleaseRequestPermission, idpSecretWritePermission } from '@idp/backstage-plugin-idp-common';
import { createIdpConditionalDecision, idpConditions } from './permissions.js';

export class IdpPermissionPolicy implements PermissionPolicy {
  constructor(private readonly ownersOnly: string[] = []) {}

  async handle(request: PolicyQuery, user?: PolicyQueryUser): Promise<PolicyDecision> {
    if (!user) return { result: AuthorizeResult.DENY };
    const { permission } = request;
    if (this.ownersOnly.length && (isPermission(permission, idpReleaseRequestPermission) || isPermission(permission, idpSecretWritePermission) || isPermission(permission, idpLogsReadPermission))) {
      // Allowed when the environment is none of the protected ones, or the caller (or a group of theirs) owns the component.
      type Criteria = PermissionCriteria<PermissionCondition<'idp-environment'>>;
      const [first, ...rest] = this.ownersOnly.map((pattern): Criteria => ({ not: idpConditions.isEnvironment({ pattern }) }));
      const criteria: Criteria = { anyOf: [{ allOf: [first!, ...rest] }, idpConditions.isEntityOwner({ claims: user.info.ownershipEntityRefs })] };
      return createIdpConditionalDecision(permission, criteria);
    }
    return { result: AuthorizeResult.ALLOW };
  }
}

/** The policy as a permission-backend module; reads `idp.permissions.ownersOnly` from app-config. */
export const idpPermissionPolicyModule = createBackendModule({
  pluginId: 'permission',
  moduleId: 'idp-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint, config: coreServices.rootConfig },
      async init({ policy, config }) {
        policy.setPolicy(new IdpPermissionPolicy(config.getOptionalStringArray('idp.permissions.ownersOnly') ?? []));
      },
    });
  },
});
