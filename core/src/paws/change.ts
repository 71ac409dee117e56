/**
 * Applying an environment change to paws.yaml text — the same functions the
 * Platform API runs as a dry run before it starts anything (so a request that
 * would fail is refused before a workflow or a branch exists) and the worker's
 * activities run when they write the branch.
 */
import { isDeepStrictEqual } from 'node:util';
import { InvalidRequestError } from '../errors.js';
import { setEnvironmentSecret, setEnvironmentVariables, unsetEnvironmentSecret, type VariablesChange } from './edit.js';
import { cloneEnvironment, createEnvironment, destroyEnvironment, extendEnvironment } from './environments.js';
import { parsePaws } from './parse.js';

/** What an environment change asks for (the workflow input, @idp/workflows' EnvChangeInput, carries these fields). */
export interface EnvChangeRequest {
  kind: 'env-clone' | 'env-create' | 'env-destroy' | 'env-extend' | 'env-secrets' | 'env-vars';
  path: string;
  env: string;
  /** env-clone: the environment copied from. */
  source?: string;
  ttl?: string;
  /** env-destroy of a permanent environment: must equal env. */
  confirm?: string;
  /** env-secrets: the key whose reference is pinned (ref and version) or, without ref, removed. Never a value. */
  secret?: { key: string; ref?: string; version?: string };
  /** env-vars: the variables to set and to unset. */
  variables?: VariablesChange;
  /** ISO time of the request: "now" for every edit. */
  requestedAt: string;
}

export function applyEnvChange(text: string, req: EnvChangeRequest): { text: string; component: string; expiresAt?: string } {
  const now = new Date(req.requestedAt);
  const file = req.path;
  let result: { text: string; env?: { lifecycle?: { expiresAt?: string } } };
  switch (req.kind) {
    case 'env-clone':
      if (!req.source) throw new InvalidRequestError('A clone needs a source environment.');
      result = cloneEnvironment(text, { source: req.source, target: req.env, ttl: req.ttl, now, file });
      break;
    case 'env-create':
      result = createEnvironment(text, { name: req.env, ttl: req.ttl, now, file });
      break;
    case 'env-destroy':
      result = destroyEnvironment(text, { name: req.env, confirm: req.confirm, file });
      break;
    case 'env-extend':
      if (!req.ttl) throw new InvalidRequestError('extend needs --ttl, e.g. --ttl 24h.');
      result = extendEnvironment(text, { name: req.env, ttl: req.ttl, now, file });
      break;
    case 'env-vars':
      result = { text: setEnvironmentVariables(text, req.env, req.variables ?? {}, file) };
      break;
    case 'env-secrets': {
      const s = req.secret;
      if (!s) throw new InvalidRequestError('A secret change needs the key (and, to set it, its reference).');
      if (s.ref === undefined && s.version !== undefined) throw new InvalidRequestError(`A version goes with a reference: give ${s.key}'s ref too, or neither to unset it.`);
      result = {
        text: s.ref === undefined
          ? unsetEnvironmentSecret(text, req.env, s.key, file)
          : setEnvironmentSecret(text, req.env, s.key, { ref: s.ref, ...(s.version !== undefined ? { version: s.version } : {}) }, file),
      };
      break;
    }
  }
  const component = parsePaws(text, file).spec.metadata.name;
  return { text: result.text, component, expiresAt: result.env?.lifecycle?.expiresAt };
}

/** Expiry of `env` as written in a paws.yaml (the PR branch's, after a crash-retry). */
export function expiresAtIn(text: string, file: string, env: string): string | undefined {
  return parsePaws(text, file).spec.environments?.[env]?.lifecycle?.expiresAt;
}

/** Whether two paws.yaml texts say the same about `env` (both lack it, or both define it alike). */
export function sameEnvironment(a: string, b: string, file: string, env: string): boolean {
  const of = (text: string) => parsePaws(text, file).spec.environments?.[env];
  return isDeepStrictEqual(of(a), of(b));
}
