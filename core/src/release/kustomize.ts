/**
 * The released image in a kustomization.yaml: an entry of `images:`
 * (https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/images/).
 * `name` is the image as the base manifests write it; `newName`, `newTag` and
 * `digest` are what kustomize puts in its place.
 */
import { isMap, isScalar, isSeq } from 'yaml';
import { InvalidRequestError } from '../errors.js';
import { appendItem, insertPair, removeItem, removePair, replaceScalar } from '../paws/splice.js';
import { formatImage, parseImage, type ImageParts } from './image.js';
import { appendBlock, checkedEdit, isYamlString, loadMapping, needsQuotes, pairValue, stringField, stringNode } from './yaml-file.js';

const FIELDS = ['newName', 'newTag', 'digest'] as const;
type Field = (typeof FIELDS)[number];

interface Entry {
  index: number;
  name: string;
  /** null: written with no value (`newTag:`), which means nothing but is there. */
  fields: Partial<Record<Field, string | null>>;
  /** Fields whose text is right but whose YAML value is not a string (`newTag: 1.10`). */
  notStrings: Set<Field>;
}

/** What `base` is replaced with, or null when no entry gives it a version. */
export function kustomizeImage(text: string, file: string, base: string): string | null {
  const entry = readImages(text, file).entries.find((e) => e.name === base || e.fields.newName === base);
  const { newName, newTag, digest } = entry?.fields ?? {};
  if (!entry || (!newTag && !digest)) return null;
  return formatImage({ repository: newName || entry.name, ...(newTag ? { tag: newTag } : {}), ...(digest ? { digest } : {}) });
}

/** Replace `base` with `image`: rewrite its entry in place, or append one (creating `images:` if needed). */
export function setKustomizeImage(text: string, file: string, base: string, image: string): string {
  const want = parseImage(image);
  const { entries, images } = readImages(text, file);
  const entry = entries.find((e) => e.name === base) ?? entries.find((e) => e.name === want.repository || e.fields.newName === want.repository);
  const what = `set ${base} to ${image}`;

  if (!entry) {
    const fields = fieldsFor(want, base);
    const node = { name: base, ...Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, stringNode(v)])) };
    const splice = (t: string) =>
      images === 'no-file-content' ? appendBlock(t, { images: [node] }) : images === 'missing' ? insertPair(t, [], 'images', [node]) : appendItem(t, ['images'], node);
    return checkedEdit(text, file, what, splice, (data) => {
      data['images'] = [...((data['images'] as unknown[] | null) ?? []), { name: base, ...fields }];
    });
  }

  const wanted = fieldsFor(want, entry.name);
  const path = ['images', entry.index] as const;
  const splice = (t: string) => {
    let out = t;
    for (const field of FIELDS) {
      const value = wanted[field];
      const current = entry.fields[field];
      if (value === current && !entry.notStrings.has(field)) continue;
      // A field written without a value has no scalar text to replace: remove it and write it anew.
      if (current !== undefined && (value === undefined || current === null)) out = removePair(out, path, field);
      if (value === undefined) continue;
      // Replacing in place keeps a tag change to one line, with the line's comment and quoting.
      out = typeof current === 'string' ? replaceScalar(out, [...path, field], value, { quote: needsQuotes(value) }) : insertPair(out, path, field, stringNode(value));
    }
    return out;
  };
  return checkedEdit(text, file, what, splice, (data) => {
    const item = (data['images'] as Record<string, unknown>[])[entry.index]!;
    for (const field of FIELDS) {
      if (wanted[field] === undefined) delete item[field];
      else item[field] = wanted[field];
    }
  });
}

/** The fields an entry named `name` needs to produce `want`: newName only when the repository differs. */
function fieldsFor(want: ImageParts, name: string): Partial<Record<Field, string>> {
  return {
    ...(want.repository !== name ? { newName: want.repository } : {}),
    ...(want.tag !== undefined ? { newTag: want.tag } : {}),
    ...(want.digest !== undefined ? { digest: want.digest } : {}),
  };
}

function readImages(text: string, file: string): { entries: Entry[]; images: 'no-file-content' | 'missing' | 'present' } {
  const { map } = loadMapping(text, file);
  const images = pairValue(map, 'images');
  if (map === null) return { entries: [], images: 'no-file-content' };
  if (images === undefined) return { entries: [], images: 'missing' };
  if (images === null || (isScalar(images) && images.value === null)) return { entries: [], images: 'present' };
  if (!isSeq(images)) throw new InvalidRequestError(`${file}: images must be a list of entries like "- name: ghcr.io/acme/checkout"; fix it and release again.`, { file });
  const entries = images.items.map((item, index): Entry => {
    const where = `images entry ${index + 1}`;
    const name = isMap(item) ? stringField(pairValue(item, 'name'), `${where}: name`, file) : undefined;
    if (!isMap(item) || !name) throw new InvalidRequestError(`${file}: ${where} needs a name (the image as the base manifests write it); fix it and release again.`, { file });
    const fields: Entry['fields'] = {};
    const notStrings = new Set<Field>();
    for (const field of FIELDS) {
      const node = pairValue(item, field);
      const value = stringField(node, `${where}: ${field}`, file);
      if (value !== undefined) fields[field] = value;
      if (typeof value === 'string' && !isYamlString(node)) notStrings.add(field);
    }
    return { index, name, fields, notStrings };
  });
  return { entries, images: 'present' };
}

/**
 * `text` with `resource` listed in (or, with present false, gone from) the kustomization's `resources:`. Listing is
 * idempotent; the last entry taken out takes `resources:` with it (an empty list is no list).
 */
export function setKustomizeResource(text: string, file: string, resource: string, present: boolean): string {
  const { map } = loadMapping(text, file);
  const node = pairValue(map, 'resources');
  if (node !== undefined && node !== null && !isSeq(node) && !(isScalar(node) && node.value === null)) {
    throw new InvalidRequestError(`${file}: resources must be a list of files or directories; fix it and release again.`, { file });
  }
  const items = isSeq(node) ? node.items.map((i) => (isScalar(i) ? String(i.value) : undefined)) : [];
  const index = items.indexOf(resource);
  const what = `${present ? 'list' : 'unlist'} ${resource} in resources`;
  if (present === index >= 0) return text;
  if (present) {
    const splice = (t: string) => (map === null ? appendBlock(t, { resources: [resource] }) : node === undefined ? insertPair(t, [], 'resources', [resource]) : appendItem(t, ['resources'], resource));
    return checkedEdit(text, file, what, splice, (data) => {
      data['resources'] = [...((data['resources'] as unknown[] | null) ?? []), resource];
    });
  }
  const last = items.length === 1;
  return checkedEdit(text, file, what, (t) => (last ? removePair(t, [], 'resources') : removeItem(t, ['resources'], index)), (data) => {
    const rest = (data['resources'] as unknown[]).filter((_, i) => i !== index);
    if (rest.length) data['resources'] = rest;
    else delete data['resources'];
  });
}

/** The kustomization with `resource` listed under `resources:` (unchanged when it already is). */
export function addKustomizeResource(text: string, file: string, resource: string): string {
  return setKustomizeResource(text, file, resource, true);
}
