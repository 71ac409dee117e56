import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidRequestError } from '../errors.js';
import { parsePaws } from '../paws/parse.js';
import { CHECKOUT } from '../paws/test-fixtures.js';
import { parse as parseYaml } from 'yaml';
import { addKustomizeResource } from '../release/kustomize.js';
import { SecretsConfig } from './config.js';
import { type ParsedSecretRef, formatSecretRef, isManagedRef, parseSecretRef, SECRET_REF, secretVersionProblem, vaultPathUnder } from './ref.js';
import { parseSecretsConfig, requireSecretStore, routeSecretStore, storeForRef } from './routing.js';
import { EXTERNAL_SECRET_FILE, renderExternalSecrets } from './external-secret.js';

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

  it('parseSecretsConfig reads the standalone file, top-level or under secrets:', () => {
    const yaml = 'secrets:\n  stores:\n    local: { type: sops, repo: /x, ageKeyFile: /k }\n  default: local\n';
    assert.equal(parseSecretsConfig(yaml, 'secrets.yaml').default, 'local');
    assert.equal(parseSecretsConfig(yaml.replace(/^secrets:\n/, '').replace(/^  /gm, ''), 'secrets.yaml').default, 'local');
  });

  it('parseSecretsConfig lists every problem at file:line:column with its field; an inline credential is named, never quoted', () => {
    const yaml = [
      'secrets:',
      '  stores:',
      '    local: { type: sops, repo: /x, ageKeyFile: /k }',
      '    v: { type: vault, address: "http://v:8200", token: hvs.CANARY123 }',
      '    w: { typo: 1 }',
      '    x: { type: aws-sm }',
      '  rules:',
      '    - { environments: "preview-*", store: local, extra: 1 }',
      '  default: local',
      '',
    ].join('\n');
    assert.throws(
      () => parseSecretsConfig(yaml, '/etc/idp/secrets.yaml'),
      (e: Error) => {
        assert.ok(e instanceof InvalidRequestError);
        assert.equal(
          e.message.split('\n').slice(0, 5).join('\n'),
          [
            '/etc/idp/secrets.yaml is not a valid secrets configuration:',
            '  /etc/idp/secrets.yaml:4:56: secrets.stores.v.token: token must not be written in the config; name the variable or file that holds it with tokenEnv or tokenFile instead',
            '  /etc/idp/secrets.yaml:5:8: secrets.stores.w: missing required key "type"',
            '  /etc/idp/secrets.yaml:6:8: secrets.stores.x: missing required key "region"',
            '  /etc/idp/secrets.yaml:8:50: secrets.rules.0.extra: unknown key "extra"',
          ].join('\n'),
        );
        assert.ok(!e.message.includes('CANARY'));
        return true;
      },
    );
    assert.throws(() => parseSecretsConfig('stores:\n  a: { type: aws-sm, region: x }\nrules: [{ store: b }]\n', 'f.yaml'), /f\.yaml:3:18: rules\.0\.store: no store named "b"; the stores are a/);
    assert.throws(() => parseSecretsConfig('stores: [\n', 'f.yaml'), /f\.yaml is not valid YAML:\n {2}f\.yaml:2:1: /);
    assert.throws(() => parseSecretsConfig('stores:\n  a: { type: aws-sm, region: x }\n  a: { type: aws-sm, region: y }\n', 'f.yaml'), /f\.yaml:3:3: a key appears twice in one mapping/);
    assert.throws(() => parseSecretsConfig('', 'f.yaml'), /f\.yaml:1:1: missing required key "stores"/);
  });

  it('an ExternalSecret store name per aws-sm / vault store: a Kubernetes name, and not on a sops store', () => {
    const ok = parseSecretsConfig('stores:\n  a: { type: aws-sm, region: x, externalSecretStore: { kind: SecretStore, name: aws.backend } }\n', 'f.yaml');
    assert.deepEqual(ok.stores['a']!.type === 'aws-sm' && ok.stores['a']!.externalSecretStore, { kind: 'SecretStore', name: 'aws.backend' });
    assert.throws(() => parseSecretsConfig('stores:\n  a: { type: aws-sm, region: x, externalSecretStore: { name: Bad_Name } }\n', 'f.yaml'), /f\.yaml:2:62: stores\.a\.externalSecretStore\.name: a Kubernetes object name/);
    assert.throws(() => parseSecretsConfig('stores:\n  a: { type: aws-sm, region: x, externalSecretStore: { kind: Vault } }\n', 'f.yaml'), /stores\.a\.externalSecretStore\.kind/);
    assert.throws(() => parseSecretsConfig('stores:\n  s: { type: sops, repo: /x, ageKeyFile: /k, externalSecretStore: { name: x } }\n', 'f.yaml'), /stores\.s\.externalSecretStore: unknown key "externalSecretStore"/);
  });
});

