import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidPawsError, InvalidRequestError, NotFoundError } from '../errors.js';
import { applyEnvChange } from './change.js';
import { setEnvironmentSecret, unsetEnvironmentSecret } from './edit.js';
import { effectiveSecrets } from './environments.js';
import { parsePaws } from './parse.js';
import { CHECKOUT, lineDiff } from './test-fixtures.js';

const REF = 'sops://checkout/staging.enc.yaml#STRIPE_KEY';
const SHA_1 = '1f0e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c';
const SHA_2 = '2a1b0c9d8e7f60514233241506f7e8d9c0b1a293';
const AWS_V1 = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
/** Every comment line of a file (reference lines hold a '#' too, so they are left out). */
const comments = (text: string) => text.split('\n').filter((l) => l.includes('#') && !l.includes('://'));

/** CHECKOUT with staging's `secrets:` written flow-style, and a comment beside it. */
const FLOW = CHECKOUT.replace(
  '    secrets:\n      STRIPE_KEY: { ref: "vault://kv/checkout/staging#stripe_key" }\n',
  '    secrets: { STRIPE_KEY: { ref: "vault://kv/checkout/staging#stripe_key", version: "4" } }   # rotated monthly\n',
);

describe('setEnvironmentSecret', () => {
  it('a new version of a pinned secret changes exactly its one line, written flow-style and quoted', () => {
    const v1 = setEnvironmentSecret(CHECKOUT, 'staging', 'STRIPE_KEY', { ref: REF, version: SHA_1 });
    assert.deepEqual(lineDiff(CHECKOUT, v1), [
      '-25:       STRIPE_KEY: { ref: "vault://kv/checkout/staging#stripe_key" }',
      `+25:       STRIPE_KEY: { ref: "${REF}", version: "${SHA_1}" }`,
    ]);
    const v2 = setEnvironmentSecret(v1, 'staging', 'STRIPE_KEY', { ref: REF, version: SHA_2 });
    assert.deepEqual(lineDiff(v1, v2), [`-25:       STRIPE_KEY: { ref: "${REF}", version: "${SHA_1}" }`, `+25:       STRIPE_KEY: { ref: "${REF}", version: "${SHA_2}" }`]);
    assert.deepEqual(parsePaws(v2).spec.environments?.staging?.secrets?.STRIPE_KEY, { ref: REF, version: SHA_2 });
    assert.deepEqual(comments(v2), comments(CHECKOUT));
  });

  it('a Vault version number stays a string (quoted), so the file stays valid', () => {
    const out = setEnvironmentSecret(CHECKOUT, 'staging', 'STRIPE_KEY', { ref: 'vault://kv/checkout/staging#stripe_key', version: '7' });
    assert.deepEqual(lineDiff(CHECKOUT, out), [
      '-25:       STRIPE_KEY: { ref: "vault://kv/checkout/staging#stripe_key" }',
      '+25:       STRIPE_KEY: { ref: "vault://kv/checkout/staging#stripe_key", version: "7" }',
    ]);
    assert.equal(parsePaws(out).spec.environments?.staging?.secrets?.STRIPE_KEY?.version, '7');
  });

  it('adds a new key as one line in a block `secrets:` map, and `secrets:` plus that line to an environment without one', () => {
    const added = setEnvironmentSecret(CHECKOUT, 'staging', 'GITHUB_TOKEN', { ref: 'aws-sm://idp/checkout/staging/GITHUB_TOKEN', version: AWS_V1 });
    assert.deepEqual(lineDiff(CHECKOUT, added), [`+26:       GITHUB_TOKEN: { ref: "aws-sm://idp/checkout/staging/GITHUB_TOKEN", version: "${AWS_V1}" }`]);
    const first = setEnvironmentSecret(CHECKOUT, 'production', 'DB_PASSWORD', { ref: 'vault://secret/idp/checkout/production/DB_PASSWORD#value', version: '3' });
    assert.deepEqual(lineDiff(CHECKOUT, first), [
      '+29:     secrets:',
      '+30:       DB_PASSWORD: { ref: "vault://secret/idp/checkout/production/DB_PASSWORD#value", version: "3" }',
    ]);
    assert.deepEqual(comments(first), comments(CHECKOUT));
  });

  it('a flow `secrets:` map: a new version and a new key each change its one line, the comment beside it kept', () => {
    const bumped = setEnvironmentSecret(FLOW, 'staging', 'STRIPE_KEY', { ref: 'vault://kv/checkout/staging#stripe_key', version: '5' });
    assert.deepEqual(lineDiff(FLOW, bumped), [
      '-24:     secrets: { STRIPE_KEY: { ref: "vault://kv/checkout/staging#stripe_key", version: "4" } }   # rotated monthly',
      '+24:     secrets: { STRIPE_KEY: { ref: "vault://kv/checkout/staging#stripe_key", version: "5" } }   # rotated monthly',
    ]);
    const added = setEnvironmentSecret(bumped, 'staging', 'B_KEY', { ref: 'aws-sm://b', version: AWS_V1 });
    assert.deepEqual(lineDiff(bumped, added), [
      '-24:     secrets: { STRIPE_KEY: { ref: "vault://kv/checkout/staging#stripe_key", version: "5" } }   # rotated monthly',
      `+24:     secrets: { STRIPE_KEY: { ref: "vault://kv/checkout/staging#stripe_key", version: "5" }, B_KEY: { ref: "aws-sm://b", version: "${AWS_V1}" } }   # rotated monthly`,
    ]);
    assert.deepEqual(Object.keys(parsePaws(added).spec.environments!.staging!.secrets!), ['STRIPE_KEY', 'B_KEY']);
  });

  it('an environment written flow-style on one line gets its secret there', () => {
    const text = CHECKOUT.replace('  preview-123:\n', '  preview-9: { from: staging }   # demo\n  preview-123:\n');
    const out = setEnvironmentSecret(text, 'preview-9', 'A_KEY', { ref: 'aws-sm://a' });
    assert.deepEqual(lineDiff(text, out), ['-29:   preview-9: { from: staging }   # demo', '+29:   preview-9: { from: staging, secrets: { A_KEY: { ref: "aws-sm://a" } } }   # demo']);
  });

  it('turns a hand-written block entry into the one-line form', () => {
    const block = CHECKOUT.replace(
      '      STRIPE_KEY: { ref: "vault://kv/checkout/staging#stripe_key" }\n',
      '      STRIPE_KEY:\n        ref: "vault://kv/checkout/staging#stripe_key"   # the old one\n',
    );
    const out = setEnvironmentSecret(block, 'staging', 'STRIPE_KEY', { ref: REF, version: SHA_1 });
    assert.match(out, new RegExp(`\\n {6}STRIPE_KEY: \\{ ref: "${REF}", version: "${SHA_1}" \\}\\n {4}release:`));
    assert.deepEqual(parsePaws(out).spec.environments?.staging?.secrets?.STRIPE_KEY, { ref: REF, version: SHA_1 });
  });

  it('refuses a value where a reference belongs without echoing it (a URL with credentials included)', () => {
    for (const value of ['sk_live_canary_51Habc', 'postgres://app:hunter2canary@db.internal/checkout']) {
      assert.throws(
        () => setEnvironmentSecret(CHECKOUT, 'staging', 'STRIPE_KEY', { ref: value }),
        (e: Error) => e instanceof InvalidRequestError && /not a secret reference/.test(e.message) && !e.message.includes('canary'),
      );
    }
  });

  it('refuses a malformed managed reference, saying what one looks like', () => {
    assert.throws(() => setEnvironmentSecret(CHECKOUT, 'staging', 'STRIPE_KEY', { ref: 'vault://nomount' }), /vault:\/\/<mount>\/<path>#<key>/);
    assert.throws(() => setEnvironmentSecret(CHECKOUT, 'staging', 'STRIPE_KEY', { ref: 'sops://checkout/staging.enc.yaml' }), /sops:\/\/<file>#<key>/);
    assert.throws(() => setEnvironmentSecret(CHECKOUT, 'staging', 'STRIPE_KEY', { ref: 'aws-sm://a#' }), /aws-sm:\/\/<secret-name>\[#<json-key>\]/);
  });

  it("refuses a version its store cannot have, never quoting it; an unmanaged reference's version is kept as given", () => {
    const cases: [string, string, RegExp][] = [
      ['aws-sm://idp/checkout/staging/K', 'AWSPREVIOUS', /VersionId/],
      ['vault://secret/idp/checkout/staging/K#value', 'v3canary', /whole number/],
      ['vault://secret/idp/checkout/staging/K#value', '0', /whole number/],
      ['sops://checkout/staging.enc.yaml#K', 'abc1234', /full commit/],
      ['sops://checkout/staging.enc.yaml#K', '', /full commit/],
    ];
    for (const [ref, version, why] of cases) {
      assert.throws(
        () => setEnvironmentSecret(CHECKOUT, 'staging', 'K', { ref, version }),
        (e: Error) => e instanceof InvalidRequestError && why.test(e.message) && (version === '' || !e.message.includes(version)),
        `${ref} ${version}`,
      );
    }
    const gcp = setEnvironmentSecret(CHECKOUT, 'staging', 'K', { ref: 'gcp-sm://projects/p/secrets/k', version: 'latest' });
    assert.deepEqual(parsePaws(gcp).spec.environments?.staging?.secrets?.K, { ref: 'gcp-sm://projects/p/secrets/k', version: 'latest' });
  });

  it('refuses a bad key name (without quoting more than 64 characters of it) and an unknown environment', () => {
    for (const key of ['1BAD', 'BAD-KEY', 'A B', '']) {
      assert.throws(() => setEnvironmentSecret(CHECKOUT, 'staging', key, { ref: REF }), (e: Error) => e instanceof InvalidRequestError && /is not a secret name/.test(e.message), key);
    }
    assert.throws(() => setEnvironmentSecret(CHECKOUT, 'staging', `X-${'y'.repeat(100)}`, { ref: REF }), (e: Error) => !e.message.includes('y'.repeat(63)));
    assert.throws(() => setEnvironmentSecret(CHECKOUT, 'nope', 'STRIPE_KEY', { ref: REF }), NotFoundError);
  });
});

describe('paws.yaml secret entries', () => {
  it('a version written as a number is refused with "quote it", like variables', () => {
    const text = CHECKOUT.replace('{ ref: "vault://kv/checkout/staging#stripe_key" }', '{ ref: "vault://kv/checkout/staging#stripe_key", version: 4 }');
    assert.throws(() => parsePaws(text), (e: Error) => e instanceof InvalidPawsError && /paws\.yaml:25:\d+: environments\.staging\.secrets\.STRIPE_KEY\.version: expected a string; quote the version, e\.g\. "3"/.test(e.message));
  });

  it("a version that is not the store's kind is refused at its line, not quoted back", () => {
    const text = CHECKOUT.replace('{ ref: "vault://kv/checkout/staging#stripe_key" }', '{ ref: "vault://kv/checkout/staging#stripe_key", version: "sk_live_canary" }');
    assert.throws(() => parsePaws(text), (e: Error) => /paws\.yaml:25:\d+: environments\.staging\.secrets\.STRIPE_KEY\.version: a Vault KV v2 version is a whole number/.test(e.message) && !e.message.includes('canary'));
  });

  it('a pasted connection URL is not taken for a reference, and not quoted back', () => {
    const text = CHECKOUT.replace('{ ref: "vault://kv/checkout/staging#stripe_key" }', '"postgres://app:canarypw@db/checkout"');
    assert.throws(() => parsePaws(text), (e: Error) => /secret values never go in paws\.yaml/.test(e.message) && !e.message.includes('canarypw'));
  });
});

describe('unsetEnvironmentSecret', () => {
  it('removes the key; the last key takes the emptied `secrets:` with it (block map)', () => {
    const two = setEnvironmentSecret(CHECKOUT, 'staging', 'B_KEY', { ref: 'aws-sm://b' });
    const one = unsetEnvironmentSecret(two, 'staging', 'B_KEY');
    assert.equal(one, CHECKOUT);
    const none = unsetEnvironmentSecret(CHECKOUT, 'staging', 'STRIPE_KEY');
    assert.deepEqual(lineDiff(CHECKOUT, none), ['-24:     secrets:', '-25:       STRIPE_KEY: { ref: "vault://kv/checkout/staging#stripe_key" }']);
    assert.equal(parsePaws(none).spec.environments?.staging?.secrets, undefined);
    assert.deepEqual(comments(none), comments(CHECKOUT));
  });

  it('in a flow map: one key goes from its line; the last one takes the `secrets:` line (and its comment) with it', () => {
    const two = setEnvironmentSecret(FLOW, 'staging', 'B_KEY', { ref: 'aws-sm://b' });
    const one = unsetEnvironmentSecret(two, 'staging', 'STRIPE_KEY');
    assert.deepEqual(lineDiff(two, one), [
      '-24:     secrets: { STRIPE_KEY: { ref: "vault://kv/checkout/staging#stripe_key", version: "4" }, B_KEY: { ref: "aws-sm://b" } }   # rotated monthly',
      '+24:     secrets: { B_KEY: { ref: "aws-sm://b" } }   # rotated monthly',
    ]);
    const none = unsetEnvironmentSecret(one, 'staging', 'B_KEY');
    assert.deepEqual(lineDiff(one, none), ['-24:     secrets: { B_KEY: { ref: "aws-sm://b" } }   # rotated monthly']);
    assert.equal(parsePaws(none).spec.environments?.staging?.secrets, undefined);
  });

  it('in an environment written on one line, the last key takes `secrets` out of that line', () => {
    const text = CHECKOUT.replace('  preview-123:\n', '  preview-9: { from: staging, secrets: { A_KEY: { ref: "aws-sm://a" } } }   # demo\n  preview-123:\n');
    assert.deepEqual(lineDiff(text, unsetEnvironmentSecret(text, 'preview-9', 'A_KEY')), [
      '-29:   preview-9: { from: staging, secrets: { A_KEY: { ref: "aws-sm://a" } } }   # demo',
      '+29:   preview-9: { from: staging }   # demo',
    ]);
  });

  it('an inherited key is not unset where it is only inherited: the error says where it comes from; an absent key says so', () => {
    assert.throws(() => unsetEnvironmentSecret(CHECKOUT, 'preview-123', 'STRIPE_KEY'), (e: Error) => e instanceof InvalidRequestError && /comes from staging \(through from:\)/.test(e.message));
    assert.throws(() => unsetEnvironmentSecret(CHECKOUT, 'production', 'STRIPE_KEY'), /production has no secret STRIPE_KEY; idp secrets --env production lists them/);
    assert.throws(() => unsetEnvironmentSecret(CHECKOUT, 'nope', 'STRIPE_KEY'), NotFoundError);
    assert.throws(() => unsetEnvironmentSecret(CHECKOUT, 'staging', 'bad-key'), /is not a secret name/);
  });
});

describe('effectiveSecrets', () => {
  it('own keys, then keys inherited through from:, nearest first, sorted by key', () => {
    const own = setEnvironmentSecret(CHECKOUT, 'preview-123', 'PREVIEW_KEY', { ref: 'aws-sm://p', version: AWS_V1 });
    assert.deepEqual(effectiveSecrets(parsePaws(own).spec, 'preview-123'), [
      { key: 'PREVIEW_KEY', ref: 'aws-sm://p', version: AWS_V1, source: 'own' },
      { key: 'STRIPE_KEY', ref: 'vault://kv/checkout/staging#stripe_key', source: { from: 'staging' } },
    ]);
    const shadowed = setEnvironmentSecret(CHECKOUT, 'preview-123', 'STRIPE_KEY', { ref: REF, version: SHA_1 });
    assert.deepEqual(effectiveSecrets(parsePaws(shadowed).spec, 'preview-123'), [{ key: 'STRIPE_KEY', ref: REF, version: SHA_1, source: 'own' }]);
    assert.deepEqual(effectiveSecrets(parsePaws(CHECKOUT).spec, 'production'), []);
  });

  it('through two levels of from:, each key from the nearest environment that sets it', () => {
    const chain = CHECKOUT.replace('  preview-123:\n', '  preview-7:\n    from: preview-123\n  preview-123:\n');
    const mid = setEnvironmentSecret(chain, 'preview-123', 'MID_KEY', { ref: 'aws-sm://m' });
    assert.deepEqual(effectiveSecrets(parsePaws(mid).spec, 'preview-7'), [
      { key: 'MID_KEY', ref: 'aws-sm://m', source: { from: 'preview-123' } },
      { key: 'STRIPE_KEY', ref: 'vault://kv/checkout/staging#stripe_key', source: { from: 'staging' } },
    ]);
    assert.deepEqual(effectiveSecrets(parsePaws(mid).spec, 'unknown'), []);
  });
});

describe('applyEnvChange env-secrets', () => {
  it('sets with a reference and unsets without one; no key, or a version without a reference, is a request error', () => {
    const base = { kind: 'env-secrets' as const, path: 'paws.yaml', env: 'staging', requestedAt: '2026-11-26T00:00:00Z' };
    const set = applyEnvChange(CHECKOUT, { ...base, secret: { key: 'STRIPE_KEY', ref: REF, version: SHA_1 } });
    assert.equal(set.component, 'checkout');
    assert.deepEqual(lineDiff(CHECKOUT, set.text), ['-25:       STRIPE_KEY: { ref: "vault://kv/checkout/staging#stripe_key" }', `+25:       STRIPE_KEY: { ref: "${REF}", version: "${SHA_1}" }`]);
    const unset = applyEnvChange(set.text, { ...base, secret: { key: 'STRIPE_KEY' } });
    assert.equal(parsePaws(unset.text).spec.environments?.staging?.secrets, undefined);
    assert.throws(() => applyEnvChange(CHECKOUT, base), InvalidRequestError);
    assert.throws(() => applyEnvChange(CHECKOUT, { ...base, secret: { key: 'STRIPE_KEY', version: '3' } }), /A version goes with a reference/);
  });
});
