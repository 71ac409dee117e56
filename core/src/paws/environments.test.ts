import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConflictError, InvalidPawsError, InvalidRequestError, NotFoundError } from '../errors.js';
import { cloneEnvironment, createEnvironment, destroyEnvironment, extendEnvironment, listEnvironments } from './environments.js';
import { parsePaws } from './parse.js';
import { CHECKOUT, lineDiff } from './test-fixtures.js';

const NOW = new Date('2026-11-24T10:00:00Z');
const HEAD = 'apiVersion: paws.dev/v1\nkind: Workload\nmetadata: { name: checkout }\ncontainers: { web: { image: nginx, variables: { FROM_CONTAINER: "1" } } }\n';
const BROKEN = `${HEAD}environments:\n  staging: {}\n  staging: {}\n`;

describe('cloneEnvironment', () => {
  it('adds `target: { from: source, lifecycle }` and nothing else', () => {
    const result = cloneEnvironment(CHECKOUT, { source: 'staging', target: 'preview-124', ttl: '48h', now: NOW });
    assert.deepEqual(lineDiff(CHECKOUT, result.text), [
      '+32:   preview-124:',
      '+33:     from: staging',
      '+34:     lifecycle:',
      '+35:       ttl: 48h',
      '+36:       expiresAt: "2026-11-26T10:00:00Z"',
    ]);
    assert.deepEqual(result.env, { from: 'staging', lifecycle: { ttl: '48h', expiresAt: '2026-11-26T10:00:00Z' } });
    assert.deepEqual(result.spec, parsePaws(result.text).spec);
  });

  it('clones a permanent environment without a TTL', () => {
    const result = cloneEnvironment(CHECKOUT, { source: 'production', target: 'production-eu', now: NOW });
    assert.deepEqual(lineDiff(CHECKOUT, result.text), ['+32:   production-eu:', '+33:     from: production']);
    assert.deepEqual(result.env, { from: 'production' });
  });

  it('refuses a source that does not exist, naming the ones that do', () => {
    assert.throws(
      () => cloneEnvironment(CHECKOUT, { source: 'stagin', target: 'preview-9', now: NOW }),
      (e: unknown) => {
        assert.ok(e instanceof NotFoundError);
        assert.equal(e.message, 'Environment "stagin" does not exist in paws.yaml; existing: staging, production, preview-123.');
        return true;
      },
    );
    assert.throws(
      () => cloneEnvironment(HEAD, { source: 'staging', target: 'preview-9', now: NOW, file: 'svc/paws.yaml' }),
      { message: 'Environment "staging" does not exist in svc/paws.yaml; it has no environments yet.' },
    );
  });

  it('refuses a target that exists', () => {
    assert.throws(
      () => cloneEnvironment(CHECKOUT, { source: 'staging', target: 'preview-123', now: NOW }),
      (e: unknown) => e instanceof ConflictError && e.message.startsWith('Environment "preview-123" already exists in paws.yaml'),
    );
  });

  it('refuses reserved, invalid and too long target names', () => {
    for (const target of ['main', 'Preview', 'preview_1', '-preview', 'a'.repeat(64), '']) {
      assert.throws(() => cloneEnvironment(CHECKOUT, { source: 'staging', target, now: NOW }), InvalidRequestError, target);
    }
    assert.doesNotThrow(() => cloneEnvironment(CHECKOUT, { source: 'staging', target: 'a'.repeat(63), now: NOW }));
  });

  it('refuses a bad TTL', () => {
    assert.throws(() => cloneEnvironment(CHECKOUT, { source: 'staging', target: 'p', ttl: '0h', now: NOW }), /Invalid TTL "0h"/);
  });

  it('refuses a malformed paws.yaml before anything else', () => {
    // Even with a bad target name, the file's problem is what is reported.
    assert.throws(() => cloneEnvironment(BROKEN, { source: 'staging', target: 'MAIN', now: NOW }), InvalidPawsError);
  });
});

