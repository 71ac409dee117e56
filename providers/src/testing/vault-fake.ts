/**
 * An in-process Vault for tests, KV v2 only: a node:http server on 127.0.0.1 (a free port) that a real HTTP client
 * talks to, because no Vault or OpenBao server can be installed here. It keeps KV v2's semantics as Vault's
 * vault-plugin-secrets-kv implements them: a write makes a new version (`options.cas` checked against the current
 * version), reads by `?version=`, metadata with versions / current_version / custom_metadata (Vault's limits: 64 keys,
 * key ≤ 128 bytes, value ≤ 512 bytes) / created and updated times, `max_versions` trimming (default 10), list
 * (`GET …/metadata/<folder>/?list=true`), soft delete / undelete / destroy of versions, delete of all metadata.
 *
 * It cannot drift from Vault silently: every request and response is checked against Vault's published API
 * description (vault-openapi.ts, the KV v2 subset of vault-client-go's openapi.json). A request the document does not
 * allow is answered 400 with the problem (or 404 for an undocumented endpoint) and recorded in `violations`, like any
 * response that does not match the document; tests assert `violations` stays empty. An operation the document has
 * but this fake does not implement (subkeys, config) answers 500 and is recorded too, so a test never passes on a
 * guess.
 *
 * `X-Vault-Token` must be one of `tokens` (403 `{"errors":["permission denied"]}` otherwise, as Vault answers).
 * Faults Vault produces are injected with `fail()`: 403, 429 (rate limit quota), 500, 503 (sealed), or a dropped
 * connection.
 *
 * Not here: the LIST HTTP method (Node's HTTP parser rejects methods it does not know; the document describes the
 * `GET ?list=true` form instead), PATCH (not in the document), delete_version_after (refused loudly), namespaces
 * beyond checking the X-Vault-Namespace header equals `namespace`.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from './fake-http.js';
import { AUTH_HEADER, isObject, NAMESPACE_HEADER, VaultOpenApi, type MatchedOperation } from './vault-openapi.js';

/** Vault's default `max_request_size` (32 MiB): a larger body is refused with 413. */
export const VAULT_MAX_REQUEST_BYTES = 32 * 1024 * 1024;
const DEFAULT_MAX_VERSIONS = 10;
const CUSTOM_METADATA = { keys: 64, keyBytes: 128, valueBytes: 512 };

export interface VaultFakeOptions {
  /** Tokens Vault accepts (default: one random token, `fake.token`). */
  tokens?: string[];
  /** KV v2 mount paths (default `secret`, as Vault's dev server mounts it). */
  mounts?: string[];
  /** When set, requests must carry `X-Vault-Namespace: <namespace>`. */
  namespace?: string;
  /** Answer each request this much later (a remote Vault's latency: lets a test see how many calls a client overlaps). */
  latencyMs?: number;
}

export interface VaultFault {
  /** 403, 429, 500, 503…; 0 drops the connection instead. */
  status: number;
  method?: string;
  /** Matched against the request path after /v1/ (still URL-encoded); unset: every request. */
  path?: RegExp;
  /** How many matching requests fail (default 1; Infinity until clearFaults). */
  times?: number;
  headers?: Record<string, string>;
  /**
   * Carry the request out, then drop the connection instead of answering (a write that landed but whose answer was
   * lost: a proxy timeout, a crash of the client). `status` is ignored.
   */
  landed?: boolean;
}

interface Version {
  created: string;
  /** '' while live; an RFC 3339 time once soft-deleted. */
  deletion: string;
  destroyed: boolean;
  data: Record<string, unknown> | null;
}

export interface FakeSecret {
  created: string;
  updated: string;
  currentVersion: number;
  oldestVersion: number;
  maxVersions: number;
  casRequired: boolean;
  /** null until a metadata write sets it, as Vault stores it. */
  custom: Record<string, string> | null;
  versions: Map<number, Version>;
}

export interface VaultFake {
  /** The Vault address (the API is at `${url}/v1`). */
  readonly url: string;
  /** A token Vault accepts. */
  readonly token: string;
  fail(fault: VaultFault): void;
  clearFaults(): void;
  /** Injected failures answered so far. */
  readonly faultsServed: number;
  /** The most requests the fake was handling at once (a client's concurrency, as seen from the server). */
  readonly maxInFlight: number;
  /** Requests received (including failed ones), in order. */
  readonly requests: { method: string; path: string; status: number }[];
  /** Requests and responses that did not match Vault's published description (must stay empty). */
  readonly violations: string[];
  /** The stored secret at `path` of `mount`, for assertions (tests look; the adapter never reads values). */
  secret(path: string, mount?: string): FakeSecret | undefined;
  close(): Promise<void>;
}

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const now = () => new Date().toISOString();
const errors = (status: number, ...messages: string[]): Answer => ({ status, body: { errors: messages } });
const noContent: Answer = { status: 204 };

