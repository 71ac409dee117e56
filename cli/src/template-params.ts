/**
 * A Scaffolder template's parameters as the CLI sees them: what it asks (`idp templates`), and the values of
 * `idp create` — read from --values and --set, coerced to the schema's types, defaults applied, the working
 * directory's component filled in, then checked with `jsonschema`, the validator the Scaffolder itself runs on
 * POST /v2/tasks (validateParameterSteps), one parameter step at a time: the CLI's verdict is the server's.
 */
import { UsageError } from './exit-codes.js';

export type JsonSchema = {
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  default?: unknown;
  enum?: unknown[];
  items?: JsonSchema;
  when?: unknown;
  'ui:field'?: string;
  'ui:options'?: Record<string, unknown>;
  [k: string]: unknown;
};

/** One parameter step of a template: the schema of one page of the Create form. */
export interface ParameterStep {
  title: string;
  schema: JsonSchema;
}

export interface TemplateParameter {
  name: string;
  title?: string;
  description?: string;
  type?: string;
  required: boolean;
  /** The title of the form page that asks it. */
  step: string;
  default?: unknown;
  enum?: unknown[];
  /** ui:field, e.g. EntityPicker. */
  field?: string;
}

/** spec.parameters (one object or a list) as steps, as the Scaffolder's parameter-schema endpoint returns them. */
export function stepsOf(parameters: unknown): ParameterStep[] {
  const list = (Array.isArray(parameters) ? parameters : parameters ? [parameters] : []) as JsonSchema[];
  return list.map((schema) => ({ title: schema.title ?? 'Please enter the following information', schema }));
}

const typeOf = (s: JsonSchema) => (Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type);

export function parametersOf(steps: ParameterStep[]): TemplateParameter[] {
  const out: TemplateParameter[] = [];
  for (const { title, schema } of steps) {
    const required = new Set(schema.required ?? []);
    for (const [name, p] of Object.entries(schema.properties ?? {})) {
      if (out.some((o) => o.name === name)) continue;
      out.push({
        name,
        ...(p.title ? { title: p.title } : {}),
        ...(p.description ? { description: p.description } : {}),
        ...(typeOf(p) ? { type: typeOf(p) } : {}),
        required: required.has(name),
        step: title,
        ...(p.default !== undefined ? { default: p.default } : {}),
        ...(p.enum ? { enum: p.enum } : {}),
        ...(p['ui:field'] ? { field: p['ui:field'] } : {}),
      });
    }
  }
  return out;
}

function propertySchema(steps: ParameterStep[], name: string): JsonSchema | undefined {
  for (const { schema } of steps) if (schema.properties?.[name]) return schema.properties[name];
  return undefined;
}

/**
 * The parameter that names a catalog Component, filled from the working directory when not given: one called
 * `component`, or an EntityPicker whose catalogFilter / allowedKinds is (or includes) Component.
 */
export function componentParameter(steps: ParameterStep[]): string | undefined {
  const params = parametersOf(steps);
  const kinds = (p: JsonSchema) => {
    const o = p['ui:options'] ?? {};
    const filter = o.catalogFilter as { kind?: unknown } | { kind?: unknown }[] | undefined;
    const list = [o.allowedKinds, ...[filter ?? []].flat().map((f) => f.kind)].flat().filter((k): k is string => typeof k === 'string');
    return list.map((k) => k.toLowerCase());
  };
  const pickers = params.filter((p) => /EntityPicker$/.test(p.field ?? '') && kinds(propertySchema(steps, p.name)!).includes('component'));
  return params.find((p) => p.name === 'component')?.name ?? pickers[0]?.name;
}

/** A `--set k=v` string as the schema's type: numbers, booleans, arrays (JSON, or comma-separated), objects (JSON). */
export function coerce(name: string, raw: string, schema: JsonSchema | undefined): unknown {
  const type = schema ? typeOf(schema) : undefined;
  const bad = (what: string) => new UsageError(`--set ${name}=${raw}: ${schema?.title ? `${schema.title} ` : ''}must be ${what}.`);
  switch (type) {
    case 'integer':
    case 'number': {
      const n = raw.trim() === '' ? NaN : Number(raw);
      if (!Number.isFinite(n) || (type === 'integer' && !Number.isInteger(n))) throw bad(type === 'integer' ? 'a whole number' : 'a number');
      return n;
    }
    case 'boolean':
      if (/^(true|yes|1)$/i.test(raw)) return true;
      if (/^(false|no|0)$/i.test(raw)) return false;
      throw bad('true or false');
    case 'array': {
      if (raw.trim().startsWith('[')) {
        try {
          return JSON.parse(raw) as unknown;
        } catch {
          throw bad('a JSON array or a comma-separated list');
        }
      }
      const itemType = schema?.items ? typeOf(schema.items) : undefined;
      return raw === '' ? [] : raw.split(',').map((v) => (itemType && itemType !== 'string' ? coerce(name, v.trim(), schema!.items) : v.trim()));
    }
    case 'object':
      try {
        const v = JSON.parse(raw) as unknown;
        if (v && typeof v === 'object' && !Array.isArray(v)) return v;
      } catch {
        // falls through to the error
      }
      throw bad('a JSON object');
    default:
      return raw;
  }
}

/** `--set` values (k=v, repeated) over --values, typed by the schema. */
export function collectValues(steps: ParameterStep[], fromFile: Record<string, unknown>, sets: string[]): Record<string, unknown> {
  const values: Record<string, unknown> = { ...fromFile };
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set ${s}: expected name=value, e.g. --set name=preview-7.`);
    const name = s.slice(0, eq);
    values[name] = coerce(name, s.slice(eq + 1), propertySchema(steps, name));
  }
  return values;
}

/** Defaults of the parameters not given (the Create form fills them in; the Scaffolder's validator does not). */
export function withDefaults(steps: ParameterStep[], values: Record<string, unknown>): Record<string, unknown> {
  const out = { ...values };
  for (const p of parametersOf(steps)) if (out[p.name] === undefined && p.default !== undefined) out[p.name] = p.default;
  return out;
}

/** Steps the Scaffolder validates: those without a `when`, or whose `when` is true (a string `when` is its to decide). */
const checkedSteps = (steps: ParameterStep[]) => steps.filter((s) => s.schema.when === undefined || s.schema.when === true);

export function missingRequired(steps: ParameterStep[], values: Record<string, unknown>): TemplateParameter[] {
  const params = parametersOf(steps);
  const names = new Set(checkedSteps(steps).flatMap((s) => s.schema.required ?? []));
  return params.filter((p) => names.has(p.name) && (values[p.name] === undefined || values[p.name] === ''));
}

/** What the Scaffolder would reject, as "name (Title): message" lines; [] when the values pass. */
export async function problems(steps: ParameterStep[], values: Record<string, unknown>): Promise<string[]> {
  const { validate } = await import('jsonschema');
  const out: string[] = [];
  for (const { schema } of checkedSteps(steps)) {
    for (const e of validate(values, schema).errors) {
      const name = e.path.length ? e.path.join('.') : typeof e.argument === 'string' && e.name === 'required' ? e.argument : '';
      const title = propertySchema(steps, String(e.path[0] ?? name))?.title;
      const message = e.name === 'required' ? 'is required' : e.message;
      out.push(`${name || '(values)'}${title ? ` (${title})` : ''}: ${message}`);
    }
  }
  return [...new Set(out)];
}