describe('createEnvironment', () => {
  it('adds `name: {}` as a single line', () => {
    const result = createEnvironment(CHECKOUT, { name: 'qa', now: NOW });
    assert.deepEqual(lineDiff(CHECKOUT, result.text), ['+32:   qa: {}']);
    assert.deepEqual(result.env, {});
  });

  it('adds a lifecycle when given a TTL', () => {
    const result = createEnvironment(CHECKOUT, { name: 'qa', ttl: '1h30m', now: NOW });
    assert.deepEqual(result.env, { lifecycle: { ttl: '1h30m', expiresAt: '2026-11-24T11:30:00Z' } });
  });

  it('creates the environments map in a file without one', () => {
    const result = createEnvironment(HEAD, { name: 'qa', now: NOW });
    assert.equal(result.text, `${HEAD}environments:\n  qa: {}\n`);
  });

  it('refuses an existing or invalid name, and a malformed file', () => {
    assert.throws(() => createEnvironment(CHECKOUT, { name: 'staging', now: NOW }), ConflictError);
    assert.throws(() => createEnvironment(CHECKOUT, { name: 'idp', now: NOW }), InvalidRequestError);
    assert.throws(() => createEnvironment(BROKEN, { name: 'qa', now: NOW }), InvalidPawsError);
  });
});

describe('destroyEnvironment', () => {
  it('destroys an ephemeral environment without confirmation, removing only its lines', () => {
    const result = destroyEnvironment(CHECKOUT, { name: 'preview-123' });
    assert.deepEqual(lineDiff(CHECKOUT, result.text), [
      '-29:   preview-123:',
      '-30:     from: staging',
      '-31:     lifecycle: { ttl: 72h, expiresAt: "2026-11-27T10:00:00Z" }',
    ]);
    assert.deepEqual(result.env, { from: 'staging', lifecycle: { ttl: '72h', expiresAt: '2026-11-27T10:00:00Z' } });
    assert.deepEqual(Object.keys(result.spec.environments ?? {}), ['staging', 'production']);
  });

  it('requires --confirm <name> for a permanent environment', () => {
    for (const confirm of [undefined, 'yes', 'Production']) {
      assert.throws(
        () => destroyEnvironment(CHECKOUT, { name: 'production', ...(confirm === undefined ? {} : { confirm }) }),
        (e: unknown) => {
          assert.ok(e instanceof InvalidRequestError);
          assert.equal(e.message, 'production is a permanent environment; to destroy it pass --confirm production');
          return true;
        },
      );
    }
    const result = destroyEnvironment(CHECKOUT, { name: 'production', confirm: 'production' });
    assert.equal(result.spec.environments?.['production'], undefined);
  });

  it('refuses while other environments are cloned from it, naming them, even when confirmed', () => {
    const text = cloneEnvironment(CHECKOUT, { source: 'staging', target: 'preview-124', ttl: '1d', now: NOW }).text;
    assert.throws(
      () => destroyEnvironment(text, { name: 'staging', confirm: 'staging' }),
      (e: unknown) => {
        assert.ok(e instanceof ConflictError);
        assert.equal(e.message, 'Environment "staging" cannot be destroyed: preview-123, preview-124 are cloned from it (from: staging). Destroy them first.');
        assert.deepEqual(e.details, { environment: 'staging', dependents: ['preview-123', 'preview-124'] });
        return true;
      },
    );
  });

  it('refuses a missing environment and a malformed file', () => {
    assert.throws(() => destroyEnvironment(CHECKOUT, { name: 'qa' }), NotFoundError);
    assert.throws(() => destroyEnvironment(BROKEN, { name: 'staging', confirm: 'staging' }), InvalidPawsError);
  });
});

