import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidPawsError, type PawsIssue } from '../errors.js';
import { parsePaws } from './parse.js';
import { CHECKOUT } from './test-fixtures.js';

const HEAD = 'apiVersion: paws.dev/v1\nkind: Workload\nmetadata: { name: checkout }\ncontainers: { web: { image: nginx } }\n';

/** The issues parsePaws reports for `text` (fails the test if it parses). */
function issues(text: string, file?: string): PawsIssue[] {
  try {
    parsePaws(text, file);
  } catch (e) {
    assert.ok(e instanceof InvalidPawsError, String(e));
    return e.issues;
  }
  assert.fail('expected an InvalidPawsError');
}

describe('parsePaws', () => {
  it('parses a valid file and keeps the YAML document for edits', () => {
    const paws = parsePaws(CHECKOUT, 'services/checkout/paws.yaml');
    assert.equal(paws.file, 'services/checkout/paws.yaml');
    assert.equal(paws.text, CHECKOUT);
    assert.equal(paws.spec.metadata.name, 'checkout');
    assert.deepEqual(Object.keys(paws.spec.environments ?? {}), ['staging', 'production', 'preview-123']);
    assert.equal(paws.doc.getIn(['environments', 'staging', 'secrets', 'STRIPE_KEY', 'ref']), 'vault://kv/checkout/staging#stripe_key');
    assert.match(paws.doc.toString(), /# Shared staging; reset nightly\./);
  });

  it('accepts `environments:` whose entries are all commented out', () => {
    const paws = parsePaws(`${HEAD}environments:\n  # preview-1: { from: staging }\n`);
    assert.equal(paws.spec.environments, null);
  });

  describe('YAML errors', () => {
    it('points at a tab used for indentation', () => {
      assert.deepEqual(issues('a: 1\n\tb: 2\n'), [{ message: 'Tabs are not allowed as indentation', line: 2, column: 1 }]);
    });

    it('names a duplicate key and points at the second one', () => {
      assert.deepEqual(issues(`${HEAD}environments:\n  staging: {}\n  production: {}\n  staging: {}\n`), [
        { message: 'duplicate key "staging": a key may appear only once in a mapping', line: 8, column: 3 },
      ]);
    });

    it('never echoes the offending line, which may hold a pasted secret', () => {
      const text = `${HEAD}environments:\n  staging:\n    secrets:\n      KEY: sk_live_abc: def\n`;
      const found = issues(text);
      assert.deepEqual(found, [{ message: 'Nested mappings are not allowed in compact mappings', line: 8, column: 12 }]);
      assert.throws(() => parsePaws(text), (e: Error) => !e.message.includes('sk_live') && !JSON.stringify(e).includes('sk_live'));
    });

    it('refuses a second document', () => {
      assert.deepEqual(issues(`${HEAD}---\nkind: Workload\n`), [
        { message: 'paws.yaml holds a single YAML document; remove the "---" line and what follows it', line: 5, column: 1 },
      ]);
    });

    it('says an empty file is empty', () => {
      for (const text of ['', '\n\n', '# only a comment\n']) {
        const [issue, ...rest] = issues(text);
        assert.equal(rest.length, 0);
        assert.match(issue!.message, /^the file is empty; it needs at least apiVersion: paws.dev\/v1, kind: Workload, metadata.name and containers$/);
        assert.equal(issue!.line, 1);
      }
    });
  });

  describe('schema errors', () => {
    it('reports each problem at its value, with its path', () => {
      const text = [
        'apiVersion: paws.dev/v2', // 1
        'kind: Workload',
        'metadata:',
        '  name: Checkout', // 4
        'containers:',
        '  web:',
        '    image: nginx',
        '    variables: { PORT: 8080 }', // 8
        'deploy: { repo: r, path: p, format: yaml }', // 9
        '',
      ].join('\n');
      assert.deepEqual(issues(text), [
        { message: 'apiVersion: must be "paws.dev/v1"', path: ['apiVersion'], line: 1, column: 13 },
        {
          message: "metadata.name: must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit",
          path: ['metadata', 'name'],
          line: 4,
          column: 9,
        },
        {
          message: 'containers.web.variables.PORT: expected a string; quote the value, e.g. "8080" or "true"',
          path: ['containers', 'web', 'variables', 'PORT'],
          line: 8,
          column: 24,
        },
        {
          message: 'deploy.format: Invalid option: expected one of "kustomize"|"helm-values"|"paws"',
          path: ['deploy', 'format'],
          line: 9,
          column: 37,
        },
      ]);
    });

    it('points an unknown key at the key, and a missing key at where it belongs', () => {
      const text = 'apiVersion: paws.dev/v1\nkind: Workload\nmetadata: { name: x }\ncontainers:\n  web:\n    command: [run]\nenviroments: {}\n';
      assert.deepEqual(issues(text), [
        { message: 'containers.web: missing required key "image"', path: ['containers', 'web', 'image'], line: 6, column: 5 },
        { message: 'unknown key "enviroments"', path: ['enviroments'], line: 7, column: 1 },
      ]);
    });

    it('reports a missing top-level key at the start of the file', () => {
      assert.deepEqual(issues('apiVersion: paws.dev/v1\nkind: Workload\nmetadata: { name: x }\n'), [
        { message: 'missing required key "containers"', path: ['containers'], line: 1, column: 1 },
      ]);
    });

    it('refuses secret values at their position, without repeating them', () => {
      const text = `${HEAD}environments:\n  staging:\n    secrets:\n      STRIPE_KEY: sk_live_51Hx\n      OTHER: { ref: hunter2 }\n`;
      const found = issues(text);
      assert.deepEqual(
        found.map((i) => [i.line, i.column, i.message]),
        [
          [8, 19, 'environments.staging.secrets.STRIPE_KEY: secret values never go in paws.yaml; use a reference like vault://kv/app/env#key'],
          [9, 21, 'environments.staging.secrets.OTHER.ref: secret values never go in paws.yaml; use a reference like vault://kv/app/env#key'],
        ],
      );
      assert.throws(() => parsePaws(text), (e: Error) => !/sk_live|hunter2/.test(e.message));
    });

    it('uses the file name in the message', () => {
      assert.throws(() => parsePaws('kind: Workload\n', 'svc/paws.yaml'), (e: Error) => {
        assert.match(e.message, /^svc\/paws\.yaml is not valid:\n {2}svc\/paws\.yaml:1:1: missing required key "apiVersion"\n/);
        assert.match(e.message, /Fix the file and try again\.$/);
        return true;
      });
    });
  });

  describe('environment rules', () => {
    const envs = (lines: string[]) => `${HEAD}environments:\n${lines.map((l) => `  ${l}\n`).join('')}`; // entries start on line 6

    it('requires from: to name an existing environment', () => {
      assert.deepEqual(issues(envs(['staging: {}', 'preview: { from: stagign }'])), [
        {
          message: 'environment "preview" is cloned from "stagign", which does not exist; existing: staging, preview',
          path: ['environments', 'preview', 'from'],
          line: 7,
          column: 20,
        },
      ]);
    });

    it('reports a from: cycle once, in file order', () => {
      const found = issues(envs(['a: { from: c }', 'b: { from: a }', 'c: { from: b }', 'd: { from: a }']));
      assert.deepEqual(found, [
        {
          message: 'environments are cloned from each other in a cycle: a → c → b → a; one of them must not have from:',
          path: ['environments', 'a', 'from'],
          line: 6,
          column: 14,
        },
      ]);
    });

    it('reports an environment cloned from itself', () => {
      const [issue] = issues(envs(['a: {}', 'b: { from: b }']));
      assert.equal(issue?.message, 'environments are cloned from each other in a cycle: b → b; one of them must not have from:');
      assert.equal(issue?.line, 7);
    });

    it('checks names: reserved, not DNS-1123, too long, pointing at the name', () => {
      const long = 'a'.repeat(64);
      const found = issues(envs(['main: {}', 'Preview_1: {}', `${long}: {}`, `${'b'.repeat(63)}: {}`]));
      assert.deepEqual(
        found.map((i) => [i.line, i.column, i.message]),
        [
          [6, 3, 'invalid environment name: "main" is a reserved name; choose another'],
          [7, 3, 'invalid environment name: "Preview_1" is not a DNS-1123 label: use lowercase letters, digits and \'-\', starting and ending with a letter or digit'],
          [8, 3, `invalid environment name: "${long}" is 64 characters long; at most 63 are allowed`],
        ],
      );
    });

    it('checks lifecycle.ttl and lifecycle.expiresAt', () => {
      const found = issues(envs(['a: { lifecycle: { ttl: 3x } }', 'b: { lifecycle: { ttl: 72h, expiresAt: "next tuesday" } }', 'c: { lifecycle: {} }']));
      assert.deepEqual(
        found.map((i) => [i.line, i.column, i.message]),
        [
          [6, 26, 'Invalid TTL "3x": unknown unit "x"; use a number and a unit, like 30m, 72h or 7d (units: s, m, h, d, w; combine them largest first, like 1h30m).'],
          [7, 42, 'expiresAt "next tuesday" is not an ISO-8601 timestamp; write it like "2026-11-27T10:00:00Z"'],
          [8, 19, 'lifecycle needs a ttl (like 72h) or an expiresAt; leave lifecycle out for a permanent environment'],
        ],
      );
    });

    it('lists schema errors and rule violations together, in file order', () => {
      const text = envs(['staging: { variables: { REPLICAS: 3 } }', 'preview: { from: staging, lifecycle: { ttl: 0h } }', 'Bad: {}', 'other: { from: gone }']);
      assert.deepEqual(
        issues(text).map((i) => i.line),
        [6, 7, 8, 9],
      );
    });

    it('treats an environment with its own errors as existing, so from: it is not also reported', () => {
      const found = issues(envs(['staging: { lifecyle: {} }', 'preview: { from: staging }']));
      assert.deepEqual(found.map((i) => i.message), ['environments.staging: unknown key "lifecyle"']);
    });

    it('requires every environment to be a mapping', () => {
      assert.deepEqual(issues(envs(['dev:'])).map((i) => [i.line, i.message]), [
        [6, 'environments.dev: an environment must be a mapping; write {} for one with no settings'],
      ]);
    });
  });
});
