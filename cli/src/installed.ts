/**
 * The Backstage a single-binary `idp` was installed from. install.sh (served by the idp Backstage plugin) writes
 * `idp.json` next to the binary it installs: `{ "apiUrl": "<backstage>/api/idp", "backstage": "<backstage>" }`.
 * The binary itself is the same for every Backstage (its checksum is published), so the URL lives beside it, not in it.
 * Only a single executable reads it: the npm-installed CLI runs on a `node` whose directory is not an install.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface Installed {
  apiUrl: string;
  file: string;
}

let cached: Installed | null | undefined;

export function installedApi(): Installed | null {
  if (cached !== undefined) return cached;
  cached = null;
  const sea = process.getBuiltinModule?.('node:sea') as { isSea(): boolean } | undefined;
  if (!sea?.isSea()) return cached;
  const file = path.join(path.dirname(process.execPath), 'idp.json');
  try {
    const { apiUrl } = JSON.parse(readFileSync(file, 'utf8')) as { apiUrl?: unknown };
    if (typeof apiUrl === 'string' && /^https?:\/\//.test(apiUrl)) cached = { apiUrl, file };
  } catch {
    // No install file (a binary copied by hand): the usual default applies.
  }
  return cached;
}
