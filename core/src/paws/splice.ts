/**
 * Byte-preserving YAML edits.
 *
 * yaml's `doc.toString()` keeps comments and key order, but it re-renders the
 * whole file: trailing comments lose their alignment, runs of blank lines shrink
 * to one, flow maps get re-spaced, long lines are re-folded. A PR that should add
 * four lines would then touch twenty. So these primitives use the yaml Document
 * only to find *where* things are (node ranges), render just the new piece with
 * yaml, and splice it into the original text. Every byte outside the edited
 * range is the original byte.
 *
 * Each primitive parses the text it is given and makes one change; callers
 * chain them and re-validate the result (edit.ts).
 */
import {
  Document,
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  visit,
  type Node,
  type Pair,
  type Scalar,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import { keyText } from './nodes.js';

/** Keys of mappings; a number selects an item of a sequence (`['images', 0]`). */
type Path = readonly (string | number)[];

/** A parsed text plus the layout conventions new lines must follow. */
class Source {
  readonly doc: Document;
  readonly eol: string;
  /** Spaces per nesting level, as used elsewhere in the file (2 when nothing tells). */
  readonly indent: number;
  /** Whether block sequences are indented under their key (`key:\n  - a`) or not (`key:\n- a`). */
  readonly indentSeq: boolean;

  constructor(readonly text: string) {
    this.doc = parseDocument(text, { prettyErrors: false });
    if (this.doc.errors.length > 0) throw new Error(`cannot edit YAML with syntax errors: ${this.doc.errors[0]!.message}`);
    this.eol = text.includes('\r\n') ? '\r\n' : '\n';
    let indent = 0;
    let indentSeq: boolean | undefined;
    visit(this.doc, {
      Pair: (_, pair) => {
        const key = pair.key as Node | null;
        const value = pair.value as Node | null;
        if (!key?.range || !value?.range || (!isMap(value) && !isSeq(value)) || value.flow) return;
        const first = value.items[0];
        const childStart = isMap(value) ? (first as Pair<Node> | undefined)?.key?.range?.[0] : value.range[0];
        if (childStart === undefined || this.lineStart(childStart) === this.lineStart(key.range[0])) return;
        const step = this.column(childStart) - this.column(key.range[0]);
        if (isMap(value) && indent === 0 && step > 0) indent = step;
        if (isSeq(value) && indentSeq === undefined) indentSeq = step > 0;
      },
    });
    this.indent = indent || 2;
    this.indentSeq = indentSeq ?? true;
  }

  lineStart(pos: number): number {
    return this.text.lastIndexOf('\n', pos - 1) + 1;
  }
  column(pos: number): number {
    return pos - this.lineStart(pos);
  }
  /** Offset just past the line on which content ending at `end` (exclusive) ends. */
  afterLine(end: number): number {
    if (end > 0 && this.text[end - 1] === '\n') return end;
    const nl = this.text.indexOf('\n', end);
    return nl === -1 ? this.text.length : nl + 1;
  }
  /** The line starting at `start`, without its line break. */
  lineAt(start: number): string {
    const nl = this.text.indexOf('\n', start);
    return this.text.slice(start, nl === -1 ? this.text.length : nl).replace(/\r$/, '');
  }
  previousLineStart(start: number): number | null {
    return start === 0 ? null : this.lineStart(start - 1);
  }

  /**
   * The whole lines a block-mapping pair occupies: from its key's line to the end of its
   * value, plus comment lines indented deeper than the key right after it (they belong
   * to it). With `withComments`, also the comment lines directly above the key at the
   * key's indentation: an environment's description goes away with the environment.
   */
  blockExtent(pair: Pair, withComments: boolean): { start: number; end: number } {
    const key = pair.key as Node;
    const keyColumn = this.column(key.range![0]);
    const value = pair.value as Node | null;
    let start = this.lineStart(key.range![0]);
    let end = this.afterLine(value?.range?.[1] ?? key.range![1]);
    while (end < this.text.length) {
      const line = this.lineAt(end);
      if (!isComment(line) || indentation(line) <= keyColumn) break;
      end = this.afterLine(end + 1);
    }
    if (withComments) {
      for (let prev = this.previousLineStart(start); prev !== null; prev = this.previousLineStart(prev)) {
        const line = this.lineAt(prev);
        if (!isComment(line) || indentation(line) !== keyColumn) break;
        start = prev;
      }
    }
    return { start, end };
  }

  isBlankLine(start: number | null): boolean {
    return start !== null && start < this.text.length && this.lineAt(start).trim() === '';
  }

  splice(start: number, end: number, insert: string): string {
    return this.text.slice(0, start) + insert + this.text.slice(end);
  }

  /** Render `key: value` as block-style lines whose key starts at `column`. */
  blockPair(key: string, value: unknown, column: number): string {
    return this.block({ [key]: value }, column);
  }

  /** Render `- value` as block-style lines whose dash is at `column`. */
  blockItem(value: unknown, column: number): string {
    return this.block([value], column);
  }

  private block(value: unknown, column: number): string {
    const doc = new Document();
    doc.contents = doc.createNode(value);
    quoteTimestamps(doc.contents);
    const out = doc.toString({ indent: this.indent, indentSeq: this.indentSeq, lineWidth: 0 });
    const pad = ' '.repeat(column);
    return out
      .split('\n')
      .slice(0, -1)
      .map((line) => (line === '' ? line : pad + line))
      .map((line) => line + this.eol)
      .join('');
  }
}

/** Render a value on one line in flow style: `{ from: staging }`, `72h`, `"2026-11-27T10:00:00Z"`. */
function flowValue(value: unknown): string {
  const doc = new Document();
  doc.contents = doc.createNode(value, { flow: true });
  quoteTimestamps(doc.contents);
  return doc.toString({ lineWidth: 0 }).trimEnd();
}

/**
 * Timestamps are plain strings in YAML 1.2 but dates in YAML 1.1 tools (and
 * in many people's minds): quote them so every reader sees the same string.
 */
function quoteTimestamps(node: unknown): void {
  visit(node as Node, {
    Scalar: (_, s) => {
      if (typeof s.value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(s.value)) s.type = 'QUOTE_DOUBLE';
    },
  });
}

function isComment(line: string): boolean {
  return line.trimStart().startsWith('#');
}
function indentation(line: string): number {
  return line.length - line.trimStart().length;
}

/** What sits at `path`: a mapping, or a key with no value yet (`environments:`). */
type Target =
  | { kind: 'map'; map: YAMLMap; owner: Pair | null; ownerInBlock: boolean }
  | { kind: 'empty'; value: Scalar | null; owner: Pair };

/** The node at `path`, with the pair holding it (null for a sequence item or the document). */
function walk(src: Source, path: Path): { node: unknown; owner: Pair | null; ownerInBlock: boolean } {
  let node: unknown = src.doc.contents;
  let owner: Pair | null = null;
  let ownerInBlock = true;
  for (const seg of path) {
    if (typeof seg === 'number') {
      if (!isSeq(node)) throw new Error(`cannot edit ${path.join('.')}: ${seg} is not inside a sequence`);
      if (!node.items[seg]) throw new Error(`cannot edit ${path.join('.')}: item ${seg} does not exist`);
      ownerInBlock = !node.flow;
      owner = null;
      node = node.items[seg];
      continue;
    }
    if (!isMap(node)) throw new Error(`cannot edit ${path.join('.')}: ${seg} is not inside a mapping`);
    const pair = findPair(node, seg);
    if (!pair) throw new Error(`cannot edit ${path.join('.')}: ${seg} does not exist`);
    ownerInBlock = !node.flow;
    owner = pair;
    node = pair.value;
  }
  return { node, owner, ownerInBlock };
}

function target(src: Source, path: Path): Target {
  const { node, owner, ownerInBlock } = walk(src, path);
  if (isMap(node)) return { kind: 'map', map: node, owner, ownerInBlock };
  if (owner && (node === null || (isScalar(node) && node.value === null))) {
    return { kind: 'empty', value: node as Scalar | null, owner };
  }
  throw new Error(`cannot edit ${path.join('.') || 'the document'}: it is not a mapping`);
}

function findPair(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((p) => keyText(p.key) === key);
}

/** Append `key: value` as the last entry of the mapping at `mapPath`, in the mapping's own style. */
export function insertPair(text: string, mapPath: Path, key: string, value: unknown): string {
  const src = new Source(text);
  const at = target(src, mapPath);

  if (at.kind === 'map' && at.map.flow && !(at.map.items.length === 0 && at.owner && at.ownerInBlock)) {
    // `{ a: 1 }` → `{ a: 1, key: value }`; `{}` inside flow context → `{ key: value }`. Rendered inside a flow map, so
    // a value with `,` `{` `}` is quoted as it must be there.
    const entry = flowValue({ [key]: value }).slice(2, -2);
    const last = at.map.items[at.map.items.length - 1];
    if (!last) return src.splice(at.map.range![0] + 1, at.map.range![0] + 1, ` ${entry} `);
    const end = ((last.value as Node | null) ?? (last.key as Node)).range![1];
    return src.splice(end, end, `, ${entry}`);
  }

  if (at.kind === 'map' && at.map.items.length > 0) {
    // A block mapping: new lines after the last entry, at the entries' column.
    const last = at.map.items[at.map.items.length - 1]!;
    const { end } = src.blockExtent(last, false);
    const column = src.column((at.map.items[0]!.key as Node).range![0]);
    // Entries separated by blank lines get a blank line before the new one too.
    const spaced = at.map.items.length > 1 && src.isBlankLine(src.previousLineStart(src.blockExtent(last, true).start));
    const lead = end === src.text.length && !src.text.endsWith('\n') ? src.eol : '';
    return src.splice(end, end, lead + (spaced ? src.eol : '') + src.blockPair(key, value, column));
  }

  // `key:`, `key: ~` or `key: {}` in block context: the entry goes on the lines below the
  // key, one level deeper, and the placeholder value (if written) is dropped.
  const owner = at.owner!;
  const ownerKey = owner.key as Node;
  const placeholder = at.kind === 'map' ? at.map : at.value;
  const column = src.column(ownerKey.range![0]) + src.indent;
  const { end } = src.blockExtent(owner, false);
  const lead = end === src.text.length && !src.text.endsWith('\n') ? src.eol : '';
  let out = src.splice(end, end, lead + src.blockPair(key, value, column));
  // The placeholder lies before `end`, so its offsets are still valid in `out`.
  if (placeholder?.range && placeholder.range[1] > placeholder.range[0]) {
    let from = placeholder.range[0];
    while (from > ownerKey.range![1] && (out[from - 1] === ' ' || out[from - 1] === '\t')) from--;
    out = out.slice(0, from) + out.slice(placeholder.range[1]);
  }
  return out;
}

/** Remove the entry `key` from the mapping at `mapPath`, with its comment lines. */
export function removePair(text: string, mapPath: Path, key: string): string {
  const src = new Source(text);
  const at = target(src, mapPath);
  const pair = at.kind === 'map' ? findPair(at.map, key) : undefined;
  if (at.kind !== 'map' || !pair) throw new Error(`cannot remove ${[...mapPath, key].join('.')}: it does not exist`);

  if (at.map.flow) {
    // `{ a: 1, key: v, b: 2 }`: drop `key: v` and one comma next to it.
    const start = (pair.key as Node).range![0];
    const end = ((pair.value as Node | null) ?? (pair.key as Node)).range![1];
    const after = /^\s*,\s*/.exec(src.text.slice(end));
    if (after) return src.splice(start, end + after[0].length, '');
    const before = /,\s*$/.exec(src.text.slice(0, start));
    return src.splice(before ? start - before[0].length : start, end, '');
  }

  const keyStart = (pair.key as Node).range![0];
  if (src.text.slice(src.lineStart(keyStart), keyStart).trim() !== '') {
    // The first entry of a sequence item (`- newName: x`): the dash stays, and the next entry moves up onto its line.
    const next = at.map.items[at.map.items.indexOf(pair) + 1];
    if (!next) throw new Error(`cannot remove ${[...mapPath, key].join('.')}: it is the only entry of its sequence item`);
    return src.splice(keyStart, (next.key as Node).range![0], '');
  }

  let { start, end } = src.blockExtent(pair, true);
  // Keep blank-line separation tidy: do not leave two blank lines (or a blank line
  // right under the mapping's key) where the entry was.
  const prev = src.previousLineStart(start);
  const nextIsBlankOrEnd = end >= src.text.length || src.isBlankLine(end);
  if (src.isBlankLine(prev) && nextIsBlankOrEnd) start = prev!;
  else if (at.map.items.length > 1 && at.map.items[0] === pair && src.isBlankLine(end)) end = src.afterLine(end + 1);
  return src.splice(start, end, '');
}

/**
 * Replace the scalar at `path` with `value`, keeping its quoting style. With `quote`, a
 * plain scalar becomes double-quoted (for strings that some YAML readers take for
 * numbers or booleans, like `1.10` or `yes`).
 */
export function replaceScalar(text: string, path: Path, value: string | number | boolean, options: { quote?: boolean } = {}): string {
  const src = new Source(text);
  const at = target(src, path.slice(0, -1));
  const pair = at.kind === 'map' ? findPair(at.map, String(path[path.length - 1])) : undefined;
  const node = pair?.value;
  if (!isScalar(node) || !node.range) throw new Error(`cannot replace ${path.join('.')}: it is not a scalar`);
  const doc = new Document();
  const scalar = doc.createNode(value) as Scalar;
  // Block scalars (| and >) would need their own lines; a one-line replacement uses the default style.
  if (node.type === 'PLAIN' || node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') scalar.type = node.type;
  if (options.quote && scalar.type !== 'QUOTE_SINGLE') scalar.type = 'QUOTE_DOUBLE';
  if (!(at.kind === 'map' && at.map.flow)) {
    doc.contents = scalar;
    return src.splice(node.range[0], node.range[1], doc.toString({ lineWidth: 0 }).trimEnd());
  }
  // Inside `{ … }` a plain `a, b` or `x}` would end the entry: render it as an item of a flow sequence, then unwrap.
  doc.contents = doc.createNode([scalar], { flow: true });
  return src.splice(node.range[0], node.range[1], doc.toString({ lineWidth: 0 }).trimEnd().slice(2, -2));
}

/**
 * Append `value` as the last item of the sequence at `seqPath`, in the sequence's own
 * style; `key: []`, `key: ~` or `key:` becomes a block sequence below the key.
 */
export function appendItem(text: string, seqPath: Path, value: unknown): string {
  const src = new Source(text);
  const { node, owner, ownerInBlock } = walk(src, seqPath);
  const empty = node === null || (isScalar(node) && node.value === null);
  if (!isSeq(node) && !(empty && owner)) throw new Error(`cannot append to ${seqPath.join('.')}: it is not a sequence`);
  const seq = isSeq(node) ? (node as YAMLSeq) : null;

  if (seq?.flow && !(seq.items.length === 0 && owner && ownerInBlock)) {
    // `[a, b]` → `[a, b, value]`; `[]` inside flow context → `[value]`.
    const last = seq.items[seq.items.length - 1] as Node | undefined;
    if (!last) return src.splice(seq.range![0] + 1, seq.range![0] + 1, flowValue(value));
    return src.splice(last.range![1], last.range![1], `, ${flowValue(value)}`);
  }

  if (seq && seq.items.length > 0) {
    // A block sequence: new lines after the last item (and its comments), dash under dash.
    const first = seq.items[0] as Node;
    const dash = src.text.lastIndexOf('-', first.range![0] - 1);
    const column = src.column(dash);
    const last = seq.items[seq.items.length - 1] as Node;
    let end = src.afterLine(last.range![1]);
    while (end < src.text.length && isComment(src.lineAt(end)) && indentation(src.lineAt(end)) > column) end = src.afterLine(end + 1);
    const lead = end === src.text.length && !src.text.endsWith('\n') ? src.eol : '';
    return src.splice(end, end, lead + src.blockItem(value, column));
  }

  // No items yet, in block context: the items go on the lines below the key, and the placeholder is dropped.
  const ownerKey = owner!.key as Node;
  const column = src.column(ownerKey.range![0]) + (src.indentSeq ? src.indent : 0);
  const { end } = src.blockExtent(owner!, false);
  const lead = end === src.text.length && !src.text.endsWith('\n') ? src.eol : '';
  let out = src.splice(end, end, lead + src.blockItem(value, column));
  const placeholder = node as Node | null;
  if (placeholder?.range && placeholder.range[1] > placeholder.range[0]) {
    let from = placeholder.range[0];
    while (from > ownerKey.range![1] && (out[from - 1] === ' ' || out[from - 1] === '\t')) from--;
    out = out.slice(0, from) + out.slice(placeholder.range[1]);
  }
  return out;
}

/** Keys of the mapping at `path`, in file order (empty when the key has no value yet). */
export function mappingKeys(text: string, path: Path): string[] {
  const at = target(new Source(text), path);
  return at.kind === 'map' ? at.map.items.map((p) => keyText(p.key)) : [];
}

/** Whether the top-level key exists. */
export function hasTopLevelKey(text: string, key: string): boolean {
  const contents = new Source(text).doc.contents;
  return isMap(contents) && findPair(contents, key) !== undefined;
}

/**
 * Set `key` of the mapping at `mapPath` to `value`, written flow-style on one line (`KEY: { ref: …, version: … }`):
 * a new key is appended as insertPair appends; an existing key's value is replaced where it stands, so replacing a
 * one-line value changes exactly that line (a block-style value written by hand becomes that one line).
 */
export function setFlowPair(text: string, mapPath: Path, key: string, value: Record<string, unknown>): string {
  const src = new Source(text);
  const at = target(src, mapPath);
  const pair = at.kind === 'map' ? findPair(at.map, key) : undefined;
  if (!pair) return insertPair(text, mapPath, key, flowNode(value));
  const keyNode = pair.key as Node;
  const old = pair.value as Node | null;
  if (old?.range && (isScalar(old) || ((isMap(old) || isSeq(old)) && old.flow))) {
    return src.splice(old.range[0], old.range[1], flowValue(value));
  }
  // `KEY:` followed by block lines: everything after the colon up to the end of the pair's value becomes one line.
  const colon = src.text.indexOf(':', keyNode.range![1]);
  const valueEnd = old?.range?.[1] ?? colon + 1;
  const lineEnd = src.afterLine(valueEnd);
  const eol = src.text.slice(lineEnd - src.eol.length, lineEnd) === src.eol ? src.eol : '';
  return src.splice(colon + 1, lineEnd, ` ${flowValue(value)}${eol}`);
}

/** `value` as a yaml node that insertPair renders flow-style on one line, wherever it is nested. */
export function flowNode(value: Record<string, unknown>): Node {
  return new Document().createNode(value, { flow: true });
}

/** Remove item `index` of the sequence at `seqPath` (block: its lines and the comments under it; flow: it and a comma). */
export function removeItem(text: string, seqPath: Path, index: number): string {
  const src = new Source(text);
  const { node } = walk(src, seqPath);
  const item = isSeq(node) ? (node.items[index] as Node | undefined) : undefined;
  if (!isSeq(node) || !item?.range) throw new Error(`cannot remove item ${index} of ${seqPath.join('.')}: it does not exist`);
  if (node.flow) {
    const after = /^\s*,\s*/.exec(src.text.slice(item.range[1]));
    if (after) return src.splice(item.range[0], item.range[1] + after[0].length, '');
    const before = /,\s*$/.exec(src.text.slice(0, item.range[0]));
    return src.splice(before ? item.range[0] - before[0].length : item.range[0], item.range[1], '');
  }
  const dash = src.text.lastIndexOf('-', item.range[0] - 1);
  const start = src.lineStart(dash);
  if (src.text.slice(start, dash).trim() !== '') throw new Error(`cannot remove item ${index} of ${seqPath.join('.')}: it shares its line with other content`);
  let end = src.afterLine(item.range[1]);
  const column = src.column(dash);
  while (end < src.text.length && isComment(src.lineAt(end)) && indentation(src.lineAt(end)) > column) end = src.afterLine(end + 1);
  return src.splice(start, end, '');
}
