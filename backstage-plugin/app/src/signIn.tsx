/**
 * Sign-in: the embedded stack signs the browser in as guest (Backstage's guest provider, on loopback only), as the
 * CLI's `idp login` consent page offers. A team's Backstage replaces this module with its own providers.
 */
import { ProxiedSignInPage } from '@backstage/core-components';
import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { SignInPageBlueprint } from '@backstage/plugin-app-react';

const guestSignInPage = SignInPageBlueprint.make({
  params: {
    loader: async () => (props) => <ProxiedSignInPage {...props} provider="guest" />,
  },
});

export const signInModule = createFrontendModule({ pluginId: 'app', extensions: [guestSignInPage] });
