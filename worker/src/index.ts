export { createActivities, type ProviderLookup } from './activities/index.js';
export { createRouter, type RouterOptions } from './api/router.js';
export { startApiServer } from './api/server.js';
export { createWorker, workflowsPath } from './worker.js';
export { configFromEnv, type ServerConfig } from './config.js';
export { startApi, startWorker, providersFor } from './services.js';
export type { GitProvider } from './providers/provider.js';
