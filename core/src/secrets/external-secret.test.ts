import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { z } from 'zod';
import { InvalidRequestError } from '../errors.js';
import { SecretsConfig } from './config.js';
import { EXTERNAL_SECRET_MARK, externalSecretStoreRef, renderExternalSecret, renderExternalSecrets } from './external-secret.js';

/**
 * The part of ESO's ExternalSecret v1 idp writes, field for field from its Go types
 * (external-secrets/external-secrets apis/externalsecrets/v1/externalsecret_types.go: ExternalSecretSpec,
 * SecretStoreRef, ExternalSecretTarget, ExternalSecretData, ExternalSecretDataRemoteRef, StoreSourceRef), with the
 * kubebuilder patterns and enums. Strict: a misspelt or invented field fails.
 */
const NAME = z.string().min(1).max(253).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/);
const StoreRef = z.strictObject({ name: NAME, kind: z.enum(['SecretStore', 'ClusterSecretStore']).optional() });
const EsoExternalSecretV1 = z.strictObject({
  apiVersion: z.literal('external-secrets.io/v1'),
  kind: z.literal('ExternalSecret'),
  metadata: z.strictObject({ name: NAME, labels: z.record(z.string(), z.string()).optional() }),
  spec: z.strictObject({
    // metav1.Duration: Go duration syntax.
    refreshInterval: z.string().regex(/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/).optional(),
    secretStoreRef: StoreRef,
    target: z.strictObject({ name: NAME, creationPolicy: z.enum(['Owner', 'Orphan', 'Merge', 'None']).optional() }),
    data: z
      .array(
        z.strictObject({
          secretKey: z.string().min(1).max(253).regex(/^[-._a-zA-Z0-9]+$/),
          remoteRef: z.strictObject({ key: z.string().min(1), property: z.string().optional(), version: z.string().optional() }),
          sourceRef: z.strictObject({ storeRef: StoreRef }).optional(),
        }),
      )
      .min(1),
  }),
});

const AWS_V = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
const SHA = '0123456789abcdef0123456789abcdef01234567';
const config = SecretsConfig.parse({
  stores: {
    local: { type: 'sops', repo: '/var/idp/secrets.git', ageKeyFile: '/var/idp/age.key' },
    vault: { type: 'vault', address: 'https://vault.internal:8200', mount: 'secret', tokenEnv: 'VAULT_TOKEN' },
    aws: { type: 'aws-sm', region: 'eu-west-1', externalSecretStore: { kind: 'SecretStore', name: 'aws-secretsmanager' } },
  },
  rules: [{ environments: 'prod*', store: 'aws' }],
  default: 'vault',
});
const production = [
  { key: 'STRIPE_KEY', ref: 'aws-sm://idp/checkout/production/STRIPE_KEY', version: AWS_V },
  { key: 'DB_PASSWORD', ref: 'vault://secret/idp/checkout/production/DB_PASSWORD#value', version: '3' },
  { key: 'PARTNER_API', ref: 'aws-sm://shared/partner#api_key' },
  { key: 'LOCAL_ONLY', ref: 'sops://checkout/production.enc.yaml#LOCAL_ONLY', version: SHA },
  { key: 'FROM_ENV', ref: 'env://FROM_ENV' },
];

