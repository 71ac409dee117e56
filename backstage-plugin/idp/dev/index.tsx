/**
 * The plugin's development app (`backstage-cli package start` in this folder, or `npm start` there): the catalog with
 * idp's tabs and the Download CLI page, hot-reloaded from src/, signed in as guest. It talks to the backend named by
 * the root app-config.yaml's backend.baseUrl: run `npm start` at the repository root first (the embedded stack: the
 * idp backend plugin, Temporal, the worker and the demo component), then open the dev server's URL at
 * /catalog/default/component/checkout/environments.
 */
import '@backstage/cli/asset-types';
import ReactDOM from 'react-dom/client';
import '@backstage/ui/css/styles.css';
import { ProxiedSignInPage } from '@backstage/core-components';
import { createApp } from '@backstage/frontend-defaults';
import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { SignInPageBlueprint } from '@backstage/plugin-app-react';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import idpPlugin from '../src';

const guestSignIn = createFrontendModule({
  pluginId: 'app',
  extensions: [SignInPageBlueprint.make({ params: { loader: async () => (props) => <ProxiedSignInPage {...props} provider="guest" /> } })],
});

const app = createApp({ features: [catalogPlugin, idpPlugin, guestSignIn] });
ReactDOM.createRoot(document.getElementById('root')!).render(app.createRoot());
