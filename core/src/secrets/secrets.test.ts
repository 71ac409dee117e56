import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidRequestError } from '../errors.js';
import { parsePaws } from '../paws/parse.js';
import { CHECKOUT } from '../paws/test-fixtures.js';
import { parse as parseYaml } from 'yaml';
import { addKustomizeResource } from '../release/kustomize.js';
import { SecretsConfig } from './config.js';
import { EXTERNAL_SECRET_FILE, renderExternalSecrets } from './external-secret.js';
import { parseSecretRef } from './ref.js';
import { parseSecretsConfig, routeSecretStore } from './routing.js';

const config = SecretsConfig.parse({
  stores: {
    local: { type: 'sops', repo: '/var/idp/secrets.git', ageKeyFile: '/var/idp/age.key' },
    vault: { type: 'vault', address: 'http://127.0.0.1:8200', tokenEnv: 'VAULT_TOKEN' },
    aws: { type: 'aws-sm', region: 'eu-west-1' },
  },
  rules: [
    { environments: 'preview-*', store: 'local' },
    { environments: 'production', owners: ['team-payments'], store: 'aws' },
    { environments: ['staging', 'qa'], components: 'check*', store: 'vault' },
  ],
  default: 'local',
});

describe('routeSecretStore', () => {
  it('first matching rule wins; unset fields match anything; else the default', () => {
    assert.deepEqual(routeSecretStore(config, { component: 'checkout', owner: 'team-payments', env: 'preview-7' }), { store: 'local', why: 'rule 1 (environments preview-*)' });
    assert.equal(routeSecretStore(config, { component: 'checkout', owner: 'team-payments', env: 'production' })?.store, 'aws');
    assert.equal(routeSecretStore(config, { component: 'checkout', env: 'staging' })?.store, 'vault');
    // production of another team, and a component the staging rule does not name: the default.
    assert.deepEqual(routeSecretStore(config, { component: 'checkout', owner: 'team-search', env: 'production' }), { store: 'local', why: 'the default store' });
    assert.equal(routeSecretStore(config, { component: 'search', env: 'staging' })?.store, 'local');
    // A rule naming owners never matches a component without one.
    assert.equal(routeSecretStore(config, { component: 'checkout', env: 'production' })?.store, 'local');
  });

  it('no rule and no default: undefined (the API says which setting to add)', () => {
    assert.equal(routeSecretStore({ ...config, default: undefined }, { component: 'search', env: 'dev' }), undefined);
  });
});

describe('SecretsConfig', () => {
  it('refuses inline credentials, unknown store names and stores without credentials', () => {
    const bad = SecretsConfig.safeParse({ stores: { v: { type: 'vault', address: 'http://x', token: 'hvs.secret' } } });
    assert.ok(!bad.success);
    assert.match(bad.error.issues[0]!.message, /must not be written in the config; name the variable or file/);
    const unknown = SecretsConfig.safeParse({ stores: { a: { type: 'aws-sm', region: 'x' } }, rules: [{ store: 'b' }], default: 'c' });
    assert.deepEqual(unknown.error?.issues.map((i) => i.path.join('.')), ['rules.0.store', 'default']);
    assert.ok(!SecretsConfig.safeParse({ stores: { s: { type: 'sops', repo: '/x' } } }).success);
  });

  it('parseSecretsConfig reads the standalone file, top-level or under secrets:, naming the file in errors', () => {
    const yaml = 'secrets:\n  stores:\n    local: { type: sops, repo: /x, ageKeyFile: /k }\n  default: local\n';
    assert.equal(parseSecretsConfig(yaml, 'secrets.yaml').default, 'local');
    assert.equal(parseSecretsConfig(yaml.replace(/^secrets:\n/, '').replace(/^  /gm, ''), 'secrets.yaml').default, 'local');
    assert.throws(() => parseSecretsConfig('stores: {a: {type: nope}}', 'f.yaml'), (e: Error) => e instanceof InvalidRequestError && /f\.yaml is not a valid secrets configuration/.test(e.message));
    assert.throws(() => parseSecretsConfig('stores: [', 'f.yaml'), /f\.yaml:1:\d+: not valid YAML/);
  });
});

