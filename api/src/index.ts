/**
 * The Platform API: one router that the standalone server (`idp-server api`)
 * and the Backstage backend plugin mount, and the forge webhook receiver.
 */
export { createRouter, type RouterOptions } from './router.js';
export { startApiServer } from './server.js';
export { createWebhookReceiver, startWebhookServer, MAX_BODY_BYTES, type WebhookHandler, type WebhookReceiverOptions, type WebhookServerOptions } from './webhooks/receiver.js';
export { hostAllowlist, isLoopbackHost } from './host-check.js';
export { standaloneIdentity, type Actor, type AuthorizeCheck, type ComponentRef, type Identity, type IdpAction, type StandaloneIdentityOptions } from './identity.js';
export { configFromEnv, assertSafeExposure, providersFor, webhookOptions, releaseFloorsFromEnv, teamsFromEnv, secretsConfigFromValue, secretsConfigFromFile, logsConfigFromValue, logsConfigFromFile, metricsConfigFromValue, metricsConfigFromFile, type ServerConfig } from './config.js';
export { secretStoresFor, type SecretStores } from './secrets.js';
export { runtimeKey, runtimeStatusFromEnv, runtimeStatusFromFile, type RuntimeRecord, type RuntimeStateFile, type RuntimeStatus } from './runtime-status.js';
export { logSourcesFor, metricSourcesFor, type LogSources, type MetricSources } from './observe.js';
export { VERSION as API_VERSION } from './version.js';
