import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RELEASE_FLOORS } from '@idp/core';
import { configFromEnv, releaseFloorsFromEnv } from './config.js';

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
