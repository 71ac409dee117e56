/**
 * The embedded API's shared secret, kept in IDP_HOME/api-token (mode 0600,
 * reused across starts). Without one the standalone API acts only as this
 * machine's user; with it, a client that reads the file (this user's own shell)
 * may name who acts — how the README's alice and bob approve on one laptop.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function embeddedApiToken(home: string): string {
  const file = join(home, 'api-token');
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (token) {
      chmodSync(file, 0o600);
      return token;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = randomBytes(32).toString('hex');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}
