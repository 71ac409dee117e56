/**
 * AWS Secrets Manager: one secret per key at `<prefix><component>/<env>/<KEY>` (SecretString = the raw value), a
 * version = its VersionId. The reference is `aws-sm://<name>` (a hand-written one may add `#<json-key>`).
 *
 * - Idempotent writes come from AWS itself: the ClientRequestToken is derived from idp's request id, and a
 *   PutSecretValue with a token AWS has seen (and the same value) returns that version and changes nothing.
 * - describe never reads a value (no GetSecretValue/BatchGetSecretValue; the credentials idp needs can leave
 *   `secretsmanager:GetSecretValue` out): ListSecrets filtered by each environment's name prefix gives every key's
 *   versions and stages at 100 secrets per call. ListSecrets is eventually consistent, so a reference it did not
 *   show (or whose pinned version it did not show) is confirmed with DescribeSecret, and a pinned version with no
 *   staging label left (AWS calls it deprecated) with ListSecretVersionIds.
 * - The 65,536-byte limit is checked here before the write: AWS refuses larger values, but moto does not.
 * - Throttling and 5xx are retried by the SDK (standard mode, MAX_ATTEMPTS); what is left is mapped to a
 *   SecretStoreError kind whose message names the secret and the AWS error code, never an AWS message (those can
 *   quote the request).
 */
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  paginateListSecrets,
  paginateListSecretVersionIds,
  type SecretListEntry,
} from '@aws-sdk/client-secrets-manager';
import type { AwsSmStoreConfig } from '@idp/core';
import { checkTarget, checkValue, requestToken } from './common.js';
import { SecretStoreError, type SecretStatus, type SecretStore, type SecretStoreErrorKind, type SecretTarget } from './store.js';

/** AWS's limit on a SecretString, in bytes. */
export const AWS_SM_MAX_VALUE_BYTES = 65_536;
/** The first try and two retries: the SDK's standard retry mode backs off between them (longer for throttling). */
export const MAX_ATTEMPTS = 3;
/** ListSecrets takes at most 10 values per filter and 100 results per page. */
const FILTER_VALUES = 10;
const PAGE = 100;
const SCHEME = 'aws-sm://';

export interface AwsSmOptions {
  env?: NodeJS.ProcessEnv;
  /** Overrides the SDK's retry attempts (tests of the retry itself). */
  maxAttempts?: number;
}

export class AwsSecretsManagerStore implements SecretStore {
  readonly type = 'aws-sm' as const;
  readonly maxValueBytes = AWS_SM_MAX_VALUE_BYTES;
  private readonly client: SecretsManagerClient;
  private readonly prefix: string;

