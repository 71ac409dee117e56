/**
 * Stores from configuration (`idp.secrets` / the standalone server's secrets config), and the embedded default:
 * one SOPS + age store in a git repository under IDP_HOME. It needs no server, survives restarts (moto keeps
 * everything in memory) and its key never leaves IDP_HOME.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SecretsConfig, type SecretStoreConfig } from '@idp/core';
import { AwsSecretsManagerStore } from './aws-sm.js';
import { SopsStore } from './sops.js';
import { VaultKv2Store } from './vault-kv2.js';
import type { SecretStore } from './store.js';
import { ensureAgeIdentity, ensureSops, SOPS_MISSING } from './tools.js';

export interface StoreOptions {
  /** Where the SOPS stores keep their private clones (default: under the OS temp dir). */
  cacheDir?: string;
}

/** The adapter for one configured store; credentials are read from `env` (or files) when first used. */
export function createSecretStore(name: string, config: SecretStoreConfig, env: NodeJS.ProcessEnv = process.env, opts: StoreOptions = {}): SecretStore {
  switch (config.type) {
    case 'aws-sm':
      return new AwsSecretsManagerStore(name, config, { env });
    case 'sops':
      return new SopsStore(name, config, { env, ...(opts.cacheDir ? { cacheDir: join(opts.cacheDir, name) } : {}) });
    case 'vault':
      return new VaultKv2Store(name, config, { env });
  }
}

/** Every configured store by name. */
export function secretStoresFrom(config: SecretsConfig, env: NodeJS.ProcessEnv = process.env, opts: StoreOptions = {}): Map<string, SecretStore> {
  const parsed = SecretsConfig.parse(config);
  return new Map(Object.entries(parsed.stores).map(([name, c]) => [name, createSecretStore(name, c, env, opts)]));
}

/** The embedded stack's store name. */
export const EMBEDDED_STORE = 'local';

/**
 * `<idpHome>/secrets.git` (bare, branch main) and `<idpHome>/age.key` (0600), created once, sops made available
 * (ensureSops: a Go build into .tools/bin the first time there is none, ~90 s), and the config routing every secret
 * to them. Safe to call on every start.
 */
export async function ensureEmbeddedSecretStore(idpHome: string, opts: { log?: (m: string) => void } = {}): Promise<SecretsConfig> {
  if (!ensureSops(opts)) throw new Error(SOPS_MISSING);
  const repo = join(idpHome, 'secrets.git');
  const ageKeyFile = join(idpHome, 'age.key');
  if (!existsSync(join(repo, 'HEAD'))) execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', repo], { stdio: ['ignore', 'ignore', 'pipe'] });
  await ensureAgeIdentity(ageKeyFile);
  return SecretsConfig.parse({ stores: { [EMBEDDED_STORE]: { type: 'sops', repo, ageKeyFile } }, default: EMBEDDED_STORE });
}
