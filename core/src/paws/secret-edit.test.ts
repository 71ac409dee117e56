import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidRequestError, NotFoundError } from '../errors.js';
import { applyEnvChange } from './change.js';
import { setEnvironmentSecret, unsetEnvironmentSecret } from './edit.js';
import { effectiveSecrets } from './environments.js';
import { parsePaws } from './parse.js';
import { CHECKOUT, lineDiff } from './test-fixtures.js';

const REF = 'sops://checkout/staging.enc.yaml#STRIPE_KEY';
const comments = (text: string) => text.split('\n').filter((l) => l.includes('#') && !l.includes('://'));

describe('setEnvironmentSecret', () => {
  it('a new version of a pinned secret changes exactly its one line', () => {
    const v1 = setEnvironmentSecret(CHECKOUT, 'staging', 'STRIPE_KEY', { ref: REF, version: 'aaa111' });
    const v2 = setEnvironmentSecret(v1, 'staging', 'STRIPE_KEY', { ref: REF, version: 'bbb222' });
    assert.deepEqual(lineDiff(v1, v2), [
      `-25:       STRIPE_KEY: { ref: ${REF}, version: aaa111 }`,
      `+25:       STRIPE_KEY: { ref: ${REF}, version: bbb222 }`,
    ]);
    assert.deepEqual(parsePaws(v2).spec.environments?.staging?.secrets?.STRIPE_KEY, { ref: REF, version: 'bbb222' });
    assert.deepEqual(comments(v2), comments(CHECKOUT));
  });

  it('adds a new key as one line in a block `secrets:` map, and a `secrets:` to an environment without one', () => {
    const added = setEnvironmentSecret(CHECKOUT, 'staging', 'GITHUB_TOKEN', { ref: 'aws-sm://idp/checkout/staging/GITHUB_TOKEN', version: 'v-1' });
    assert.deepEqual(lineDiff(CHECKOUT, added), ['+26:       GITHUB_TOKEN: { ref: aws-sm://idp/checkout/staging/GITHUB_TOKEN, version: v-1 }']);
    const first = setEnvironmentSecret(CHECKOUT, 'production', 'DB_PASSWORD', { ref: 'vault://secret/idp/checkout/production/DB_PASSWORD#value', version: '3' });
    assert.deepEqual(parsePaws(first).spec.environments?.production?.secrets, { DB_PASSWORD: { ref: 'vault://secret/idp/checkout/production/DB_PASSWORD#value', version: '3' } });
    assert.equal(lineDiff(CHECKOUT, first).length, 2, lineDiff(CHECKOUT, first).join('\n'));
  });

  it('writes into a flow-style environment and a flow `secrets:` map in their own style', () => {
    const flow = CHECKOUT.replace('  preview-123:\n    from: staging\n', '  preview-123:\n    from: staging\n    secrets: { A_KEY: { ref: "aws-sm://a" } }\n');
    const out = setEnvironmentSecret(flow, 'preview-123', 'B_KEY', { ref: 'aws-sm://b', version: 'x' });
    assert.match(out, /secrets: \{ A_KEY: \{ ref: "aws-sm:\/\/a" \}, B_KEY: \{ ref: aws-sm:\/\/b, version: x \} \}/);
    assert.equal(lineDiff(flow, out).length, 2);
  });

  it('turns a hand-written block entry into the one-line form', () => {
    const block = CHECKOUT.replace(
      '      STRIPE_KEY: { ref: "vault://kv/checkout/staging#stripe_key" }\n',
      '      STRIPE_KEY:\n        ref: "vault://kv/checkout/staging#stripe_key"   # the old one\n',
    );
    const out = setEnvironmentSecret(block, 'staging', 'STRIPE_KEY', { ref: REF, version: 'c0ffee' });
    assert.match(out, /\n {6}STRIPE_KEY: \{ ref: sops:\/\/checkout\/staging.enc.yaml#STRIPE_KEY, version: c0ffee \}\n {4}release:/);
    assert.deepEqual(parsePaws(out).spec.environments?.staging?.secrets?.STRIPE_KEY, { ref: REF, version: 'c0ffee' });
  });

  it('refuses a value where a reference belongs without echoing it, a bad key, an unknown environment; nothing changes', () => {
    const value = 'sk_live_canary_51Habc';
    assert.throws(() => setEnvironmentSecret(CHECKOUT, 'staging', 'STRIPE_KEY', { ref: value }), (e: Error) => e instanceof InvalidRequestError && !e.message.includes(value));
    assert.throws(() => setEnvironmentSecret(CHECKOUT, 'staging', '1BAD-KEY', { ref: REF }), InvalidRequestError);
    assert.throws(() => setEnvironmentSecret(CHECKOUT, 'nope', 'STRIPE_KEY', { ref: REF }), NotFoundError);
    assert.throws(() => setEnvironmentSecret(CHECKOUT, 'staging', 'STRIPE_KEY', { ref: 'vault://nomount' }), /vault:\/\/<mount>\/<path>#<key>/);
  });
});

describe('unsetEnvironmentSecret', () => {
  it('removes the key; the last key takes the emptied `secrets:` with it', () => {
    const two = setEnvironmentSecret(CHECKOUT, 'staging', 'B_KEY', { ref: 'aws-sm://b' });
    const one = unsetEnvironmentSecret(two, 'staging', 'B_KEY');
    assert.equal(one, CHECKOUT);
    const none = unsetEnvironmentSecret(CHECKOUT, 'staging', 'STRIPE_KEY');
    assert.deepEqual(lineDiff(CHECKOUT, none), ['-24:     secrets:', '-25:       STRIPE_KEY: { ref: "vault://kv/checkout/staging#stripe_key" }']);
    assert.equal(parsePaws(none).spec.environments?.staging?.secrets, undefined);
  });

  it('an inherited key is not unset where it is only inherited: the error says where it comes from', () => {
    assert.throws(() => unsetEnvironmentSecret(CHECKOUT, 'preview-123', 'STRIPE_KEY'), /comes from staging/);
    assert.throws(() => unsetEnvironmentSecret(CHECKOUT, 'production', 'STRIPE_KEY'), /production has no secret STRIPE_KEY/);
  });
});

describe('effectiveSecrets', () => {
  it('own keys, then keys inherited through from:, nearest first', () => {
    const own = setEnvironmentSecret(CHECKOUT, 'preview-123', 'PREVIEW_KEY', { ref: 'aws-sm://p', version: '1' });
    assert.deepEqual(effectiveSecrets(parsePaws(own).spec, 'preview-123'), [
      { key: 'PREVIEW_KEY', ref: 'aws-sm://p', version: '1', source: 'own' },
      { key: 'STRIPE_KEY', ref: 'vault://kv/checkout/staging#stripe_key', source: { from: 'staging' } },
    ]);
    const shadowed = setEnvironmentSecret(CHECKOUT, 'preview-123', 'STRIPE_KEY', { ref: REF, version: '9' });
    assert.deepEqual(effectiveSecrets(parsePaws(shadowed).spec, 'preview-123'), [{ key: 'STRIPE_KEY', ref: REF, version: '9', source: 'own' }]);
    assert.deepEqual(effectiveSecrets(parsePaws(CHECKOUT).spec, 'production'), []);
  });
});

describe('applyEnvChange env-secrets', () => {
  it('sets with a reference and unsets without one', () => {
    const base = { kind: 'env-secrets' as const, path: 'paws.yaml', env: 'staging', requestedAt: '2026-11-26T00:00:00Z' };
    const set = applyEnvChange(CHECKOUT, { ...base, secret: { key: 'STRIPE_KEY', ref: REF, version: 'abc' } });
    assert.equal(set.component, 'checkout');
    assert.equal(lineDiff(CHECKOUT, set.text).length, 2);
    const unset = applyEnvChange(set.text, { ...base, secret: { key: 'STRIPE_KEY' } });
    assert.equal(parsePaws(unset.text).spec.environments?.staging?.secrets, undefined);
    assert.throws(() => applyEnvChange(CHECKOUT, base), InvalidRequestError);
  });
});
