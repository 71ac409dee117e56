/** Renders a tab of the component's page in a test app: the real PlatformClient over `fakeApi(routes)`, the demo entity. */
import { renderInTestApp, TestApiProvider } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import type { ReactElement } from 'react';
import { idpApiRef } from '../api';
import { fakeApi, type Handler } from './api';

export const entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'checkout', annotations: { 'backstage.io/source-location': 'url:file:///srv/demo/checkout.git/' } },
  spec: { type: 'service', owner: 'team-payments', lifecycle: 'production' },
};

/** `initialRouteEntries`: the URL the tab opens at (e.g. `/?env=production`, as `idp open` links it). */
export async function renderTab(tab: ReactElement, routes: Record<string, Handler>, opts: { initialRouteEntries?: string[] } = {}) {
  const api = fakeApi(routes);
  const rendered = await renderInTestApp(
    <TestApiProvider apis={[[idpApiRef, api.client]]}>
      <EntityProvider entity={entity}>{tab}</EntityProvider>
    </TestApiProvider>,
    opts,
  );
  return { ...rendered, api };
}
