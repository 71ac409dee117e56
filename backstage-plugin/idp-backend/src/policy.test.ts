/**
 * idp's permission policy, applied as the plugin applies it: the policy's decision for a release request, then that
 * decision on the environment (the component's catalog entity and the environment's name).
 */
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { createConditionAuthorizer } from '@backstage/plugin-permission-node';
import type { Entity } from '@backstage/catalog-model';
import { mockCredentials } from '@backstage/backend-test-utils';
import { idpEnvironmentChangePermission, idpReleaseRequestPermission, idpSecretWritePermission } from '@idp/backstage-plugin-idp-common';
import { IdpPermissionPolicy } from './policy';
import { idpRules, type IdpEnvironmentResource } from './permissions';

const checkout: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'checkout', namespace: 'default' },
  spec: { owner: 'group:default/team-payments' },
  relations: [{ type: 'ownedBy', targetRef: 'group:default/team-payments' }],
};
const env = (environment: string, entity: Entity | undefined = checkout): IdpEnvironmentResource => ({ entityRef: 'component:default/checkout', entity, environment });
const user = (ref: string, groups: string[] = []) => ({ credentials: mockCredentials.user(ref), info: { userEntityRef: ref, ownershipEntityRefs: [ref, ...groups] } });
const allowed = createConditionAuthorizer(Object.values(idpRules));

describe('IdpPermissionPolicy with ownersOnly: [prod*]', () => {
  const policy = new IdpPermissionPolicy(['prod*']);
  const decide = async (who: ReturnType<typeof user>, environment: string, entity?: Entity) =>
    allowed(await policy.handle({ permission: idpReleaseRequestPermission }, who), env(environment, entity));

  it('lets a member of the owning group release to production', async () => {
    expect(await decide(user('user:default/alice', ['group:default/team-payments']), 'production')).toBe(true);
  });
  it('refuses a non-member a release to production or prod-eu', async () => {
    expect(await decide(user('user:default/carol', ['group:default/team-search']), 'production')).toBe(false);
    expect(await decide(user('user:default/carol'), 'prod-eu')).toBe(false);
  });
  it('lets anyone signed in release to other environments', async () => {
    expect(await decide(user('user:default/carol'), 'staging')).toBe(true);
  });
  it('refuses production when the component is not in the catalog (no owner to be a member of)', async () => {
    expect(allowed(await policy.handle({ permission: idpReleaseRequestPermission }, user('user:default/alice', ['group:default/team-payments'])), { entityRef: 'component:default/checkout', environment: 'production' })).toBe(false);
  });
  it('holds secret writes to the same rule: owners in production, anyone signed in elsewhere', async () => {
    const write = async (who: ReturnType<typeof user>, environment: string) => allowed(await policy.handle({ permission: idpSecretWritePermission }, who), env(environment));
    expect(await write(user('user:default/alice', ['group:default/team-payments']), 'production')).toBe(true);
    expect(await write(user('user:default/carol'), 'production')).toBe(false);
    expect(await write(user('user:default/carol'), 'staging')).toBe(true);
  });
  it('allows environment changes to every signed-in user, and nothing to no one', async () => {
    expect((await policy.handle({ permission: idpEnvironmentChangePermission }, user('user:default/carol'))).result).toBe(AuthorizeResult.ALLOW);
    expect((await policy.handle({ permission: idpEnvironmentChangePermission })).result).toBe(AuthorizeResult.DENY);
  });
});

describe('IdpPermissionPolicy without ownersOnly (the embedded default)', () => {
  it('allows every signed-in user to release anywhere', async () => {
    expect((await new IdpPermissionPolicy().handle({ permission: idpReleaseRequestPermission }, user('user:default/carol'))).result).toBe(AuthorizeResult.ALLOW);
  });
});
