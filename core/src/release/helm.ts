/**
 * The released image in a Helm values file: `image.repository` and `image.tag`,
 * the convention of `helm create` and most charts.
 */
import { isMap, isScalar } from 'yaml';
import { InvalidRequestError } from '../errors.js';
import { insertPair, removePair, replaceScalar } from '../paws/splice.js';
import { parseImage } from './image.js';
import { appendBlock, checkedEdit, isYamlString, loadMapping, needsQuotes, pairValue, stringField, stringNode } from './yaml-file.js';

/** `repository:tag`, or null when either is missing or empty (an empty tag means the chart's appVersion). */
export function helmImage(text: string, file: string): string | null {
  const { repository, tag } = readImage(text, file).fields;
  return repository && tag ? `${repository}:${tag}` : null;
}

/** Set `image.tag` (and `image.repository` when it differs), creating `image:` if needed. */
export function setHelmImage(text: string, file: string, image: string): string {
  const want = parseImage(image);
  if (want.tag === undefined) {
    throw new InvalidRequestError(
      `${file} is a Helm values file: image.tag needs a tag, so release ${want.repository}:<tag>@${want.digest} rather than a digest alone.`,
      { field: 'image', value: image },
    );
  }
  // Charts build `repository:tag`, so a digest rides along in the tag: `1.4.3@sha256:…`.
  const wanted = { repository: want.repository, tag: want.digest ? `${want.tag}@${want.digest}` : want.tag };
  const { image: node, fields, notStrings, empty } = readImage(text, file);

  const splice = (t: string) => {
    if (empty) return appendBlock(t, { image: { repository: wanted.repository, tag: stringNode(wanted.tag) } });
    if (node === undefined) return insertPair(t, [], 'image', { repository: wanted.repository, tag: stringNode(wanted.tag) });
    let out = t;
    for (const key of ['repository', 'tag'] as const) {
      const current = fields[key];
      if (current === wanted[key] && !notStrings.has(key)) continue;
      // A key written without a value has no scalar text to replace: remove it and write it anew.
      if (current === null) out = removePair(out, ['image'], key);
      // Replacing in place keeps a tag change to one line, with the line's comment and quoting.
      out =
        typeof current === 'string'
          ? replaceScalar(out, ['image', key], wanted[key], { quote: needsQuotes(wanted[key]) })
          : insertPair(out, ['image'], key, stringNode(wanted[key]));
    }
    return out;
  };
  return checkedEdit(text, file, `set the image to ${image}`, splice, (data) => {
    data['image'] = { ...((data['image'] as Record<string, unknown> | null) ?? {}), ...wanted };
  });
}

function readImage(text: string, file: string) {
  const { map } = loadMapping(text, file);
  const image = pairValue(map, 'image');
  const none = { image, fields: {} as { repository?: string | null; tag?: string | null }, notStrings: new Set<string>(), empty: map === null };
  if (image === undefined || image === null || (isScalar(image) && image.value === null)) return none;
  if (!isMap(image)) {
    throw new InvalidRequestError(`${file}: image must be a mapping with repository and tag (like "image: { repository: ghcr.io/acme/checkout, tag: 1.4.3 }"); fix it and release again.`, { file });
  }
  const fields = {
    repository: stringField(pairValue(image, 'repository'), 'image.repository', file),
    tag: stringField(pairValue(image, 'tag'), 'image.tag', file),
  };
  // `tag: 1.10` reads as the tag "1.10" but is a number to Helm: setting it again quotes it.
  const notStrings = new Set((['repository', 'tag'] as const).filter((k) => typeof fields[k] === 'string' && !isYamlString(pairValue(image, k))));
  return { ...none, fields, notStrings };
}
