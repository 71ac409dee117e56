/**
 * Edits of paws.yaml that change only what they must: adding an environment adds
 * its lines and nothing else; comments, blank lines, quoting and key order stay.
 * (How: splice.ts.)
 *
 * Every edit is checked twice. Before: the intended change is applied to the
 * parsed spec and validated, so a change that would make the file invalid is a
 * request error. After: the new text is parsed again and must mean exactly the
 * intended spec; if it does not, the text is never returned.
 */
import { Scalar } from 'yaml';
import { IdpError, InvalidRequestError } from '../errors.js';
import { assertEnvName } from '../names.js';
import { alreadyExists, environmentOrThrow } from './lookup.js';
import { parsePaws, validatePawsSpec } from './parse.js';
import { SECRET_REF, type EnvironmentSpec, type Lifecycle, type PawsSpec } from './schema.js';
import { flowNode, hasTopLevelKey, insertPair, mappingKeys, removePair, replaceScalar, setFlowPair } from './splice.js';
import { parseSecretRef, secretVersionProblem } from '../secrets/ref.js';
import { secretLooking } from '../secrets/looks-like-secret.js';
import { needsQuotes, stringNode } from '../release/yaml-file.js';

/** A variable's name: what a process environment takes (letters, digits, _; not starting with a digit). */
export const VARIABLE_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A secret's name as the workload sees it: an environment variable name. */
export const SECRET_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Append environment `name` as the last entry of `environments:` (created at the end of the file if missing). */
export function addEnvironment(text: string, name: string, env: EnvironmentSpec, file = 'paws.yaml'): string {
  return applyEdit(text, file, `add environment "${name}"`, {
    check: (spec) => {
      assertEnvName(name);
      if (spec.environments && Object.hasOwn(spec.environments, name)) throw alreadyExists(name, file);
    },
    mutate: (spec) => {
      spec.environments = { ...(spec.environments ?? {}), [name]: env };
    },
    splice: (t) =>
      hasTopLevelKey(t, 'environments') ? insertPair(t, ['environments'], name, env) : insertPair(t, [], 'environments', { [name]: env }),
  });
}

/** Remove environment `name` (its lines, and the comment lines directly above it). */
export function removeEnvironment(text: string, name: string, file = 'paws.yaml'): string {
  return applyEdit(text, file, `remove environment "${name}"`, {
    check: (spec) => void environmentOrThrow(spec, name, file),
    mutate: (spec) => {
      delete spec.environments![name];
    },
    splice: (t) => removePair(t, ['environments'], name),
  });
}

/**
 * Set the lifecycle of environment `name` to exactly `lifecycle`: values that stay
 * the same are not touched, changed ones are rewritten in place (keeping their
 * quoting), new ones appended, and keys not in `lifecycle` removed.
 */
export function setEnvironmentLifecycle(text: string, name: string, lifecycle: Lifecycle, file = 'paws.yaml'): string {
  const given = Object.entries(lifecycle).filter((e): e is [string, string] => e[1] !== undefined);
  return applyEdit(text, file, `set the lifecycle of environment "${name}"`, {
    check: (spec) => void environmentOrThrow(spec, name, file),
    mutate: (spec) => {
      spec.environments![name]!.lifecycle = Object.fromEntries(given);
    },
    splice: (t) => {
      const envPath = ['environments', name];
      if (!mappingKeys(t, envPath).includes('lifecycle')) return insertPair(t, envPath, 'lifecycle', Object.fromEntries(given));
      const path = [...envPath, 'lifecycle'];
      const current = (parsePaws(t, file).spec.environments![name]!.lifecycle ?? {}) as Record<string, string | undefined>;
      let out = t;
      for (const [key, value] of given) {
        if (current[key] === value) continue;
        out = current[key] === undefined ? insertPair(out, path, key, value) : replaceScalar(out, [...path, key], value);
      }
      for (const key of mappingKeys(out, path)) {
        if (!given.some(([k]) => k === key)) out = removePair(out, path, key);
      }
      return out;
    },
  });
}

/**
 * Pin secret `key` of environment `name` to `secret` (a reference and its version), written on one line
 * (`KEY: { ref: "…", version: "…" }`): a new version of a pinned secret is a one-line diff.
 */
