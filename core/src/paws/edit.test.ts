import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConflictError, IdpError, InvalidPawsError, InvalidRequestError, NotFoundError } from '../errors.js';
import { addEnvironment, removeEnvironment, setEnvironmentLifecycle } from './edit.js';
import { parsePaws } from './parse.js';
import { CHECKOUT, lineDiff } from './test-fixtures.js';

const HEAD = 'apiVersion: paws.dev/v1\nkind: Workload\nmetadata: { name: checkout }\ncontainers: { web: { image: nginx } }\n';
const PREVIEW = { from: 'staging', lifecycle: { ttl: '72h', expiresAt: '2026-11-27T10:00:00Z' } };
const PREVIEW_LINES = ['  preview-124:', '    from: staging', '    lifecycle:', '      ttl: 72h', '      expiresAt: "2026-11-27T10:00:00Z"'];

/** Lines of `text` that are comments, to check none is lost. */
const comments = (text: string) => text.split('\n').filter((l) => l.includes('#'));

describe('addEnvironment', () => {
  it('adds exactly the new lines, after the last environment, in block style', () => {
    const out = addEnvironment(CHECKOUT, 'preview-124', PREVIEW);
    assert.deepEqual(lineDiff(CHECKOUT, out), PREVIEW_LINES.map((l, i) => `+${32 + i}: ${l}`));
    assert.deepEqual(parsePaws(out).spec.environments?.['preview-124'], PREVIEW);
    assert.deepEqual(comments(out), comments(CHECKOUT));
  });

  it('appends `environments:` at the end when the file has none', () => {
    const out = addEnvironment(HEAD, 'dev', {});
    assert.equal(out, `${HEAD}environments:\n  dev: {}\n`);
  });

  it('adds the missing final newline before appending', () => {
    const out = addEnvironment(HEAD.trimEnd(), 'dev', {});
    assert.equal(out, `${HEAD}environments:\n  dev: {}\n`);
  });

  it('fills `environments:` whose entries are commented out, below the comments', () => {
    const text = `${HEAD}environments:\n  # dev: {}\n# trailer\n`;
    assert.deepEqual(lineDiff(text, addEnvironment(text, 'qa', {})), ['+7:   qa: {}']);
  });

  it('turns `environments: {}` into a block, keeping its comment', () => {
    const text = `${HEAD}environments: {}   # none yet\n`;
    assert.equal(addEnvironment(text, 'dev', {}), `${HEAD}environments:   # none yet\n  dev: {}\n`);
  });

  it('inserts before the keys that follow `environments:`', () => {
    const text = `${HEAD}environments:\n  staging: {}\n\ndeploy: { format: paws }\n`;
    assert.deepEqual(lineDiff(text, addEnvironment(text, 'qa', { from: 'staging' })), ['+7:   qa:', '+8:     from: staging']);
  });

  it("follows the file's indentation", () => {
    const text = 'apiVersion: paws.dev/v1\nkind: Workload\nmetadata:\n    name: checkout\ncontainers:\n    web:\n        image: nginx\nenvironments:\n    staging:\n        variables:\n            A: b\n';
    assert.deepEqual(lineDiff(text, addEnvironment(text, 'preview-124', PREVIEW)), [
      '+12:     preview-124:',
      '+13:         from: staging',
      '+14:         lifecycle:',
      '+15:             ttl: 72h',
      '+16:             expiresAt: "2026-11-27T10:00:00Z"',
    ]);
  });

  it('separates the new environment with a blank line when the others are', () => {
    const text = `${HEAD}environments:\n  staging: {}\n\n  production: {}\n\n# end\n`;
    const out = addEnvironment(text, 'qa', {});
    assert.equal(out, `${HEAD}environments:\n  staging: {}\n\n  production: {}\n\n  qa: {}\n\n# end\n`);
  });

  it('adds to a flow-style map inside the braces', () => {
    const text = `${HEAD}environments: { staging: {} }  # flow\n`;
    assert.equal(addEnvironment(text, 'qa', { from: 'staging' }), `${HEAD}environments: { staging: {}, qa: { from: staging } }  # flow\n`);
  });

  it('keeps CRLF line endings', () => {
    const crlf = CHECKOUT.replaceAll('\n', '\r\n');
    const out = addEnvironment(crlf, 'preview-124', PREVIEW);
    assert.equal(out, crlf.replace('\r\n\r\n# Ask', `\r\n${PREVIEW_LINES.join('\r\n')}\r\n\r\n# Ask`));
  });

  it('quotes a name YAML would otherwise read as a number', () => {
    const out = addEnvironment(CHECKOUT, '123', {});
    assert.deepEqual(lineDiff(CHECKOUT, out), ['+32:   "123": {}']);
    assert.deepEqual(parsePaws(out).spec.environments?.['123'], {});
  });

  it('refuses an existing or invalid name, and a change that would break the file', () => {
    assert.throws(() => addEnvironment(CHECKOUT, 'staging', {}), ConflictError);
    assert.throws(() => addEnvironment(CHECKOUT, 'main', {}), /Invalid environment name: "main" is a reserved name/);
    assert.throws(() => addEnvironment(CHECKOUT, 'qa', { from: 'nope' }), (e: unknown) => {
      assert.ok(e instanceof InvalidRequestError);
      assert.match(e.message, /^Cannot add environment "qa": paws.yaml would not be valid afterwards:\n {2}- environment "qa" is cloned from "nope"/);
      return true;
    });
    assert.throws(() => addEnvironment(CHECKOUT, 'qa', { lifecycle: { ttl: '3x' } }), /Invalid TTL "3x"/);
  });

  it('refuses to edit a file that is not valid', () => {
    assert.throws(() => addEnvironment(`${HEAD}environments:\n  a: {}\n  a: {}\n`, 'qa', {}), InvalidPawsError);
  });
});

