/**
 * The Vault KV v2 secret store: one Vault secret per key at `<mount>/data/<prefix><component>/<env>/<KEY>` holding
 * `{ value }`; reference `vault://<mount>/<prefix><component>/<env>/<KEY>#value`; version = KV v2's version number.
 * Vault's HTTP API as Vault documents it (https://developer.hashicorp.com/vault/api-docs/secret/kv/kv-v2); the
 * tests run it against a fake checked against Vault's published description (testing/vault-fake.ts).
 *
 * Why plain fetch and not a client library (npm, checked 2026-11): three calls (read metadata, write metadata, write
 * data) are all this needs, and none of the Node clients makes them safer —
 * - node-vault 0.12.0 (the most used, ~1.6M downloads a month, maintained) has no KV v2 model, only `read/write(path)`;
 *   its debug logger prints request bodies (`debug('write %o to %s', data, path)`), so DEBUG=node-vault or DEBUG=*
 *   would put a secret value in a log; its errors carry Vault's response body; no retries; brings axios, mustache and
 *   tv4 (unmaintained).
 * - @litehex/node-vault 1.1.4 (KV v2 typed, ~24k a month, one maintainer): a non-JSON error (a proxy's 502/503 page)
 *   becomes "Failed to validate response schema" without its HTTP status, so throttled and unavailable cannot be
 *   told apart; no retries.
 * - hashi-vault-js 0.5.1 (~100k a month): axios errors keep the request config — the X-Vault-Token header and the
 *   body with the value — on the error object that callers log.
 *
 * putVersion is idempotent by request id although Vault has no idempotency token:
 * 1. read the secret's metadata (current version c, custom_metadata m);
 * 2. if m records this request (`idp-request-<sha256(requestId)[:32]>` = n) and n <= c, version n is the one this
 *    request wrote: return it, write nothing (a retried request, a restarted server);
 * 3. otherwise record the claim m[mark] = c+1 with a metadata write BEFORE writing the value, so a crash between
 *    the value write and anything after it still leaves the record a retry finds;
 * 4. write the value with `options.cas = c`: it lands as exactly version c+1 or not at all. A check-and-set
 *    mismatch means another writer took c+1 first: go back to 1 (at most 3 times), with c+1 remembered as not ours.
 * A claim is trusted only if no other idp request claims the same version. What is left: another writer taking
 * version c+1 between this request's claim and its value write (milliseconds), this request's process dying in that
 * same moment, and the request then retried: the retry could take the other writer's version as its own (a writer
 * outside idp leaves no claim to see; two idp requests could lose one another's claim, since custom_metadata has no
 * check-and-set). Every other crash or retry gives exactly one version per request id. Old claims are pruned as their
 * versions leave `max_versions`; custom_metadata keys that are not idp's are kept as they are.
 *
 * describe reads metadata only (never a value): one GET per secret (Vault has no batch metadata call; several pinned
 * versions of one secret share it), 16 at a time (200 keys: 13 round trips). Whether the `#key` inside the secret
 * exists is not checked (that would take a value read, or subkeys); idp itself writes only `#value`. `exists` = the
 * current version is live (neither soft-deleted nor destroyed: what an unpinned read gets); `versionExists` = the
 * pinned version is live and still kept (Vault drops versions past `max_versions`, 10 by default: raise it for a
 * longer rollback reach).
 *
 * maxValueBytes = 65,536: Vault's own limit is the request size (max_request_size, 32 MiB by default) and its storage
 * backend's entry size (Consul 512 KiB, integrated storage 1 MiB by default); 64 KiB matches AWS Secrets Manager's
 * limit, so a value that fits one store fits every store it may be moved to, and is far more than any credential.
 *
 * Faults: 429, 5xx, 412 and network errors are retried (4 tries by default, exponential backoff with jitter, a 429's
 * Retry-After honoured up to the cap); then, and for every other status, a SecretStoreError whose message names the
 * store, the reference and the HTTP status, never the value, the token or Vault's error text (which can quote input).
 * A 404 with an empty `errors` is "no such secret"; a 404 that says something is a missing mount.
 *
 * The token is read for every request (tokenEnv, else tokenFile) so a rotated file (Vault Agent's sink) is picked up.
 * Its policy needs create/update on `<mount>/data/<prefix>*` and read/create/update on `<mount>/metadata/<prefix>*`
 * (read on the latter alone for describe); never read on `<mount>/data/…`.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { VaultStoreConfig } from '@idp/core';
import { checkTarget, checkValue } from './common.js';
import { SecretStoreError, type SecretStatus, type SecretStore, type SecretStoreErrorKind, type SecretTarget } from './store.js';

export const VAULT_MAX_VALUE_BYTES = 65_536;
/** idp's marks in a secret's custom_metadata: `idp-request-<32 hex>` = the version that request wrote. */
const MARK = 'idp-request-';
/** Vault's limit on custom_metadata keys (vault-plugin-secrets-kv path_metadata.go). */
const MAX_CUSTOM_METADATA_KEYS = 64;
const CAS_ATTEMPTS = 3;
const SEGMENT = /^(?!\.{1,2}$)[A-Za-z0-9_.-]+$/;

