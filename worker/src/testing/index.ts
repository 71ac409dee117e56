/** What other packages' end-to-end tests share with the worker's: free ports, and waiting for a condition. */
export { freePort, freeTemporalPort, portFree } from './ports.js';
export { eventually } from '../e2e/fixtures.js';
