/**
 * Deployment files (a kustomization.yaml, a Helm values file) as the release sees
 * them: loaded with messages that name the file, and edited through the
 * byte-preserving splice primitives with the result checked, so text that does not
 * parse, or means something else than intended, is never handed back.
 */
import { Document, isMap, isScalar, isSeq, parse, parseDocument, Scalar, type Node, type YAMLMap } from 'yaml';
import { IdpError, InvalidRequestError } from '../errors.js';
import { keyText } from '../paws/nodes.js';

/** The file's top-level mapping, or null for a file with no content yet (empty, or only comments). */
export function loadMapping(text: string, file: string): { doc: Document; map: YAMLMap | null } {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new InvalidRequestError(`${file} is not valid YAML (${doc.errors[0]!.message}); fix it in the deployment repository and release again.`, {
      file,
    });
  }
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) return { doc, map: null };
  if (!isMap(doc.contents)) throw new InvalidRequestError(`${file} must be a YAML mapping (key: value lines), but its top level is not.`, { file });
  return { doc, map: doc.contents };
}

export function pairValue(map: YAMLMap | null, key: string): Node | null | undefined {
  const pair = map?.items.find((p) => keyText(p.key) === key);
  return pair ? (pair.value as Node | null) : undefined;
}

/**
 * A string field as it was written: `newTag: 1.10` is the tag "1.10", not the number 1.1.
 * Undefined when missing, null when written without a value; a list or mapping is an error.
 */
export function stringField(node: Node | null | undefined, where: string, file: string): string | null | undefined {
  if (node === undefined) return undefined;
  if (node === null || (isScalar(node) && node.value === null)) return null;
  if (!isScalar(node)) {
    const what = isSeq(node) ? 'a list' : isMap(node) ? 'a mapping' : 'an alias (write the value itself)';
    throw new InvalidRequestError(`${file}: ${where} must be a string, not ${what}; fix it and release again.`, { file });
  }
  return typeof node.value === 'string' ? node.value : (node.source ?? String(node.value));
}

/** Whether a value is a string to YAML itself (`1.10` plain is a number: it must be rewritten quoted, even if the text stays). */
export function isYamlString(node: Node | null | undefined): boolean {
  return isScalar(node) && typeof node.value === 'string';
}

/** Append block-style lines for `value` to a file with no content yet (keeping its comments). */
export function appendBlock(text: string, value: Record<string, unknown>): string {
  const doc = new Document();
  doc.contents = doc.createNode(value);
  const lines = doc.toString({ lineWidth: 0 });
  return text === '' || text.endsWith('\n') ? text + lines : `${text}\n${lines}`;
}

/** Whether a YAML 1.2 or 1.1 reader (kustomize, Helm) would take `s` for something other than a string. */
export function needsQuotes(s: string): boolean {
  try {
    return s === '' || typeof parse(s, { logLevel: 'silent' }) !== 'string' || typeof parse(s, { version: '1.1', logLevel: 'silent' }) !== 'string';
  } catch {
    return true;
  }
}

/** `s` as a node that stays a string in every reader: `"1.4"`, `"yes"`, but `1.4.3` plain. */
export function stringNode(s: string): Scalar {
  const node = new Scalar(s);
  if (needsQuotes(s)) node.type = 'QUOTE_DOUBLE';
  return node;
}

/**
 * Run `splice` on `text` and check the result: it must parse and mean exactly what
 * `mutate` does to the parsed data. `mutate` gets a copy of the file's data.
 */
export function checkedEdit(text: string, file: string, what: string, splice: (text: string) => string, mutate: (data: Record<string, unknown>) => void): string {
  const expected = (parseDocument(text, { prettyErrors: false }).toJS() ?? {}) as Record<string, unknown>;
  mutate(expected);
  let out: string;
  let after: unknown;
  try {
    out = splice(text);
    const doc = parseDocument(out, { prettyErrors: false, uniqueKeys: true });
    if (doc.errors.length > 0) throw doc.errors[0]!;
    after = doc.toJS();
  } catch (e) {
    throw editBug(what, file, e instanceof Error ? e.message : String(e));
  }
  if (canonical(after) !== canonical(expected)) throw editBug(what, file, 'the edited file does not mean what was intended');
  return out;
}

export function editBug(what: string, file: string, reason: string): IdpError {
  return new IdpError(
    'internal',
    500,
    `Could not ${what} without changing anything else in ${file} (${reason}). ` +
      'This is a bug if the file uses no YAML anchors, aliases or unusual layout; meanwhile, make the change by hand.',
  );
}

/** JSON with sorted keys: a new key may land anywhere in a mapping, the meaning is the same. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}
