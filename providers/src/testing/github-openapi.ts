/**
 * GitHub's published REST description (npm `@octokit/openapi`, api.github.com)
 * as a validator for the GitHub fake: every request the fake receives and every
 * response it sends is checked against the operation GitHub documents for that
 * method and path, so the fake cannot drift from the real API.
 *
 * Why ajv directly rather than an OpenAPI framework: we need exactly "find the
 * operation, validate params/body/response"; ajv (with OpenAPI 3.0's
 * `nullable`, which it supports) does that over the spec's own JSON Schemas.
 */
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import * as addFormatsModule from 'ajv-formats';

const require = createRequire(import.meta.url);
// ajv-formats is CommonJS with a default export.
const addFormats = (addFormatsModule as unknown as { default: (ajv: Ajv) => Ajv }).default;

type Schema = Record<string, unknown>;
interface Operation {
  method: string;
  template: string;
  pattern: RegExp;
  names: string[];
  op: {
    operationId: string;
    parameters?: { name: string; in: string; required?: boolean; schema?: Schema; $ref?: string }[];
    requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
    responses: Record<string, { content?: Record<string, { schema?: Schema }>; $ref?: string }>;
  };
}

export interface MatchedOperation {
  operationId: string;
  template: string;
  params: Record<string, string>;
}

let shared: GitHubOpenApi | undefined;

export class GitHubOpenApi {
  private readonly spec: { paths: Record<string, Record<string, Operation['op']>>; components: Record<string, Record<string, Schema>> };
  private readonly ajv: Ajv;
  private readonly operations: Operation[] = [];
  private readonly compiled = new Map<string, ValidateFunction>();

  /** The spec is 13 MB; load and index it once per process. */
  static get(): GitHubOpenApi {
    shared ??= new GitHubOpenApi();
    return shared;
  }

