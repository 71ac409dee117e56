/**
 * A fresh stack's search index, built as soon as the catalog holds the demo (then every minute, per app-config.yaml):
 * the collator's first scheduled run comes seconds after start, often before the catalog has read its locations,
 * and the next one a minute later. Until the first build `idp search` answers from the catalog (and says so).
 */
import { coreServices, createBackendModule } from '@backstage/backend-plugin-api';
import { catalogReady } from './catalog-ready.js';

/** The task the search backend schedules for the catalog collator's documents (type software-catalog). */
const CATALOG_INDEX_TASK = 'search_index_software_catalog';

export const searchIndexWhenCatalogReady = createBackendModule({
  pluginId: 'search',
  moduleId: 'idp-index-when-catalog-ready',
  register(env) {
    env.registerInit({
      deps: { scheduler: coreServices.scheduler, lifecycle: coreServices.lifecycle, logger: coreServices.logger },
      async init({ scheduler, lifecycle, logger }) {
        lifecycle.addStartupHook(() => {
          void catalogReady
            .then(() => scheduler.triggerTask(CATALOG_INDEX_TASK))
            // Already running (the scheduled first run): that build reads the catalog as it is now, which is as good.
            .catch((e: Error) => logger.info(`search index not triggered: ${e.message}`));
        });
      },
    });
  },
});
