/** Finding the secret stores' programs, and the age identity the embedded store creates. */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ageRecipient, ensureAgeIdentity, findMoto, findSops } from './tools.js';
import { goAtLeast as versionAtLeast } from '../go-toolchain.js';

const dir = mkdtempSync(join(tmpdir(), 'idp-tools-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('secret store tools', () => {
  it('takes a sops on PATH only when it is v3.13.3, else the one in .tools/bin', () => {
    const real = findSops();
    assert.ok(real, 'the tests run with sops v3.13.3 installed (scripts/test.mjs)');
    const old = join(dir, 'old');
    writeFileSync(join(dir, 'sops'), '#!/bin/sh\necho "sops 3.9.0 (latest)"\n');
    chmodSync(join(dir, 'sops'), 0o755);
    const tools = join(dir, 'tools');
    // A 3.9.0 first on PATH, the real one next: the real one.
    assert.equal(findSops({ toolsDir: tools, env: { PATH: `${dir}:${dirname(real)}` } }), join(dirname(real), 'sops'));
    // Only the 3.9.0: none (ensureSops would build v3.13.3).
    assert.equal(findSops({ toolsDir: tools, env: { PATH: dir } }), null);
    assert.throws(() => findSops({ env: { SOPS_BIN: join(old, 'sops') } }), /SOPS_BIN=.* does not exist/);
  });

  it('takes moto from its venv only when the venv says it holds moto 5.2.5', () => {
    const tools = join(dir, 'moto-tools');
    assert.equal(findMoto({ toolsDir: tools, env: {} }), null);
    mkdirSync(join(tools, 'moto', 'bin'), { recursive: true });
    writeFileSync(join(tools, 'moto', 'bin', 'moto_server'), '');
    assert.equal(findMoto({ toolsDir: tools, env: {} }), null, 'an install that did not finish');
    writeFileSync(join(tools, 'moto', '.idp-moto-version'), '5.1.0\n');
    assert.equal(findMoto({ toolsDir: tools, env: {} }), null, 'another version');
    writeFileSync(join(tools, 'moto', '.idp-moto-version'), '5.2.5\n');
    assert.equal(findMoto({ toolsDir: tools, env: {} }), join(tools, 'moto', 'bin', 'moto_server'));
    assert.throws(() => findMoto({ env: { MOTO_SERVER: join(dir, 'nope') } }), /MOTO_SERVER=.* does not exist/);
  });

  it('compares Go versions as the go.mod line means them', () => {
    assert.equal(versionAtLeast('go1.19.8', '1.25.8'), false);
    assert.equal(versionAtLeast('go1.25.7', '1.25.8'), false);
    assert.equal(versionAtLeast('go1.25.8', '1.25.8'), true);
    assert.equal(versionAtLeast('go1.26', '1.25.8'), true);
    assert.equal(versionAtLeast('devel go1.27-abc', '1.25.8'), true);
  });

  it('creates one age identity, 0600, in age-keygen\'s format, even when asked twice at once', async () => {
    const file = join(dir, 'home', 'age.key');
    const [a, b] = await Promise.all([ensureAgeIdentity(file), ensureAgeIdentity(file)]);
    assert.equal(a, b);
    const text = readFileSync(file, 'utf8');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.match(text, new RegExp(`^# created: \\S+\\n# public key: ${a}\\nAGE-SECRET-KEY-1[0-9A-Z]{58}\\n$`));
    assert.equal(await ageRecipient(text), a);
    assert.equal(await ensureAgeIdentity(file), a, 'kept on the next start');
  });
});
