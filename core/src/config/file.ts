/**
 * The standalone server's config files (IDP_SECRETS_CONFIG, IDP_LOGS_CONFIG, IDP_METRICS_CONFIG): YAML of the shape
 * of the matching app-config key (`idp.secrets`, `idp.logs`, `idp.metrics`), either at the top level or under that
 * key. Every problem is listed at once, each at its file:line:column and field, as paws.yaml's are. Messages never
 * quote a value from the file (a credential written inline by mistake is refused by name only).
 */
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { InvalidRequestError } from '../errors.js';
import { nodeOffset } from '../paws/nodes.js';

export function parseConfigFile<S extends z.ZodType>(text: string, file: string, opts: { key: string; schema: S; what: string; holds: string }): z.output<S> {
  const lineCounter = new LineCounter();
  // prettyErrors off: yaml would quote the offending line, which could hold a credential written inline by mistake.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  if (doc.errors.length > 0) {
    const list = doc.errors.map((e) => `  ${at(e.pos[0])}: ${e.code === 'DUPLICATE_KEY' ? 'a key appears twice in one mapping' : e.message.split('\n')[0]}`);
    throw new InvalidRequestError(`${file} is not valid YAML:\n${list.join('\n')}`);
  }
  const raw: unknown = doc.toJS();
  const nested = raw !== null && typeof raw === 'object' && !Array.isArray(raw) && opts.key in raw;
  const body = nested ? (raw as Record<string, unknown>)[opts.key] : raw;
  const prefix = nested ? [opts.key] : [];
  const parsed = opts.schema.safeParse(body ?? {});
  if (!parsed.success) {
    const list = parsed.error.issues.map((i) => {
      const path = i.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
      const keys = i.code === 'unrecognized_keys' ? i.keys : [undefined];
      return keys.map((k) => {
        const full = [...prefix, ...path, ...(k !== undefined ? [k] : [])];
        const missing = k === undefined && path.length > 0 && valueAt(body, path) === undefined;
        const what = k !== undefined ? `unknown key "${k}"` : missing ? `missing required key "${String(path[path.length - 1])}"` : i.message;
        if (missing) full.pop();
        return `  ${at(nodeOffset(doc, full, k !== undefined))}: ${full.length ? `${full.join('.')}: ` : ''}${what}`;
      });
    });
    throw new InvalidRequestError(`${file} is not a valid ${opts.what}:\n${list.flat().join('\n')}\n${opts.holds}`);
  }
  return parsed.data;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let cur = value;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}
