/**
 * External Secrets Operator emission for the kustomize deploy format: the release PR writes `externalsecret.yaml`
 * next to the overlay's kustomization.yaml (and lists it under `resources:`), so the cluster fetches each secret at
 * the version paws.yaml pins without idp in its runtime path.
 *
 * One `ExternalSecret` (external-secrets.io/v1) per environment, target Secret `<component>-secrets`. Each idp store
 * kind maps to a ClusterSecretStore the platform installs once: `idp-aws-sm` (AWS Secrets Manager; `version:
 * uuid/<VersionId>` pins a version, per ESO's AWS provider) and `idp-vault` (KV v2; `version` is the KV version
 * number; the key keeps its mount, which ESO recognises as the store's path). SOPS references are not emitted: SOPS
 * files are decrypted in the cluster by Flux/ksops from git, not fetched by ESO. Unmanaged references (env://, …) are
 * not emitted either; both are listed in the file's header so a reader sees what it leaves out.
 */
import { Document } from 'yaml';
import type { EffectiveSecret } from '../paws/environments.js';
import { parseSecretRef } from './ref.js';

export const EXTERNAL_SECRET_FILE = 'externalsecret.yaml';

/** The ClusterSecretStore each managed store kind is fetched through. */
export const ESO_STORES = { 'aws-sm': 'idp-aws-sm', vault: 'idp-vault' } as const;

interface RemoteRef {
  key: string;
  property?: string;
  version?: string;
}

/**
 * The `externalsecret.yaml` of `env` for these secrets (its effective ones), or null when none is fetched through ESO.
 * Several stores in one environment make one ExternalSecret per store (an ExternalSecret reads one store).
 */
export function renderExternalSecrets(component: string, env: string, secrets: readonly EffectiveSecret[]): string | null {
  const byStore = new Map<string, { secretKey: string; remoteRef: RemoteRef }[]>();
  const left: string[] = [];
  for (const s of [...secrets].sort((a, b) => a.key.localeCompare(b.key))) {
    const ref = parseSecretRef(s.ref);
    if (!ref || 'problem' in ref || ref.scheme === 'sops') {
      left.push(`${s.key} (${ref && !('problem' in ref) ? 'sops: decrypted from git by Flux/ksops' : 'not a store idp manages'})`);
      continue;
    }
    const remoteRef: RemoteRef =
      ref.scheme === 'aws-sm'
        ? { key: ref.path, ...(ref.key ? { property: ref.key } : {}), ...(s.version ? { version: `uuid/${s.version}` } : {}) }
        : { key: `${ref.mount}/${ref.path}`, property: ref.key!, ...(s.version ? { version: s.version } : {}) };
    const store = ESO_STORES[ref.scheme];
    byStore.set(store, [...(byStore.get(store) ?? []), { secretKey: s.key, remoteRef }]);
  }
  if (!byStore.size) return null;
  const docs = [...byStore].sort(([a], [b]) => a.localeCompare(b)).map(([store, data]) => {
    const name = byStore.size === 1 ? `${component}-secrets` : `${component}-secrets-${store.replace(/^idp-/, '')}`;
    const doc = new Document({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name, labels: { 'app.kubernetes.io/name': component, 'idp.dev/environment': env } },
      spec: {
        refreshInterval: '1h',
        secretStoreRef: { kind: 'ClusterSecretStore', name: store },
        target: { name, creationPolicy: 'Owner' },
        data,
      },
    });
    return doc.toString({ lineWidth: 0 });
  });
  const header = [
    `# Written by idp from paws.yaml (environments.${env}.secrets): references and versions only, never a value.`,
    ...(left.length ? [`# Not fetched through External Secrets: ${left.join(', ')}.`] : []),
  ];
  return `${header.join('\n')}\n${docs.join('---\n')}`;
}
