import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidRequestError, NotFoundError } from '../errors.js';
import { secretLooking } from '../secrets/looks-like-secret.js';
import { applyEnvChange } from './change.js';
import { setEnvironmentVariables } from './edit.js';
import { effectiveVariables } from './environments.js';
import { parsePaws } from './parse.js';
import { CHECKOUT, lineDiff } from './test-fixtures.js';

const comments = (text: string) => text.split('\n').filter((l) => l.includes('#'));
const vars = (text: string, env: string) => parsePaws(text).spec.environments?.[env]?.variables;

describe('setEnvironmentVariables', () => {
  it('sets and adds in a flow map in place: one line changes, comments stay', () => {
    const out = setEnvironmentVariables(CHECKOUT, 'staging', { set: { LOG_LEVEL: 'warn', FEATURE_X: 'on' } });
    assert.deepEqual(lineDiff(CHECKOUT, out), ['-23:     variables: { LOG_LEVEL: debug }', '+23:     variables: { LOG_LEVEL: warn, FEATURE_X: "on" }']);
    assert.deepEqual(vars(out, 'staging'), { LOG_LEVEL: 'warn', FEATURE_X: 'on' });
    assert.deepEqual(comments(out), comments(CHECKOUT));
  });

  it('keeps numbers and booleans strings by quoting them, in block maps too', () => {
    const block = CHECKOUT.replace('    variables: { LOG_LEVEL: debug }\n', '    variables:\n      LOG_LEVEL: debug   # noisy\n');
    const out = setEnvironmentVariables(block, 'staging', { set: { LOG_LEVEL: '8080', ENABLED: 'true', EMPTY: '' } });
    assert.deepEqual(vars(out, 'staging'), { LOG_LEVEL: '8080', ENABLED: 'true', EMPTY: '' });
    assert.match(out, /LOG_LEVEL: "8080"   # noisy\n/);
    assert.match(out, /\n {6}ENABLED: "true"\n {6}EMPTY: ""\n/);
  });

  it('quotes a value with , { } inside a flow map, new or replaced', () => {
    const out = setEnvironmentVariables(CHECKOUT, 'staging', { set: { LOG_LEVEL: 'a, b}', HOSTS: '{x,y}' } });
    assert.deepEqual(vars(out, 'staging'), { LOG_LEVEL: 'a, b}', HOSTS: '{x,y}' });
    assert.equal(lineDiff(CHECKOUT, out).length, 2);
  });

  it('adds variables: to an environment without any, and removes it with its last key', () => {
    const added = setEnvironmentVariables(CHECKOUT, 'production', { set: { REGION: 'eu-west-1' } });
    assert.deepEqual(vars(added, 'production'), { REGION: 'eu-west-1' });
    assert.equal(setEnvironmentVariables(added, 'production', { unset: ['REGION'] }), CHECKOUT);
    const none = setEnvironmentVariables(CHECKOUT, 'staging', { unset: ['LOG_LEVEL'] });
    assert.deepEqual(lineDiff(CHECKOUT, none), ['-23:     variables: { LOG_LEVEL: debug }']);
  });

  it('sets and unsets in one edit', () => {
    const two = setEnvironmentVariables(CHECKOUT, 'staging', { set: { A: '1', B: '2' } });
    const out = setEnvironmentVariables(two, 'staging', { set: { C: '3' }, unset: ['A', 'LOG_LEVEL'] });
    assert.deepEqual(vars(out, 'staging'), { B: '2', C: '3' });
  });

  it('refuses what it cannot do, saying why and what to do; the text is not changed', () => {
    assert.throws(() => setEnvironmentVariables(CHECKOUT, 'staging', {}), /Nothing to change/);
    assert.throws(() => setEnvironmentVariables(CHECKOUT, 'nope', { set: { A: '1' } }), NotFoundError);
    assert.throws(() => setEnvironmentVariables(CHECKOUT, 'staging', { set: { '1A': 'x' } }), /not a variable name/);
    assert.throws(() => setEnvironmentVariables(CHECKOUT, 'staging', { set: { A: '1' }, unset: ['A'] }), /both set and unset/);
    assert.throws(() => setEnvironmentVariables(CHECKOUT, 'preview-123', { unset: ['LOG_LEVEL'] }), /comes from staging \(through from:\)/);
    assert.throws(() => setEnvironmentVariables(CHECKOUT, 'production', { unset: ['DATABASE_URL'] }), /comes from container web \(the workload default\)/);
    assert.throws(() => setEnvironmentVariables(CHECKOUT, 'production', { unset: ['NOPE'] }), /production has no variable NOPE/);
  });

  it('writes new values quoted where a YAML 1.1 reader would not read a string (on, yes)', () => {
    const out = setEnvironmentVariables(CHECKOUT, 'production', { set: { FEATURE_X: 'on', ON_CALL: 'yes', NAME: 'plain' } });
    assert.match(out, /\n {6}FEATURE_X: "on"\n {6}ON_CALL: "yes"\n {6}NAME: plain\n/);
    const flow = setEnvironmentVariables(CHECKOUT, 'staging', { set: { FEATURE_X: 'on' } });
    assert.match(flow, /variables: \{ LOG_LEVEL: debug, FEATURE_X: "on" \}/);
  });

  it('a request that changes nothing is refused instead of opening an empty PR; a credential as a name is not repeated', () => {
    assert.throws(() => setEnvironmentVariables(CHECKOUT, 'staging', { set: { LOG_LEVEL: 'debug' } }), /LOG_LEVEL is already set to that value in staging; nothing to change/);
    assert.throws(() => setEnvironmentVariables(CHECKOUT, 'staging', { set: { AKIAIOSFODNN7EXAMPLE: 'x' } }), (e: Error) => /looks like a credential/.test(e.message) && !e.message.includes('AKIA'));
    assert.throws(() => setEnvironmentVariables(CHECKOUT, 'staging', { set: { 'sk-live-abcdefghijklmnopqrstuvwxyz012345': 'x' } }), (e: Error) => /not a variable name/.test(e.message) && !e.message.includes('sk-live'));
  });

  it('refuses a variable that looks like a secret, pointing at idp secrets set and never repeating the value', () => {
    const canary = `sk_live_${'Zq9'.repeat(8)}`;
    const cases: Record<string, string>[] = [{ STRIPE_KEY: 'value-abc-1' }, { GITHUB_TOKEN: 'value-x-2' }, { DB_PASSWORD: 'hunter2-3' }, { CLIENT_SECRET: 'value-y-4' }, { PAYMENTS: canary }];
    for (const set of cases) {
      assert.throws(
        () => setEnvironmentVariables(CHECKOUT, 'staging', { set }),
        (e: Error) => e instanceof InvalidRequestError && /idp secrets set \w+ --env staging/.test(e.message) && !Object.values(set).some((v) => e.message.includes(v)),
      );
    }
  });
});

describe('secretLooking', () => {
  it('by name and by value, with the usual false friends let through', () => {
    for (const [k, v] of [['API_KEY', 'x'], ['SLACK_TOKEN', 'x'], ['MYSQL_PASSWORD', 'x'], ['AWS_SECRET_ACCESS_KEY', 'x'], ['X', 'AKIAIOSFODNN7EXAMPLE'], ['X', `ghp_${'a1'.repeat(18)}`], ['X', '-----BEGIN RSA PRIVATE KEY-----'], ['X', 'postgres://app:s3cret@db:5432/app'], ['X', 'Zx8Qp2Lm9Rt4Vb7Nc1Kd6Hf3Js5Wg0Ye']]) {
      assert.ok(secretLooking(k!, v!), `${k}=${v}`);
    }
    for (const [k, v] of [['LOG_LEVEL', 'debug'], ['STRIPE_PUBLISHABLE_KEY', 'pk_live_x'], ['CACHE_KEY_PREFIX', 'v1'], ['IMAGE_DIGEST', `sha256:${'ab12'.repeat(16)}`], ['DATABASE_URL', '${resources.db.url}'], ['GIT_SHA', 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3'], ['MESSAGE', 'the quick brown fox jumps over the lazy dog']]) {
      assert.equal(secretLooking(k!, v!), null, `${k}=${v}`);
    }
  });
});

describe('effectiveVariables', () => {
  it('the workload default, then the from-chain, then the environment itself, each with its source', () => {
    const spec = parsePaws(setEnvironmentVariables(CHECKOUT, 'preview-123', { set: { FEATURE_X: 'on' } })).spec;
    assert.deepEqual(effectiveVariables(spec, 'preview-123'), [
      { key: 'DATABASE_URL', value: '${resources.db.url}', source: { container: 'web' } },
      { key: 'FEATURE_X', value: 'on', source: 'own' },
      { key: 'LOG_LEVEL', value: 'debug', source: { from: 'staging' } },
    ]);
    assert.deepEqual(effectiveVariables(spec, 'production').map((v) => [v.key, v.value]), [['DATABASE_URL', '${resources.db.url}'], ['LOG_LEVEL', 'info']]);
  });

  it('applyEnvChange env-vars is the same edit', () => {
    const out = applyEnvChange(CHECKOUT, { kind: 'env-vars', path: 'paws.yaml', env: 'staging', requestedAt: '2026-11-26T00:00:00Z', variables: { set: { LOG_LEVEL: 'warn' } } });
    assert.equal(out.component, 'checkout');
    assert.deepEqual(vars(out.text, 'staging'), { LOG_LEVEL: 'warn' });
  });
});
