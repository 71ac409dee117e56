/**
 * Which store a (component, environment) writes new secret values to: the platform's rules (config.ts), first match
 * wins, else the default. A rule's unset field matches anything; globs as in idp's other files (release/glob.ts).
 */
import { LineCounter, parseDocument } from 'yaml';
import { InvalidRequestError } from '../errors.js';
import { nodeOffset } from '../paws/nodes.js';
import { matchesGlob } from '../release/glob.js';
import { SecretsConfig, type SecretStoreConfig } from './config.js';
import { parseSecretRef, vaultPathUnder } from './ref.js';

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

/**
 * The standalone server's secrets file (IDP_SECRETS_CONFIG): YAML of the shape of app-config's `idp.secrets`, either
 * at the top level or under `secrets:`. Every problem is listed at once, each at its file:line:column and field, as
 * paws.yaml's are. Messages never quote a value from the file (an inline credential is refused by name only).
 */
export function parseSecretsConfig(text: string, file: string): SecretsConfig {
  const lineCounter = new LineCounter();
  // prettyErrors off: yaml would quote the offending line, which could hold a credential written inline by mistake.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  if (doc.errors.length > 0) {
    const list = doc.errors.map((e) => `  ${at(e.pos[0])}: ${e.code === 'DUPLICATE_KEY' ? 'a key appears twice in one mapping' : e.message.split('\n')[0]}`);
    throw new InvalidRequestError(`${file} is not valid YAML:\n${list.join('\n')}`);
  }
  const raw: unknown = doc.toJS();
  const nested = raw !== null && typeof raw === 'object' && !Array.isArray(raw) && 'secrets' in raw;
  const body = nested ? (raw as { secrets: unknown }).secrets : raw;
  const prefix = nested ? ['secrets'] : [];
  const parsed = SecretsConfig.safeParse(body ?? {});
  if (!parsed.success) {
    const list = parsed.error.issues.map((i) => {
      const path = i.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
      const keys = i.code === 'unrecognized_keys' ? i.keys : [undefined];
      return keys.map((k) => {
        const full = [...prefix, ...path, ...(k !== undefined ? [k] : [])];
        const missing = k === undefined && path.length > 0 && valueAt(body, path) === undefined;
        const what = k !== undefined ? `unknown key "${k}"` : missing ? `missing required key "${String(path[path.length - 1])}"` : i.message;
        if (missing) full.pop();
        return `  ${at(nodeOffset(doc, full, k !== undefined))}: ${full.length ? `${full.join('.')}: ` : ''}${what}`;
      });
    });
    throw new InvalidRequestError(
      `${file} is not a valid secrets configuration:\n${list.flat().join('\n')}\n` +
        'It holds stores (each of type aws-sm, vault or sops), rules and a default, as idp.secrets does in app-config.',
    );
  }
  return parsed.data;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let cur = value;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}
