/** Which repository and paws.yaml an entity ref names: the source-location annotation, the idp/paws-path override. */
import { mockCredentials } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { parseSourceLocation, resolveComponent } from './component';

const entity = (name: string, annotations: Record<string, string>) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name, namespace: 'default', annotations },
  spec: { type: 'service', lifecycle: 'production', owner: 'group:default/team-payments' },
});

describe('parseSourceLocation', () => {
  it.each([
    ['url:file:///srv/idp/demo/checkout.git/', { repo: '/srv/idp/demo/checkout.git', dir: '' }],
    ['url:https://github.com/acme/checkout/tree/main/', { repo: 'https://github.com/acme/checkout', dir: '' }],
    ['url:https://github.com/acme/shop/tree/main/services/checkout/', { repo: 'https://github.com/acme/shop', dir: 'services/checkout' }],
    ['url:https://github.com/acme/checkout', { repo: 'https://github.com/acme/checkout', dir: '' }],
    ['url:https://gitlab.com/acme/platform/shop/-/tree/main/checkout', { repo: 'https://gitlab.com/acme/platform/shop', dir: 'checkout' }],
  ])('%s', (value, expected) => {
    expect(parseSourceLocation(value)).toEqual(expected);
  });

  it('reads nothing from what is not a URL', () => {
    expect(parseSourceLocation('somewhere')).toBeUndefined();
  });
});

describe('resolveComponent', () => {
  const catalog = catalogServiceMock({
    entities: [
      entity('checkout', { 'backstage.io/source-location': 'url:file:///srv/idp/demo/checkout.git/' }),
      entity('cart', { 'backstage.io/source-location': 'url:https://github.com/acme/shop/tree/main/services/cart/' }),
      entity('payments', { 'backstage.io/source-location': 'url:https://github.com/acme/shop/tree/main/', 'idp/paws-path': 'deploy/payments/paws.yaml' }),
      entity('legacy', {}),
    ],
  });
  const as = mockCredentials.user('user:default/alice');

  it('takes the repository and folder from source-location, and idp/paws-path over it', async () => {
    expect(await resolveComponent(catalog, as, { component: 'component:default/checkout' })).toEqual({ repo: '/srv/idp/demo/checkout.git', path: 'paws.yaml', entityRef: 'component:default/checkout' });
    expect((await resolveComponent(catalog, as, { component: 'component:default/cart' })).path).toBe('services/cart/paws.yaml');
    expect((await resolveComponent(catalog, as, { component: 'component:default/payments' })).path).toBe('deploy/payments/paws.yaml');
  });

  it('takes repo and path as given', async () => {
    expect(await resolveComponent(catalog, as, { repo: '/srv/x.git' })).toEqual({ repo: '/srv/x.git', path: 'paws.yaml' });
  });

  it('says what is wrong: unknown entity, no annotation, both or neither given', async () => {
    await expect(resolveComponent(catalog, as, { component: 'component:default/nope' })).rejects.toThrow(/not in the catalog/);
    await expect(resolveComponent(catalog, as, { component: 'component:default/legacy' })).rejects.toThrow(/backstage\.io\/source-location/);
    await expect(resolveComponent(catalog, as, { component: 'component:default/checkout', repo: '/x' })).rejects.toThrow(/either/);
    await expect(resolveComponent(catalog, as, {})).rejects.toThrow(/Which component/);
  });
});
