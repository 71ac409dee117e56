/** Secret stores behind one interface (`@idp/providers/secrets`). */
export { SecretStoreError, type SecretStatus, type SecretStore, type SecretStoreErrorKind, type SecretTarget } from './store.js';
export { AwsSecretsManagerStore, AWS_SM_MAX_VALUE_BYTES } from './aws-sm.js';
export { SopsStore, SOPS_MAX_VALUE_BYTES } from './sops.js';
export { VaultKv2Store, VAULT_MAX_VALUE_BYTES, type VaultKv2Options } from './vault-kv2.js';
export { createSecretStore, secretStoresFrom, ensureEmbeddedSecretStore, EMBEDDED_STORE, type StoreOptions } from './stores.js';
export { ensureSops, findSops, ensureMoto, findMoto, ensureAgeIdentity, SOPS_VERSION, MOTO_VERSION, SOPS_MISSING, MOTO_MISSING, TOOLS_DIR } from './tools.js';