export function setEnvironmentSecret(text: string, name: string, key: string, secret: { ref: string; version?: string }, file = 'paws.yaml'): string {
  const value = { ref: secret.ref, ...(secret.version !== undefined ? { version: secret.version } : {}) };
  return applyEdit(text, file, `set secret ${key} of environment "${name}"`, {
    check: (spec) => {
      environmentOrThrow(spec, name, file);
      assertSecretKey(key);
      // Never echo what is not a reference: it may be the value itself.
      if (!SECRET_REF.test(secret.ref)) throw new InvalidRequestError(`The reference of ${key} is not a secret reference like vault://secret/app/env/KEY#value; a secret value never goes in ${file}.`);
      const parsed = parseSecretRef(secret.ref);
      if (parsed && 'problem' in parsed) throw new InvalidRequestError(`${secret.ref} is not a valid reference for ${key}: ${parsed.problem}.`);
      const problem = secret.version === undefined ? undefined : secretVersionProblem(secret.ref, secret.version);
      if (problem) throw new InvalidRequestError(`The version given for ${key} (${secret.ref}) is not one its store has: ${problem}.`);
    },
    mutate: (spec) => {
      const env = spec.environments![name]!;
      env.secrets = { ...(env.secrets ?? {}), [key]: value };
    },
    splice: (t) => {
      // Quoted, so a version like "3" stays a string and every entry reads alike.
      const quoted = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, quotedScalar(v)]));
      const envPath = ['environments', name];
      if (!mappingKeys(t, envPath).includes('secrets')) return insertPair(t, envPath, 'secrets', { [key]: flowNode(quoted) });
      return setFlowPair(t, [...envPath, 'secrets'], key, quoted);
    },
  });
}

/** Remove secret `key` from environment `name`'s own secrets (an emptied `secrets:` goes too: an empty one is invalid). */
export function unsetEnvironmentSecret(text: string, name: string, key: string, file = 'paws.yaml'): string {
  return applyEdit(text, file, `unset secret ${key} of environment "${name}"`, {
    check: (spec) => {
      const env = environmentOrThrow(spec, name, file);
      assertSecretKey(key);
      if (!Object.hasOwn(env.secrets ?? {}, key)) {
        const from = inheritedFrom(spec, name, key);
        throw new InvalidRequestError(
          from
            ? `${key} is not set in ${name} itself: it comes from ${from} (through from:). Unset it there, or set ${name}'s own with idp secrets set ${key} --env ${name}.`
            : `${name} has no secret ${key}; idp secrets --env ${name} lists them.`,
        );
      }
    },
    mutate: (spec) => {
      const env = spec.environments![name]!;
      const rest = { ...env.secrets };
      delete rest[key];
      if (Object.keys(rest).length) env.secrets = rest;
      else delete env.secrets;
    },
    splice: (t) => {
      const path = ['environments', name, 'secrets'];
      return mappingKeys(t, path).length === 1 ? removePair(t, ['environments', name], 'secrets') : removePair(t, path, key);
    },
  });
}

function quotedScalar(value: string): Scalar {
  const node = new Scalar(value);
  node.type = 'QUOTE_DOUBLE';
  return node;
}

function assertSecretKey(key: string): void {
  if (!SECRET_KEY.test(key)) throw new InvalidRequestError(`${JSON.stringify(key.slice(0, 64))} is not a secret name: use letters, digits and _, not starting with a digit (e.g. STRIPE_KEY).`);
}

/** The nearest environment up `name`'s from-chain that sets secret `key` itself. */
function inheritedFrom(spec: PawsSpec, name: string, key: string): string | undefined {
  const envs = spec.environments ?? {};
  const seen = new Set<string>([name]);
  for (let n = envs[name]?.from; n !== undefined && Object.hasOwn(envs, n) && !seen.has(n); n = envs[n]!.from) {
    if (Object.hasOwn(envs[n]!.secrets ?? {}, key)) return n;
    seen.add(n);
  }
  return undefined;
}

/** A change to an environment's own variables: keys to set (to these values) and keys to remove. */
export interface VariablesChange {
  set?: Record<string, string>;
  unset?: string[];
}

/**
 * Set and unset variables of environment `name` in one edit: changed values are rewritten in place (quoted when
 * YAML would read them as something other than a string), new keys appended, removed keys dropped with their
 * comments; an emptied `variables:` goes too (an empty one is invalid). A variable that looks like a secret is
 * refused, without its value in the message.
 */
