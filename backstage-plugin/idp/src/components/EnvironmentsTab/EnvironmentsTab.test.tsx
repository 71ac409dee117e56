import { renderInTestApp, TestApiProvider } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { screen } from '@testing-library/react';
import { idpApiRef } from '../../api';
import { fakeApi } from '../../testing/api';
import { EnvironmentsTab } from './EnvironmentsTab';

const entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'checkout', annotations: { 'backstage.io/source-location': 'url:file:///srv/demo/checkout.git/' } },
  spec: { type: 'service', owner: 'team-payments', lifecycle: 'production' },
};

describe('EnvironmentsTab', () => {
  it('shows the API error message', async () => {
    const api = fakeApi({ 'GET /environments': () => ({ status: 403, body: { error: { code: 'forbidden', message: 'You may not read checkout.' } } }) });
    await renderInTestApp(
      <TestApiProvider apis={[[idpApiRef, api.client]]}>
        <EntityProvider entity={entity}>
          <EnvironmentsTab />
        </EntityProvider>
      </TestApiProvider>,
    );
    expect((await screen.findAllByText(/You may not read checkout\./))[0]).toBeInTheDocument();
    expect(api.calls).toEqual(['GET /environments?repo=%2Fsrv%2Fdemo%2Fcheckout.git&path=paws.yaml']);
  });
});
