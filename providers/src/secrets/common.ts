/** What every store checks the same way before it writes: the target's names, the value's size, the request token. */
import { createHash } from 'node:crypto';
import { SecretStoreError, type SecretStore, type SecretTarget } from './store.js';

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Refuses a target whose names could not be a path segment of every store (or an environment variable). */
export function checkTarget(store: string, t: SecretTarget): void {
  for (const [what, v] of [['component', t.component], ['environment', t.env]] as const) {
    if (!LABEL.test(v) || v.length > 63) throw new SecretStoreError('invalid', store, `Invalid ${what} name "${v}": use lowercase letters, digits and '-' (a DNS-1123 label).`);
  }
  if (!KEY.test(t.key) || t.key.length > 128) {
    throw new SecretStoreError('invalid', store, `Invalid secret key "${t.key.slice(0, 128)}": use letters, digits and '_', not starting with a digit (an environment variable name).`);
  }
}

/** Refuses an empty value and one over the store's limit, before anything is written. Never quotes the value. */
export function checkValue(store: Pick<SecretStore, 'name' | 'maxValueBytes'>, value: string): void {
  if (value.length === 0) throw new SecretStoreError('invalid', store.name, 'The secret value is empty: give a non-empty value (an empty secret is almost always a mistake in the pipe that produced it).');
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > store.maxValueBytes) {
    throw new SecretStoreError(
      'too-large',
      store.name,
      `The secret value is ${bytes.toLocaleString('en-US')} bytes; store "${store.name}" takes at most ${store.maxValueBytes.toLocaleString('en-US')} bytes (UTF-8). Nothing was written.`,
    );
  }
}

/**
 * A UUID-shaped token derived from the request id and the reference (same inputs → same token): what AWS calls a
 * ClientRequestToken. The reference is part of it so one request writing several keys gives each its own.
 */
export function requestToken(requestId: string, ref: string): string {
  const h = createHash('sha256').update(`idp-secret-request\0${ref}\0${requestId}`).digest('hex');
  // RFC 4122 layout with version 8 ("custom") and the variant bits set.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
