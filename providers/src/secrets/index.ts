/** Secret stores behind one interface (`@idp/providers/secrets`). */
export { SecretStoreError, type SecretStatus, type SecretStore, type SecretStoreErrorKind, type SecretTarget } from './store.js';
