/**
 * idp secrets against the fake Platform API: what each verb sends, prints and exits with — and that a value is read
 * from stdin (or the hidden prompt) only, sent once in the request body, and never printed, not even in an error.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import type { SecretList, WorkflowStatus } from '@idp/core';
import { api, at, ref, run, useFakeApi } from './testing/harness.js';
import { promptHidden, readSecret, withoutTrailingNewline } from './secret-input.js';

useFakeApi();

const CANARY = `canary-${randomBytes(12).toString('hex')}`;
const SHA = 'c0ffee'.padEnd(40, '0');

const started = (over: Partial<WorkflowStatus> = {}): WorkflowStatus => ({
  workflowId: 'env-secrets:checkout:staging',
  kind: 'env-secrets',
  component: 'checkout',
  environment: 'staging',
  status: 'running',
  phase: 'open',
  pr: { number: 4, url: 'http://forge/checkout/pulls/4', state: 'open', head: 'idp/env-secrets/checkout/staging', headSha: 'abc' },
  secret: { key: 'STRIPE_KEY', action: 'set', ref: 'sops://checkout/staging.enc.yaml#STRIPE_KEY', version: SHA, store: 'local' },
  ...over,
});

const list = (over: Partial<SecretList> = {}): SecretList => ({
  component: 'checkout',
  repo: 'x',
  environment: 'staging',
  secrets: [
    { key: 'DB_PASSWORD', ref: 'aws-sm://idp/checkout/staging/DB_PASSWORD', version: 'v-1', store: 'aws', source: 'from:base', exists: true, versionExists: false, currentVersion: 'v-2', lastChanged: at(-2 * 3600_000) },
    { key: 'STRIPE_KEY', ref: 'sops://checkout/staging.enc.yaml#STRIPE_KEY', version: SHA, store: 'local', source: 'own', exists: true, versionExists: true, lastChanged: at(-60_000) },
    { key: 'LEGACY', ref: 'gcp-sm://projects/x/secrets/y', store: 'unmanaged', source: 'own', problem: 'no configured secret store serves gcp-sm:// references' },
  ],
  route: { store: 'local', type: 'sops', why: 'the default store', ref: 'sops://checkout/staging.enc.yaml#<KEY>' },
  ...over,
});

/** Every byte the command printed, for the canary. */
const printed = (r: { out: string; err: string }) => r.out + r.err;

