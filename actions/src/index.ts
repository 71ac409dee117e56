/**
 * idp's actions for Backstage: the Scaffolder module (template actions idp:env:*, idp:release:*, idp:workflow:wait)
 * and the idp plugin's Actions registry module, both built from the definitions in src/actions.
 */
export { scaffolderModule as default, scaffolderModule, actionsModule } from './module.js';
export { idpActions } from './actions/index.js';
export { parseSourceLocation, resolveComponent, SOURCE_LOCATION, PAWS_PATH } from './component.js';
export type { IdpActionDefinition } from './definition.js';
