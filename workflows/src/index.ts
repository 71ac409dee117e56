/** Every workflow the worker registers (this file is the bundle's entry point). */
export { envClone } from './env-clone.js';
export { envCreate } from './env-create.js';
export { envDestroy } from './env-destroy.js';
export { envExtend } from './env-extend.js';
export { envVars } from './env-vars.js';
export { envSecrets } from './env-secrets.js';
export { envTtl } from './env-ttl.js';
export { releaseQueue } from './release-queue.js';
export { release } from './release.js';
