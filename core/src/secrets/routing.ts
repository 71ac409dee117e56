/**
 * Which store a (component, environment) writes new secret values to: the platform's rules (config.ts), first match
 * wins, else the default. A rule's unset field matches anything; globs as in idp's other files (release/glob.ts).
 */
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { InvalidRequestError } from '../errors.js';
import { matchesGlob } from '../release/glob.js';
import { SecretsConfig } from './config.js';

export interface SecretRouteTarget {
  component: string;
  owner?: string;
  env: string;
}

/** The store's name and why it was chosen (for `idp secrets`), or undefined when no rule matches and there is no default. */
export function routeSecretStore(config: SecretsConfig, target: SecretRouteTarget): { store: string; why: string } | undefined {
  const any = (globs: string[] | undefined, value: string | undefined) => globs === undefined || (value !== undefined && globs.some((g) => matchesGlob(value, g)));
  const index = config.rules.findIndex((r) => any(r.environments, target.env) && any(r.components, target.component) && any(r.owners, target.owner));
  if (index >= 0) {
    const rule = config.rules[index]!;
    const said = [
      rule.environments && `environments ${rule.environments.join(', ')}`,
      rule.components && `components ${rule.components.join(', ')}`,
      rule.owners && `owners ${rule.owners.join(', ')}`,
    ].filter(Boolean);
    return { store: rule.store, why: `rule ${index + 1}${said.length ? ` (${said.join('; ')})` : ''}` };
  }
  return config.default ? { store: config.default, why: 'the default store' } : undefined;
}

/**
 * The standalone server's secrets file (IDP_SECRETS_CONFIG): YAML of the shape of app-config's `idp.secrets`, either
 * at the top level or under `secrets:`. Errors name the file and the field.
 */
export function parseSecretsConfig(text: string, file: string): SecretsConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    const where = e instanceof YAMLParseError && e.linePos ? `:${e.linePos[0].line}:${e.linePos[0].col}` : '';
    throw new InvalidRequestError(`${file}${where}: not valid YAML (${e instanceof Error ? e.message.split('\n')[0] : String(e)}).`);
  }
  const body = raw && typeof raw === 'object' && 'secrets' in raw ? (raw as { secrets: unknown }).secrets : raw;
  const parsed = SecretsConfig.safeParse(body);
  if (!parsed.success) {
    const list = parsed.error.issues.map((i) => `  - ${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`).join('\n');
    throw new InvalidRequestError(`${file} is not a valid secrets configuration:\n${list}`);
  }
  return parsed.data;
}
