/**
 * The embedded Backstage backend: auth (guest + the demo provider), catalog, events (the catalog publishes to it),
 * scaffolder, search (the default Lunr engine, in memory, fed by the catalog collator: `idp search`), permissions with
 * idp's policy, and the idp plugin. Features are imported statically (Jest cannot load dynamic imports in tests).
 */
import { createBackend } from '@backstage/backend-defaults';
import appPlugin from '@backstage/plugin-app-backend';
import authPlugin from '@backstage/plugin-auth-backend';
import guestProvider from '@backstage/plugin-auth-backend-module-guest-provider';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogTemplateModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import eventsPlugin from '@backstage/plugin-events-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import scaffolderGithubModule from '@backstage/plugin-scaffolder-backend-module-github';
import scaffolderGitlabModule from '@backstage/plugin-scaffolder-backend-module-gitlab';
import searchPlugin from '@backstage/plugin-search-backend';
import searchCatalogCollator from '@backstage/plugin-search-backend-module-catalog';
import idpPlugin, { idpPermissionPolicyModule } from '@idp/backstage-plugin-idp-backend';
import { actionsModule as idpActionsModule, scaffolderModule as idpScaffolderModule } from '@idp/backstage-plugin-scaffolder-backend-module-idp';
import { demoAuthModule } from './demo-auth.js';
import { catalogReadyPlugin } from './catalog-ready.js';
import { searchIndexWhenCatalogReady } from './search-index.js';
import { signInPagePlugin } from './sign-in-page.js';
import { localForgeScaffolderModule, localForgeUrlReaderFactory } from './local-forge/module.js';

// Backstage's packages are CommonJS: imported from ESM, the feature is their module's `default` export.
export const embeddedFeatures = [
  authPlugin.default,
  guestProvider.default,
  demoAuthModule,
  catalogPlugin.default,
  // The catalog accepts and validates kind: Template (the Scaffolder's golden paths).
  catalogTemplateModel.default,
  eventsPlugin.default,
  scaffolderPlugin.default,
  // Where the new-service golden path publishes: GitHub, GitLab (stock publish:github / publish:gitlab, credentials
  // from `integrations:`), or the local forge (publish:idp-local; its UrlReader lets catalog:register read it).
  scaffolderGithubModule.default,
  scaffolderGitlabModule.default,
  localForgeScaffolderModule,
  localForgeUrlReaderFactory,
  // idp's template actions (idp:env:*, idp:release:*, idp:workflow:wait) and the same actions in the Actions registry.
  idpScaffolderModule,
  // Search over the catalog (templates and components: `idp search`); the schedule is in app-config.yaml.
  searchPlugin.default,
  searchCatalogCollator.default,
  permissionPlugin.default,
  idpPermissionPolicyModule,
  idpPlugin,
  idpActionsModule,
  // The page `idp login` signs in on (its demo users are the embedded stack's own).
  signInPagePlugin,
  // The Backstage app (backstage-plugin/app, built once by `npm start`): served at app.baseUrl with its config injected.
  appPlugin.default,
];

/** The demo's entities, which the stack waits for before it says it is running. */
export const DEMO_ENTITIES = ['component:default/checkout', 'group:default/team-payments', 'user:default/alice', 'user:default/bob', 'user:default/carol'];

export function createEmbeddedBackend() {
  const backend = createBackend();
  for (const feature of [...embeddedFeatures, catalogReadyPlugin(DEMO_ENTITIES), searchIndexWhenCatalogReady]) backend.add(feature);
  return backend;
}
