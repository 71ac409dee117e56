export { idpPlugin as default } from './plugin.js';
export { idpConditions, createIdpConditionalDecision, idpEnvironmentResourceRef, type IdpEnvironmentResource } from './permissions.js';
export { IdpPermissionPolicy, idpPermissionPolicyModule } from './policy.js';
