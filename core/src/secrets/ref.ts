/**
 * The references of the stores idp manages, as written in paws.yaml (`environments.<env>.secrets.<KEY>`):
 *
 *   aws-sm://<secret-name>[#<json-key>]      AWS Secrets Manager; the version pinned beside it is a VersionId
 *   vault://<mount>/<path>#<key>             Vault KV v2; the version is the KV version number
 *   sops://<file-in-store-repo>#<key>        a SOPS file in the store's git repository; the version is a commit
 *
 * Any other `scheme://` (env://, gcp-sm://…) stays a valid reference idp does not manage ("unmanaged"): idp neither
 * writes nor checks it, and shows it as it is.
 *
 * Messages here may quote a string only once it has the shape of a reference; anything else may be the value itself.
 */
import { InvalidRequestError } from '../errors.js';

export type ManagedScheme = 'aws-sm' | 'vault' | 'sops';
export const MANAGED_SCHEMES: readonly ManagedScheme[] = ['aws-sm', 'vault', 'sops'];

export interface ParsedSecretRef {
  scheme: ManagedScheme;
  /** aws-sm: the secret's name; vault: the path under the mount; sops: the file in the store's repository. */
  path: string;
  /** vault: the mount (its first segment: a ref alone cannot say where a longer mount ends; see vaultPathUnder). */
  mount?: string;
  /** The key inside the secret (vault, sops; aws-sm's optional JSON key). */
  key?: string;
}

/**
 * Any `scheme://…` without blanks. A URL with credentials in it (`postgres://user:pass@db/app`) is refused: it is a
 * value pasted where a reference belongs, and must never be quoted back.
 */
export const SECRET_REF = /^[a-z][a-z0-9+.-]*:\/\/(?![^/#\s]*:[^/#\s]*@)\S+$/;

const SEGMENTS = /^[A-Za-z0-9_.+=@-]+(\/[A-Za-z0-9_.+=@-]+)*$/;
const KEY = /^[A-Za-z0-9_.-]+$/;

const SHAPES: Record<ManagedScheme, string> = {
  'aws-sm': 'an AWS Secrets Manager reference is aws-sm://<secret-name>[#<json-key>], e.g. aws-sm://idp/checkout/staging/STRIPE_KEY',
  vault: 'a Vault reference is vault://<mount>/<path>#<key>, e.g. vault://secret/idp/checkout/staging/STRIPE_KEY#value',
  sops: 'a SOPS reference is sops://<file>#<key>, e.g. sops://checkout/staging.enc.yaml#STRIPE_KEY',
};

/** The reference's parts, or a sentence saying what a valid one looks like (null for schemes idp does not manage). */
export function parseSecretRef(ref: string): ParsedSecretRef | { problem: string } | null {
  const m = SECRET_REF.test(ref) ? /^([a-z][a-z0-9+.-]*):\/\/([^#]*)(?:#(.*))?$/.exec(ref) : null;
  if (!m) return { problem: 'a reference looks like scheme://path#key, e.g. vault://secret/checkout/staging/STRIPE_KEY#value' };
  const [, scheme, path = '', key] = m;
  const keyOk = key !== undefined && KEY.test(key);
  switch (scheme) {
    case 'aws-sm':
      if (!SEGMENTS.test(path) || (key !== undefined && !keyOk)) return { problem: SHAPES[scheme] };
      return { scheme, path, ...(key !== undefined ? { key } : {}) };
    case 'vault': {
      const slash = path.indexOf('/');
      if (slash <= 0 || !SEGMENTS.test(path) || !keyOk) return { problem: SHAPES[scheme] };
      return { scheme, mount: path.slice(0, slash), path: path.slice(slash + 1), key: key! };
    }
    case 'sops':
      if (!SEGMENTS.test(path) || path.split('/').includes('..') || !keyOk) return { problem: SHAPES[scheme] };
      return { scheme, path, key: key! };
    default:
      return null;
  }
}

/** The reference for `parts`, checked: what parseSecretRef reads back (a vault ref is written mount/path#key). */
export function formatSecretRef(parts: ParsedSecretRef): string {
  const body = parts.scheme === 'vault' ? `${parts.mount ?? ''}/${parts.path}` : parts.path;
  const ref = `${parts.scheme}://${body}${parts.key !== undefined ? `#${parts.key}` : ''}`;
  const back = parseSecretRef(ref);
  if (!back || 'problem' in back) throw new InvalidRequestError(`Cannot write a ${parts.scheme} reference from these parts: ${SHAPES[parts.scheme]}.`);
  return ref;
}

/** Whether idp manages references like `ref` (its scheme is aws-sm, vault or sops), whatever their shape. */
export function isManagedRef(ref: string): boolean {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//.exec(ref)?.[1];
  return (MANAGED_SCHEMES as readonly string[]).includes(scheme ?? '');
}

/**
 * The path of a vault reference under a store's `mount` (which may have several segments, e.g. `kv/team`), or
 * undefined when the reference is not under that mount.
 */
export function vaultPathUnder(ref: ParsedSecretRef, mount: string): string | undefined {
  if (ref.scheme !== 'vault') return undefined;
  const full = `${ref.mount}/${ref.path}`;
  const prefix = `${mount.replace(/^\/+|\/+$/g, '')}/`;
  return full.startsWith(prefix) && full.length > prefix.length ? full.slice(prefix.length) : undefined;
}

/** What each store's pinned version is, in words, for messages. */
const VERSIONS: Record<ManagedScheme, { test: RegExp; is: string }> = {
  // AWS VersionIds are UUIDs; idp's ClientRequestTokens (which become VersionIds) are 32-64 characters too.
  'aws-sm': { test: /^[A-Za-z0-9-]{32,64}$/, is: 'an AWS Secrets Manager version is its VersionId (32-64 letters, digits and "-", e.g. "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"), not a stage like AWSCURRENT' },
  vault: { test: /^[1-9][0-9]{0,9}$/, is: 'a Vault KV v2 version is a whole number from 1, quoted, e.g. "3"' },
  sops: { test: /^[0-9a-f]{40}([0-9a-f]{24})?$/, is: 'a SOPS version is the full commit of the secrets repository that wrote it (40 or 64 hex digits)' },
};

/**
 * Why `version` cannot be the pinned version of `ref`, or undefined when it can. Never quotes the version (it could
 * be a value pasted in the wrong field). References idp does not manage take any version without blanks.
 */
export function secretVersionProblem(ref: string, version: string): string | undefined {
  const parsed = parseSecretRef(ref);
  if (parsed && !('problem' in parsed)) return VERSIONS[parsed.scheme].test.test(version) ? undefined : VERSIONS[parsed.scheme].is;
  return /^\S{1,256}$/.test(version) ? undefined : 'a version is up to 256 characters without blanks';
}
