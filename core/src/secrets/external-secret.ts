/**
 * External Secrets Operator emission for the kustomize deploy format: the release PR writes `externalsecret.yaml`
 * next to the overlay's kustomization.yaml (and lists it under `resources:`; release/overlay-secrets.ts), so the
 * cluster fetches each secret at the version paws.yaml pins without idp in its runtime path. References and versions
 * only, never a value.
 *
 * One `ExternalSecret` (external-secrets.io/v1) per environment, target Secret `<component>-secrets` (what the
 * workload reads with envFrom), whatever the number of stores. Per key (`environments.<env>.secrets.<KEY>`, inherited
 * ones included), `spec.data[]` gets
 *   secretKey: KEY
 *   remoteRef:  aws-sm://<name>[#<json-key>]  → key: <name>, property: <json-key>, version: uuid/<VersionId>
 *              vault://<mount>/<path>#<key>  → key: <path under the store's mount>, property: <key>, version: <n>
 * (ESO's AWS provider reads `uuid/<id>` as a VersionId and a bare version as a stage; its Vault provider sends the
 * version as KV v2's `?version=`). An unpinned reference has no `version`: ESO follows the current one.
 *
 * Stores: each idp store is read through one (Cluster)SecretStore the platform installs once: the ClusterSecretStore
 * `idp-<store>`, or the store config's `externalSecretStore`. `spec.secretStoreRef` is the store routed for the
 * environment (else the one most keys use); keys of other stores name theirs in `sourceRef.storeRef`. Without the
 * secrets config (a worker not given it), each store kind maps to one ClusterSecretStore (ESO_STORES) and a Vault key
 * keeps its mount (ESO strips the store's `path` from it).
 *
 * Not emitted, and listed in the file's header: SOPS references (decrypted in the cluster from git by Flux's
 * kustomize-controller or ksops, not fetched by ESO), references idp does not manage (env://, …), and references no
 * configured store holds.
 */
import { Document } from 'yaml';
import { InvalidRequestError } from '../errors.js';
import type { EffectiveSecret } from '../paws/environments.js';
import type { SecretsConfig } from './config.js';
import { parseSecretRef, vaultPathUnder } from './ref.js';
import { routeSecretStore, storeForRef } from './routing.js';

export const EXTERNAL_SECRET_FILE = 'externalsecret.yaml';
/** The first words of every file idp writes: a file without them is someone else's, and idp leaves it alone. */
export const EXTERNAL_SECRET_MARK = '# Written by idp';

/** The ClusterSecretStore each managed store kind is fetched through when there is no secrets config. */
export const ESO_STORES = { 'aws-sm': 'idp-aws-sm', vault: 'idp-vault' } as const;

const K8S_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A secret as effectiveSecrets gives it (where it comes from does not matter here). */
export type PinnedSecret = Pick<EffectiveSecret, 'key' | 'ref' | 'version'> & Partial<Pick<EffectiveSecret, 'source'>>;

export interface SecretStoreRef {
  kind: 'ClusterSecretStore' | 'SecretStore';
  name: string;
}

export interface ExternalSecretInput {
  component: string;
  env: string;
  /** The environment's effective secrets (effectiveSecrets): key, reference and pinned version. */
  secrets: readonly PinnedSecret[];
  /** The platform's secret stores; without them, see ESO_STORES. */
  config?: SecretsConfig;
  /** The component's owner (metadata.owner): routing rules may name it. */
  owner?: string;
}

export interface RenderedExternalSecret {
  /** The manifest (with its header), or null when no key is one ESO can fetch. */
  text: string | null;
  /** The Kubernetes Secret ESO writes, which the workload reads. */
  secretName: string;
  /** The keys in spec.data, sorted. */
  keys: string[];
  /** Keys left out, and why (in the file's header too). */
  skipped: { key: string; why: string }[];
}

/** The (Cluster)SecretStore a cluster reads idp store `store` through. */
export function externalSecretStoreRef(config: SecretsConfig, store: string): SecretStoreRef {
  const c = config.stores[store];
  const own = c && c.type !== 'sops' ? c.externalSecretStore : undefined;
  const ref: SecretStoreRef = { kind: own?.kind ?? 'ClusterSecretStore', name: own?.name ?? `idp-${store}` };
  if (!K8S_NAME.test(ref.name) || ref.name.length > 253) {
    throw new InvalidRequestError(`Store "${store}" has no usable SecretStore name for its ExternalSecrets (idp-${store} is not a Kubernetes name): set externalSecretStore.name on it.`);
  }
  return ref;
}

