/** The idp Backstage frontend plugin: `import idpPlugin from '@idp/backstage-plugin-idp'` in a new-frontend-system app. */
export { idpPlugin as default, TAB_PATHS, CLI_PAGE_PATH, PULL_PAGE_PATH } from './plugin';
export { idpApiRef } from './api';
export { entityRepo, isIdpComponent } from './entity';
