/**
 * A kustomize overlay's ExternalSecret: what a PR that writes the overlay (a release; a secret change whose overlay
 * lives in the same repository) also writes, so the cluster gets the environment's secrets from their stores:
 * `externalsecret.yaml` next to the kustomization, listed in its `resources:`. Pure: the caller reads both files and
 * commits what comes back.
 */
import { posix } from 'node:path';
import { effectiveSecrets } from '../paws/environments.js';
import type { PawsSpec } from '../paws/schema.js';
import type { SecretsConfig } from '../secrets/config.js';
import { EXTERNAL_SECRET_FILE, EXTERNAL_SECRET_MARK, renderExternalSecret } from '../secrets/external-secret.js';
import type { DeployTarget } from './deploy.js';
import { setKustomizeResource } from './kustomize.js';

export interface OverlaySecrets {
  /** The kustomization, with the ExternalSecret listed in (or taken out of) its resources. */
  kustomization: string;
  /** The ExternalSecret file to write (content) or delete (null); absent when it stays as it is. */
  file?: { path: string; content: string | null };
  /** Where the ExternalSecret lives (whether or not it changes). */
  path: string;
  /** The keys the ExternalSecret fetches. */
  keys: string[];
  /** Keys it leaves out, and why (sops, unmanaged, no store; or a file that is not idp's). */
  skipped: { key: string; why: string }[];
}

/** The path of the ExternalSecret for a kustomize target: beside its kustomization. */
export function externalSecretPath(target: DeployTarget): string {
  return posix.join(posix.dirname(target.file), EXTERNAL_SECRET_FILE);
}

/**
 * What the overlay of `target.env` needs so it carries the environment's ExternalSecret. `kustomization` is the
 * overlay's kustomization as the PR writes it (e.g. with the new image); `existing` is the ExternalSecret file on the
 * base branch, or null; `config` the platform's secret stores (without it, see ESO_STORES). A target of another
 * format: nothing changes. An `existing` file idp did not write is left alone, and said so.
 */
export function overlaySecrets(args: { spec: PawsSpec; target: DeployTarget; kustomization: string; existing: string | null; config?: SecretsConfig | undefined }): OverlaySecrets {
  const { spec, target, kustomization, existing, config } = args;
  const path = externalSecretPath(target);
  const unchanged = { kustomization, path, keys: [], skipped: [] };
  if (target.format !== 'kustomize') return unchanged;
  const secrets = effectiveSecrets(spec, target.env);
  if (existing !== null && !existing.startsWith(EXTERNAL_SECRET_MARK)) {
    const why = `${path} was not written by idp, so idp leaves it as it is (remove it to let idp write it)`;
    return { ...unchanged, skipped: secrets.map((s) => ({ key: s.key, why })) };
  }
  const rendered = renderExternalSecret({
    component: spec.metadata.name,
    ...(spec.metadata.owner ? { owner: spec.metadata.owner } : {}),
    env: target.env,
    secrets,
    ...(config ? { config } : {}),
  });
  // The kustomization lists the file by its path relative to itself.
  const listed = setKustomizeResource(kustomization, target.file, EXTERNAL_SECRET_FILE, rendered.text !== null);
  const file = rendered.text === existing ? undefined : { path, content: rendered.text };
  return { kustomization: listed, ...(file ? { file } : {}), path, keys: rendered.keys, skipped: rendered.skipped };
}