describe('requireSecretStore and storeForRef', () => {
  it('no rule and no default: an error naming the setting to add, where it lives, and the stores', () => {
    assert.deepEqual(requireSecretStore(config, { component: 'checkout', env: 'staging' }), { store: 'vault', why: 'rule 3 (environments staging, qa; components check*)' });
    assert.throws(
      () => requireSecretStore({ ...config, default: undefined }, { component: 'search', owner: 'team-search', env: 'dev' }),
      (e: Error) =>
        e instanceof InvalidRequestError &&
        e.message ===
          'No secret store is routed for search (owner team-search) in dev: no rule of the secrets config matches and it has no default. ' +
            'Add `default: local` or a rule like `{ environments: "dev", store: local }` under rules (idp.secrets in app-config; the IDP_SECRETS_CONFIG file for the standalone server). Stores: local, vault, aws.',
    );
  });

  it('finds the configured store a reference is in: by type, a Vault store by its mount; the preferred one among several', () => {
    const two = SecretsConfig.parse({
      stores: {
        ...config.stores,
        'vault-team': { type: 'vault', address: 'http://127.0.0.1:8200', mount: 'kv/team', tokenEnv: 'VAULT_TOKEN' },
        'aws-eu': { type: 'aws-sm', region: 'eu-central-1' },
      },
    });
    assert.equal(storeForRef(two, 'vault://secret/idp/checkout/staging/K#value'), 'vault');
    assert.equal(storeForRef(two, 'vault://kv/team/idp/checkout/staging/K#value'), 'vault-team');
    assert.equal(storeForRef(two, 'vault://kv/other/K#value'), undefined, 'no store has that mount');
    assert.equal(storeForRef(two, 'aws-sm://idp/checkout/staging/K'), 'aws');
    assert.equal(storeForRef(two, 'aws-sm://idp/checkout/staging/K', 'aws-eu'), 'aws-eu');
    assert.equal(storeForRef(two, 'aws-sm://idp/checkout/staging/K', 'vault'), 'aws', 'a preferred store of another kind does not count');
    assert.equal(storeForRef(two, 'sops://checkout/staging.enc.yaml#K'), 'local');
    assert.equal(storeForRef(two, 'env://K'), undefined);
    assert.equal(storeForRef(two, 'vault://nomount'), undefined);
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

  it('formatSecretRef writes what parseSecretRef reads, and refuses parts that make no reference', () => {
    for (const ref of ['aws-sm://idp/checkout/staging/STRIPE_KEY', 'aws-sm://shared/stripe#api_key', 'vault://secret/idp/checkout/staging/STRIPE_KEY#value', 'sops://checkout/staging.enc.yaml#STRIPE_KEY']) {
      const parsed = parseSecretRef(ref);
      assert.ok(parsed && !('problem' in parsed));
      assert.equal(formatSecretRef(parsed), ref);
    }
    assert.throws(() => formatSecretRef({ scheme: 'vault', mount: 'secret', path: 'a' }), (e: Error) => e instanceof InvalidRequestError && /vault:\/\/<mount>\/<path>#<key>/.test(e.message));
    assert.throws(() => formatSecretRef({ scheme: 'sops', path: '../x.yaml', key: 'K' }), /sops:\/\/<file>#<key>/);
  });

  it('a URL with credentials is not a reference; managed schemes are told apart from the others', () => {
    assert.ok(!SECRET_REF.test('postgres://app:pw@db/checkout'));
    assert.ok(!SECRET_REF.test('https://user:token@example.com/x'));
    assert.ok(SECRET_REF.test('aws-sm://team@acme/stripe'), 'an @ without a password is a valid AWS secret name');
    assert.deepEqual(parseSecretRef('redis://:pw@cache:6379'), { problem: 'a reference looks like scheme://path#key, e.g. vault://secret/checkout/staging/STRIPE_KEY#value' });
    assert.deepEqual(['aws-sm://x', 'vault://a', 'sops://x', 'env://X', 'gcp-sm://p', 'vault:x'].map(isManagedRef), [true, true, true, false, false, false]);
  });

  it('vaultPathUnder: the path under a store mount of one or more segments', () => {
    const ref = parseSecretRef('vault://kv/team/idp/checkout/staging/K#value') as ParsedSecretRef;
    assert.equal(vaultPathUnder(ref, 'kv/team'), 'idp/checkout/staging/K');
    assert.equal(vaultPathUnder(ref, '/kv/team/'), 'idp/checkout/staging/K');
    assert.equal(vaultPathUnder(ref, 'kv'), 'team/idp/checkout/staging/K');
    assert.equal(vaultPathUnder(ref, 'kv/te'), undefined);
    assert.equal(vaultPathUnder(ref, 'secret'), undefined);
  });

  it("each store's version: AWS VersionId, Vault number, sops full commit; others any string without blanks", () => {
    const ok: [string, string][] = [
      ['aws-sm://a', '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0'],
      ['aws-sm://a', 'a'.repeat(32)],
      ['vault://secret/a#value', '1'],
      ['vault://secret/a#value', '42'],
      ['sops://c/s.enc.yaml#K', '0123456789abcdef0123456789abcdef01234567'],
      ['sops://c/s.enc.yaml#K', 'f'.repeat(64)],
      ['gcp-sm://projects/p/secrets/s', 'latest'],
    ];
    for (const [ref, v] of ok) assert.equal(secretVersionProblem(ref, v), undefined, `${ref} ${v}`);
    const bad: [string, string][] = [
      ['aws-sm://a', 'AWSPREVIOUS'],
      ['aws-sm://a', 'a'.repeat(31)],
      ['aws-sm://a', 'a'.repeat(65)],
      ['vault://secret/a#value', '0'],
      ['vault://secret/a#value', '1.5'],
      ['vault://secret/a#value', '-1'],
      ['sops://c/s.enc.yaml#K', '0123456'],
      ['sops://c/s.enc.yaml#K', 'G'.repeat(40)],
      ['env://K', 'a b'],
      ['env://K', ''],
    ];
    for (const [ref, v] of bad) {
      const problem = secretVersionProblem(ref, v);
      assert.ok(problem, `${ref} ${v}`);
      if (v.length > 2) assert.ok(!problem.includes(v), problem);
    }
  });

  it('paws.yaml takes a pinned version as a string and refuses a malformed managed reference', () => {
    const pinned = CHECKOUT.replace('{ ref: "vault://kv/checkout/staging#stripe_key" }', '{ ref: "vault://kv/checkout/staging#stripe_key", version: "4" }');
    assert.equal(parsePaws(pinned).spec.environments?.staging?.secrets?.STRIPE_KEY?.version, '4');
    assert.throws(() => parsePaws(pinned.replace('version: "4"', 'version: 4')), /quote the version/);
    assert.throws(() => parsePaws(CHECKOUT.replace('vault://kv/checkout/staging#stripe_key', 'vault://kv')), /vault:\/\/kv: a Vault reference is vault:\/\/<mount>\/<path>#<key>/);
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