describe('idp secrets (list)', () => {
  it('GETs the environment\'s secrets and prints key, store, reference, version, exists, changed; where new keys go', async () => {
    api.on('GET /environments/staging/secrets', { body: list() });
    const r = await run(['secrets', '--env', 'staging']);
    assert.equal(r.code, 0, r.err);
    assert.equal(api.requests[0]!.method, 'GET');
    assert.deepEqual(api.requests[0]!.query, ref());
    const lines = r.out.split('\n');
    assert.match(lines[0]!, /^KEY\s+STORE\s+REFERENCE\s+VERSION\s+EXISTS\s+CHANGED\s+SOURCE$/);
    assert.match(r.out, /DB_PASSWORD\s+aws\s+aws-sm:\/\/idp\/checkout\/staging\/DB_PASSWORD\s+v-1\s+no \(version\)\s+2h ago\s+from base/);
    assert.match(r.out, /STRIPE_KEY\s+local\s+sops:\/\/checkout\/staging\.enc\.yaml#STRIPE_KEY\s+c0ffee0\s+yes\s+1m ago\s+own/);
    assert.match(r.out, /LEGACY\s+unmanaged\s+gcp-sm:\/\/projects\/x\/secrets\/y\s+-\s+\?\s+-\s+own/);
    assert.match(r.out, /LEGACY: no configured secret store serves gcp-sm:\/\/ references/);
    assert.match(r.out, /New keys of staging go to store local \(sops, sops:\/\/checkout\/staging\.enc\.yaml#<KEY>\): the default store/);
  });

  it('names the open secret change; --json is the SecretList; --env is required', async () => {
    api.on('GET /environments/staging/secrets', { body: list({ pending: started() }) });
    const r = await run(['secrets', 'list', '--env', 'staging']);
    assert.match(r.out, /Open: set STRIPE_KEY, PR #4 \(http:\/\/forge\/checkout\/pulls\/4\)/);
    const j = await run(['secrets', '--env', 'staging', '--json']);
    assert.deepEqual(JSON.parse(j.out), list({ pending: started() }));
    const missing = await run(['secrets']);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /--env is required/);
  });
});

describe('idp secrets set', () => {
  it('reads the value (stdin / hidden prompt), sends it once in the body with an Idempotency-Key, prints the PR URL alone — never the value', async () => {
    api.on('POST /environments/staging/secrets/STRIPE_KEY', { status: 202, body: started() });
    const prompts: string[] = [];
    const r = await run(['secrets', 'set', 'STRIPE_KEY', '--env', 'staging'], { readSecret: async (p) => (prompts.push(p), CANARY) });
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(prompts, ['Value of STRIPE_KEY for staging (not shown): ']);
    assert.equal(api.requests.length, 1);
    assert.deepEqual(api.requests[0]!.body, { ...ref(), value: CANARY });
    assert.match(String(api.requests[0]!.headers['idempotency-key']), /^[0-9a-f-]{36}$/);
    assert.equal(r.out, 'http://forge/checkout/pulls/4\n');
    assert.match(r.err, /Stored STRIPE_KEY in store local as version c0ffee0; staging uses it once the PR is merged\./);
    assert.ok(!printed(r).includes(CANARY));

    const j = await run(['secrets', 'set', 'STRIPE_KEY', '--env', 'staging', '--json'], { readSecret: async () => CANARY });
    assert.deepEqual(JSON.parse(j.out), started());
    assert.ok(!printed(j).includes(CANARY));
  });

  for (const [what, argv] of [
    ['KEY=value', ['secrets', 'set', `STRIPE_KEY=${CANARY}`, '--env', 'staging']],
    ['a second word', ['secrets', 'set', 'STRIPE_KEY', CANARY, '--env', 'staging']],
    ['KEY=value after the noun', ['secrets', `STRIPE_KEY=${CANARY}`, '--env', 'staging']],
    ['an option carrying it', ['secrets', 'set', 'STRIPE_KEY', `--value=${CANARY}`, '--env', 'staging']],
    ['--json and KEY=value', ['--json', 'secrets', 'set', `STRIPE_KEY=${CANARY}`, '--env', 'staging']],
  ] as const) {
    it(`a value on the command line (${what}) → exit 2 pointing at stdin, nothing sent, the value not repeated`, async () => {
      let asked = false;
      const r = await run([...argv], { readSecret: async () => ((asked = true), 'x') });
      assert.equal(r.code, 2, printed(r));
      assert.equal(api.requests.length, 0);
      assert.equal(asked, false);
      assert.ok(!printed(r).includes(CANARY), printed(r));
      const message = argv[0] === '--json' ? (JSON.parse(r.err) as { error: { message: string } }).error.message : r.err;
      if (what !== 'an option carrying it') assert.match(message, /printf %s "\$VALUE" \| idp secrets set KEY --env/);
    });
  }

  it('an empty value or a bad key name → exit 2, nothing sent', async () => {
    const empty = await run(['secrets', 'set', 'STRIPE_KEY', '--env', 'staging'], { readSecret: async () => '' });
    assert.equal(empty.code, 2);
    assert.match(empty.err, /No value: stdin was empty/);
    const bad = await run(['secrets', 'set', '9LIVES', '--env', 'staging'], { readSecret: async () => CANARY });
    assert.equal(bad.code, 2);
    assert.match(bad.err, /Invalid secret name: the name is not an environment variable name/);
    assert.equal(api.requests.length, 0);
  });

  it('--ref [--version]: points the key at an existing secret; no value is read; --version alone is refused', async () => {
    api.on('POST /environments/staging/secrets/STRIPE_KEY', { status: 202, body: started({ secret: { key: 'STRIPE_KEY', action: 'set', ref: 'vault://secret/shared/stripe#key', version: '3' } }) });
    let asked = false;
    const r = await run(['secrets', 'set', 'STRIPE_KEY', '--ref', 'vault://secret/shared/stripe#key', '--version', '3', '--env', 'staging'], { readSecret: async () => ((asked = true), 'x') });
    assert.equal(r.code, 0, r.err);
    assert.equal(asked, false);
    assert.deepEqual(api.requests[0]!.body, { ...ref(), ref: 'vault://secret/shared/stripe#key', version: '3' });
    assert.match(r.err, /STRIPE_KEY will point at vault:\/\/secret\/shared\/stripe#key \(version 3\)/);

    const eq = await run(['secrets', 'set', 'STRIPE_KEY', '--ref', 'vault://secret/shared/stripe#key', '--version=4', '--env', 'staging']);
    assert.equal(eq.code, 0, eq.err);
    assert.equal((api.requests[1]!.body as { version: string }).version, '4');

    const alone = await run(['secrets', 'set', 'STRIPE_KEY', '--version', '3', '--env', 'staging']);
    assert.equal(alone.code, 2);
    assert.match(alone.err, /--version goes with --ref/);
    // `idp --version` is still the CLI's.
    assert.match((await run(['--version'])).out, /^idp, /);
  });

  it('the server\'s refusal keeps its message and maps to its exit code', async () => {
    api.on('POST /environments/staging/secrets/STRIPE_KEY', { status: 400, body: { error: { code: 'invalid_request', message: 'The secret value is 70,000 bytes; store "local" (sops), where staging of checkout writes, takes at most 65,536 bytes. Nothing was written.' } } });
    const r = await run(['secrets', 'set', 'STRIPE_KEY', '--env', 'staging'], { readSecret: async () => CANARY });
    assert.equal(r.code, 5);
    assert.match(r.err, /takes at most 65,536 bytes\. Nothing was written\./);
    assert.ok(!printed(r).includes(CANARY));
  });
});

describe('idp secrets unset, check', () => {
  it('unset DELETEs the key (repo and path in the query, an Idempotency-Key) and prints the PR URL', async () => {
    api.on('DELETE /environments/staging/secrets/STRIPE_KEY', { status: 202, body: started({ secret: { key: 'STRIPE_KEY', action: 'unset' } }) });
    const r = await run(['secrets', 'unset', 'STRIPE_KEY', '--env', 'staging']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(api.requests[0]!.query, ref());
    assert.ok(api.requests[0]!.headers['idempotency-key']);
    assert.equal(r.out, 'http://forge/checkout/pulls/4\n');
  });

  it('check: every reference resolves → 0; otherwise the list and exit 1 (--json: the SecretList, the error on stderr)', async () => {
    api.on('GET /environments/production/secrets', { body: list({ environment: 'production', secrets: [list().secrets[1]!], check: { ok: true, problems: [] } }) });
    const ok = await run(['secrets', 'check', '--env', 'production']);
    assert.equal(ok.code, 0, ok.err);
    assert.equal(api.requests[0]!.query.check, 'true');
    assert.equal(ok.out, 'All 1 secret of production resolve in their stores.\n');

    const problems = [{ key: 'DB_PASSWORD', problem: 'version v-1 of aws-sm://idp/checkout/staging/DB_PASSWORD does not exist in store "aws"' }];
    api.on('GET /environments/production/secrets', { body: list({ environment: 'production', check: { ok: false, problems } }) });
    const bad = await run(['secrets', 'check', '--env', 'production']);
    assert.equal(bad.code, 1);
    assert.equal(bad.out, `DB_PASSWORD: ${problems[0]!.problem}\n`);
    assert.match(bad.err, /1 of 3 secrets of production do not resolve in their stores: DB_PASSWORD/);
    const j = await run(['secrets', 'check', '--env', 'production', '--json']);
    assert.equal(j.code, 1);
    assert.deepEqual(JSON.parse(j.out).check, { ok: false, problems });
    assert.equal(JSON.parse(j.err).error.code, 'secrets_unresolved');
  });
});

describe('reading a secret value', () => {
  it('stdin: all of it, one trailing newline dropped', async () => {
    const stdin = Object.assign(new PassThrough(), { isTTY: false });
    stdin.end(`${CANARY}\n`);
    assert.equal(await readSecret('x', { stdin, stderr: { write: () => true } }), CANARY);
    assert.equal(withoutTrailingNewline('a\r\n'), 'a');
    assert.equal(withoutTrailingNewline('a\n\n'), 'a\n');
  });

  it('a terminal: raw mode, nothing echoed, Backspace edits, Enter ends, Ctrl-C aborts', async () => {
    const modes: boolean[] = [];
    let shown = '';
    const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: (raw: boolean) => modes.push(raw) });
    const typed = promptHidden('Value: ', { stdin, stderr: { write: (s: string) => (shown += s) } });
    stdin.write('sx\u007fecret');
    stdin.write('\r');
    assert.equal(await typed, 'secret');
    assert.deepEqual(modes, [true, false]);
    assert.equal(shown, 'Value: \n');

    const stdin2 = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => undefined });
    const aborted = promptHidden('Value: ', { stdin: stdin2, stderr: { write: () => true } });
    stdin2.write('abc\u0003');
    await assert.rejects(aborted, /Interrupted: nothing was sent/);
  });
});
