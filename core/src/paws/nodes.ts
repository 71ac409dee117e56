/** Finding nodes in a yaml Document by the path of the value they hold (shared by parse and splice; not public API). */
import { isAlias, isMap, isScalar, isSeq, type Document, type Node } from 'yaml';

/**
 * Offset of the node at `path`, or of its nearest existing ancestor (a missing key is
 * reported where it should have been written). With `atKey`, the mapping key itself.
 */
export function nodeOffset(doc: Document, path: readonly (string | number)[], atKey = false): number {
  let node: Node | null = doc.contents as Node | null;
  let offset = node?.range?.[0] ?? 0;
  for (const [i, seg] of path.entries()) {
    if (isAlias(node)) node = node.resolve(doc) ?? null;
    let next: Node | null = null;
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === String(seg));
      if (!pair) break;
      const key = pair.key as Node | null;
      if (atKey && i === path.length - 1 && key?.range) return key.range[0];
      next = (pair.value as Node | null) ?? key;
    } else if (isSeq(node) && typeof seg === 'number') {
      next = (node.items[seg] as Node | undefined) ?? null;
    }
    if (!next?.range) break;
    node = next;
    offset = next.range![0];
  }
  return offset;
}

/** A mapping key as the string it becomes in the parsed object (toJS stringifies keys the same way). */
export function keyText(key: unknown): string {
  if (isScalar(key)) return key.value === null ? '' : String(key.value);
  return String(key);
}
