import { readFileSync } from 'node:fs';

/** Set by the single-binary build (esbuild `define`): the bundle has no package.json beside it. */
declare const __IDP_CLI_VERSION__: string | undefined;

/** This CLI's version, from its package.json. */
export function cliVersion(): string {
  if (typeof __IDP_CLI_VERSION__ === 'string') return __IDP_CLI_VERSION__;
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}
