/**
 * What the environment operations mean (clone, create, destroy, extend, list),
 * independent of how they are delivered (CLI, API, workflow, PR). Each takes the
 * current paws.yaml text, validates it, and returns the edited text together
 * with the spec it now describes; the text is never returned unless it parses.
 */
import { ConflictError, IdpError, InvalidPawsError, InvalidRequestError } from '../errors.js';
import { assertEnvName } from '../names.js';
import { expiresAt, parseTtl, toIsoSeconds } from '../ttl.js';
import { addEnvironment, removeEnvironment, setEnvironmentLifecycle } from './edit.js';
import { alreadyExists, environmentOrThrow } from './lookup.js';
import { parsePaws } from './parse.js';
import type { EnvironmentSpec, Lifecycle, PawsSpec } from './schema.js';

export interface EnvironmentChange {
  /** The new paws.yaml text. */
  text: string;
  /** The spec the new text describes. */
  spec: PawsSpec;
  /** The environment added or changed (for destroy: the one removed). */
  env?: EnvironmentSpec;
}

export interface CloneEnvironmentInput {
  source: string;
  target: string;
  /** e.g. "72h"; makes the clone ephemeral. */
  ttl?: string;
  now: Date;
  file?: string;
}

export interface CreateEnvironmentInput {
  name: string;
  ttl?: string;
  now: Date;
  file?: string;
}

export interface DestroyEnvironmentInput {
  name: string;
  /** Must equal `name` to destroy a permanent environment. */
  confirm?: string;
  file?: string;
}

export interface ExtendEnvironmentInput {
  name: string;
  ttl: string;
  now: Date;
  file?: string;
}

/** `target: { from: source }`, with a lifecycle when a TTL is given. */
export function cloneEnvironment(text: string, input: CloneEnvironmentInput): EnvironmentChange {
  const file = input.file ?? 'paws.yaml';
  const { spec } = parsePaws(text, file);
  assertEnvName(input.target);
  environmentOrThrow(spec, input.source, file);
  if (hasEnvironment(spec, input.target)) throw alreadyExists(input.target, file);
  const env: EnvironmentSpec = { from: input.source, ...lifecycleFor(input.ttl, input.now) };
  return verified(addEnvironment(text, input.target, env, file), file, input.target);
}

/** A new environment with no settings of its own (`name: {}`), ephemeral when a TTL is given. */
export function createEnvironment(text: string, input: CreateEnvironmentInput): EnvironmentChange {
  const file = input.file ?? 'paws.yaml';
  const { spec } = parsePaws(text, file);
  assertEnvName(input.name);
  if (hasEnvironment(spec, input.name)) throw alreadyExists(input.name, file);
  return verified(addEnvironment(text, input.name, lifecycleFor(input.ttl, input.now), file), file, input.name);
}

/**
 * Remove an environment. Refused while other environments are cloned from it, and,
 * for a permanent environment (one without lifecycle), unless `confirm` repeats its
 * name, like `heroku apps:destroy --confirm`.
 */
export function destroyEnvironment(text: string, input: DestroyEnvironmentInput): EnvironmentChange {
  const file = input.file ?? 'paws.yaml';
  const { spec } = parsePaws(text, file);
  const env = environmentOrThrow(spec, input.name, file);
  const dependents = Object.entries(spec.environments ?? {})
    .filter(([, e]) => e.from === input.name)
    .map(([n]) => n);
  if (dependents.length > 0) {
    throw new ConflictError(
      `Environment "${input.name}" cannot be destroyed: ${dependents.join(', ')} ${dependents.length === 1 ? 'is' : 'are'} cloned from it (from: ${input.name}). Destroy ${dependents.length === 1 ? 'it' : 'them'} first.`,
      { environment: input.name, dependents },
    );
  }
  if (!env.lifecycle && input.confirm !== input.name) {
    throw new InvalidRequestError(`${input.name} is a permanent environment; to destroy it pass --confirm ${input.name}`, {
      environment: input.name,
      field: 'confirm',
    });
  }
  const { text: out, spec: after } = verified(removeEnvironment(text, input.name, file), file);
  return { text: out, spec: after, env };
}

/**
 * Push an ephemeral environment's expiry back: expiresAt = max(current expiresAt, now) + ttl,
 * so extending an environment that already expired counts from now. A permanent
 * environment is refused: extending must never make it expire.
 */
export function extendEnvironment(text: string, input: ExtendEnvironmentInput): EnvironmentChange {
  const file = input.file ?? 'paws.yaml';
  const { spec } = parsePaws(text, file);
  const env = environmentOrThrow(spec, input.name, file);
  const ms = parseTtl(input.ttl);
  if (!env.lifecycle) {
    throw new InvalidRequestError(`${input.name} is a permanent environment: it does not expire, so there is nothing to extend.`, {
      environment: input.name,
    });
  }
  const current = env.lifecycle.expiresAt ? Date.parse(env.lifecycle.expiresAt) : -Infinity;
  const base = Math.max(current, input.now.getTime());
  const lifecycle: Lifecycle = { ttl: env.lifecycle.ttl ?? input.ttl, expiresAt: toIsoSeconds(new Date(base + ms)) };
  return verified(setEnvironmentLifecycle(text, input.name, lifecycle, file), file, input.name);
}