describe('secret references', () => {
  it('parses each managed store\'s shape; other schemes are unmanaged', () => {
    assert.deepEqual(parseSecretRef('aws-sm://idp/checkout/staging/STRIPE_KEY'), { scheme: 'aws-sm', path: 'idp/checkout/staging/STRIPE_KEY' });
    assert.deepEqual(parseSecretRef('aws-sm://shared/stripe#api_key'), { scheme: 'aws-sm', path: 'shared/stripe', key: 'api_key' });
    assert.deepEqual(parseSecretRef('vault://secret/idp/checkout/staging/STRIPE_KEY#value'), { scheme: 'vault', mount: 'secret', path: 'idp/checkout/staging/STRIPE_KEY', key: 'value' });
    assert.deepEqual(parseSecretRef('sops://checkout/staging.enc.yaml#STRIPE_KEY'), { scheme: 'sops', path: 'checkout/staging.enc.yaml', key: 'STRIPE_KEY' });
    assert.equal(parseSecretRef('env://STRIPE_KEY'), null);
    for (const bad of ['vault://secret#k', 'vault://secret/a/b', 'sops://a.yaml', 'sops://../x.yaml#K', 'aws-sm://a b', 'aws-sm://x#']) {
      assert.ok(parseSecretRef(bad) && 'problem' in parseSecretRef(bad)!, bad);
    }
  });

  it('paws.yaml takes a pinned version as a string and refuses a malformed managed reference', () => {
    const pinned = CHECKOUT.replace('{ ref: "vault://kv/checkout/staging#stripe_key" }', '{ ref: "vault://kv/checkout/staging#stripe_key", version: "4" }');
    assert.equal(parsePaws(pinned).spec.environments?.staging?.secrets?.STRIPE_KEY?.version, '4');
    assert.throws(() => parsePaws(pinned.replace('version: "4"', 'version: 4')), /quote the version/);
    assert.throws(() => parsePaws(CHECKOUT.replace('vault://kv/checkout/staging#stripe_key', 'vault://kv')), /vault:\/\/<mount>\/<path>#<key>/);
  });
});

describe('ExternalSecret emission', () => {
  it('nothing to fetch through ESO (no secrets, only sops or unmanaged ones): no file', () => {
    assert.equal(renderExternalSecrets('checkout', 'staging', []), null);
    assert.equal(renderExternalSecrets('checkout', 'staging', [{ key: 'A', ref: 'sops://checkout/staging.enc.yaml#A', version: 'abc', source: 'own' }, { key: 'B', ref: 'env://B', source: 'own' }]), null);
  });

  it('one store: one ExternalSecret named after the component; an unpinned reference follows the store\'s current version', () => {
    const text = renderExternalSecrets('checkout', 'staging', [{ key: 'S', ref: 'aws-sm://shared/stripe#api_key', source: { from: 'base' } }])!;
    const doc = parseYaml(text.split('\n').filter((l) => !l.startsWith('#')).join('\n'));
    assert.equal(doc.metadata.name, 'checkout-secrets');
    assert.deepEqual(doc.spec.target, { name: 'checkout-secrets', creationPolicy: 'Owner' });
    assert.deepEqual(doc.spec.data, [{ secretKey: 'S', remoteRef: { key: 'shared/stripe', property: 'api_key' } }]);
  });

  it('the overlay lists externalsecret.yaml under resources once', () => {
    const overlay = 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../../base  # the base\n';
    const once = addKustomizeResource(overlay, 'k.yaml', EXTERNAL_SECRET_FILE);
    assert.equal(once, `${overlay}  - externalsecret.yaml\n`);
    assert.equal(addKustomizeResource(once, 'k.yaml', EXTERNAL_SECRET_FILE), once);
    assert.equal(addKustomizeResource('kind: Kustomization\n', 'k.yaml', EXTERNAL_SECRET_FILE), 'kind: Kustomization\nresources:\n  - externalsecret.yaml\n');
  });
});
