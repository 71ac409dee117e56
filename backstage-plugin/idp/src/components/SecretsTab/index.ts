export { SecretsTab } from './SecretsTab';
