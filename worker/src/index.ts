export { createActivities, type ProviderLookup } from './activities/index.js';
export { createRouter, type RouterOptions } from '@idp/api';
export { startApiServer } from '@idp/api';
export { createWorker, workflowsPath } from './worker.js';
export { configFromEnv, type ServerConfig } from './config.js';
export { startApi, startWorker, providersFor } from './services.js';
export type { GitProvider } from '@idp/providers';
