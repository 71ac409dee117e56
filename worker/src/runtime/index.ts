export { startLocalRuntime, type LineShipper, type LocalRuntime, type LocalRuntimeOptions } from './runtime.js';
export { bareReposIn } from './git.js';
