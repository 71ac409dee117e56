import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { InvalidRequestError } from '../errors.js';
import { parsePaws } from '../paws/parse.js';
import { CHECKOUT, lineDiff } from '../paws/test-fixtures.js';
import { deployedImage, deployTargetFor, setDeployedImage } from './deploy.js';

const spec = parsePaws(CHECKOUT).spec; // container web: ghcr.io/acme/checkout:1.4.2
const target = deployTargetFor(spec, 'staging', 'paws.yaml');
const get = (text: string) => deployedImage(target, text, spec);
const set = (text: string, image: string) => setDeployedImage(target, text, image, spec);
const SHA = `sha256:${'ab'.repeat(32)}`;

const KUSTOMIZATION = `# staging overlay; idp writes the checkout tag
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base   # shared manifests

images:
  - name: redis
    newTag: "7.2"
  - name: ghcr.io/acme/checkout   # the app
    newTag: 1.4.2                 # bumped by idp

patches: [{ path: replicas.yaml }]
`;

describe('kustomize target', () => {
  it('reads the entry for the container image', () => {
    assert.equal(get(KUSTOMIZATION), 'ghcr.io/acme/checkout:1.4.2');
    assert.equal(get('images:\n- name: ghcr.io/acme/checkout\n  newName: registry.acme.dev/checkout\n  newTag: "1.10"\n'), 'registry.acme.dev/checkout:1.10');
    assert.equal(get(`images:\n- name: ghcr.io/acme/checkout\n  digest: ${SHA}\n`), `ghcr.io/acme/checkout@${SHA}`);
  });

  it('reads a numeric tag as written, and quotes it when writing it again', () => {
    const text = 'images:\n- name: ghcr.io/acme/checkout\n  newTag: 1.10\n';
    assert.equal(get(text), 'ghcr.io/acme/checkout:1.10');
    assert.equal(set(text, 'ghcr.io/acme/checkout:1.10'), 'images:\n- name: ghcr.io/acme/checkout\n  newTag: "1.10"\n');
  });

  it('says null when there is no entry, or no version in it', () => {
    assert.equal(get('resources: [a]\n'), null);
    assert.equal(get('images:\n- name: redis\n  newTag: "7"\n'), null);
    assert.equal(get('images:\n- name: ghcr.io/acme/checkout\n  newName: other/checkout\n'), null);
  });

  it('changes a tag on exactly one line, keeping comments and alignment', () => {
    const out = set(KUSTOMIZATION, 'ghcr.io/acme/checkout:1.5.0');
    assert.deepEqual(lineDiff(KUSTOMIZATION, out), ['-11:     newTag: 1.4.2                 # bumped by idp', '+11:     newTag: 1.5.0                 # bumped by idp']);
    assert.equal(get(out), 'ghcr.io/acme/checkout:1.5.0');
  });

  it('quotes tags that would read as numbers or booleans', () => {
    for (const tag of ['1.5', '2', 'yes', '1e3', 'null']) {
      const out = set(KUSTOMIZATION, `ghcr.io/acme/checkout:${tag}`);
      assert.deepEqual(lineDiff(KUSTOMIZATION, out), ['-11:     newTag: 1.4.2                 # bumped by idp', `+11:     newTag: "${tag}"                 # bumped by idp`]);
      assert.equal(parse(out).images[1].newTag, tag);
    }
  });

  it('sets newName when the repository changes, and drops it when it changes back', () => {
    const moved = set(KUSTOMIZATION, 'registry.acme.dev/checkout:1.5.0');
    assert.deepEqual(lineDiff(KUSTOMIZATION, moved), [
      '-11:     newTag: 1.4.2                 # bumped by idp',
      '+11:     newTag: 1.5.0                 # bumped by idp',
      '+12:     newName: registry.acme.dev/checkout',
    ]);
    assert.equal(get(moved), 'registry.acme.dev/checkout:1.5.0');
    // The entry is still found by its name, and by newName for the new repository.
    const back = set(moved, 'ghcr.io/acme/checkout:1.4.2');
    assert.equal(back, KUSTOMIZATION);
  });

  it('keeps tag and digest consistent', () => {
    const pinned = set(KUSTOMIZATION, `ghcr.io/acme/checkout:1.5.0@${SHA}`);
    assert.equal(get(pinned), `ghcr.io/acme/checkout:1.5.0@${SHA}`);
    const digestOnly = set(pinned, `ghcr.io/acme/checkout@${SHA}`);
    assert.equal(parse(digestOnly).images[1].newTag, undefined);
    assert.equal(get(digestOnly), `ghcr.io/acme/checkout@${SHA}`);
    assert.equal(set(digestOnly, 'ghcr.io/acme/checkout:1.4.2').includes('digest'), false);
  });

  it('edits an entry whose first key is not name, and flow entries, keeping quoting', () => {
    const text = 'images:\n- newName: other/checkout\n  name: ghcr.io/acme/checkout\n  newTag: "1"\n';
    assert.equal(set(text, 'ghcr.io/acme/checkout:2.0.0'), 'images:\n- name: ghcr.io/acme/checkout\n  newTag: "2.0.0"\n');
    const flow = 'images: [{ name: ghcr.io/acme/checkout, newTag: "1" }]   # pinned\n';
    assert.equal(set(flow, 'ghcr.io/acme/checkout:2.0.0'), 'images: [{ name: ghcr.io/acme/checkout, newTag: "2.0.0" }]   # pinned\n');
  });

  it('appends an entry in the style of the list, creating images: if missing', () => {
    const other = 'images:\n- name: redis   # cache\n  newTag: "7"\n  # pinned\nresources: [a]\n';
    assert.deepEqual(lineDiff(other, set(other, 'ghcr.io/acme/checkout:1.5')), ['+5: - name: ghcr.io/acme/checkout', '+6:   newTag: "1.5"']);
    assert.equal(set('resources: [a]\n', 'ghcr.io/acme/checkout:1.5'), 'resources: [a]\nimages:\n  - name: ghcr.io/acme/checkout\n    newTag: "1.5"\n');
    assert.equal(set('images: []   # none yet\n', 'ghcr.io/acme/checkout:1.5'), 'images:   # none yet\n  - name: ghcr.io/acme/checkout\n    newTag: "1.5"\n');
    assert.equal(set('images: [{ name: redis }]\n', 'ghcr.io/acme/checkout:1.5'), 'images: [{ name: redis }, { name: ghcr.io/acme/checkout, newTag: "1.5" }]\n');
    assert.equal(set('# new overlay\n', 'other/checkout:1.5'), '# new overlay\nimages:\n  - name: ghcr.io/acme/checkout\n    newName: other/checkout\n    newTag: "1.5"\n');
  });

  it('refuses broken files, naming them', () => {
    const file = 'apps/checkout/staging/kustomization.yaml';
    const cases: [string, string][] = [
      ['images: [', `${file} is not valid YAML`],
      ['- a\n', `${file} must be a YAML mapping`],
      ['images: ghcr.io/acme/checkout\n', `${file}: images must be a list`],
      ['images:\n- newTag: "1"\n', `${file}: images entry 1 needs a name`],
      ['images:\n- name: ghcr.io/acme/checkout\n  newTag: [1]\n', `${file}: images entry 1: newTag must be a string, not a list`],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => set(text, 'ghcr.io/acme/checkout:1.5'), (e: Error) => e instanceof InvalidRequestError && e.message.startsWith(message), text);
      assert.throws(() => get(text), InvalidRequestError, text);
    }
  });
});
