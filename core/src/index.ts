export * from './errors.js';
export * from './names.js';
export * from './pulls.js';
export * from './ttl.js';
export * from './paws/schema.js';
export * from './paws/parse.js';
export * from './paws/edit.js';
export * from './paws/environments.js';
