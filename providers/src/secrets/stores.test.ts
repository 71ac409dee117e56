/** Stores from configuration: each configured store becomes its adapter, under its name. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SecretsConfig } from '@idp/core';
import { AwsSecretsManagerStore } from './aws-sm.js';
import { SopsStore } from './sops.js';
import { createSecretStore, secretStoresFrom } from './stores.js';
import { VaultKv2Store } from './vault-kv2.js';

describe('secret stores from configuration', () => {
  const config = SecretsConfig.parse({
    stores: {
      aws: { type: 'aws-sm', region: 'eu-west-1', prefix: 'platform/' },
      local: { type: 'sops', repo: 'file:///var/idp/secrets.git', ageKeyFile: '/var/idp/age.key' },
    },
    rules: [{ environments: 'preview-*', store: 'local' }],
    default: 'aws',
  });

  it('builds one adapter per store, named as configured, with its settings', () => {
    const stores = secretStoresFrom(config, {});
    assert.deepEqual([...stores.keys()], ['aws', 'local']);
    const aws = stores.get('aws')!;
    assert.ok(aws instanceof AwsSecretsManagerStore);
    assert.equal(aws.refFor({ component: 'checkout', env: 'staging', key: 'K' }), 'aws-sm://platform/checkout/staging/K');
    const local = stores.get('local')!;
    assert.ok(local instanceof SopsStore);
    assert.equal(local.repo, '/var/idp/secrets.git');
    assert.equal(local.refFor({ component: 'checkout', env: 'staging', key: 'K' }), 'sops://checkout/staging.enc.yaml#K');
    assert.deepEqual([aws.maxValueBytes, local.maxValueBytes], [65_536, 65_536]);
  });

  it('refuses a config whose rule names no store', () => {
    assert.throws(() => secretStoresFrom({ ...config, rules: [{ store: 'vault' }] }, {}), /no store named \\"vault\\"; the stores are aws, local/);
  });

  it('builds the Vault KV v2 adapter for a vault store', () => {
    const vault = createSecretStore('vault', { type: 'vault', address: 'https://vault:8200', mount: 'secret', prefix: 'idp/', tokenEnv: 'VAULT_TOKEN' }, {});
    assert.ok(vault instanceof VaultKv2Store);
    assert.equal(vault.refFor({ component: 'checkout', env: 'staging', key: 'K' }), 'vault://secret/idp/checkout/staging/K#value');
    assert.equal(vault.maxValueBytes, 65_536);
  });
});
