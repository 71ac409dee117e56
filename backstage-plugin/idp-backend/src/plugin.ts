/**
 * The idp Platform API as a Backstage backend plugin (pluginId `idp`, served at /api/idp): the same router the
 * standalone server mounts, with the caller's identity from Backstage, Backstage permissions on every change, and
 * the forges' webhooks. The worker runs elsewhere (`idp-server worker`) or, in the embedded stack, in this process.
 */
import { coreServices, createBackendPlugin } from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { Client, Connection } from '@temporalio/client';
import express from 'express';
import { createRouter, createWebhookReceiver, providersFor, runtimeStatusFromEnv, secretStoresFor, logSourcesFor, metricSourcesFor, webhookOptions, API_VERSION } from '@idp/api';
import { backstageIdentity } from './identity.js';
import { registerIdpPermissions } from './permissions.js';
import { serverConfigFrom } from './config.js';
import { backstageVersion } from './version.js';
import { contextRules, createContextResolver } from './context/resolve.js';
import { contextRoutes } from './context/route.js';
import { CLI_PATH, cliDirectory, cliRoutes } from './cli-downloads.js';

export const idpPlugin = createBackendPlugin({
  pluginId: 'idp',
  register(env) {
    env.registerInit({
      deps: {
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        auth: coreServices.auth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        discovery: coreServices.discovery,
        config: coreServices.rootConfig,
        lifecycle: coreServices.lifecycle,
        catalog: catalogServiceRef,
      },
      async init({ httpRouter, httpAuth, auth, permissions, permissionsRegistry, discovery, config, lifecycle, catalog }) {
        const cfg = serverConfigFrom(config, await discovery.getExternalBaseUrl('idp'));
        const environments = registerIdpPermissions(permissionsRegistry, catalog, auth);
        contextRules(config); // a broken idp.context rule stops the start, with its place in app-config
        const context = createContextResolver({ catalog, rules: () => contextRules(config) });

        // Lazy: Backstage starts even when Temporal is not up yet; requests then get idp's 503 "Temporal is unreachable".
        const connection = Connection.lazy({ address: cfg.temporalAddress });
        lifecycle.addShutdownHook(() => connection.close());
        const temporal = new Client({ connection, namespace: cfg.namespace });

        const router = express.Router();
        // Before the Platform API's router, which authenticates what it serves.
        router.use(cliRoutes(cliDirectory(config), await discovery.getExternalBaseUrl('idp')));
        const appBaseUrl = config.getOptionalString('app.baseUrl')?.replace(/\/+$/, '');
        const hooks = webhookOptions(cfg);
        if (hooks.hosts?.length) {
          // Signed by the forge (HMAC / secret token), verified over the raw body by the receiver: no Backstage token.
          router.post(['/webhooks/github', '/webhooks/gitlab', '/webhooks/github/:host', '/webhooks/gitlab/:host'], createWebhookReceiver({ ...hooks, temporal }));
          httpRouter.addAuthPolicy({ path: '/webhooks', allow: 'unauthenticated' });
        }
        router.use(
          createRouter({
            temporal,
            taskQueue: cfg.taskQueue,
            providers: providersFor(cfg),
            pollIntervalMs: cfg.pollIntervalMs,
            prWaitMs: cfg.prWaitMs,
            releaseFloors: cfg.releaseFloors,
            version: API_VERSION,
            temporalAddress: cfg.temporalAddress,
            namespace: cfg.namespace,
            temporalWebUrl: cfg.temporalWebUrl,
            servedBy: { name: 'Backstage', version: backstageVersion(), ...(appBaseUrl ? { appUrl: appBaseUrl } : {}) },
            // A browser opening a local-forge PR URL gets the app's PR page (the frontend plugin's PULL_PAGE_PATH).
            ...(appBaseUrl ? { pullPageUrl: (n: number, search: string) => `${appBaseUrl}/idp/pulls/${n}${search}` } : {}),
            secrets: secretStoresFor(cfg.secrets, process.env, cfg.secretsCacheDir ? { cacheDir: cfg.secretsCacheDir } : {}),
            logs: logSourcesFor(cfg.logs),
            metrics: metricSourcesFor(cfg.metrics),
            // What runs for each environment: the embedded stack's local runtime (IDP_RUNTIME_STATE); unset elsewhere.
            runtime: runtimeStatusFromEnv(),
            identity: backstageIdentity({ httpAuth, auth, permissions, catalog, environments, context }),
            routes: contextRoutes(context, httpAuth),
          }),
        );
        httpRouter.use(router);
        // The router authenticates every route but /health itself, so a caller without a token is told how to sign in
        // (`idp login`, IDP_TOKEN); Backstage still verifies any token that is sent. Its routes only, not '/': the
        // Actions registry's /.backstage/actions routes of this plugin answer an anonymous caller with Backstage's 401.
        for (const path of ['/health', '/whoami', '/openapi.json', '/component', '/environments', '/releases', '/activity', '/workflows', '/pulls', '/context', CLI_PATH]) {
          httpRouter.addAuthPolicy({ path, allow: 'unauthenticated' });
        }
      },
    });
  },
});
