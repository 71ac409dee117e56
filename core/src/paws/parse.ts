/**
 * Parsing paws.yaml: YAML syntax, the schema and the environment rules, with
 * every problem reported at once and at its line and column, so one round of
 * fixes is enough. The yaml Document is kept: edits (edit.ts) use its node
 * positions to change the file without disturbing anything else.
 */
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { InvalidPawsError } from '../errors.js';
import { nodeOffset } from './nodes.js';
import { environmentIssues, type RuleIssue } from './rules.js';
import { EnvironmentSpecSchema, PAWS_API_VERSION, PawsSpecSchema, type PawsSpec } from './schema.js';

export interface PawsFile {
  /** Path used in messages, e.g. "paws.yaml" or "services/checkout/paws.yaml". */
  file: string;
  text: string;
  doc: Document;
  spec: PawsSpec;
}

/** Parse and validate paws.yaml; throws one InvalidPawsError listing every problem. */
export function parsePaws(text: string, file = 'paws.yaml'): PawsFile {
  const lineCounter = new LineCounter();
  // prettyErrors off: yaml would append the offending source line to messages, and that
  // line may hold a secret someone pasted by mistake. Positions are added below instead.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };

  if (doc.errors.length > 0) {
    // Schema errors on a half-parsed document would be noise: report the syntax first.
    const issues = doc.errors.map((e) => ({ message: yamlMessage(e.code, e.message, text.slice(e.pos[0])), ...position(e.pos[0]) }));
    throw new InvalidPawsError(file, issues);
  }
  if (doc.contents === null) {
    throw new InvalidPawsError(file, [
      { message: `the file is empty; it needs at least apiVersion: ${PAWS_API_VERSION}, kind: Workload, metadata.name and containers`, line: 1, column: 1 },
    ]);
  }

  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (e) {
    throw new InvalidPawsError(file, [{ message: `cannot read the YAML: ${(e as Error).message}`, line: 1, column: 1 }]);
  }

  const result = validatePawsSpec(raw);
  if (!result.spec) {
    const issues = result.issues
      .map(({ atKey, ...issue }) => ({ ...issue, ...position(nodeOffset(doc, issue.path ?? [], atKey ?? false)) }))
      .sort((a, b) => a.line - b.line || a.column - b.column);
    throw new InvalidPawsError(file, issues);
  }
  return { file, text, doc, spec: result.spec };
}

/**
 * Validate a plain paws object against the schema and the environment rules.
 * Returns the typed spec when valid, otherwise every issue (with paths, no positions).
 */
export function validatePawsSpec(value: unknown): { spec: PawsSpec; issues: [] } | { spec?: undefined; issues: RuleIssue[] } {
  const parsed = PawsSpecSchema.safeParse(value);
  if (parsed.success) {
    const issues = environmentIssues(parsed.data);
    return issues.length === 0 ? { spec: parsed.data, issues: [] } : { issues };
  }
  const issues = parsed.error.issues.flatMap((i) => zodIssue(i, value));
  // Check the environment rules too, so one run lists every problem. An environment with
  // schema errors of its own takes part by name only (its errors are already listed),
  // so others may still refer to it with from:.
  const environments = (value as { environments?: unknown } | null)?.environments;
  if (environments !== null && typeof environments === 'object' && !Array.isArray(environments)) {
    const usable = Object.fromEntries(
      Object.entries(environments).map(([name, env]) => {
        const checked = EnvironmentSpecSchema.safeParse(env);
        return [name, checked.success ? checked.data : {}];
      }),
    );
    issues.push(...environmentIssues({ environments: usable }));
  }
  return { issues };
}

function zodIssue(issue: z.core.$ZodIssue, value: unknown): RuleIssue[] {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ message: `${where(path)}unknown key "${key}"`, path: [...path, key], atKey: true }));
  }
  if (path.length > 0 && valueAt(value, path) === undefined) {
    const key = path[path.length - 1];
    return [{ message: `${where(path.slice(0, -1))}missing required key "${String(key)}"`, path }];
  }
  return [{ message: `${where(path)}${issue.message}`, path }];
}

function where(path: (string | number)[]): string {
  return path.length === 0 ? '' : `${path.join('.')}: `;
}

function valueAt(value: unknown, path: (string | number)[]): unknown {
  let cur = value;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

/** yaml's messages, made specific where it helps the person fixing the file. */
function yamlMessage(code: string, message: string, rest: string): string {
  if (code === 'DUPLICATE_KEY') {
    // yaml points at the repeated key; name it (plain or quoted, up to its colon).
    const key = /^("[^"\n]*"|'[^'\n]*'|[^:\n]*?)\s*:/.exec(rest)?.[1]?.replace(/^["']|["']$/g, '');
    return `duplicate key${key ? ` "${key}"` : ''}: a key may appear only once in a mapping`;
  }
  if (code === 'MULTIPLE_DOCS') return 'paws.yaml holds a single YAML document; remove the "---" line and what follows it';
  return message;
}
