import { createRequire } from 'node:module';

/** No Backstage service reports the release; the backend framework's package version (@backstage/backend-plugin-api) says which line serves. */
export function backstageVersion(): string {
  try {
    return (createRequire(import.meta.url)('@backstage/backend-plugin-api/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