describe('removeEnvironment', () => {
  it('removes only the environment’s lines', () => {
    const out = removeEnvironment(CHECKOUT, 'production');
    assert.deepEqual(lineDiff(CHECKOUT, out), [
      '-27:   production:',
      '-28:     release: { approvals: 2, requiredChecks: [ci/build], approvers: [team-payments] }',
    ]);
  });

  it('removes the comment written directly above the environment with it', () => {
    const text = removeEnvironment(CHECKOUT, 'preview-123');
    assert.deepEqual(lineDiff(text, removeEnvironment(text, 'staging')), [
      '-21:   # Shared staging; reset nightly.',
      '-22:   staging:',
      '-23:     variables: { LOG_LEVEL: debug }',
      '-24:     secrets:',
      '-25:       STRIPE_KEY: { ref: "vault://kv/checkout/staging#stripe_key" }',
      '-26:     release: { approvals: 1 }',
    ]);
  });

  it('leaves one blank line where environments were separated by blank lines', () => {
    const text = `${HEAD}environments:\n  staging: {}\n\n  # prod\n  production: {}\n\n  qa: {}\n\n# end\n`;
    assert.equal(removeEnvironment(text, 'production'), `${HEAD}environments:\n  staging: {}\n\n  qa: {}\n\n# end\n`);
    assert.equal(removeEnvironment(text, 'qa'), `${HEAD}environments:\n  staging: {}\n\n  # prod\n  production: {}\n\n# end\n`);
    assert.equal(removeEnvironment(text, 'staging'), `${HEAD}environments:\n  # prod\n  production: {}\n\n  qa: {}\n\n# end\n`);
  });

  it('leaves `environments:` in place when the last one goes', () => {
    const text = `${HEAD}environments:\n  dev: {}\n# end\n`;
    const out = removeEnvironment(text, 'dev');
    assert.equal(out, `${HEAD}environments:\n# end\n`);
    assert.equal(parsePaws(out).spec.environments, null);
  });

  it('removes from a flow-style map', () => {
    const text = `${HEAD}environments: { staging: {}, qa: { from: staging }, dev: {} }\n`;
    assert.equal(removeEnvironment(text, 'qa'), `${HEAD}environments: { staging: {}, dev: {} }\n`);
    assert.equal(removeEnvironment(text, 'dev'), `${HEAD}environments: { staging: {}, qa: { from: staging } }\n`);
  });

  it('never returns text that does not mean the intended change', () => {
    // Removing the anchor's owner would leave `*s` dangling: refused, not written.
    const text = `${HEAD}environments:\n  staging: &s { variables: { A: b } }\n  qa: *s\n`;
    assert.throws(() => removeEnvironment(text, 'staging'), (e: unknown) => {
      assert.ok(e instanceof IdpError);
      assert.equal(e.code, 'internal');
      assert.match(e.message, /^Could not remove environment "staging" without changing anything else in paws.yaml/);
      return true;
    });
    assert.equal(parsePaws(removeEnvironment(text, 'qa')).spec.environments?.['staging']?.variables?.['A'], 'b');
  });

  it('refuses a missing environment, or one others are cloned from', () => {
    assert.throws(() => removeEnvironment(CHECKOUT, 'qa'), NotFoundError);
    assert.throws(() => removeEnvironment(CHECKOUT, 'staging'), /environment "preview-123" is cloned from "staging", which does not exist/);
  });
});