/** The ExternalSecret of `input.env`; see the file's comment for what each reference becomes. */
export function renderExternalSecret(input: ExternalSecretInput): RenderedExternalSecret {
  const { config } = input;
  const secretName = `${input.component}-secrets`;
  const routed = config && routeSecretStore(config, { component: input.component, ...(input.owner ? { owner: input.owner } : {}), env: input.env })?.store;
  const items: { key: string; store: string; storeRef: SecretStoreRef; remoteRef: Record<string, string> }[] = [];
  const skipped: { key: string; why: string }[] = [];

  for (const s of [...input.secrets].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
    const parsed = parseSecretRef(s.ref);
    const scheme = /^([a-z][a-z0-9+.-]*):/.exec(s.ref)?.[1] ?? '?';
    if (!parsed || 'problem' in parsed) {
      skipped.push({ key: s.key, why: parsed ? parsed.problem : `${scheme}:// is not a store idp manages` });
      continue;
    }
    if (parsed.scheme === 'sops') {
      skipped.push({ key: s.key, why: "sops: decrypted from git in the cluster by Flux's kustomize-controller or ksops, not fetched by ESO" });
      continue;
    }
    let store: string;
    let storeRef: SecretStoreRef;
    let key: string;
    if (config) {
      const name = storeForRef(config, s.ref, routed);
      const c = name === undefined ? undefined : config.stores[name];
      if (name === undefined || c === undefined || c.type === 'sops') {
        skipped.push({ key: s.key, why: `no configured ${parsed.scheme} store holds it` });
        continue;
      }
      store = name;
      storeRef = externalSecretStoreRef(config, name);
      key = c.type === 'vault' ? vaultPathUnder(parsed, c.mount)! : parsed.path;
    } else {
      store = ESO_STORES[parsed.scheme];
      storeRef = { kind: 'ClusterSecretStore', name: store };
      key = parsed.scheme === 'vault' ? `${parsed.mount}/${parsed.path}` : parsed.path;
    }
    const remoteRef: Record<string, string> = { key, ...(parsed.key !== undefined ? { property: parsed.key } : {}) };
    if (s.version !== undefined) remoteRef['version'] = parsed.scheme === 'aws-sm' ? `uuid/${s.version}` : s.version;
    items.push({ key: s.key, store, storeRef, remoteRef });
  }

  if (items.length === 0) return { text: null, secretName, keys: [], skipped };

  // spec.secretStoreRef: the routed store if a key uses it, else the one most keys use (then by name); others per item.
  const uses = new Map<string, number>();
  for (const i of items) uses.set(i.store, (uses.get(i.store) ?? 0) + 1);
  const main = routed !== undefined && uses.has(routed) ? routed : [...uses.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]![0];
  const doc = new Document({
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name: secretName, labels: { 'app.kubernetes.io/name': input.component, 'app.kubernetes.io/managed-by': 'idp', 'idp.dev/environment': input.env } },
    spec: {
      refreshInterval: '1h',
      secretStoreRef: items.find((i) => i.store === main)!.storeRef,
      target: { name: secretName, creationPolicy: 'Owner' },
      data: items.map((i) => ({ secretKey: i.key, remoteRef: i.remoteRef, ...(i.store !== main ? { sourceRef: { storeRef: i.storeRef } } : {}) })),
    },
  });
  const header = [
    `${EXTERNAL_SECRET_MARK} from paws.yaml (environments.${input.env}.secrets): references and versions only, never a value.`,
    '# Change them with `idp secrets`: the next idp PR for this environment rewrites this file.',
    ...(skipped.length ? [`# Not fetched through External Secrets: ${skipped.map((s) => `${s.key} (${s.why})`).join(', ')}.`] : []),
  ];
  return { text: `${header.join('\n')}\n${doc.toString({ lineWidth: 0 })}`, secretName, keys: items.map((i) => i.key), skipped };
}

/** renderExternalSecret's manifest alone: the `externalsecret.yaml` of `env`, or null when ESO fetches none of them. */
export function renderExternalSecrets(
  component: string,
  env: string,
  secrets: readonly PinnedSecret[],
  options: { config?: SecretsConfig; owner?: string } = {},
): string | null {
  return renderExternalSecret({ component, env, secrets, ...options }).text;
}