  constructor(readonly name: string, config: AwsSmStoreConfig, opts: AwsSmOptions = {}) {
    const env = opts.env ?? process.env;
    this.prefix = config.prefix;
    // Named credentials are read when first used: a store whose variable is unset fails its own calls, not the server's start.
    const credentials =
      config.accessKeyIdEnv || config.secretAccessKeyEnv
        ? async () => {
            const accessKeyId = config.accessKeyIdEnv ? env[config.accessKeyIdEnv] : undefined;
            const secretAccessKey = config.secretAccessKeyEnv ? env[config.secretAccessKeyEnv] : undefined;
            if (accessKeyId && secretAccessKey) return { accessKeyId, secretAccessKey };
            const unset = [!accessKeyId && (config.accessKeyIdEnv ?? 'accessKeyIdEnv'), !secretAccessKey && (config.secretAccessKeyEnv ?? 'secretAccessKeyEnv')].filter(Boolean);
            throw new SecretStoreError('permission-denied', name, `Store "${name}" names its AWS credentials by environment variable, but ${unset.join(' and ')} is not set: set it in the server's environment.`);
          }
        : undefined;
    this.client = new SecretsManagerClient({
      region: config.region,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      ...(credentials ? { credentials } : {}),
      maxAttempts: opts.maxAttempts ?? MAX_ATTEMPTS,
      retryMode: 'standard',
      // A store that stops answering is an error, not a hung request.
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 },
    });
  }

  refFor(t: SecretTarget): string {
    return SCHEME + this.secretName(t);
  }

  private secretName(t: SecretTarget): string {
    return `${this.prefix}${t.component}/${t.env}/${t.key}`;
  }

  async putVersion(t: SecretTarget, value: string, requestId: string): Promise<{ ref: string; version: string }> {
    checkTarget(this.name, t);
    checkValue(this, value);
    const name = this.secretName(t);
    const ref = SCHEME + name;
    const token = requestToken(requestId, ref);
    const put = () => this.client.send(new PutSecretValueCommand({ SecretId: name, SecretString: value, ClientRequestToken: token }));
    try {
      try {
        return { ref, version: (await put()).VersionId! };
      } catch (e) {
        if (errorName(e) !== 'ResourceNotFoundException') throw e;
      }
      try {
        const created = await this.client.send(
          new CreateSecretCommand({
            Name: name,
            SecretString: value,
            ClientRequestToken: token,
            Description: `${t.key} of ${t.component}'s ${t.env} environment, written by idp`,
            Tags: [
              { Key: 'idp:component', Value: t.component },
              { Key: 'idp:environment', Value: t.env },
            ],
          }),
        );
        return { ref, version: created.VersionId! };
      } catch (e) {
        // Another writer created it in between: this write is a new version of it.
        if (errorName(e) !== 'ResourceExistsException') throw e;
        return { ref, version: (await put()).VersionId! };
      }
    } catch (e) {
      throw this.storeError(e, name, 'write');
    }
  }

  async describe(refs: ReadonlyArray<{ ref: string; version?: string }>): Promise<SecretStatus[]> {
    const names = refs.map(({ ref }) => this.parseRef(ref));
    const found = new Map<string, SecretListEntry>();
    try {
      // One ListSecrets (per 100 results) for up to 10 environments, each a name prefix `<prefix><component>/<env>/`.
      const dirs = [...new Set(names.map((n) => n.slice(0, n.lastIndexOf('/') + 1)).filter((d) => d.startsWith(this.prefix)))];
      for (let i = 0; i < dirs.length; i += FILTER_VALUES) {
        const filter = { Key: 'name' as const, Values: dirs.slice(i, i + FILTER_VALUES) };
        for await (const page of paginateListSecrets({ client: this.client, pageSize: PAGE }, { Filters: [filter], MaxResults: PAGE })) {
          for (const s of page.SecretList ?? []) if (s.Name) found.set(s.Name, s);
        }
      }
      const deprecated = new Map<string, Set<string>>();
      const out: SecretStatus[] = [];
      for (const [i, { ref, version }] of refs.entries()) {
        const name = names[i]!;
        let entry = found.get(name);
        const stages = () => entry?.SecretVersionsToStages ?? {};
        if (!entry || (version && !(version in stages()))) {
          // Not listed (not there, or not listed yet): ask the secret itself.
          entry = (await this.describeSecret(name)) ?? undefined;
          if (entry) found.set(name, entry);
        }
        const status: SecretStatus = { ref, ...(version !== undefined ? { version } : {}), exists: !!entry };
        if (entry) {
          const current = Object.entries(stages()).find(([, s]) => s.includes('AWSCURRENT'))?.[0];
          if (current) status.currentVersion = current;
          const changed = entry.LastChangedDate ?? entry.CreatedDate;
          if (changed) status.lastChanged = new Date(changed).toISOString();
        }
        if (version !== undefined) {
          status.versionExists = !!entry && (version in stages() || (await this.allVersions(name, deprecated)).has(version));
        }
        out.push(status);
      }
      return out;
    } catch (e) {
      throw this.storeError(e, names.length === 1 ? names[0]! : `${names.length} secrets`, 'read');
    }
  }

  /** DescribeSecret as a list entry (its stages under the ListSecrets field name), or null when there is no such secret. */
  private async describeSecret(name: string): Promise<SecretListEntry | null> {
    try {
      const d = await this.client.send(new DescribeSecretCommand({ SecretId: name }));
      return { ...d, SecretVersionsToStages: d.VersionIdsToStages };
    } catch (e) {
      if (errorName(e) === 'ResourceNotFoundException') return null;
      throw e;
    }
  }

  /** Every version id of an existing secret, deprecated ones (no staging label) included; one listing per secret. */
  private async allVersions(name: string, cache: Map<string, Set<string>>): Promise<Set<string>> {
    let ids = cache.get(name);
    if (!ids) {
      ids = new Set();
      for await (const page of paginateListSecretVersionIds({ client: this.client, pageSize: PAGE }, { SecretId: name, IncludeDeprecated: true, MaxResults: PAGE })) {
        for (const v of page.Versions ?? []) if (v.VersionId) ids.add(v.VersionId);
      }
      cache.set(name, ids);
    }
    return ids;
  }

  /** The secret name of a reference, `#<json-key>` dropped; a reference of another kind is refused. */
  private parseRef(ref: string): string {
    const name = ref.startsWith(SCHEME) ? ref.slice(SCHEME.length).split('#')[0]! : '';
    if (!/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(name)) {
      throw new SecretStoreError('invalid', this.name, `"${ref.slice(0, 200)}" is not an AWS Secrets Manager reference of store "${this.name}": expected aws-sm://<secret-name>[#<json-key>].`);
    }
    return name;
  }

  private storeError(e: unknown, secret: string, op: 'read' | 'write'): SecretStoreError {
    if (e instanceof SecretStoreError) return e;
    const code = errorName(e);
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const kind = kindOf(code, status);
    const what = `${op === 'write' ? 'Writing' : 'Reading the metadata of'} ${secret} in store "${this.name}" (AWS Secrets Manager) failed with ${code}${status ? ` (HTTP ${status})` : ''}`;
    const todo: Record<SecretStoreErrorKind, string> = {
      'permission-denied': `the credentials idp uses need secretsmanager:${op === 'write' ? 'CreateSecret, PutSecretValue and TagResource' : 'ListSecrets, DescribeSecret and ListSecretVersionIds'} on ${this.prefix}*`,
      throttled: `AWS is throttling requests; ${MAX_ATTEMPTS} attempts were made — try again shortly`,
      unavailable: `AWS Secrets Manager did not answer properly after ${MAX_ATTEMPTS} attempts — try again, or check the endpoint and the network`,
      invalid: code === 'ResourceExistsException' ? 'this request id was already used with a different value: send a new request' : 'AWS refused the request as invalid (a secret scheduled for deletion must be restored first)',
      'not-found': 'the secret does not exist',
      'too-large': `AWS takes at most ${AWS_SM_MAX_VALUE_BYTES.toLocaleString('en-US')} bytes`,
    };
    return new SecretStoreError(kind, this.name, `${what}: ${todo[kind]}.`);
  }
}

/** An SDK error's code (the AWS error type, or a network error's code), never its message. */
function errorName(e: unknown): string {
  const err = e as { name?: string; code?: string; Code?: string };
  if (err?.name && err.name !== 'Error') return err.name;
  return err?.code ?? err?.Code ?? 'an unknown error';
}

function kindOf(code: string, status: number | undefined): SecretStoreErrorKind {
  if (['AccessDeniedException', 'AccessDenied', 'UnrecognizedClientException', 'InvalidSignatureException', 'ExpiredTokenException', 'IncompleteSignature', 'CredentialsProviderError', 'InvalidClientTokenId'].includes(code) || status === 403) return 'permission-denied';
  if (['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded'].includes(code) || status === 429) return 'throttled';
  if (code === 'ResourceNotFoundException') return 'not-found';
  if (status !== undefined && status >= 400 && status < 500) return 'invalid';
  return 'unavailable';
}
