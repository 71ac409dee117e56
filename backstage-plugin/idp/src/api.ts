/**
 * The Platform API in the browser: the same typed client the CLI uses (`@idp/core/client`), pointed at the idp
 * backend plugin by Backstage's discovery API and sending requests through Backstage's fetch API (which adds the
 * signed-in user's token). No second client, no second contract.
 */
import { PlatformClient } from '@idp/core/client';
import { ApiBlueprint, createApiRef, discoveryApiRef, fetchApiRef } from '@backstage/frontend-plugin-api';

export const idpApiRef = createApiRef<PlatformClient>({ id: 'plugin.idp.api' });

export const idpApi = ApiBlueprint.make({
  params: (defineParams) =>
    defineParams({
      api: idpApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new PlatformClient({
          baseUrl: () => discoveryApi.getBaseUrl('idp'),
          fetch: fetchApi.fetch as typeof fetch,
          // The browser asks again when the user acts; a 503 answer is shown, not retried behind their back.
          retries: 0,
        }),
    }),
});
