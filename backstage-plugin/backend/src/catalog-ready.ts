/**
 * The embedded stack says it is running only once people can sign in and the demo is in the catalog: Backstage
 * starts before its catalog has read the demo's files, and a sign-in as alice before that finds no alice.
 */
import { coreServices, createBackendPlugin } from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';

let signal: (() => void) | undefined;
/** Resolves once every entity in `waitFor` is in the catalog. */
export const catalogReady = new Promise<void>((resolve) => (signal = resolve));

export function catalogReadyPlugin(waitFor: string[]) {
  return createBackendPlugin({
    pluginId: 'idp-embedded',
    register(env) {
      env.registerInit({
        deps: { catalog: catalogServiceRef, auth: coreServices.auth, lifecycle: coreServices.lifecycle },
        async init({ catalog, auth, lifecycle }) {
          let stopped = false;
          lifecycle.addShutdownHook(() => void (stopped = true));
          lifecycle.addStartupHook(() => {
            void (async () => {
              // The catalog has no "processed" event to wait on; ask it until it has them (each ask is one local query).
              while (!stopped) {
                const { items } = await catalog.getEntitiesByRefs({ entityRefs: waitFor, fields: ['kind'] }, { credentials: await auth.getOwnServiceCredentials() });
                if (items.every(Boolean)) return signal?.();
                await new Promise((r) => setTimeout(r, 100));
              }
            })();
          });
        },
      });
    },
  });
}