export interface EnvironmentSummary {
  name: string;
  from?: string;
  /** Has a lifecycle: torn down when it expires. */
  ephemeral: boolean;
  ttl?: string;
  expiresAt?: string;
  /** Effective variables: inherited along the from-chain, nearer environments winning. Container-level variables are not included. */
  variables: Record<string, string>;
  /** Names of the effective secrets (inherited along the from-chain); never values. */
  secrets: string[];
  /** Effective release approvals (inherited along the from-chain). */
  approvals?: number;
}

/** The environments of a spec, in file order, with what each inherits resolved. */
export function listEnvironments(spec: PawsSpec): EnvironmentSummary[] {
  const envs = spec.environments ?? {};
  return Object.entries(envs).map(([name, env]) => {
    // Oldest ancestor first, so nearer environments override.
    const chain = fromChain(envs, name).map((n) => envs[n]!);
    const approvals = chain.reduce<number | undefined>((acc, e) => e.release?.approvals ?? acc, undefined);
    return {
      name,
      ...(env.from !== undefined ? { from: env.from } : {}),
      ephemeral: env.lifecycle !== undefined,
      ...(env.lifecycle?.ttl !== undefined ? { ttl: env.lifecycle.ttl } : {}),
      ...(env.lifecycle?.expiresAt !== undefined ? { expiresAt: env.lifecycle.expiresAt } : {}),
      variables: Object.assign({}, ...chain.map((e) => e.variables ?? {})) as Record<string, string>,
      secrets: [...new Set(chain.flatMap((e) => Object.keys(e.secrets ?? {})))],
      ...(approvals !== undefined ? { approvals } : {}),
    };
  });
}

/** One effective secret of an environment: its reference, pinned version, and whether it is set there or inherited. */
export interface EffectiveSecret {
  key: string;
  ref: string;
  version?: string;
  /** 'own': set in the environment itself; otherwise the nearest environment up its from-chain that sets it. */
  source: 'own' | { from: string };
}

/** The secrets `env` runs with: its own, then those inherited through `from:` (nearer environments win), by key. */
export function effectiveSecrets(spec: PawsSpec, env: string): EffectiveSecret[] {
  const envs = spec.environments ?? {};
  const out = new Map<string, EffectiveSecret>();
  // Nearest first: the environment itself, then its parent, and so on; the first to set a key wins.
  for (const name of fromChain(envs, env).reverse()) {
    for (const [key, s] of Object.entries(envs[name]!.secrets ?? {})) {
      if (out.has(key)) continue;
      out.set(key, { key, ref: s.ref, ...(s.version !== undefined ? { version: s.version } : {}), source: name === env ? 'own' : { from: name } });
    }
  }
  return [...out.values()].sort((a, b) => a.key.localeCompare(b.key));
}

/** One variable as an environment runs it, and where its value comes from. */
export interface EffectiveVariable {
  key: string;
  value: string;
  /** 'own': set in the environment; from: the nearest environment up its from-chain that sets it; container: the workload default. */
  source: 'own' | { from: string } | { container: string };
}

/**
 * The variables `env` runs with: the containers' own (the workload defaults), overridden by the from-chain's
 * environments, oldest first, then by the environment's own. Sorted by key.
 */
export function effectiveVariables(spec: PawsSpec, env: string): EffectiveVariable[] {
  const envs = spec.environments ?? {};
  const out = new Map<string, EffectiveVariable>();
  for (const [container, c] of Object.entries(spec.containers)) {
    for (const [key, value] of Object.entries((c.variables ?? {}) as Record<string, string>)) {
      if (!out.has(key)) out.set(key, { key, value, source: { container } });
    }
  }
  for (const name of fromChain(envs, env)) {
    for (const [key, value] of Object.entries(envs[name]!.variables ?? {})) {
      out.set(key, { key, value, source: name === env ? 'own' : { from: name } });
    }
  }
  return [...out.values()].sort((a, b) => a.key.localeCompare(b.key));
}

/** [root ancestor, ..., name]; stops at a missing environment or a cycle (a validated spec has neither). */
function fromChain(envs: Record<string, EnvironmentSpec>, name: string): string[] {
  const chain: string[] = [];
  for (let n: string | undefined = name; n !== undefined && Object.hasOwn(envs, n) && !chain.includes(n); n = envs[n]!.from) {
    chain.unshift(n);
  }
  return chain;
}

function hasEnvironment(spec: PawsSpec, name: string): boolean {
  return Object.hasOwn(spec.environments ?? {}, name);
}

function lifecycleFor(ttl: string | undefined, now: Date): { lifecycle?: Lifecycle } {
  return ttl === undefined ? {} : { lifecycle: { ttl, expiresAt: expiresAt(now, ttl) } };
}

/** The last line of defence: edited text that does not parse is never handed back. */
function verified(text: string, file: string, envName?: string): EnvironmentChange {
  try {
    const { spec } = parsePaws(text, file);
    return { text, spec, ...(envName !== undefined ? { env: spec.environments?.[envName] } : {}) };
  } catch (e) {
    if (e instanceof InvalidPawsError) {
      throw new IdpError('internal', 500, `The edit produced an invalid ${file}; this is a bug. ${e.message}`, e.issues);
    }
    throw e;
  }
}
