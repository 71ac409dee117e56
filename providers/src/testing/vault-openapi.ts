/**
 * Vault's published API description, KV v2 part, as the validator of the Vault fake: every request the fake receives
 * and every response it sends is checked against the operation the document gives for that method and path.
 *
 * The document is the openapi.json of the Go module github.com/hashicorp/vault-client-go@v0.4.3 (OpenAPI 3.0.2,
 * info.version 1.15.0), which HashiCorp generates from Vault's own route definitions; the repository keeps its KV v2
 * subset verbatim (providers/src/secrets/vault-kv2.openapi.json; scripts/vault-openapi-subset.mjs regenerates it
 * and vault-openapi.test.ts checks it is unchanged).
 *
 * What every Vault answer has and the document leaves out — the response envelope, the error body, the token
 * header — is written down once, here (ENVELOPE, ERROR_BODY, AUTH_HEADER), with the pages of Vault's documentation
 * that define it. The document describes only the envelope's `data`; that part is checked against it.
 *
 * Schemas are closed when checked (an object that declares properties takes no others): a field Vault does not
 * document fails the check instead of being ignored. Each place where Vault's real behaviour is wider than the
 * document is a named tolerance (TOLERANCES), applied only there.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import * as addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS with a default export.
const addFormats = (addFormatsModule as unknown as { default: (ajv: Ajv) => Ajv }).default;

type Schema = Record<string, unknown>;

/** Vault's documentation of what the document leaves out. */
export const VAULT_DOCS = {
  operations: 'https://developer.hashicorp.com/vault/api-docs#api-operations',
  responses: 'https://developer.hashicorp.com/vault/api-docs#responses',
  errors: 'https://developer.hashicorp.com/vault/api-docs#error-response',
  statusCodes: 'https://developer.hashicorp.com/vault/api-docs#http-status-codes',
  authentication: 'https://developer.hashicorp.com/vault/api-docs#authentication',
  kvV2: 'https://developer.hashicorp.com/vault/api-docs/secret/kv/kv-v2',
} as const;

/**
 * Every 200 answer: `{ request_id, lease_id, renewable, lease_duration, data, wrap_info, warnings, auth, mount_type }`,
 * where `data` is what the document's response schema describes (VAULT_DOCS.responses and the sample responses on
 * VAULT_DOCS.kvV2; the Go client's response.go `Response[T]` reads the same fields). A 204 has no body.
 */
export const ENVELOPE: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['request_id', 'lease_id', 'renewable', 'lease_duration', 'data', 'wrap_info', 'warnings', 'auth', 'mount_type'],
  properties: {
    request_id: { type: 'string', format: 'uuid' },
    lease_id: { type: 'string' },
    renewable: { type: 'boolean' },
    lease_duration: { type: 'integer', minimum: 0 },
    data: {}, // checked against the operation's schema
    wrap_info: { type: ['object', 'null'] },
    warnings: { anyOf: [{ type: 'null' }, { type: 'array', items: { type: 'string' } }] },
    auth: { type: ['object', 'null'] },
    mount_type: { type: 'string' },
  },
};

/**
 * Every error answer (4xx/5xx): `{ "errors": [ "..." ] }` — empty for a plain 404 (VAULT_DOCS.errors,
 * VAULT_DOCS.statusCodes: 400 invalid request, 403 permission denied, 404 invalid path, 405, 412, 429 rate limit
 * quota, 473, 500, 502, 503 sealed or down). The Go client's errors.go ResponseError parses the same field.
 */
export const ERROR_BODY: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['errors'],
  properties: { errors: { type: 'array', items: { type: 'string' } } },
};

/** How a request authenticates (VAULT_DOCS.authentication); the document declares no security scheme. */
export const AUTH_HEADER = 'X-Vault-Token';
/** The Enterprise namespace a request is for (https://developer.hashicorp.com/vault/docs/enterprise/namespaces#usage). */
export const NAMESPACE_HEADER = 'X-Vault-Namespace';

/** Where Vault's behaviour is wider than the document, each applied only where named. */
export const TOLERANCES = {
  VERSION_QUERY:
    'GET /{mount}/data/{path} takes ?version=<int> (VAULT_DOCS.kvV2 "Read Secret Version"); the document declares no query parameter there',
  NULL_CUSTOM_METADATA:
    'in responses, `custom_metadata` may be null: Vault sends a secret\'s unset (Go nil) map as null (VAULT_DOCS.kvV2 "Read Secret Subkeys" sample response)',
  DELETED_VERSION_404:
    'GET /{mount}/data/{path} of a deleted or destroyed version answers 404 with the envelope and data `{ data: null, metadata }` instead of the error body (vault-plugin-secrets-kv path_data.go pathDataRead)',
} as const;

