/**
 * Sign-in in the embedded stack: the browser is signed in as guest (Backstage's guest provider), with no page to click
 * through. To act as one of the demo's people — to approve a release as alice, say — open any page with `?as=alice`
 * (`?as=guest` to go back): the choice is kept in this browser, and the sign-in goes through the stack's `idp-demo`
 * provider, the one `idp login --user alice` uses (loopback only, embedded stack only; the backend refuses it anywhere
 * else). A team's Backstage replaces this module with its own sign-in providers.
 */
import { ProxiedSignInPage } from '@backstage/core-components';
import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { SignInPageBlueprint } from '@backstage/plugin-app-react';

const KEY = 'idp.demoUser';

/** The demo user this browser acts as, if any: `?as=` wins and is remembered. */
export function demoUser(location: Location, storage: Storage): string | undefined {
  const as = new URLSearchParams(location.search).get('as');
  if (as !== null) {
    if (as === '' || as === 'guest') storage.removeItem(KEY);
    else storage.setItem(KEY, as);
  }
  return storage.getItem(KEY) ?? undefined;
}

const signInPage = SignInPageBlueprint.make({
  params: {
    loader: async () => (props) => {
      const user = demoUser(window.location, window.localStorage);
      return user ? (
        <ProxiedSignInPage {...props} provider="idp-demo" headers={{ 'x-idp-demo-user': user }} />
      ) : (
        <ProxiedSignInPage {...props} provider="guest" />
      );
    },
  },
});

export const signInModule = createFrontendModule({ pluginId: 'app', extensions: [signInPage] });
