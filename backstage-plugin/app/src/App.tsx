/**
 * The Backstage app of the embedded stack (`npm start` serves it at the banner's URL): the catalog with idp's tabs on
 * each component, the Scaffolder's Create page running templates/, search, Settings (who is signed in), and the Download CLI page. Plugins are
 * imported statically: this is the app a team's own Backstage would have, with idp added as one more feature.
 */
import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import scaffolderPlugin from '@backstage/plugin-scaffolder/alpha';
import searchPlugin from '@backstage/plugin-search/alpha';
import userSettingsPlugin from '@backstage/plugin-user-settings/alpha';
import idpPlugin from '@idp/backstage-plugin-idp';
import { signInModule } from './signIn';

export default createApp({
  features: [catalogPlugin, scaffolderPlugin, searchPlugin, userSettingsPlugin, idpPlugin, signInModule],
});
