export * from './source.js';
export * from './tools.js';
export * from './prometheus.js';
export * from './sources.js';
export { SourceError, describeSource, type SourceErrorKind } from '../source-error.js';
export * from './server.js';
export type { ServerProcess } from '../server-process.js';
