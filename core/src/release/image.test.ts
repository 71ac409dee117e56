import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidRequestError } from '../errors.js';
import { formatImage, imageRepository, parseImage, sameImage } from './image.js';

const SHA = `sha256:${'0123456789abcdef'.repeat(4)}`;

describe('parseImage', () => {
  it('splits registry/path, tag and digest', () => {
    assert.deepEqual(parseImage('ghcr.io/acme/checkout:1.4.3'), { repository: 'ghcr.io/acme/checkout', tag: '1.4.3' });
    assert.deepEqual(parseImage(`ghcr.io/acme/checkout@${SHA}`), { repository: 'ghcr.io/acme/checkout', digest: SHA });
    assert.deepEqual(parseImage(`ghcr.io/acme/checkout:1.4.3@${SHA}`), { repository: 'ghcr.io/acme/checkout', tag: '1.4.3', digest: SHA });
    assert.deepEqual(parseImage('nginx:1.27'), { repository: 'nginx', tag: '1.27' });
  });

  it('does not take a registry port for a tag', () => {
    assert.deepEqual(parseImage('localhost:5000/app:1.2'), { repository: 'localhost:5000/app', tag: '1.2' });
    assert.deepEqual(parseImage(`registry.acme.dev:443/team/app@${SHA}`), { repository: 'registry.acme.dev:443/team/app', digest: SHA });
  });

  it('requires a version, saying what to write', () => {
    for (const [ref, like] of [['checkout', 'ghcr.io/acme/checkout:1.4.3'], ['localhost:5000/app', 'localhost:5000/app:1.4.3'], ['ghcr.io/acme/checkout', 'ghcr.io/acme/checkout:1.4.3']]) {
      assert.throws(
        () => parseImage(ref!),
        (e: Error) => e instanceof InvalidRequestError && e.message === `"${ref}" is not a versioned image: give a tag or digest, like ${like} (or ${ref}@sha256:<digest>)`,
      );
    }
  });

  it('rejects malformed references with a reason', () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['ghcr.io/acme/checkout:1.4 ', /whitespace/],
      ['ghcr.io/Acme/checkout:1', /not a valid repository/],
      ['ghcr.io/acme/checkout:-1', /the tag "-1" is not valid/],
      ['ghcr.io/acme/checkout@sha256:abc', /digest must be sha256: followed by 64 lowercase hex digits/],
      [`ghcr.io/acme/checkout@${SHA.toUpperCase()}`, /digest/],
      ['ghcr.io//checkout:1', /not a valid repository/],
    ];
    for (const [ref, message] of cases) assert.throws(() => parseImage(ref), (e: Error) => e instanceof InvalidRequestError && message.test(e.message), ref);
  });
});

describe('formatImage', () => {
  it('is the inverse of parseImage', () => {
    for (const ref of ['ghcr.io/acme/checkout:1.4.3', `nginx@${SHA}`, `localhost:5000/app:1.2@${SHA}`]) assert.equal(formatImage(parseImage(ref)), ref);
  });
});

describe('imageRepository', () => {
  it('reads references with or without a version', () => {
    assert.equal(imageRepository('nginx'), 'nginx');
    assert.equal(imageRepository('localhost:5000/app'), 'localhost:5000/app');
    assert.equal(imageRepository('ghcr.io/acme/checkout:1.4.2'), 'ghcr.io/acme/checkout');
  });
});

describe('sameImage', () => {
  it('normalizes Docker Hub names and the implied latest tag', () => {
    assert.equal(sameImage('nginx:1.27', 'docker.io/library/nginx:1.27'), true);
    assert.equal(sameImage('acme/app:1', 'index.docker.io/acme/app:1'), true);
    assert.equal(sameImage('nginx', 'nginx:latest'), true);
    assert.equal(sameImage('GHCR.io/acme/app:1', 'ghcr.io/acme/app:1'), true);
  });

  it('tells versions and registries apart', () => {
    assert.equal(sameImage('ghcr.io/acme/checkout:1.4.2', 'ghcr.io/acme/checkout:1.4.3'), false);
    assert.equal(sameImage('ghcr.io/acme/checkout:1.4.2', 'docker.io/acme/checkout:1.4.2'), false);
    assert.equal(sameImage(`app:1@${SHA}`, `app@${SHA}`), false);
  });

  it('never throws: references that do not parse compare as written', () => {
    assert.equal(sameImage('not an image', 'not an image'), true);
    assert.equal(sameImage('not an image', 'nginx'), false);
  });
});
