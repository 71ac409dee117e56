import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RELEASE_FLOORS } from '@idp/core';
import { configFromEnv, releaseFloorsFromEnv, secretsConfigFromFile } from './config.js';

describe('IDP_RELEASE_FLOORS', () => {
  it('unset or empty: four eyes on prod*; {} turns floors off', () => {
    assert.deepEqual(configFromEnv({}).releaseFloors, DEFAULT_RELEASE_FLOORS);
    assert.deepEqual(DEFAULT_RELEASE_FLOORS, { 'prod*': { approvals: 1, selfApproval: false } });
    assert.deepEqual(releaseFloorsFromEnv(''), DEFAULT_RELEASE_FLOORS);
    assert.deepEqual(configFromEnv({ IDP_RELEASE_FLOORS: '{}' }).releaseFloors, {});
  });

  it('inline JSON or @file, validated, with errors that say what to write', () => {
    assert.deepEqual(releaseFloorsFromEnv('{"prod*": {"approvals": 2, "requiredChecks": ["ci/build"]}}'), { 'prod*': { approvals: 2, requiredChecks: ['ci/build'] } });
    const file = join(mkdtempSync(join(tmpdir(), 'idp-floors-')), 'floors.json');
    writeFileSync(file, '{"prod*": {"approvals": 3}}');
    assert.deepEqual(releaseFloorsFromEnv(`@${file}`), { 'prod*': { approvals: 3 } });
    assert.throws(() => releaseFloorsFromEnv(`@${file}.missing`), /IDP_RELEASE_FLOORS names .*floors\.json\.missing, which cannot be read \(ENOENT\)/);
    assert.throws(() => releaseFloorsFromEnv('{"prod*": {"approvals": "two"}}'), /IDP_RELEASE_FLOORS is not valid: prod\*\.approvals: .*Write e\.g\./);
    assert.throws(() => releaseFloorsFromEnv('prod*=1'), /IDP_RELEASE_FLOORS is not valid JSON/);
  });
});

describe('IDP_SECRETS_CONFIG', () => {
  const dir = mkdtempSync(join(tmpdir(), 'idp-secrets-config-'));
  it('names a YAML file with the stores, rules and default; the embedded stack\'s cache under IDP_HOME', () => {
    const file = join(dir, 'secrets.yaml');
    writeFileSync(file, 'stores:\n  vault: { type: vault, address: "https://vault.internal:8200", tokenEnv: VAULT_TOKEN }\nrules:\n  - { environments: "prod*", store: vault }\n');
    const cfg = configFromEnv({ IDP_SECRETS_CONFIG: file, IDP_HOME: dir });
    assert.equal(cfg.secrets?.stores.vault?.type, 'vault');
    assert.deepEqual(cfg.secrets?.rules, [{ environments: ['prod*'], store: 'vault' }]);
    assert.equal(cfg.secretsCacheDir, join(dir, 'cache', 'secrets'));
    assert.equal(configFromEnv({}).secrets, undefined);
  });

  it('refuses a missing file, an inline credential and a rule to no store, saying where', () => {
    assert.throws(() => secretsConfigFromFile(join(dir, 'nope.yaml')), /IDP_SECRETS_CONFIG names .*nope\.yaml, which cannot be read \(ENOENT\)/);
    const inline = join(dir, 'inline.yaml');
    writeFileSync(inline, 'stores:\n  vault: { type: vault, address: "https://v:8200", token: hvs.do-not-write-me }\n');
    assert.throws(() => secretsConfigFromFile(inline), (e: Error) => /token must not be written in the config/.test(e.message) && !e.message.includes('hvs.do-not-write-me'));
    const dangling = join(dir, 'dangling.yaml');
    writeFileSync(dangling, 'stores: {}\ndefault: vault\n');
    assert.throws(() => secretsConfigFromFile(dangling), /no store named "vault"/);
  });
});