export interface MatchedOperation {
  operationId: string;
  method: string;
  /** The document's path template, e.g. `/{kv_v2_mount_path}/data/{path}`. */
  template: string;
  mount: string;
  /** The secret's path inside the mount (decoded); empty for /config. */
  path: string;
}

interface Operation {
  operationId: string;
  parameters?: { name: string; in: string; required?: boolean; schema?: Schema }[];
  requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
}
interface Spec {
  'x-source': Record<string, string>;
  info: { version: string };
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, Schema> };
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

let shared: VaultOpenApi | undefined;

export class VaultOpenApi {
  readonly source: Spec['x-source'];
  readonly vaultVersion: string;
  private readonly spec: Spec;
  private readonly ajv: Ajv;
  /** [template, method, operation], longer templates first (`metadata/{path}/` before `metadata/{path}`). */
  private readonly operations: [string, string, Operation][] = [];
  private readonly compiled = new Map<string, ValidateFunction>();

  static get(): VaultOpenApi {
    shared ??= new VaultOpenApi();
    return shared;
  }

  private constructor() {
    // Compiled to dist/testing; the subset stays beside the adapter's source.
    this.spec = JSON.parse(readFileSync(new URL('../../src/secrets/vault-kv2.openapi.json', import.meta.url), 'utf8')) as Spec;
    this.source = this.spec['x-source'];
    this.vaultVersion = this.spec.info.version;
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    this.ajv.addFormat('map', true); // an object of any keys (Vault's framework.TypeMap)
    this.ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
    // A Go duration ("0s", "3h25m19s", "1.5h"), as Vault prints and parses them.
    this.ajv.addFormat('duration', /^(0|-?(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+)$/);
    for (const mode of ['req', 'res'] as const) {
      this.ajv.addSchema({ $id: `vault-${mode}`, definitions: Object.fromEntries(Object.entries(this.spec.components.schemas).map(([k, s]) => [k, close(s, mode)])) });
    }
    for (const [template, item] of Object.entries(this.spec.paths)) {
      for (const m of METHODS) if (item[m]) this.operations.push([template, m.toUpperCase(), item[m] as Operation]);
    }
    this.operations.sort((a, b) => b[0].length - a[0].length);
  }

  /**
   * The documented operation for `method` and a path after `/v1/` (still URL-encoded), or null. `mounts` are the
   * mount paths the server has (a mount path may contain "/", so the document's template alone is ambiguous);
   * a path on no known mount is matched with its first segment as the mount.
   */
  match(method: string, rawPath: string, mounts: readonly string[]): MatchedOperation | null {
    let decoded: string;
    try {
      decoded = decodeURIComponent(rawPath);
    } catch {
      return null;
    }
    const mount = [...mounts].sort((a, b) => b.length - a.length).find((m) => decoded.startsWith(`${m}/`)) ?? decoded.split('/')[0]!;
    const rest = decoded.slice(mount.length); // starts with "/"
    for (const [template, m, op] of this.operations) {
      if (m !== method.toUpperCase()) continue;
      const tail = template.slice('/{kv_v2_mount_path}'.length);
      const pattern = new RegExp('^' + tail.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace('{path}', '(.+)') + '$');
      const hit = pattern.exec(rest);
      if (hit) return { operationId: op.operationId, method: m, template, mount, path: hit[1] ?? '' };
    }
    return null;
  }

  /** Problems with a request (empty when the document allows exactly this), each naming the parameter or field. */
  checkRequest(matched: MatchedOperation, query: URLSearchParams, body: unknown): string[] {
    const op = this.operation(matched);
    const problems: string[] = [];
    if (!matched.mount) problems.push('path parameter kv_v2_mount_path is missing');
    if (matched.template.includes('{path}') && !matched.path) problems.push('path parameter path is missing');
    const declared = new Map((op.parameters ?? []).filter((p) => p.in === 'query').map((p) => [p.name, p]));
    if (matched.operationId === 'kv-v2-read') declared.set('version', { name: 'version', in: 'query', schema: { type: 'integer', minimum: 0 } }); // VERSION_QUERY
    const seen = new Set<string>();
    for (const [key, value] of query) {
      const p = declared.get(key);
      if (!p) {
        problems.push(`query parameter ${key} is not declared`);
        continue;
      }
      if (seen.has(key)) problems.push(`query parameter ${key} is given more than once`);
      seen.add(key);
      const schema = p.schema ?? {};
      const typed = schema.type === 'integer' && /^-?\d+$/.test(value) ? Number(value) : value;
      problems.push(...this.validate(`q:${matched.operationId}:${key}`, schema, typed, `query parameter ${key}`));
    }
    for (const p of declared.values()) if (p.required && !seen.has(p.name)) problems.push(`query parameter ${p.name} is required`);

    const content = op.requestBody?.content['application/json'];
    if (!content) {
      if (body !== undefined) problems.push(`${matched.method} ${matched.template} takes no body`);
      return problems;
    }
    if (body === undefined) {
      if (op.requestBody?.required) problems.push('request body is required');
      return problems;
    }
    problems.push(...this.validate(`req:${matched.operationId}`, close(content.schema, 'req'), body, 'request body'));
    return problems;
  }

  /** Problems with a response the fake is about to send (empty when Vault documents exactly this). */
  checkResponse(matched: MatchedOperation, status: number, body: unknown): string[] {
    const op = this.operation(matched);
    if (status >= 400) {
      if (status === 404 && matched.operationId === 'kv-v2-read' && isObject(body) && 'data' in body) {
        // DELETED_VERSION_404
        const problems = this.validate('envelope', ENVELOPE, body, 'response 404');
        const data = body.data as Record<string, unknown>;
        if (!isObject(data) || data.data !== null || !isObject(data.metadata)) problems.push('response 404/data: not { data: null, metadata }');
        return problems;
      }
      return this.validate('error', ERROR_BODY, body, `response ${status}`);
    }
    const documented = op.responses[String(status)];
    if (!documented) return [`status ${status} is not documented for ${matched.operationId} (documented: ${Object.keys(op.responses).join(', ')})`];
    const schema = documented.content?.['application/json']?.schema;
    if (!schema) return body === undefined ? [] : [`response ${status}: a body where none is documented`];
    const problems = this.validate('envelope', ENVELOPE, body, `response ${status}`);
    if (isObject(body)) problems.push(...this.validate(`res:${matched.operationId}:${status}`, close(schema, 'res'), body.data, `response ${status}/data`));
    return problems;
  }

  private operation(m: MatchedOperation): Operation {
    const op = this.spec.paths[m.template]?.[m.method.toLowerCase()] as Operation | undefined;
    if (!op) throw new Error(`No operation ${m.method} ${m.template}`);
    return op;
  }

  private validate(key: string, schema: Schema, value: unknown, what: string): string[] {
    let fn = this.compiled.get(key);
    if (!fn) {
      fn = this.ajv.compile(schema);
      this.compiled.set(key, fn);
    }
    if (fn(value)) return [];
    return (fn.errors ?? []).slice(0, 10).map((e) => {
      const where = `${what}${e.instancePath}`;
      if (e.keyword === 'additionalProperties') return `${where}: field ${(e.params as { additionalProperty: string }).additionalProperty} is not documented`;
      if (e.keyword === 'required') return `${where}: field ${(e.params as { missingProperty: string }).missingProperty} is required`;
      return `${where}: ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`;
    });
  }
}

/**
 * A document schema as checked: `$ref`s point into the compiled definitions, an object that declares properties is
 * closed, and (responses) `custom_metadata` may be null (NULL_CUSTOM_METADATA).
 */
function close(node: Schema, mode: 'req' | 'res'): Schema {
  if (typeof node.$ref === 'string') return { $ref: `vault-${mode}#/definitions/${node.$ref.replace('#/components/schemas/', '')}` };
  const out: Schema = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'description' || k === 'default') continue;
    if (k === 'properties' && isObject(v)) {
      out.properties = Object.fromEntries(
        Object.entries(v as Record<string, Schema>).map(([name, p]) => {
          const s = close(p, mode);
          return [name, mode === 'res' && name === 'custom_metadata' ? { anyOf: [s, { type: 'null' }] } : s];
        }),
      );
    } else if (k === 'items' && isObject(v)) {
      out.items = close(v as Schema, mode);
    } else {
      out[k] = v;
    }
  }
  if (out.type === 'object' && out.properties) out.additionalProperties = false;
  return out;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