describe('renderExternalSecret', () => {
  it('one ExternalSecret: AWS VersionId as uuid/<id>, a JSON key as property, the Vault number; sops and unmanaged said, not fetched', () => {
    const r = renderExternalSecret({ component: 'checkout', owner: 'team-payments', env: 'production', secrets: production, config });
    assert.equal(
      r.text,
      `${EXTERNAL_SECRET_MARK} from paws.yaml (environments.production.secrets): references and versions only, never a value.
# Change them with \`idp secrets\`: the next idp PR for this environment rewrites this file.
# Not fetched through External Secrets: FROM_ENV (env:// is not a store idp manages), LOCAL_ONLY (sops: decrypted from git in the cluster by Flux's kustomize-controller or ksops, not fetched by ESO).
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: checkout-secrets
  labels:
    app.kubernetes.io/name: checkout
    app.kubernetes.io/managed-by: idp
    idp.dev/environment: production
spec:
  refreshInterval: 1h
  secretStoreRef:
    kind: SecretStore
    name: aws-secretsmanager
  target:
    name: checkout-secrets
    creationPolicy: Owner
  data:
    - secretKey: DB_PASSWORD
      remoteRef:
        key: idp/checkout/production/DB_PASSWORD
        property: value
        version: "3"
      sourceRef:
        storeRef:
          kind: ClusterSecretStore
          name: idp-vault
    - secretKey: PARTNER_API
      remoteRef:
        key: shared/partner
        property: api_key
    - secretKey: STRIPE_KEY
      remoteRef:
        key: idp/checkout/production/STRIPE_KEY
        version: uuid/${AWS_V}
`,
    );
    assert.deepEqual(r.keys, ['DB_PASSWORD', 'PARTNER_API', 'STRIPE_KEY']);
    assert.deepEqual(r.skipped.map((s) => s.key), ['FROM_ENV', 'LOCAL_ONLY']);
    assert.equal(r.secretName, 'checkout-secrets');
    EsoExternalSecretV1.parse(parse(r.text!));
    assert.equal(parse(r.text!).spec.data[0].remoteRef.version, '3', 'a string in YAML, as the CRD wants');
  });

  it('the routed store is spec.secretStoreRef when a key uses it; else the store most keys use', () => {
    const staging = renderExternalSecret({
      component: 'checkout',
      env: 'staging',
      config,
      secrets: [
        { key: 'A', ref: 'vault://secret/idp/checkout/staging/A#value' },
        { key: 'B', ref: 'aws-sm://b' },
        { key: 'C', ref: 'aws-sm://c' },
      ],
    });
    const doc = EsoExternalSecretV1.parse(parse(staging.text!));
    assert.deepEqual(doc.spec.secretStoreRef, { kind: 'ClusterSecretStore', name: 'idp-vault' }, 'staging routes to the default, vault');
    assert.deepEqual(doc.spec.data.map((d) => d.sourceRef?.storeRef.name), [undefined, 'aws-secretsmanager', 'aws-secretsmanager']);

    const mostly = renderExternalSecret({ component: 'checkout', env: 'staging', config, secrets: [{ key: 'B', ref: 'aws-sm://b' }, { key: 'C', ref: 'aws-sm://c' }] });
    const only = EsoExternalSecretV1.parse(parse(mostly.text!));
    assert.deepEqual(only.spec.secretStoreRef, { kind: 'SecretStore', name: 'aws-secretsmanager' });
    assert.ok(only.spec.data.every((d) => d.sourceRef === undefined));
  });

  it("a Vault store's mount of several segments: the key is the path under it", () => {
    const team = SecretsConfig.parse({ stores: { team: { type: 'vault', address: 'http://v:8200', mount: 'kv/team', tokenEnv: 'T' } }, default: 'team' });
    const r = renderExternalSecret({ component: 'checkout', env: 'qa', config: team, secrets: [{ key: 'K', ref: 'vault://kv/team/idp/checkout/qa/K#value', version: '12' }] });
    assert.deepEqual(EsoExternalSecretV1.parse(parse(r.text!)).spec.data, [{ secretKey: 'K', remoteRef: { key: 'idp/checkout/qa/K', property: 'value', version: '12' } }]);
  });

  it('nothing ESO can fetch (only sops, unmanaged, or a reference no store holds): no manifest, each key said', () => {
    const r = renderExternalSecret({
      component: 'checkout',
      env: 'preview-1',
      config,
      secrets: [
        { key: 'A', ref: 'sops://checkout/preview-1.enc.yaml#A' },
        { key: 'B', ref: 'gcp-sm://projects/p/secrets/b' },
        { key: 'C', ref: 'vault://other-mount/c#value' },
      ],
    });
    assert.equal(r.text, null);
    assert.deepEqual(r.skipped, [
      { key: 'A', why: "sops: decrypted from git in the cluster by Flux's kustomize-controller or ksops, not fetched by ESO" },
      { key: 'B', why: 'gcp-sm:// is not a store idp manages' },
      { key: 'C', why: 'no configured vault store holds it' },
    ]);
    assert.equal(renderExternalSecret({ component: 'checkout', env: 'x', config, secrets: [] }).text, null);
  });

  it('without the secrets config: one ClusterSecretStore per store kind (ESO_STORES), a Vault key with its mount', () => {
    const r = renderExternalSecret({ component: 'checkout', env: 'production', secrets: production });
    const doc = EsoExternalSecretV1.parse(parse(r.text!));
    assert.deepEqual(doc.spec.secretStoreRef, { kind: 'ClusterSecretStore', name: 'idp-aws-sm' }, 'two keys of AWS, one of Vault');
    assert.deepEqual(doc.spec.data[0], {
      secretKey: 'DB_PASSWORD',
      remoteRef: { key: 'secret/idp/checkout/production/DB_PASSWORD', property: 'value', version: '3' },
      sourceRef: { storeRef: { kind: 'ClusterSecretStore', name: 'idp-vault' } },
    });
    assert.equal(renderExternalSecrets('checkout', 'production', production), r.text);
  });

  it('the same input gives the same bytes, whatever the order of the keys', () => {
    const a = renderExternalSecret({ component: 'checkout', env: 'production', config, secrets: production });
    const b = renderExternalSecret({ component: 'checkout', env: 'production', config, secrets: [...production].reverse() });
    assert.equal(a.text, b.text);
  });
});

describe('externalSecretStoreRef', () => {
  it('defaults to the ClusterSecretStore idp-<store>; a store may name its own; a name Kubernetes refuses is an error', () => {
    assert.deepEqual(externalSecretStoreRef(config, 'vault'), { kind: 'ClusterSecretStore', name: 'idp-vault' });
    assert.deepEqual(externalSecretStoreRef(config, 'aws'), { kind: 'SecretStore', name: 'aws-secretsmanager' });
    const odd = SecretsConfig.parse({ stores: { 'aws-': { type: 'aws-sm', region: 'x' } } });
    assert.throws(() => externalSecretStoreRef(odd, 'aws-'), (e: Error) => e instanceof InvalidRequestError && /set externalSecretStore\.name/.test(e.message));
  });
});
