/**
 * Sign-in as any user of the demo catalog (`idp login --user alice`), so one laptop can show a release requested by
 * one person and approved by two others. Only in the embedded stack: the provider is off unless
 * `auth.providers.idp-demo.embedded` is true (only `npm start` sets it), the backend listens on loopback only, and the
 * request itself comes from this machine. Anywhere else it refuses, and a deployed Backstage uses its real providers.
 */
import { createBackendModule, coreServices } from '@backstage/backend-plugin-api';
import { authProvidersExtensionPoint, createProxyAuthenticator, createProxyAuthProviderFactory } from '@backstage/plugin-auth-node';
import { NotAllowedError, InputError } from '@backstage/errors';
import { isLoopbackHost } from '@idp/api';

const demoAuthenticator = createProxyAuthenticator({
  defaultProfileTransform: async (result: { user: string }) => ({ profile: { displayName: result.user } }),
  initialize({ config }) {
    return { enabled: config.getOptionalBoolean('embedded') === true };
  },
  async authenticate({ req }, { enabled }) {
    const from = req.socket.remoteAddress ?? '';
    if (!enabled || !isLoopbackHost(from.replace(/^::ffff:/, ''))) {
      throw new NotAllowedError('Signing in as a demo user works only in the embedded stack (npm start), from this machine; sign in with your Backstage provider.');
    }
    // `?user=` from `idp login --user`; the header from the app's sign-in page (ProxiedSignInPage sends headers, not a query).
    const user = typeof req.query.user === 'string' ? req.query.user : (req.header('x-idp-demo-user') ?? '');
    if (!/^[a-z0-9][a-z0-9._-]{0,62}$/i.test(user)) throw new InputError('Name a user of the demo catalog: ?user=alice (see `idp login --user`).');
    return { result: { user } };
  },
});

export const demoAuthModule = createBackendModule({
  pluginId: 'auth',
  moduleId: 'idp-demo-provider',
  register(reg) {
    reg.registerInit({
      deps: { providers: authProvidersExtensionPoint, config: coreServices.rootConfig },
      async init({ providers, config }) {
        // Never on a backend that listens beyond this machine, whatever the provider's own setting says.
        const host = config.getOptionalString('backend.listen.host') ?? '';
        if (!isLoopbackHost(host)) return;
        providers.registerProvider({
          providerId: 'idp-demo',
          factory: createProxyAuthProviderFactory({
            authenticator: demoAuthenticator,
            // Only people the catalog knows: the token carries their entity ref and their groups.
            async signInResolver({ result }, ctx) {
              return ctx.signInWithCatalogUser({ entityRef: { kind: 'user', namespace: 'default', name: result.user } });
            },
          }),
        });
      },
    });
  },
});
