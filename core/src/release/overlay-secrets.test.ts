import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { setEnvironmentSecret, unsetEnvironmentSecret } from '../paws/edit.js';
import { parsePaws } from '../paws/parse.js';
import { CHECKOUT, lineDiff } from '../paws/test-fixtures.js';
import { SecretsConfig } from '../secrets/config.js';
import { deployTargetFor } from './deploy.js';
import { setKustomizeResource } from './kustomize.js';
import { externalSecretPath, overlaySecrets } from './overlay-secrets.js';

const config = SecretsConfig.parse({
  stores: {
    local: { type: 'sops', repo: '/var/idp/secrets.git', ageKeyFile: '/var/idp/age.key' },
    vault: { type: 'vault', address: 'https://vault.internal:8200', mount: 'kv', tokenEnv: 'VAULT_TOKEN' },
  },
  default: 'vault',
});

const KUSTOMIZATION = `# staging overlay
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base   # shared manifests
images:
  - name: ghcr.io/acme/checkout
    newTag: 1.4.2
`;

/** CHECKOUT's staging (STRIPE_KEY: vault://kv/checkout/staging#stripe_key) with that secret pinned to `version`. */
const pinned = (version: string) => setEnvironmentSecret(CHECKOUT, 'staging', 'STRIPE_KEY', { ref: 'vault://kv/checkout/staging#stripe_key', version });
const plan = (paws: string, env: string, kustomization = KUSTOMIZATION, existing: string | null = null) => {
  const spec = parsePaws(paws).spec;
  return overlaySecrets({ spec, target: deployTargetFor(spec, env, 'paws.yaml'), kustomization, existing, config });
};

describe('overlaySecrets', () => {
  it("writes externalsecret.yaml beside the overlay's kustomization and lists it in resources (one added line)", () => {
    const p = plan(pinned('4'), 'staging');
    assert.equal(p.path, 'apps/checkout/staging/externalsecret.yaml');
    assert.equal(p.file?.path, p.path);
    assert.deepEqual(lineDiff(KUSTOMIZATION, p.kustomization), ['+6:   - externalsecret.yaml']);
    const doc = parse(p.file!.content!);
    assert.deepEqual(doc.spec.data, [{ secretKey: 'STRIPE_KEY', remoteRef: { key: 'checkout/staging', property: 'stripe_key', version: '4' } }]);
    assert.deepEqual(p.keys, ['STRIPE_KEY']);
  });

  it('an inherited secret is in the environment that inherits it', () => {
    const p = plan(pinned('4'), 'preview-123');
    assert.equal(p.path, 'apps/checkout/preview-123/externalsecret.yaml');
    assert.deepEqual(parse(p.file!.content!).spec.data.map((d: { secretKey: string }) => d.secretKey), ['STRIPE_KEY']);
  });

  it('a new version changes its one line in the ExternalSecret; the same one again changes nothing', () => {
    const v4 = plan(pinned('4'), 'staging');
    const v5 = plan(pinned('5'), 'staging', v4.kustomization, v4.file!.content);
    assert.equal(v5.kustomization, v4.kustomization, 'already listed');
    assert.deepEqual(lineDiff(v4.file!.content!, v5.file!.content!), ['-24:         version: "4"', '+24:         version: "5"']);
    const again = plan(pinned('5'), 'staging', v5.kustomization, v5.file!.content);
    assert.equal(again.file, undefined);
    assert.equal(again.kustomization, v5.kustomization);
  });

  it('no secret left: the file goes, and its resources entry with it (the last entry takes resources: along)', () => {
    const v4 = plan(pinned('4'), 'staging');
    const gone = plan(unsetEnvironmentSecret(CHECKOUT, 'staging', 'STRIPE_KEY'), 'staging', v4.kustomization, v4.file!.content);
    assert.deepEqual(gone.file, { path: 'apps/checkout/staging/externalsecret.yaml', content: null });
    assert.equal(gone.kustomization, KUSTOMIZATION);
    const alone = setKustomizeResource('kind: Kustomization\n', 'k.yaml', 'externalsecret.yaml', true);
    assert.equal(alone, 'kind: Kustomization\nresources:\n  - externalsecret.yaml\n');
    assert.equal(setKustomizeResource(alone, 'k.yaml', 'externalsecret.yaml', false), 'kind: Kustomization\n');
    // Nothing to fetch and no file: nothing changes.
    const none = plan(unsetEnvironmentSecret(CHECKOUT, 'staging', 'STRIPE_KEY'), 'staging');
    assert.equal(none.file, undefined);
    assert.equal(none.kustomization, KUSTOMIZATION);
  });

  it('only sops references: no ExternalSecret (Flux decrypts those), and the keys say why', () => {
    const sops = setEnvironmentSecret(CHECKOUT, 'staging', 'STRIPE_KEY', { ref: 'sops://checkout/staging.enc.yaml#STRIPE_KEY' });
    const p = plan(sops, 'staging');
    assert.equal(p.file, undefined);
    assert.equal(p.kustomization, KUSTOMIZATION);
    assert.match(p.skipped[0]!.why, /^sops: decrypted from git in the cluster by Flux/);
  });

  it('a file of the same name that idp did not write is left alone, and said', () => {
    const theirs = 'apiVersion: external-secrets.io/v1\nkind: ExternalSecret\n';
    const p = plan(pinned('4'), 'staging', KUSTOMIZATION, theirs);
    assert.equal(p.file, undefined);
    assert.equal(p.kustomization, KUSTOMIZATION);
    assert.match(p.skipped[0]!.why, /apps\/checkout\/staging\/externalsecret\.yaml was not written by idp/);
  });

  it('other deploy formats get nothing', () => {
    const helm = pinned('4').replace('format: kustomize ', 'format: helm-values');
    const p = plan(helm, 'staging', 'image: {}\n');
    assert.deepEqual([p.file, p.kustomization, p.keys], [undefined, 'image: {}\n', []]);
  });

  it('resources written flow-style, or not at all, get the entry in their own style; an overlay at the top of its repository', () => {
    assert.equal(setKustomizeResource('resources: [../base]\n', 'k.yaml', 'externalsecret.yaml', true), 'resources: [../base, externalsecret.yaml]\n');
    assert.equal(setKustomizeResource('resources: [../base, externalsecret.yaml]\n', 'k.yaml', 'externalsecret.yaml', false), 'resources: [../base]\n');
    assert.equal(setKustomizeResource('', 'k.yaml', 'externalsecret.yaml', true), 'resources:\n  - externalsecret.yaml\n');
    assert.throws(() => setKustomizeResource('resources: base\n', 'k.yaml', 'externalsecret.yaml', true), /k\.yaml: resources must be a list/);
    const spec = parsePaws(pinned('4').replace("path: 'apps/checkout/{env}'", "path: '{env}/kustomization.yml'")).spec;
    assert.equal(externalSecretPath(deployTargetFor(spec, 'staging', 'paws.yaml')), 'staging/externalsecret.yaml');
  });
});
