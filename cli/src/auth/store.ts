/**
 * Where `idp login` keeps its tokens: one JSON file under the user's config dir, one entry per Platform API URL
 * (so a laptop can be signed in to the embedded stack and to the company's Backstage at once). The file is the
 * user's alone (0600, its folder 0700) and is replaced atomically, so a crash mid-write never leaves half a file.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

type Env = Record<string, string | undefined>;

export interface StoredLogin {
  /** The Backstage backend the tokens come from, e.g. http://127.0.0.1:7007. */
  backend: string;
  /** The OAuth client the tokens were issued to (the auth backend's CLI client ID metadata document). */
  clientId: string;
  accessToken: string;
  refreshToken?: string;
  /** When the access token expires (ISO time); it is refreshed shortly before. */
  expiresAt: string;
  /** Who signed in, as the server said at login (shown by `idp logout`; `idp whoami` asks the server). */
  user?: string;
}

interface CredentialsFile {
  version: 1;
  logins: Record<string, StoredLogin>;
}

/** The config dir the way each OS's tools expect it: XDG on Linux (and wherever XDG_CONFIG_HOME is set). */
export function configDir(env: Env, platform: NodeJS.Platform = process.platform): string {
  if (env.XDG_CONFIG_HOME) return path.join(env.XDG_CONFIG_HOME, 'idp');
  const home = env.HOME ?? env.USERPROFILE ?? '';
  if (!home && platform !== 'win32') throw new Error('Cannot tell where to keep your credentials: set HOME or XDG_CONFIG_HOME.');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'idp');
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'idp');
  return path.join(home, '.config', 'idp');
}

export const credentialsFile = (env: Env) => path.join(configDir(env), 'credentials.json');

/** The entry key of an API URL: the same API spelled with or without a trailing slash is one entry. */
export const apiKey = (apiUrl: string) => apiUrl.replace(/\/+$/, '');

function readAll(env: Env): CredentialsFile {
  let text: string;
  try {
    text = readFileSync(credentialsFile(env), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, logins: {} };
    throw e;
  }
  try {
    const parsed = JSON.parse(text) as Partial<CredentialsFile>;
    return { version: 1, logins: parsed.logins && typeof parsed.logins === 'object' ? parsed.logins : {} };
  } catch {
    // Never echo the content: it holds tokens.
    throw new Error(`${credentialsFile(env)} is not valid JSON; delete it and run \`idp login\` again.`);
  }
}

function writeAll(env: Env, data: CredentialsFile): void {
  const file = credentialsFile(env);
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const tmp = `${file}.${process.pid}.tmp`;
  // Created 0600 (the umask can only remove bits), so the tokens are never readable by others, not even briefly.
  writeFileSync(tmp, JSON.stringify(data, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

export function readLogin(env: Env, apiUrl: string): StoredLogin | undefined {
  return readAll(env).logins[apiKey(apiUrl)];
}

export function saveLogin(env: Env, apiUrl: string, login: StoredLogin): void {
  const data = readAll(env);
  data.logins[apiKey(apiUrl)] = login;
  writeAll(env, data);
}

/** Removes the API's entry (and the file once it holds none); true when there was one. */
export function deleteLogin(env: Env, apiUrl: string): boolean {
  const data = readAll(env);
  if (!data.logins[apiKey(apiUrl)]) return false;
  delete data.logins[apiKey(apiUrl)];
  if (Object.keys(data.logins).length) writeAll(env, data);
  else rmSync(credentialsFile(env), { force: true });
  return true;
}
