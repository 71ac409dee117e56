/** Mirrors DEFAULT_API_URL in core/src/api/contract.ts, which the CLI cannot import at runtime (zod); a test keeps them equal. */
export const DEFAULT_API_URL = 'http://127.0.0.1:7007/api/idp';
