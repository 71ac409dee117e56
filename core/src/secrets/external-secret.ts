/**
 * The External Secrets Operator `ExternalSecret` (external-secrets.io/v1) of one environment: what a cluster needs to
 * fetch the environment's secrets from their stores by itself, so idp is not in the runtime path. idp writes it next
 * to a kustomize overlay (release/overlay-secrets.ts); it holds references and versions only, never a value.
 *
 * Per key (`environments.<env>.secrets.<KEY>`, inherited ones included), `spec.data[]` gets
 *   secretKey: KEY
 *   remoteRef:  aws-sm://<name>[#<json-key>]  → key: <name>, property: <json-key>, version: uuid/<VersionId>
 *              vault://<mount>/<path>#<key>  → key: <path> (under the store's mount), property: <key>, version: <n>
 * (ESO's AWS provider reads `uuid/<id>` as a VersionId, a bare version as a stage; its Vault provider sends the
 * version as KV v2's `?version=`). An unpinned reference has no `version`: ESO follows the current one.
 *
 * Not emitted, and said so in the file's header: sops references (a SOPS file is decrypted by Flux's kustomize-
 * controller or another SOPS tool, not by ESO), references idp does not manage (env://, gcp-sm://…), and references
 * no configured store holds.
 *
 * Each idp store is read through one (Cluster)SecretStore: by default the ClusterSecretStore `idp-<store>`, else the
 * store config's `externalSecretStore`. The platform creates those once (a Vault one with `path: <mount>` and
 * `version: v2`). The Secret the workload reads is `<component>-secrets` (envFrom: secretRef).
 */
import { Document } from 'yaml';
import { InvalidRequestError } from '../errors.js';
import type { SecretsConfig } from './config.js';
import { parseSecretRef, vaultPathUnder } from './ref.js';
import { routeSecretStore, storeForRef } from './routing.js';

export const EXTERNAL_SECRET_API_VERSION = 'external-secrets.io/v1';
/** The file idp writes next to the overlay's kustomization. */
export const EXTERNAL_SECRET_FILE = 'externalsecret.yaml';
/** The first words of every file idp writes: a file without them is someone else's, and idp leaves it alone. */
export const EXTERNAL_SECRET_MARK = '# Written by idp';

const K8S_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export interface SecretStoreRef {
  kind: 'ClusterSecretStore' | 'SecretStore';
  name: string;
}

export interface ExternalSecretInput {
  component: string;
  /** The component's owner (metadata.owner): routing rules may name it. */
  owner?: string;
  env: string;
  /** The environment's effective secrets (effectiveSecrets): key, reference and pinned version. */
  secrets: ReadonlyArray<{ key: string; ref: string; version?: string }>;
  config: SecretsConfig;
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
  const secretName = `${input.component}-secrets`;
  const routed = routeSecretStore(input.config, { component: input.component, ...(input.owner ? { owner: input.owner } : {}), env: input.env })?.store;
  const items: { key: string; store: string; remoteRef: Record<string, string> }[] = [];
  const skipped: { key: string; why: string }[] = [];

  for (const s of [...input.secrets].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
    const parsed = parseSecretRef(s.ref);
    const scheme = /^([a-z][a-z0-9+.-]*):/.exec(s.ref)?.[1] ?? '?';
    if (!parsed) {
      skipped.push({ key: s.key, why: `${scheme}:// is not a store idp manages` });
      continue;
    }
    if ('problem' in parsed) {
      skipped.push({ key: s.key, why: parsed.problem });
      continue;
    }
    if (parsed.scheme === 'sops') {
      skipped.push({ key: s.key, why: "a SOPS value is decrypted by Flux's kustomize-controller or another SOPS tool, not by External Secrets Operator" });
      continue;
    }
    const store = storeForRef(input.config, s.ref, routed);
    const config = store === undefined ? undefined : input.config.stores[store];
    if (store === undefined || config === undefined || config.type === 'sops') {
      skipped.push({ key: s.key, why: `no configured ${parsed.scheme} store holds it` });
      continue;
    }
    const remoteRef: Record<string, string> =
      config.type === 'vault'
        ? { key: vaultPathUnder(parsed, config.mount)!, property: parsed.key! }
        : { key: parsed.path, ...(parsed.key !== undefined ? { property: parsed.key } : {}) };
    if (s.version !== undefined) remoteRef['version'] = config.type === 'aws-sm' ? `uuid/${s.version}` : s.version;
    items.push({ key: s.key, store, remoteRef });
  }

  if (items.length === 0) return { text: null, secretName, keys: [], skipped };

  // spec.secretStoreRef: the routed store if any key uses it, else the one most keys use; the others per item.
  const uses = new Map<string, number>();
  for (const i of items) uses.set(i.store, (uses.get(i.store) ?? 0) + 1);
  const main = routed !== undefined && uses.has(routed) ? routed : [...uses.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]![0];
  const manifest = {
    apiVersion: EXTERNAL_SECRET_API_VERSION,
    kind: 'ExternalSecret',
    metadata: { name: secretName, labels: { 'app.kubernetes.io/name': input.component, 'app.kubernetes.io/managed-by': 'idp' } },
    spec: {
      secretStoreRef: externalSecretStoreRef(input.config, main),
      target: { name: secretName },
      data: items.map((i) => ({
        secretKey: i.key,
        remoteRef: i.remoteRef,
        ...(i.store !== main ? { sourceRef: { storeRef: externalSecretStoreRef(input.config, i.store) } } : {}),
      })),
    },
  };
  const doc = new Document(manifest);
  const header = [
    `${EXTERNAL_SECRET_MARK} from paws.yaml (environments.${input.env}.secrets): the secrets of ${input.component} in ${input.env},`,
    '# as references and versions; the values stay in their stores. Change them with `idp secrets`, not here:',
    '# the next idp PR for this environment rewrites this file.',
    ...skipped.map((s) => `# Not fetched here: ${s.key} (${s.why}).`),
  ];
  return { text: `${header.join('\n')}\n${doc.toString({ lineWidth: 0 })}`, secretName, keys: items.map((i) => i.key), skipped };
}