  private constructor() {
    this.spec = openApi30ToAjv(require('@octokit/openapi/generated/api.github.com.json')) as GitHubOpenApi['spec'];
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true, discriminator: false });
    addFormats(this.ajv);
    // GitHub's own format for "owner/name"; any string of that form.
    this.ajv.addFormat('repo.nwo', /^[^/]+\/[^/]+$/);
    this.ajv.addSchema({ $id: 'gh', components: this.spec.components });
    for (const [template, methods] of Object.entries(this.spec.paths)) {
      const names: string[] = [];
      const pattern = new RegExp(
        '^' +
          template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_, name: string) => {
            names.push(name);
            // A file's {path} (the contents API) spans folders: docs/a.md.
            return name === 'path' ? '(.+)' : '([^/]+)';
          }) +
          '$',
      );
      for (const [method, op] of Object.entries(methods)) {
        if (typeof op === 'object' && op && 'responses' in op) this.operations.push({ method: method.toUpperCase(), template, pattern, names, op });
      }
    }
    // Literal segments win over parameters (GitHub routes /pulls/comments before /pulls/{pull_number}).
    this.operations.sort((a, b) => a.names.length - b.names.length);
  }

  /** The documented operation for a request, or null when GitHub has no such endpoint. */
  match(method: string, path: string): MatchedOperation | null {
    for (const o of this.operations) {
      if (o.method !== method.toUpperCase()) continue;
      const m = o.pattern.exec(path);
      if (!m) continue;
      const params = Object.fromEntries(o.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]));
      return { operationId: o.op.operationId, template: o.template, params };
    }
    return null;
  }

  /** Problems with a request (empty when it is valid for the operation). */
  checkRequest(method: string, matched: MatchedOperation, query: URLSearchParams, body: unknown): string[] {
    const op = this.operation(method, matched.template);
    const problems: string[] = [];
    for (const raw of op.parameters ?? []) {
      const p = raw.$ref ? (this.resolve(raw.$ref) as typeof raw) : raw;
      if (p.in === 'path') {
        if (!(p.name in matched.params)) problems.push(`path parameter ${p.name} missing`);
      } else if (p.in === 'query' && query.has(p.name) && p.schema) {
        const value = coerce(query.get(p.name)!, p.schema);
        problems.push(...this.validate(`param:${matched.template}:${p.name}`, p.schema, value, `query ${p.name}`));
      } else if (p.in === 'query' && p.required && !query.has(p.name)) {
        problems.push(`query parameter ${p.name} is required`);
      }
    }
    for (const key of query.keys()) {
      const known = (op.parameters ?? []).some((raw) => (raw.$ref ? (this.resolve(raw.$ref) as { name: string }) : raw).name === key);
      if (!known) problems.push(`query parameter ${key} is not documented for ${method} ${matched.template}`);
    }
    const schema = op.requestBody?.content?.['application/json']?.schema;
    if (body === undefined) {
      if (op.requestBody?.required) problems.push('request body is required');
    } else if (schema) {
      problems.push(...this.validate(`req:${method}:${matched.template}`, schema, body, 'request body'));
    } else {
      problems.push(`${method} ${matched.template} takes no JSON body`);
    }
    return problems;
  }

  /** Problems with a response the fake is about to send (empty when GitHub documents exactly this). */
  checkResponse(method: string, matched: MatchedOperation, status: number, body: unknown): string[] {
    const op = this.operation(method, matched.template);
    let response = op.responses[String(status)];
    if (!response) return [`${method} ${matched.template} does not document status ${status} (documented: ${Object.keys(op.responses).join(', ')})`];
    if (response.$ref) response = this.resolve(response.$ref) as typeof response;
    const schema = response.content?.['application/json']?.schema ?? response.content?.['application/scim+json']?.schema;
    if (!schema) return body === undefined ? [] : [`${method} ${matched.template} ${status} has no documented body`];
    return this.validate(`res:${method}:${matched.template}:${status}`, schema, body, `response ${status}`);
  }

  private operation(method: string, template: string): Operation['op'] {
    const op = this.spec.paths[template]?.[method.toLowerCase()];
    if (!op) throw new Error(`No operation ${method} ${template}`);
    return op;
  }

  private resolve(ref: string): unknown {
    return ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key.replace(/~1/g, '/').replace(/~0/g, '~')], this.spec);
  }

  private validate(key: string, schema: Schema, value: unknown, what: string): string[] {
    let fn = this.compiled.get(key);
    if (!fn) {
      fn = this.ajv.compile(rebase(schema) as Schema);
      this.compiled.set(key, fn);
    }
    if (fn(value)) return [];
    return (fn.errors ?? []).slice(0, 10).map((e) => `${what}${e.instancePath}: ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
  }
}

/**
 * OpenAPI 3.0's `nullable: true` where ajv needs help: beside `allOf`/`anyOf`
 * without a `type` (ajv wants one), such a schema becomes "it, or null"; on an
 * enum, null joins the allowed values.
 */
function openApi30ToAjv(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(openApi30ToAjv);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = k === 'example' || k === 'examples' ? v : openApi30ToAjv(v);
  if (out.nullable === true && out.type === undefined) {
    const { nullable: _, ...rest } = out;
    return { anyOf: [rest, { type: 'null' }] };
  }
  // A nullable enum allows null (GitHub sends `conclusion: null` for a running check), which ajv's enum check does not know.
  if (out.nullable === true && Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  return out;
}

/** Point the operation's local `#/components/...` refs at the registered spec. */
function rebase(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rebase);
  if (node && typeof node === 'object') {
    return Object.fromEntries(
      Object.entries(node).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `gh${v}` : rebase(v)]),
    );
  }
  return node;
}

/** Query strings are text; check them as the type the parameter declares. */
function coerce(value: string, schema: Schema): unknown {
  if (schema.type === 'integer' || schema.type === 'number') return Number(value);
  if (schema.type === 'boolean') return value === 'true' ? true : value === 'false' ? false : value;
  return value;
}
