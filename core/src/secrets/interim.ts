/**
 * INTERIM, fix/secrets-flow only: minimal stand-ins for what fix/secrets-core delivers (routing.ts's routeSecretStore,
 * effectiveSecrets, the one-line setEnvironmentSecret / unsetEnvironmentSecret edits), so the secrets flow can be built
 * and tested before that branch lands. Delete this file when merging fix/secrets-core and use its versions.
 */
import { YAMLMap } from 'yaml';
import { InvalidRequestError, NotFoundError } from '../errors.js';
import { matchesGlob } from '../release/glob.js';
import { environmentOrThrow } from '../paws/lookup.js';
import { parsePaws } from '../paws/parse.js';
import type { PawsSpec } from '../paws/schema.js';
import { insertPair, mappingKeys, removePair } from '../paws/splice.js';
import type { SecretsConfig } from './config.js';

/** The store a (component, owner, env) writes to: the first rule that matches, else the default. */
export function routeSecretStore(config: SecretsConfig, who: { component: string; owner?: string; env: string }): { store: string; why: string } | undefined {
  const any = (globs: string[] | undefined, v: string | undefined) => !globs || (v !== undefined && globs.some((g) => matchesGlob(v, g)));
  const i = config.rules.findIndex((r) => any(r.environments, who.env) && any(r.components, who.component) && any(r.owners, who.owner));
  if (i >= 0) {
    const r = config.rules[i]!;
    const parts = [r.environments && `environments ${r.environments.join(', ')}`, r.components && `components ${r.components.join(', ')}`, r.owners && `owners ${r.owners.join(', ')}`].filter(Boolean);
    return { store: r.store, why: `rule ${i + 1} of idp.secrets (${parts.join('; ') || 'any'})` };
  }
  return config.default ? { store: config.default, why: 'the default store' } : undefined;
}

/** The secrets of `env`, its own and those inherited along from: (nearer environments win). */
export function effectiveSecrets(spec: PawsSpec, env: string): { key: string; ref: string; version?: string; source: 'own' | { from: string } }[] {
  const envs = spec.environments ?? {};
  const out = new Map<string, { key: string; ref: string; version?: string; source: 'own' | { from: string } }>();
  const seen = new Set<string>();
  for (let n: string | undefined = env; n !== undefined && Object.hasOwn(envs, n) && !seen.has(n); n = envs[n]!.from) {
    seen.add(n);
    for (const [key, s] of Object.entries(envs[n]!.secrets ?? {})) {
      if (!out.has(key)) out.set(key, { key, ref: s.ref, ...(s.version !== undefined ? { version: s.version } : {}), source: n === env ? 'own' : { from: n } });
    }
  }
  return [...out.values()];
}

/** `environments.<env>.secrets.<KEY>: { ref: "…", version: "…" }` on one line (replacing the key's entry). */
export function setEnvironmentSecret(text: string, env: string, key: string, ref: string, version: string | undefined, file = 'paws.yaml'): string {
  environmentOrThrow(parsePaws(text, file).spec, env, file);
  const path = ['environments', env];
  const node = new YAMLMap();
  node.flow = true;
  node.set('ref', ref);
  if (version !== undefined) node.set('version', version);
  let out = text;
  if (!mappingKeys(out, path).includes('secrets')) out = insertPair(out, path, 'secrets', { [key]: node });
  else {
    if (mappingKeys(out, [...path, 'secrets']).includes(key)) out = removePair(out, [...path, 'secrets'], key);
    out = insertPair(out, [...path, 'secrets'], key, node);
  }
  parsePaws(out, file);
  return out;
}

export function unsetEnvironmentSecret(text: string, env: string, key: string, file = 'paws.yaml'): string {
  const spec = environmentOrThrow(parsePaws(text, file).spec, env, file);
  if (!spec.secrets || !Object.hasOwn(spec.secrets, key)) {
    throw new NotFoundError(`${env} has no secret ${key} of its own in ${file}${spec.from ? ` (an inherited one is unset where it is set)` : ''}.`);
  }
  const path = ['environments', env];
  const out = Object.keys(spec.secrets).length === 1 ? removePair(text, path, 'secrets') : removePair(text, [...path, 'secrets'], key);
  parsePaws(out, file);
  return out;
}

export function assertSecretEdit(secret: { key: string } | undefined): asserts secret is { key: string; ref?: string; version?: string } {
  if (!secret) throw new InvalidRequestError('A secret change needs a key.');
}