/** Starts the fake on a free 127.0.0.1 port. */
export async function startVaultFake(opts: VaultFakeOptions = {}): Promise<VaultFake> {
  const api = VaultOpenApi.get();
  const tokens = new Set(opts.tokens ?? [`hvs.fake-${randomUUID()}`]);
  const mounts = new Map((opts.mounts ?? ['secret']).map((m) => [m, new Map<string, FakeSecret>()]));
  const faults: (VaultFault & { left: number })[] = [];
  const requests: VaultFake['requests'] = [];
  const violations: string[] = [];
  let faultsServed = 0;
  let inFlight = 0;
  let maxInFlight = 0;

  function envelope(data: unknown, mount: string) {
    return { request_id: randomUUID(), lease_id: '', renewable: false, lease_duration: 0, data, wrap_info: null, warnings: null, auth: null, mount_type: mounts.has(mount) ? 'kv' : '' };
  }

  function versionMetadata(v: Version) {
    return { created_time: v.created, deletion_time: v.deletion, destroyed: v.destroyed };
  }

  const live = (v: Version) => !v.destroyed && (v.deletion === '' || Date.parse(v.deletion) > Date.now());

  function versionsOf(body: unknown): number[] | Answer {
    const versions = isObject(body) ? body.versions : undefined;
    if (!Array.isArray(versions) || versions.length === 0) return errors(400, 'no version number provided');
    return versions as number[];
  }

  /** The handler of each operation, by the document's operationId. */
  const handlers: Record<string, (store: Map<string, FakeSecret>, path: string, query: URLSearchParams, body: unknown, mount: string) => Answer> = {
    'kv-v2-write'(store, path, _q, body, mount) {
      if (!isObject(body) || !isObject(body.data)) return errors(400, 'no data provided');
      let secret = store.get(path);
      const current = secret?.currentVersion ?? 0;
      const options = isObject(body.options) ? body.options : {};
      if ('cas' in options) {
        const cas = typeof options.cas === 'string' && /^\d+$/.test(options.cas) ? Number(options.cas) : options.cas;
        if (typeof cas !== 'number' || !Number.isInteger(cas)) return errors(400, 'error parsing check-and-set parameter');
        if (cas !== current) return errors(400, 'check-and-set parameter did not match the current version');
      } else if (secret?.casRequired) {
        return errors(400, 'check-and-set parameter required for this call');
      }
      const created = now();
      if (!secret) {
        secret = { created, updated: created, currentVersion: 0, oldestVersion: 0, maxVersions: 0, casRequired: false, custom: null, versions: new Map() };
        store.set(path, secret);
      }
      const version: Version = { created, deletion: '', destroyed: false, data: structuredClone(body.data) };
      secret.currentVersion += 1;
      secret.updated = created;
      secret.versions.set(secret.currentVersion, version);
      // Keep max_versions (the secret's, else the engine's default of 10): the oldest go for good.
      const keep = secret.maxVersions || DEFAULT_MAX_VERSIONS;
      const numbers = [...secret.versions.keys()].sort((a, b) => a - b);
      for (const n of numbers.slice(0, Math.max(0, numbers.length - keep))) secret.versions.delete(n);
      if (numbers.length > keep) secret.oldestVersion = Math.min(...secret.versions.keys());
      return { status: 200, body: envelope({ ...versionMetadata(version), custom_metadata: secret.custom, version: secret.currentVersion }, mount) };
    },

    'kv-v2-read'(store, path, query, _b, mount) {
      const secret = store.get(path);
      if (!secret) return errors(404);
      const n = Number(query.get('version') ?? 0) || secret.currentVersion;
      const v = secret.versions.get(n);
      if (!v) return errors(404);
      const metadata = { ...versionMetadata(v), custom_metadata: secret.custom, version: n };
      if (!live(v)) return { status: 404, body: envelope({ data: null, metadata }, mount) };
      return { status: 200, body: envelope({ data: structuredClone(v.data), metadata }, mount) };
    },

    'kv-v2-read-metadata'(store, path, _q, _b, mount) {
      const s = store.get(path);
      if (!s) return errors(404);
      return {
        status: 200,
        body: envelope(
          {
            cas_required: s.casRequired,
            created_time: s.created,
            current_version: s.currentVersion,
            custom_metadata: s.custom,
            delete_version_after: '0s',
            max_versions: s.maxVersions,
            oldest_version: s.oldestVersion,
            updated_time: s.updated,
            versions: Object.fromEntries([...s.versions].map(([n, v]) => [String(n), versionMetadata(v)])),
          },
          mount,
        ),
      };
    },

    'kv-v2-write-metadata'(store, path, _q, body) {
      if (!isObject(body)) return errors(400, 'invalid request');
      if ('delete_version_after' in body && !['0s', 0, '0'].includes(body.delete_version_after as string)) {
        violations.push('kv-v2-write-metadata: delete_version_after is not implemented by the Vault fake');
        return errors(500, 'the Vault fake does not implement delete_version_after');
      }
      let custom: Record<string, string> | undefined;
      if ('custom_metadata' in body) {
        if (!isObject(body.custom_metadata)) return errors(400, 'custom_metadata validation failed: not a map');
        custom = {};
        const problems: string[] = [];
        const entries = Object.entries(body.custom_metadata);
        if (entries.length > CUSTOM_METADATA.keys) {
          problems.push(`custom_metadata validation failed: payload must contain at most ${CUSTOM_METADATA.keys} keys, provided ${entries.length}`);
        }
        for (const [k, v] of entries) {
          if (typeof v !== 'string') problems.push(`custom_metadata validation failed: value for key "${k}" is not a string`);
          else if (Buffer.byteLength(v) === 0 || Buffer.byteLength(v) > CUSTOM_METADATA.valueBytes) problems.push(`custom_metadata validation failed: length of value for key "${k}" must be 0 < len(value) <= ${CUSTOM_METADATA.valueBytes}`);
          if (Buffer.byteLength(k) === 0 || Buffer.byteLength(k) > CUSTOM_METADATA.keyBytes) problems.push(`custom_metadata validation failed: length of key must be 0 < len(key) <= ${CUSTOM_METADATA.keyBytes}`);
          custom[k] = String(v);
        }
        if (problems.length) return errors(400, problems.join('\n'));
      }
      let secret = store.get(path);
      if (!secret) {
        const t = now();
        secret = { created: t, updated: t, currentVersion: 0, oldestVersion: 0, maxVersions: 0, casRequired: false, custom: null, versions: new Map() };
        store.set(path, secret);
      }
      if (typeof body.max_versions === 'number') secret.maxVersions = body.max_versions;
      if (typeof body.cas_required === 'boolean') secret.casRequired = body.cas_required;
      if (custom) secret.custom = custom;
      return noContent;
    },

    'kv-v2-delete-metadata-and-all-versions'(store, path) {
      store.delete(path);
      return noContent;
    },

    'kv-v2-list'(store, path, _q, _b, mount) {
      const folder = `${path.replace(/\/$/, '')}/`;
      const keys = new Set<string>();
      for (const key of store.keys()) {
        if (!key.startsWith(folder)) continue;
        const rest = key.slice(folder.length);
        const slash = rest.indexOf('/');
        keys.add(slash === -1 ? rest : rest.slice(0, slash + 1));
      }
      if (keys.size === 0) return errors(404);
      return { status: 200, body: envelope({ keys: [...keys].sort() }, mount) };
    },

    'kv-v2-delete'(store, path) {
      const s = store.get(path);
      const v = s?.versions.get(s.currentVersion);
      if (v && live(v)) v.deletion = now();
      return noContent;
    },

    'kv-v2-delete-versions'(store, path, _q, body) {
      const versions = versionsOf(body);
      if (!Array.isArray(versions)) return versions;
      const s = store.get(path);
      for (const n of versions) {
        const v = s?.versions.get(n);
        if (v && live(v)) v.deletion = now();
      }
      return noContent;
    },

    'kv-v2-undelete-versions'(store, path, _q, body) {
      const versions = versionsOf(body);
      if (!Array.isArray(versions)) return versions;
      const s = store.get(path);
      for (const n of versions) {
        const v = s?.versions.get(n);
        if (v && !v.destroyed) v.deletion = '';
      }
      return noContent;
    },

    'kv-v2-destroy-versions'(store, path, _q, body) {
      const versions = versionsOf(body);
      if (!Array.isArray(versions)) return versions;
      const s = store.get(path);
      for (const n of versions) {
        const v = s?.versions.get(n);
        if (v) Object.assign(v, { destroyed: true, data: null });
      }
      return noContent;
    },
  };

  function send(res: ServerResponse, answer: Answer, matched: MatchedOperation | null, record: { status: number }) {
    record.status = answer.status;
    if (matched) {
      for (const p of api.checkResponse(matched, answer.status, answer.body)) violations.push(`${matched.operationId} (${matched.method} ${matched.template}): ${p}`);
    } else if (answer.status >= 400) {
      const ok = isObject(answer.body) && Array.isArray(answer.body.errors) && Object.keys(answer.body).length === 1;
      if (!ok) violations.push(`response ${answer.status} outside any operation is not Vault's error body: ${JSON.stringify(answer.body)}`);
    }
    const text = answer.body === undefined ? '' : JSON.stringify(answer.body);
    const headers: Record<string, string | number> = { 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text), ...answer.headers };
    if (text) headers['content-type'] = 'application/json';
    res.writeHead(answer.status, headers);
    res.end(text);
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://vault.invalid');
    const record = { method, path: url.pathname + url.search, status: 0 };
    requests.push(record);
    const raw = await readBody(req);
    if (opts.latencyMs) await new Promise((resolve) => setTimeout(resolve, opts.latencyMs));
    if (raw.length > VAULT_MAX_REQUEST_BYTES) return send(res, errors(413, 'http: request body too large'), null, record);

    const rest = url.pathname.startsWith('/v1/') ? url.pathname.slice('/v1/'.length) : null;
    const fault = faults.find((f) => f.left > 0 && (!f.method || f.method === method) && (!f.path || f.path.test(rest ?? url.pathname)));
    if (fault && !fault.landed) {
      fault.left -= 1;
      faultsServed += 1;
      if (fault.status === 0) {
        record.status = 0;
        req.socket.destroy();
        return;
      }
      const message = { 403: 'permission denied', 429: `request path "${rest}": rate limit quota exceeded`, 503: 'Vault is sealed' }[fault.status] ?? 'internal error';
      return send(res, { ...errors(fault.status, message), headers: fault.headers }, null, record);
    }

    if (rest === null) {
      violations.push(`request outside /v1/: ${method} ${url.pathname}`);
      return send(res, errors(404), null, record);
    }
    const token = req.headers[AUTH_HEADER.toLowerCase()];
    if (typeof token !== 'string' || !tokens.has(token)) return send(res, errors(403, 'permission denied'), null, record);
    if (opts.namespace !== undefined && req.headers[NAMESPACE_HEADER.toLowerCase()] !== opts.namespace) return send(res, errors(403, 'permission denied'), null, record);

    const matched = api.match(method, rest, [...mounts.keys()]);
    if (!matched) {
      violations.push(`request to an undocumented endpoint: ${method} /v1/${rest}`);
      return send(res, errors(404, 'unsupported path'), null, record);
    }
    const where = `${matched.operationId} (${matched.method} ${matched.template})`;
    let body: unknown;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        violations.push(`${where}: request body is not JSON`);
        return send(res, errors(400, 'failed to parse JSON input'), matched, record);
      }
    }
    const problems = api.checkRequest(matched, url.searchParams, body);
    if (problems.length) {
      for (const p of problems) violations.push(`${where}: ${p}`);
      return send(res, errors(400, ...problems), matched, record);
    }
    const store = mounts.get(matched.mount);
    if (!store) return send(res, errors(404, `no handler for route "${rest}". route entry not found.`), matched, record);
    const handler = handlers[matched.operationId];
    if (!handler) {
      violations.push(`${where}: not implemented by the Vault fake`);
      return send(res, errors(500, `the Vault fake does not implement ${matched.operationId}`), matched, record);
    }
    const answer = handler(store, matched.path, url.searchParams, body, matched.mount);
    if (fault?.landed) {
      fault.left -= 1;
      faultsServed += 1;
      record.status = 0;
      req.socket.destroy();
      return;
    }
    send(res, answer, matched, record);
  }

  const server = createServer((req, res) => {
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    res.on('close', () => inFlight--);
    handle(req, res).catch((e: unknown) => {
      violations.push(`the Vault fake failed: ${e instanceof Error ? e.stack : String(e)}`);
      if (!res.headersSent) send(res, errors(500, 'internal error'), null, { status: 0 });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    token: [...tokens][0]!,
    fail(fault) {
      faults.push({ ...fault, left: fault.times ?? 1 });
    },
    clearFaults() {
      faults.length = 0;
    },
    get faultsServed() {
      return faultsServed;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    requests,
    violations,
    secret: (path, mount = [...mounts.keys()][0]!) => mounts.get(mount)?.get(path),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
