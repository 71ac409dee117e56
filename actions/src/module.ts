/**
 * Two registrations of the same action definitions (src/actions/*):
 *
 * - `scaffolderModule` (pluginId scaffolder): template actions idp:env:clone … idp:workflow:wait. This is the one
 *   templates run, and it must be: the Scaffolder's wrapper of a registry action (plugin-scaffolder-backend 4.3,
 *   TemplateActionRegistry) supports dry-run only for readOnly, non-destructive actions, and gives the action no task
 *   log, no checkpoints and no task/step ids — so no retry-safe Idempotency-Key and no "recovered step returns its
 *   first output".
 * - `actionsModule` (pluginId idp): the same actions in Backstage's Actions registry (ids idp:env:clone …, names
 *   env:clone …), for `backstage-cli actions execute`, MCP clients and any Actions service caller, acting as the
 *   caller whose token invoked them.
 *
 * The registry serves idp's actions only when `backend.actions.pluginSources` lists idp (app-config.yaml). The
 * Scaffolder then also lists them, finds each id already registered by scaffolderModule, keeps its own, and logs one
 * warning per idp action every time it looks actions up — before every step it runs, and on every GET /v2/actions:
 * measured on the embedded stack, 8 lines per GET /v2/actions and 8 per step run (16 for one add-preview-environment
 * task: its list, its clone step), all saying the expected thing. Decision: keep both registrations and the
 * pluginSources entry (the registry route is the point of the second one), keep the Scaffolder's own actions primary,
 * and silence exactly that warning for idp:* ids with a `backend.logger.overrides` entry in app-config.yaml.
 */
import { coreServices, createBackendModule } from '@backstage/backend-plugin-api';
import { actionsRegistryServiceRef } from '@backstage/backend-plugin-api/alpha';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { idpActions } from './actions/index.js';
import { registerAction, toTemplateAction } from './definition.js';
import type { PlatformDeps } from './platform.js';

const DEFAULT_PR_WAIT_SECONDS = 120;

const depsRefs = { discovery: coreServices.discovery, auth: coreServices.auth, catalog: catalogServiceRef, config: coreServices.rootConfig } as const;

function platformDeps({ config, ...deps }: { config: { getOptionalNumber(key: string): number | undefined } } & Omit<PlatformDeps, 'prWaitSeconds'>): PlatformDeps {
  // idp.actions.prWaitSeconds: how long a step waits for its workflow's PR before failing (a retry joins the workflow).
  return { ...deps, prWaitSeconds: config.getOptionalNumber('idp.actions.prWaitSeconds') ?? DEFAULT_PR_WAIT_SECONDS };
}

export const scaffolderModule = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'idp',
  register(env) {
    env.registerInit({
      deps: { scaffolder: scaffolderActionsExtensionPoint, ...depsRefs },
      async init({ scaffolder, ...deps }) {
        const platform = platformDeps(deps);
        scaffolder.addActions(...idpActions.map((a) => toTemplateAction(a, platform)));
      },
    });
  },
});

export const actionsModule = createBackendModule({
  pluginId: 'idp',
  moduleId: 'actions',
  register(env) {
    env.registerInit({
      deps: { registry: actionsRegistryServiceRef, logger: coreServices.logger, ...depsRefs },
      async init({ registry, logger, ...deps }) {
        const platform = platformDeps(deps);
        for (const a of idpActions) registerAction(registry, a, platform, logger);
      },
    });
  },
});
