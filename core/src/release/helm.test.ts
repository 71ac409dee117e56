import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidRequestError } from '../errors.js';
import { parsePaws } from '../paws/parse.js';
import { lineDiff } from '../paws/test-fixtures.js';
import { deployedImage, deployTargetFor, setDeployedImage } from './deploy.js';

const spec = parsePaws(
  'apiVersion: paws.dev/v1\nkind: Workload\nmetadata: { name: checkout }\ncontainers: { web: { image: ghcr.io/acme/checkout } }\ndeploy: { format: helm-values, path: "deploy/{env}" }\nenvironments: { staging: {} }\n',
).spec;
const target = deployTargetFor(spec, 'staging', 'paws.yaml');
const get = (text: string) => deployedImage(target, text, spec);
const set = (text: string, image: string) => setDeployedImage(target, text, image, spec);

const VALUES = `# values for staging
replicaCount: 2

image:
  repository: ghcr.io/acme/checkout   # app image
  tag: 1.10                           # bumped by idp
  pullPolicy: IfNotPresent
`;

describe('helm-values target', () => {
  it('reads repository:tag, a numeric tag as written', () => {
    assert.equal(target.file, 'deploy/staging/values.yaml');
    assert.equal(get(VALUES), 'ghcr.io/acme/checkout:1.10');
  });

  it('says null without an image, or with an empty tag (the chart appVersion)', () => {
    assert.equal(get('replicaCount: 1\n'), null);
    assert.equal(get('image:\n  repository: a/b\n  tag: ""\n'), null);
    assert.equal(get(''), null);
  });

  it('changes a tag on exactly one line, quoting it when needed', () => {
    const out = set(VALUES, 'ghcr.io/acme/checkout:1.11.0');
    assert.deepEqual(lineDiff(VALUES, out), ['-6:   tag: 1.10                           # bumped by idp', '+6:   tag: 1.11.0                           # bumped by idp']);
    const quoted = set(VALUES, 'ghcr.io/acme/checkout:2.0');
    assert.deepEqual(lineDiff(VALUES, quoted), ['-6:   tag: 1.10                           # bumped by idp', '+6:   tag: "2.0"                           # bumped by idp']);
    assert.equal(get(quoted), 'ghcr.io/acme/checkout:2.0');
  });

  it('sets the repository when it differs', () => {
    const out = set(VALUES, 'registry.acme.dev/checkout:1.10');
    assert.deepEqual(lineDiff(VALUES, out), [
      '-5:   repository: ghcr.io/acme/checkout   # app image',
      '-6:   tag: 1.10                           # bumped by idp',
      '+5:   repository: registry.acme.dev/checkout   # app image',
      // 1.10 was a number to Helm (1.1): written again, it is quoted.
      '+6:   tag: "1.10"                           # bumped by idp',
    ]);
    assert.equal(get(out), 'registry.acme.dev/checkout:1.10');
  });

  it('creates image: when missing, empty or partial', () => {
    assert.equal(set('replicaCount: 1   # one\n', 'a/b:1'), 'replicaCount: 1   # one\nimage:\n  repository: a/b\n  tag: "1"\n');
    assert.equal(set('', 'a/b:1.2.3'), 'image:\n  repository: a/b\n  tag: 1.2.3\n');
    assert.equal(set('image:\nreplicaCount: 1\n', 'a/b:1'), 'image:\n  repository: a/b\n  tag: "1"\nreplicaCount: 1\n');
    assert.equal(set('image: { repository: a/b }\n', 'a/b:1'), 'image: { repository: a/b, tag: "1" }\n');
    assert.equal(set('image:\n  repository: a/b\n  tag:\n  pullPolicy: Always\n', 'a/b:1.2.3'), 'image:\n  repository: a/b\n  pullPolicy: Always\n  tag: 1.2.3\n');
  });

  it('carries a digest in the tag, and refuses a digest alone', () => {
    const sha = `sha256:${'cd'.repeat(32)}`;
    const out = set(VALUES, `ghcr.io/acme/checkout:1.11.0@${sha}`);
    assert.equal(get(out), `ghcr.io/acme/checkout:1.11.0@${sha}`);
    assert.throws(() => set(VALUES, `ghcr.io/acme/checkout@${sha}`), (e: Error) => e instanceof InvalidRequestError && /image\.tag needs a tag/.test(e.message));
  });

  it('refuses broken files, naming them', () => {
    const cases: [string, RegExp][] = [
      ['image: [', /^deploy\/staging\/values\.yaml is not valid YAML/],
      ['- a\n', /must be a YAML mapping/],
      ['image: ghcr.io/acme/checkout:1\n', /image must be a mapping with repository and tag/],
      ['image:\n  repository: { a: 1 }\n', /image\.repository must be a string, not a mapping/],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => get(text), (e: Error) => e instanceof InvalidRequestError && message.test(e.message), text);
      assert.throws(() => set(text, 'a/b:1'), (e: Error) => e instanceof InvalidRequestError && message.test(e.message), text);
    }
  });
});
