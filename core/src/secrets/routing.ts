/**
 * Which store a (component, environment) writes new secret values to: the platform's rules (config.ts), first match
 * wins, else the default. A rule's unset field matches anything; globs as in idp's other files (release/glob.ts).
 */
import { parseConfigFile } from '../config/file.js';
import { firstMatchingRule, type RouteTarget } from '../config/rules.js';
import { InvalidRequestError } from '../errors.js';
import { SecretsConfig, type SecretStoreConfig } from './config.js';
import { parseSecretRef, vaultPathUnder } from './ref.js';

export type SecretRouteTarget = RouteTarget;

/** The store's name and why it was chosen (for `idp secrets`), or undefined when no rule matches and there is no default. */
export function routeSecretStore(config: SecretsConfig, target: SecretRouteTarget): { store: string; why: string } | undefined {
  const matched = firstMatchingRule(config.rules, target);
  if (matched) return { store: matched.rule.store, why: matched.why };
  return config.default ? { store: config.default, why: 'the default store' } : undefined;
}

/**
 * routeSecretStore, or an error that says which setting to add: a rule that matches, or a default. The message names
 * both places the config lives (app-config's idp.secrets, the standalone server's IDP_SECRETS_CONFIG file).
 */
export function requireSecretStore(config: SecretsConfig, target: SecretRouteTarget): { store: string; why: string } {
  const routed = routeSecretStore(config, target);
  if (routed) return routed;
  const who = `${target.component}${target.owner ? ` (owner ${target.owner})` : ''} in ${target.env}`;
  const stores = Object.keys(config.stores);
  const example = stores[0] ?? '<store>';
  throw new InvalidRequestError(
    `No secret store is routed for ${who}: no rule of the secrets config matches and it has no default. ` +
      `Add \`default: ${example}\` or a rule like \`{ environments: "${target.env}", store: ${example} }\` under rules ` +
      `(idp.secrets in app-config; the IDP_SECRETS_CONFIG file for the standalone server). Stores: ${stores.join(', ') || '(none)'}.`,
  );
}

/**
 * The configured store a reference is in: its type is the reference's scheme (a Vault store also has its mount at the
 * start of the path). Several candidates: `preferred` (the store routed for the environment) if it is one, else the
 * first configured. None: idp does not manage it ("unmanaged"), or no configured store of its kind holds it.
 */
export function storeForRef(config: SecretsConfig, ref: string, preferred?: string): string | undefined {
  const parsed = parseSecretRef(ref);
  if (!parsed || 'problem' in parsed) return undefined;
  const holds = (c: SecretStoreConfig) => c.type === parsed.scheme && (c.type !== 'vault' || vaultPathUnder(parsed, c.mount) !== undefined);
  const candidates = Object.entries(config.stores).filter(([, c]) => holds(c)).map(([name]) => name);
  return preferred !== undefined && candidates.includes(preferred) ? preferred : candidates[0];
}

/** The standalone server's secrets file (IDP_SECRETS_CONFIG): app-config's `idp.secrets` as YAML, at the top level or under `secrets:`. */
export function parseSecretsConfig(text: string, file: string): SecretsConfig {
  return parseConfigFile(text, file, {
    key: 'secrets',
    schema: SecretsConfig,
    what: 'secrets configuration',
    holds: 'It holds stores (each of type aws-sm, vault or sops), rules and a default, as idp.secrets does in app-config.',
  });
}
