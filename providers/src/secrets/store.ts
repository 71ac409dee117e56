/**
 * A secret store: where secret VALUES live (AWS Secrets Manager, Vault KV v2, SOPS files in git). Git holds only
 * references to them (`environments.<env>.secrets.<KEY>: { ref, version }` in paws.yaml). One file per store
 * implements this interface; contract.ts is the suite every store passes.
 *
 * Nothing here reads a value back: writing a version and reading metadata is all idp needs, so the credentials a
 * platform grants idp can leave out read access to values.
 */

/** What a store holds for one key of one component's environment. */
export interface SecretTarget {
  component: string;
  env: string;
  /** The variable name the workload sees, e.g. STRIPE_KEY. */
  key: string;
}

/** The state of one reference, as far as it can be known without reading the value. */
export interface SecretStatus {
  ref: string;
  /** The version asked about (the one paws.yaml pins), if any. */
  version?: string;
  exists: boolean;
  /** Whether `version` exists (and is not deleted/destroyed); absent when no version was asked about. */
  versionExists?: boolean;
  /** The store's newest version of the secret. */
  currentVersion?: string;
  /** ISO 8601: when the secret last got a new version. */
  lastChanged?: string;
}

export interface SecretStore {
  /** The configured name (config `stores.<name>`). */
  readonly name: string;
  readonly type: 'aws-sm' | 'vault' | 'sops';
  /** The largest value the store takes, in bytes of UTF-8 (AWS: 65,536). Checked by idp before any write. */
  readonly maxValueBytes: number;
  /** The reference (without version) where idp writes `target`, e.g. `aws-sm://idp/checkout/staging/STRIPE_KEY`. */
  refFor(target: SecretTarget): string;
  /**
   * Writes `value` as a new version of `target` and returns the reference and its version. The same `requestId`
   * again returns the version it wrote the first time and writes nothing (a retried request, a restarted server).
   */
  putVersion(target: SecretTarget, value: string, requestId: string): Promise<{ ref: string; version: string }>;
  /** The status of each reference, in as few store calls as the store allows; same order as `refs`. */
  describe(refs: ReadonlyArray<{ ref: string; version?: string }>): Promise<SecretStatus[]>;
}

export type SecretStoreErrorKind = 'not-found' | 'permission-denied' | 'throttled' | 'unavailable' | 'invalid' | 'too-large';

/**
 * A store's failure, in words that say what to do. Never carries a value: messages are built from the reference,
 * the store's name and the store's error code only (store error bodies can echo request content).
 */
export class SecretStoreError extends Error {
  constructor(readonly kind: SecretStoreErrorKind, readonly store: string, message: string) {
    super(message);
    this.name = 'SecretStoreError';
  }
}
