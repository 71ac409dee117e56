/**
 * Where secret values live: the platform's secret stores and the rules that route a (component, environment) to
 * one of them. The same shape is `idp.secrets` in Backstage's app-config and the standalone server's secrets file.
 *
 * ```yaml
 * secrets:
 *   stores:
 *     local:   { type: sops, repo: /var/idp/secrets.git, ageKeyFile: /var/idp/age.key }
 *     vault:   { type: vault, address: https://vault.internal:8200, mount: secret, tokenEnv: VAULT_TOKEN,
 *                externalSecretStore: { kind: ClusterSecretStore, name: vault-backend } }   # optional
 *     aws:     { type: aws-sm, region: eu-west-1 }
 *   rules:                       # first match wins
 *     - { environments: "preview-*", store: local }
 *     - { environments: production, owners: [team-payments], store: aws }
 *   default: vault
 * ```
 *
 * Credentials are named (an environment variable or a file the server reads), never written inline: a config file
 * is read by more people than a secret should be.
 */
import { z } from 'zod';

import { checkNamed, CONFIG_NAME as STORE_NAME, ENV_VAR, ruleMatch } from '../config/rules.js';

/** Where idp puts what it writes, inside the store: `<prefix><component>/<env>/<KEY>`. */
const prefix = z.string().regex(/^([A-Za-z0-9_.-]+\/)*$/, { error: 'a prefix is path segments each ending in "/", e.g. "idp/"' }).default('idp/');

/**
 * The External Secrets Operator store a cluster reads this store through (the ExternalSecret idp writes next to a
 * kustomize overlay names it in secretStoreRef). Unset: the ClusterSecretStore `idp-<store name>`.
 */
const externalSecretStore = z
  .strictObject({
    kind: z.enum(['ClusterSecretStore', 'SecretStore']).optional(),
    name: z
      .string()
      .max(253)
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, { error: 'a Kubernetes object name: lower-case letters, digits, "-" and "."' })
      .optional(),
  })
  .optional();

const inlineCredential = (field: string, instead: string) =>
  z.never({ error: `${field} must not be written in the config; name ${instead} instead` }).optional();

export const AwsSmStoreConfig = z.strictObject({
  type: z.literal('aws-sm'),
  region: z.string().min(1),
  /** A non-AWS endpoint (moto, LocalStack); unset, the region's. */
  endpoint: z.url().optional(),
  prefix,
  /** Unset: the AWS SDK's default chain (AWS_PROFILE, web identity, instance role…). */
  accessKeyIdEnv: z.string().regex(ENV_VAR).optional(),
  secretAccessKeyEnv: z.string().regex(ENV_VAR).optional(),
  externalSecretStore,
  accessKeyId: inlineCredential('accessKeyId', 'the variable that holds it with accessKeyIdEnv'),
  secretAccessKey: inlineCredential('secretAccessKey', 'the variable that holds it with secretAccessKeyEnv'),
});

export const VaultStoreConfig = z.strictObject({
  type: z.literal('vault'),
  address: z.url(),
  /** The KV v2 engine's mount path (Vault's dev server: `secret`). */
  mount: z.string().regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/).default('secret'),
  namespace: z.string().optional(),
  prefix,
  externalSecretStore,
  tokenEnv: z.string().regex(ENV_VAR).optional(),
  tokenFile: z.string().min(1).optional(),
  token: inlineCredential('token', 'the variable or file that holds it with tokenEnv or tokenFile'),
}).refine((c) => c.tokenEnv || c.tokenFile, { error: 'a vault store needs tokenEnv or tokenFile' });

export const SopsStoreConfig = z.strictObject({
  type: z.literal('sops'),
  /** The git repository (a path or file:// URL of a bare repository) holding one encrypted file per component and environment. */
  repo: z.string().min(1),
  /** The age identity sops decrypts the data key with; its recipient (public key) encrypts. */
  ageKeyFile: z.string().min(1).optional(),
  ageKeyEnv: z.string().regex(ENV_VAR).optional(),
  ageKey: inlineCredential('ageKey', 'the file or variable that holds it with ageKeyFile or ageKeyEnv'),
}).refine((c) => c.ageKeyFile || c.ageKeyEnv, { error: 'a sops store needs ageKeyFile or ageKeyEnv' });

export const SecretStoreConfig = z.discriminatedUnion('type', [AwsSmStoreConfig, VaultStoreConfig, SopsStoreConfig]);
export type SecretStoreConfig = z.infer<typeof SecretStoreConfig>;
export type AwsSmStoreConfig = z.infer<typeof AwsSmStoreConfig>;
export type VaultStoreConfig = z.infer<typeof VaultStoreConfig>;
export type SopsStoreConfig = z.infer<typeof SopsStoreConfig>;
export type SecretStoreType = SecretStoreConfig['type'];

export const SecretRoutingRule = z.strictObject({ ...ruleMatch, store: z.string().regex(STORE_NAME) });
export type SecretRoutingRule = z.infer<typeof SecretRoutingRule>;

export const SecretsConfig = z
  .strictObject({
    stores: z.record(z.string().regex(STORE_NAME, { error: 'a store name is lower-case letters, digits and "-"' }), SecretStoreConfig),
    rules: z.array(SecretRoutingRule).default([]),
    default: z.string().regex(STORE_NAME).optional(),
  })
  .superRefine((c, ctx) => {
    const names = c.rules.map((r, i) => ({ name: r.store, path: ['rules', i, 'store'] }));
    if (c.default) names.push({ name: c.default, path: ['default'] });
    checkNamed(ctx, c.stores, names, 'store');
  });
export type SecretsConfig = z.infer<typeof SecretsConfig>;