export interface VaultKv2Options {
  /** Where `tokenEnv` is read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Tries per HTTP call (default 4), first backoff (default 100 ms), largest wait (default 2,000 ms). */
  retry?: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number };
  /** Per request (default 10,000 ms). */
  timeoutMs?: number;
  /** describe's metadata reads in flight at once (default 16). */
  concurrency?: number;
  /** How the backoff waits (tests observe the waits instead of taking them). */
  sleep?: (ms: number) => Promise<void>;
}

interface Metadata {
  current_version: number;
  custom_metadata: Record<string, string> | null;
  versions: Record<string, { created_time: string; deletion_time: string; destroyed: boolean }>;
  updated_time: string;
}

interface Reply {
  status: number;
  body: unknown;
  /** The call was retried after a failure that may have reached Vault (a 5xx, a dropped connection). */
  uncertain: boolean;
}

export class VaultKv2Store implements SecretStore {
  readonly type = 'vault' as const;
  readonly maxValueBytes = VAULT_MAX_VALUE_BYTES;
  private readonly mount: string;
  private readonly prefix: string;
  private readonly attempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    readonly name: string,
    private readonly config: VaultStoreConfig,
    private readonly opts: VaultKv2Options = {},
  ) {
    this.mount = config.mount.replace(/^\/+|\/+$/g, '');
    this.prefix = config.prefix;
    this.attempts = Math.max(1, opts.retry?.attempts ?? 4);
    this.baseDelayMs = opts.retry?.baseDelayMs ?? 100;
    this.maxDelayMs = opts.retry?.maxDelayMs ?? 2_000;
    this.sleep = opts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  refFor(target: SecretTarget): string {
    return `vault://${this.mount}/${this.pathFor(target)}#value`;
  }

  async putVersion(target: SecretTarget, value: string, requestId: string): Promise<{ ref: string; version: string }> {
    const ref = this.refFor(target);
    checkValue(this, value);
    if (!requestId) this.fail('invalid', `${ref}: a write needs a request id`);
    const path = this.pathFor(target);
    const mark = requestMark(requestId);
    /** Versions this call claimed and saw another writer take. */
    const lost = new Set<number>();

    for (let round = 1; round <= CAS_ATTEMPTS; round++) {
      const meta = await this.readMetadata(path, ref, 'write');
      const current = meta?.current_version ?? 0;
      const custom = meta?.custom_metadata ?? {};
      const claimed = Number(custom[mark] ?? 0);
      const rivals = Object.entries(custom).filter(([k, v]) => k.startsWith(MARK) && k !== mark && v === String(claimed));
      if (claimed > 0 && claimed <= current && !lost.has(claimed) && rivals.length === 0) return { ref, version: String(claimed) };

      const next = current + 1;
      if (claimed !== next) await this.writeClaim(path, ref, meta, mark, next);
      const reply = await this.request('POST', `data/${path}`, ref, 'write', { data: { value }, options: { cas: current } });
      if (reply.status === 200) {
        const version = (reply.body as { data?: { version?: unknown } })?.data?.version;
        if (typeof version !== 'number') this.fail('unavailable', `${ref}: Vault answered the write without a version number; check that "${this.mount}" is a KV v2 mount`);
        return { ref, version: String(version) };
      }
      if (reply.status === 400 && vaultErrors(reply.body).some((e) => e.includes('check-and-set parameter did not match'))) {
        // Another writer took `next`, unless an earlier try of this very call did (a retried 5xx that had landed):
        // then the claim, re-read in the next round, says so.
        if (!reply.uncertain) lost.add(next);
        continue;
      }
      this.failFor(reply, ref, 'write');
    }
    return this.fail('unavailable', `${ref}: other writers kept changing this secret while idp wrote it (${CAS_ATTEMPTS} check-and-set conflicts); try again`);
  }

  async describe(refs: ReadonlyArray<{ ref: string; version?: string }>): Promise<SecretStatus[]> {
    const parsed = refs.map(({ ref, version }) => {
      const path = this.pathOfRef(ref);
      if (version !== undefined && !/^[1-9]\d*$/.test(version)) this.fail('invalid', `${ref}: version "${version}" is not a Vault KV v2 version (a whole number from 1)`);
      return { ref, version, path };
    });
    // One metadata read per secret, however many of its versions are asked about.
    const paths = [...new Map(parsed.map((p) => [p.path, p.ref])).entries()];
    const metas = new Map(await mapLimit(paths, this.opts.concurrency ?? 16, async ([path, ref]) => [path, await this.readMetadata(path, ref, 'read')] as const));
    return parsed.map(({ ref, version, path }) => {
      const meta = metas.get(path);
      const status: SecretStatus = { ref, ...(version !== undefined ? { version } : {}), exists: false };
      if (version !== undefined) status.versionExists = false;
      if (!meta || meta.current_version < 1) return status;
      const current = meta.versions[String(meta.current_version)];
      status.exists = current !== undefined && isLive(current);
      if (version !== undefined) {
        const pinned = meta.versions[version];
        status.versionExists = pinned !== undefined && isLive(pinned);
      }
      status.currentVersion = String(meta.current_version);
      status.lastChanged = current?.created_time || meta.updated_time;
      return status;
    });
  }

  // ---- Vault calls ---------------------------------------------------------------------------------------------

  /** The secret's metadata, or null when Vault has no such secret. */
  private async readMetadata(path: string, ref: string, doing: 'read' | 'write'): Promise<Metadata | null> {
    const reply = await this.request('GET', `metadata/${path}`, ref, doing);
    if (reply.status === 404 && vaultErrors(reply.body).length === 0) return null;
    if (reply.status !== 200) this.failFor(reply, ref, doing);
    const data = (reply.body as { data?: Metadata })?.data;
    if (!data || typeof data.current_version !== 'number' || typeof data.versions !== 'object') {
      this.fail('unavailable', `${ref}: Vault's metadata answer has no current_version; check that "${this.mount}" is a KV v2 mount`);
    }
    return data;
  }

  /** Records `mark` = `version` in the secret's custom_metadata, keeping others' keys and pruning idp's old marks. */
  private async writeClaim(path: string, ref: string, meta: Metadata | null, mark: string, version: number): Promise<void> {
    const custom = { ...(meta?.custom_metadata ?? {}) };
    const current = meta?.current_version ?? 0;
    // A mark stays while its version is kept (max_versions) or is still pending (another writer's claim in flight).
    const ours = Object.keys(custom).filter((k) => k.startsWith(MARK));
    for (const k of ours) {
      const n = Number(custom[k]);
      if (!(n > current || (meta && String(n) in meta.versions))) delete custom[k];
    }
    delete custom[mark];
    const byAge = Object.keys(custom).filter((k) => k.startsWith(MARK)).sort((a, b) => Number(custom[a]) - Number(custom[b]));
    while (Object.keys(custom).length >= MAX_CUSTOM_METADATA_KEYS && byAge.length) delete custom[byAge.shift()!];
    if (Object.keys(custom).length >= MAX_CUSTOM_METADATA_KEYS) {
      this.fail('invalid', `${ref}: the secret's custom_metadata already has ${MAX_CUSTOM_METADATA_KEYS} keys (Vault's limit), so idp cannot record its write; remove some`);
    }
    custom[mark] = String(version);
    const reply = await this.request('POST', `metadata/${path}`, ref, 'write', { custom_metadata: custom });
    if (reply.status !== 204 && reply.status !== 200) this.failFor(reply, ref, 'write');
  }

  /** One Vault call, retried on 429 / 5xx / 412 / network errors; any other answer is returned as it is. */
  private async request(method: 'GET' | 'POST', path: string, ref: string, doing: 'read' | 'write', body?: unknown): Promise<Reply> {
    const url = `${this.config.address.replace(/\/+$/, '')}/v1/${this.mount.split('/').map(encodeURIComponent).join('/')}/${path}`;
    const headers: Record<string, string> = { 'X-Vault-Token': this.token(ref) };
    if (this.config.namespace) headers['X-Vault-Namespace'] = this.config.namespace;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let uncertain = false;
    let last = '';
    let kind: SecretStoreErrorKind = 'unavailable';
    for (let attempt = 1; ; attempt++) {
      let wait: number | undefined;
      try {
        const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000) });
        const text = await res.text();
        if (!retryable(res.status)) return { status: res.status, body: parseJson(text), uncertain };
        last = `HTTP ${res.status}`;
        kind = res.status === 429 ? 'throttled' : 'unavailable';
        if (res.status >= 500) uncertain = true;
        const after = Number(res.headers.get('retry-after'));
        if (res.status === 429 && Number.isFinite(after) && after > 0) wait = after * 1000;
      } catch (e) {
        // Only the error's name and code: fetch's messages are safe, but nothing from this layer needs them.
        const err = e as { name?: string; cause?: { code?: string } };
        last = err.name === 'TimeoutError' ? 'no answer in time' : `connection failed${err.cause?.code ? ` (${err.cause.code})` : ''}`;
        kind = 'unavailable';
        uncertain = true;
      }
      if (attempt >= this.attempts) {
        const what = kind === 'throttled' ? 'is rate-limiting idp' : 'did not answer';
        const hint = kind === 'throttled' ? 'wait a minute and try again, or raise the rate limit quota for idp' : 'check that Vault is up and unsealed, then try again';
        this.fail(kind, `${ref}: Vault at ${this.config.address} ${what} (${last}, ${this.attempts} tries) while idp tried to ${doing} it; ${hint}`);
      }
      const backoff = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
      await this.sleep(Math.min(this.maxDelayMs, wait ?? backoff * (0.5 + Math.random() / 2)));
    }
  }

  private token(ref: string): string {
    const { tokenEnv, tokenFile } = this.config;
    let token: string | undefined;
    if (tokenEnv) token = (this.opts.env ?? process.env)[tokenEnv]?.trim();
    if (!token && tokenFile) {
      try {
        token = readFileSync(tokenFile, 'utf8').trim();
      } catch (e) {
        this.fail('permission-denied', `${ref}: cannot read the Vault token file ${tokenFile} (${(e as NodeJS.ErrnoException).code ?? 'unreadable'})`);
      }
    }
    if (!token) {
      const where = [tokenEnv && `$${tokenEnv}`, tokenFile].filter(Boolean).join(' or ');
      this.fail('permission-denied', `${ref}: no Vault token: ${where} is empty; set it to a token of a policy that can write ${this.mount}/data/${this.prefix}*`);
    }
    return token;
  }

  /** The error for an answer that is not the one asked for. */
  private failFor(reply: Reply, ref: string, doing: 'read' | 'write'): never {
    const { status } = reply;
    const at = `Vault at ${this.config.address} (mount "${this.mount}")`;
    if (status === 401 || status === 403) {
      const needs = doing === 'write' ? `"create" and "update" on ${this.mount}/data/${this.prefix}* and ${this.mount}/metadata/${this.prefix}*, "read" on the latter` : `"read" on ${this.mount}/metadata/${this.prefix}*`;
      this.fail('permission-denied', `${ref}: ${at} refused to ${doing} it (HTTP ${status} permission denied); the token's policy needs ${needs}`);
    }
    if (status === 404) this.fail('not-found', `${ref}: ${at} has no KV v2 engine there (HTTP 404); check the store's address and mount`);
    if (status === 413) this.fail('too-large', `${ref}: ${at} refused the request as too large (HTTP 413, its max_request_size)`);
    if (status >= 400 && status < 500) this.fail('invalid', `${ref}: ${at} refused to ${doing} it (HTTP ${status}); Vault's audit log has the reason`);
    this.fail('unavailable', `${ref}: ${at} answered HTTP ${status} while idp tried to ${doing} it`);
  }

  private fail(kind: SecretStoreErrorKind, message: string): never {
    throw new SecretStoreError(kind, this.name, `vault store "${this.name}": ${message}`);
  }

  // ---- paths and references --------------------------------------------------------------------------------------

  private pathFor(t: SecretTarget): string {
    checkTarget(this.name, t);
    return `${this.prefix}${t.component}/${t.env}/${t.key}`;
  }

  /** The secret's path inside the mount, for a reference of this store (`vault://<mount>/<path>#<key>`). */
  private pathOfRef(ref: string): string {
    const head = `vault://${this.mount}/`;
    const hash = ref.indexOf('#');
    const path = hash === -1 ? '' : ref.slice(head.length, hash);
    const key = hash === -1 ? '' : ref.slice(hash + 1);
    if (!ref.startsWith(head) || !path || !key || !path.split('/').every((s) => SEGMENT.test(s))) {
      this.fail('invalid', `"${ref}" is not a reference of this store; it takes vault://${this.mount}/<path>#<key>, e.g. ${this.refFor({ component: 'checkout', env: 'staging', key: 'STRIPE_KEY' })}`);
    }
    return path;
  }
}

/** The custom_metadata key that records the version a request wrote (a digest: request ids can be long). */
export function requestMark(requestId: string): string {
  return MARK + createHash('sha256').update(requestId).digest('hex').slice(0, 32);
}

function retryable(status: number): boolean {
  return status === 429 || status === 412 || status >= 500;
}

function isLive(v: { deletion_time: string; destroyed: boolean }): boolean {
  return !v.destroyed && (!v.deletion_time || Date.parse(v.deletion_time) > Date.now());
}

function vaultErrors(body: unknown): string[] {
  const errors = (body as { errors?: unknown })?.errors;
  return Array.isArray(errors) ? errors.filter((e): e is string => typeof e === 'string') : [];
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `fn` over `items` with at most `limit` in flight, results in the order of `items`. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