export function setEnvironmentVariables(text: string, name: string, change: VariablesChange, file = 'paws.yaml'): string {
  const set = Object.entries(change.set ?? {});
  const unset = [...new Set(change.unset ?? [])];
  return applyEdit(text, file, `change the variables of environment "${name}"`, {
    check: (spec) => {
      const env = environmentOrThrow(spec, name, file);
      if (!set.length && !unset.length) throw new InvalidRequestError('Nothing to change: give KEY=VALUE pairs to set or keys to unset.');
      for (const key of [...set.map(([k]) => k), ...unset]) {
        if (!VARIABLE_KEY.test(key)) throw new InvalidRequestError(`${secretLooking('', key) || key.length > 64 ? 'A name given' : JSON.stringify(key)} is not a variable name: use letters, digits and _, not starting with a digit (e.g. LOG_LEVEL). Nothing was written.`);
      }
      const both = set.find(([k]) => unset.includes(k));
      if (both) throw new InvalidRequestError(`${both[0]} is both set and unset in one request; do one or the other.`);
      for (const [key, value] of set) {
        if (typeof value !== 'string') throw new InvalidRequestError(`The value of ${key} must be a string.`);
        // A credential typed where the name goes is not repeated either.
        if (secretLooking('', key)) throw new InvalidRequestError(`A variable name looks like a credential; names are stored in git in the clear. Nothing was written.`, { reason: 'looks-like-secret' });
        const why = secretLooking(key, value);
        if (why) {
          throw new InvalidRequestError(
            `${key} looks like a secret (${why}), and variables are stored in git in the clear. Store it as a secret instead: printf %s "$${key}" | idp secrets set ${key} --env ${name}. Nothing was written.`,
            { key, reason: 'looks-like-secret' },
          );
        }
      }
      // A request that changes nothing would open an empty PR: say so instead.
      if (!unset.length && set.every(([k, v]) => env.variables?.[k] === v)) {
        throw new InvalidRequestError(`${set.map(([k]) => k).join(', ')} ${set.length > 1 ? 'are' : 'is'} already set to ${set.length > 1 ? 'those values' : 'that value'} in ${name}; nothing to change.`);
      }
      for (const key of unset) {
        if (Object.hasOwn(env.variables ?? {}, key)) continue;
        const from = variableSource(spec, name, key);
        throw new InvalidRequestError(
          from
            ? `${key} is not set in ${name} itself: it comes from ${from}. Unset it there, or override it in ${name} with idp variables set ${key}=<value> --env ${name}.`
            : `${name} has no variable ${key}; idp variables --env ${name} lists them.`,
        );
      }
    },
    mutate: (spec) => {
      const env = spec.environments![name]!;
      const next: Record<string, string> = { ...(env.variables ?? {}), ...Object.fromEntries(set) };
      for (const key of unset) delete next[key];
      if (Object.keys(next).length) env.variables = next;
      else delete env.variables;
    },
    splice: (t) => {
      const envPath = ['environments', name];
      const current = parsePaws(t, file).spec.environments![name]!.variables;
      // New values as nodes that stay strings for every reader (`on`, `yes`, `1.10` quoted: YAML 1.1 tools read them otherwise).
      if (current === undefined) return insertPair(t, envPath, 'variables', Object.fromEntries(set.map(([k, v]) => [k, stringNode(v)])));
      const path = [...envPath, 'variables'];
      // Everything unset and nothing new: the emptied mapping goes (an empty `variables:` does not validate).
      if (!set.length && Object.keys(current).every((k) => unset.includes(k))) return removePair(t, envPath, 'variables');
      let out = t;
      for (const [key, value] of set) {
        if (current[key] === value) continue;
        out = Object.hasOwn(current, key) ? replaceScalar(out, [...path, key], value, { quote: needsQuotes(value) }) : insertPair(out, path, key, stringNode(value));
      }
      for (const key of unset) out = removePair(out, path, key);
      return out;
    },
  });
}

/** Where `name` gets variable `key` when it does not set it itself: "staging (through from:)" or "container web (workload default)". */
function variableSource(spec: PawsSpec, name: string, key: string): string | undefined {
  const envs = spec.environments ?? {};
  const seen = new Set<string>([name]);
  for (let n = envs[name]?.from; n !== undefined && Object.hasOwn(envs, n) && !seen.has(n); n = envs[n]!.from) {
    if (Object.hasOwn(envs[n]!.variables ?? {}, key)) return `${n} (through from:)`;
    seen.add(n);
  }
  const container = Object.entries(spec.containers).find(([, c]) => Object.hasOwn((c.variables ?? {}) as Record<string, string>, key));
  return container ? `container ${container[0]} (the workload default)` : undefined;
}

interface EditPlan {
  /** Request-level preconditions (name valid, environment exists...); throws the user-facing error. */
  check: (spec: PawsSpec) => void;
  /** The intended change, on a copy of the parsed spec. */
  mutate: (spec: PawsSpec) => void;
  /** The same change, made on the text. */
  splice: (text: string) => string;
}

function applyEdit(text: string, file: string, what: string, plan: EditPlan): string {
  const before = parsePaws(text, file);
  plan.check(before.spec);

  const intended = JSON.parse(JSON.stringify(before.spec)) as PawsSpec;
  plan.mutate(intended);
  const expected = validatePawsSpec(intended);
  if (!expected.spec) {
    const list = expected.issues.map((i) => `  - ${i.message}`).join('\n');
    throw new InvalidRequestError(`Cannot ${what}: ${file} would not be valid afterwards:\n${list}`, { issues: expected.issues });
  }

  let out: string;
  let after: PawsSpec | undefined;
  try {
    out = plan.splice(text);
    after = parsePaws(out, file).spec;
  } catch (e) {
    throw unexpected(what, file, e);
  }
  if (canonical(after) !== canonical(expected.spec)) throw unexpected(what, file, 'the edited file does not mean what was intended');
  return out;
}

/** Comparable form of a spec: `environments:` with no entries reads as null, which means the same as {}. */
function canonical(spec: PawsSpec): string {
  return JSON.stringify({ ...spec, environments: spec.environments ?? {} });
}

function unexpected(what: string, file: string, cause: unknown): IdpError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new IdpError(
    'internal',
    500,
    `Could not ${what} without changing anything else in ${file} (${reason}). ` +
      'This is a bug if the file uses no YAML anchors, aliases or unusual layout; meanwhile, make the change by hand.',
  );
}