describe('extendEnvironment', () => {
  it('adds the TTL to the current expiry when it is in the future', () => {
    const result = extendEnvironment(CHECKOUT, { name: 'preview-123', ttl: '24h', now: NOW });
    assert.deepEqual(result.env?.lifecycle, { ttl: '72h', expiresAt: '2026-11-28T10:00:00Z' });
    assert.deepEqual(lineDiff(CHECKOUT, result.text), [
      '-31:     lifecycle: { ttl: 72h, expiresAt: "2026-11-27T10:00:00Z" }',
      '+31:     lifecycle: { ttl: 72h, expiresAt: "2026-11-28T10:00:00Z" }',
    ]);
  });

  it('counts from now when the environment already expired', () => {
    const later = new Date('2026-12-01T08:30:00.500Z');
    const result = extendEnvironment(CHECKOUT, { name: 'preview-123', ttl: '2h', now: later });
    assert.equal(result.env?.lifecycle?.expiresAt, '2026-12-01T10:30:00Z');
  });

  it('sets lifecycle.ttl when the environment only had an expiry, and an expiry when it only had a ttl', () => {
    const onlyExpiry = `${HEAD}environments:\n  qa:\n    lifecycle: { expiresAt: "2026-11-25T00:00:00Z" }\n`;
    assert.deepEqual(extendEnvironment(onlyExpiry, { name: 'qa', ttl: '1d', now: NOW }).env?.lifecycle, {
      ttl: '1d',
      expiresAt: '2026-11-26T00:00:00Z',
    });
    const onlyTtl = `${HEAD}environments:\n  qa:\n    lifecycle:\n      ttl: 7d\n`;
    const result = extendEnvironment(onlyTtl, { name: 'qa', ttl: '1d', now: NOW });
    assert.equal(result.text, `${onlyTtl}      expiresAt: "2026-11-25T10:00:00Z"\n`);
  });

  it('refuses to make a permanent environment expire', () => {
    assert.throws(() => extendEnvironment(CHECKOUT, { name: 'staging', ttl: '1d', now: NOW }), (e: unknown) => {
      assert.ok(e instanceof InvalidRequestError);
      assert.match(e.message, /^staging is a permanent environment: it does not expire/);
      return true;
    });
  });

  it('refuses a missing environment, a bad TTL and a malformed file', () => {
    assert.throws(() => extendEnvironment(CHECKOUT, { name: 'qa', ttl: '1d', now: NOW }), NotFoundError);
    assert.throws(() => extendEnvironment(CHECKOUT, { name: 'preview-123', ttl: '400d', now: NOW }), /at most 365d/);
    assert.throws(() => extendEnvironment(BROKEN, { name: 'staging', ttl: '1d', now: NOW }), InvalidPawsError);
  });
});

describe('listEnvironments', () => {
  it('lists environments in file order with what they inherit along from:', () => {
    const text = `${HEAD}environments:
  staging:
    variables: { LOG_LEVEL: debug, REGION: eu }
    secrets: { STRIPE_KEY: { ref: "vault://kv/s#k" } }
    release: { approvals: 1 }
  preview-1:
    from: staging
    variables: { LOG_LEVEL: trace }
    secrets: { EXTRA: { ref: "env://EXTRA" } }
    lifecycle: { ttl: 72h, expiresAt: "2026-11-27T10:00:00Z" }
  preview-1-fix:
    from: preview-1
    variables: { REGION: us }
    release: { approvals: 0 }
    lifecycle: { expiresAt: "2026-11-25T10:00:00Z" }
  production:
    release: { approvals: 2 }
`;
    assert.deepEqual(listEnvironments(parsePaws(text).spec), [
      { name: 'staging', ephemeral: false, variables: { LOG_LEVEL: 'debug', REGION: 'eu' }, secrets: ['STRIPE_KEY'], approvals: 1 },
      {
        name: 'preview-1',
        from: 'staging',
        ephemeral: true,
        ttl: '72h',
        expiresAt: '2026-11-27T10:00:00Z',
        variables: { LOG_LEVEL: 'trace', REGION: 'eu' },
        secrets: ['STRIPE_KEY', 'EXTRA'],
        approvals: 1,
      },
      {
        name: 'preview-1-fix',
        from: 'preview-1',
        ephemeral: true,
        expiresAt: '2026-11-25T10:00:00Z',
        variables: { LOG_LEVEL: 'trace', REGION: 'us' },
        secrets: ['STRIPE_KEY', 'EXTRA'],
        approvals: 0,
      },
      { name: 'production', ephemeral: false, variables: {}, secrets: [], approvals: 2 },
    ]);
  });

  it('is empty for a file without environments', () => {
    assert.deepEqual(listEnvironments(parsePaws(HEAD).spec), []);
    assert.deepEqual(listEnvironments(parsePaws(`${HEAD}environments:\n`).spec), []);
  });
});
