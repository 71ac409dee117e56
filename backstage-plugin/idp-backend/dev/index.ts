/**
 * The plugin's development harness (`backstage-cli package start` in this folder): a Backstage backend with guest
 * sign-in, the catalog, permissions with idp's policy and the idp plugin, against the root app-config.yaml. It
 * serves the API only; run a worker beside it (`idp-server worker`) and Temporal (`temporal server start-dev`),
 * or use `npm start` at the repository root, which runs all of it. It loads the plugin as built (`npx tsc -b` at the
 * root): Backstage's dev loader does not map the sources' NodeNext `.js` imports to their `.ts` files.
 */
import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(import('../dist/policy.js').then((m) => ({ default: m.idpPermissionPolicyModule })));
backend.add(import('../dist/index.js'));
backend.start();