describe('setEnvironmentLifecycle', () => {
  it('rewrites only the value that changed, keeping the flow style and quotes', () => {
    const out = setEnvironmentLifecycle(CHECKOUT, 'preview-123', { ttl: '72h', expiresAt: '2026-11-28T10:00:00Z' });
    assert.deepEqual(lineDiff(CHECKOUT, out), [
      '-31:     lifecycle: { ttl: 72h, expiresAt: "2026-11-27T10:00:00Z" }',
      '+31:     lifecycle: { ttl: 72h, expiresAt: "2026-11-28T10:00:00Z" }',
    ]);
  });

  it('keeps an unquoted value unquoted, and a trailing comment in place', () => {
    const text = `${HEAD}environments:\n  dev:\n    lifecycle:\n      expiresAt: 2026-11-27T10:00:00Z   # plain\n    variables: { A: b }\n`;
    const out = setEnvironmentLifecycle(text, 'dev', { ttl: '1d', expiresAt: '2026-11-28T10:00:00Z' });
    assert.equal(
      out,
      `${HEAD}environments:\n  dev:\n    lifecycle:\n      expiresAt: 2026-11-28T10:00:00Z   # plain\n      ttl: 1d\n    variables: { A: b }\n`,
    );
  });

  it('adds a lifecycle to an environment without one', () => {
    const out = setEnvironmentLifecycle(CHECKOUT, 'production', { ttl: '72h' });
    assert.deepEqual(lineDiff(CHECKOUT, out), ['+29:     lifecycle:', '+30:       ttl: 72h']);
  });

  it('turns `name: {}` into a block to add it', () => {
    const text = `${HEAD}environments:\n  dev: {}\n`;
    assert.equal(setEnvironmentLifecycle(text, 'dev', { ttl: '1h' }), `${HEAD}environments:\n  dev:\n    lifecycle:\n      ttl: 1h\n`);
  });

  it('removes keys not given', () => {
    const out = setEnvironmentLifecycle(CHECKOUT, 'preview-123', { expiresAt: '2026-11-27T10:00:00Z' });
    assert.deepEqual(parsePaws(out).spec.environments?.['preview-123']?.lifecycle, { expiresAt: '2026-11-27T10:00:00Z' });
    assert.match(out, /\n {4}lifecycle: \{ expiresAt: "2026-11-27T10:00:00Z" \}\n/);
  });

  it('refuses an invalid lifecycle', () => {
    assert.throws(() => setEnvironmentLifecycle(CHECKOUT, 'preview-123', { ttl: '72h', expiresAt: 'soon' }), InvalidRequestError);
    assert.throws(() => setEnvironmentLifecycle(CHECKOUT, 'preview-123', {}), /lifecycle needs a ttl/);
    assert.throws(() => setEnvironmentLifecycle(CHECKOUT, 'nope', { ttl: '1h' }), NotFoundError);
  });
});
