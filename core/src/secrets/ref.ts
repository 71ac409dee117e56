/**
 * The references of the stores idp manages, as written in paws.yaml (`environments.<env>.secrets.<KEY>.ref`):
 *
 *   aws-sm://<secret-name>[#<json-key>]      AWS Secrets Manager; the version pinned beside it is a VersionId
 *   vault://<mount>/<path>#<key>             Vault KV v2; the version is the KV version number
 *   sops://<file-in-store-repo>#<key>        a SOPS file in the store's git repository; the version is a commit
 *
 * Any other `scheme://` (env://, gcp-sm://…) stays a valid reference idp does not manage ("unmanaged").
 */

export type ManagedScheme = 'aws-sm' | 'vault' | 'sops';

export interface ParsedSecretRef {
  scheme: ManagedScheme;
  /** aws-sm: the secret's name; vault: the path under the mount; sops: the file in the store's repository. */
  path: string;
  /** vault: the mount. */
  mount?: string;
  /** The key inside the secret (vault, sops; aws-sm's optional JSON key). */
  key?: string;
}

const SEGMENTS = /^[A-Za-z0-9_.+=@-]+(\/[A-Za-z0-9_.+=@-]+)*$/;
const KEY = /^[A-Za-z0-9_.-]+$/;

/** The reference's parts, or a sentence saying what a valid one looks like (null for schemes idp does not manage). */
export function parseSecretRef(ref: string): ParsedSecretRef | { problem: string } | null {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^#]*)(?:#(.*))?$/.exec(ref);
  if (!m) return { problem: 'a reference looks like scheme://path#key, e.g. vault://secret/checkout/staging/STRIPE_KEY#value' };
  const [, scheme, path = '', key] = m;
  const keyOk = key !== undefined && KEY.test(key);
  switch (scheme) {
    case 'aws-sm':
      if (!SEGMENTS.test(path) || (key !== undefined && !keyOk)) return { problem: 'an AWS Secrets Manager reference is aws-sm://<secret-name>[#<json-key>], e.g. aws-sm://idp/checkout/staging/STRIPE_KEY' };
      return { scheme, path, ...(key !== undefined ? { key } : {}) };
    case 'vault': {
      const slash = path.indexOf('/');
      if (slash <= 0 || !SEGMENTS.test(path) || !keyOk) return { problem: 'a Vault reference is vault://<mount>/<path>#<key>, e.g. vault://secret/idp/checkout/staging/STRIPE_KEY#value' };
      return { scheme, mount: path.slice(0, slash), path: path.slice(slash + 1), key: key! };
    }
    case 'sops':
      if (!SEGMENTS.test(path) || path.split('/').includes('..') || !keyOk) return { problem: 'a SOPS reference is sops://<file>#<key>, e.g. sops://checkout/staging.enc.yaml#STRIPE_KEY' };
      return { scheme, path, key: key! };
    default:
      return null;
  }
}
