/**
 * The secret routes' logic (GET /environments/:env/secrets, POST and DELETE /environments/:env/secrets/:key).
 *
 * A value travels client → this API → its store, and nowhere else: it is checked (non-empty, within the routed
 * store's limit), written as a new version with `putVersion(target, value, requestId)` — the request's Idempotency-Key
 * makes a retried request write no second version — and only then is the env-secrets workflow started, with the key,
 * the reference and the version (router.ts startChange). Everything that can refuse the request runs before the
 * write, so a refused request writes nothing anywhere. No answer, error or log line carries a value: errors are built
 * from names, references and store error kinds only, and the API never reads a value back (describe reads metadata).
 */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import {
  applyEnvChange,
  ConflictError,
  effectiveSecrets,
  IdpError,
  InvalidRequestError,
  NotFoundError,
  ProviderError,
  parsePaws,
  parseSecretRef,
  routeSecretStore,
  storeForRef,
  SECRET_REF,
  UnavailableError,
  workflowId as makeWorkflowId,
  type SecretList,
  type SecretRoute,
  type SecretsConfig,
  type SecretView,
} from '@idp/core';
import { repoKey, type GitProvider } from '@idp/providers';
import { secretStoresFrom, SecretStoreError, type SecretStore, type SecretStatus, type StoreOptions } from '@idp/providers/secrets';
import type { EnvChangeState, SecretEdit } from '@idp/workflows/shared';
import type { ComponentRef } from './identity.js';
import { baseStatus } from './workflows.js';

/** The platform's secret stores (idp.secrets / IDP_SECRETS_CONFIG) and the adapters built from them. */
export interface SecretStores {
  config: SecretsConfig;
  stores: ReadonlyMap<string, SecretStore>;
}

/** The adapters for a secrets config; none when the platform configured no stores. */
export function secretStoresFor(config: SecretsConfig | undefined, env: NodeJS.ProcessEnv = process.env, opts: StoreOptions = {}): SecretStores | undefined {
  return config ? { config, stores: secretStoresFrom(config, env, opts) } : undefined;
}

/** What `idp secrets` calls a reference no configured store serves. */
export const UNMANAGED = 'unmanaged';

const NO_STORES = 'This server has no secret stores configured (idp.secrets in app-config, or IDP_SECRETS_CONFIG for the standalone server).';

/** The store a new key of (component, env) is written to, and why; the routing rules are the platform's. */
export function routeFor(secrets: SecretStores | undefined, component: Pick<ComponentRef, 'name' | 'owner'>, env: string): { route: SecretRoute; store?: SecretStore } {
  if (!secrets) return { route: { why: NO_STORES } };
  const routed = routeSecretStore(secrets.config, { component: component.name, ...(component.owner ? { owner: component.owner } : {}), env });
  const store = routed ? secrets.stores.get(routed.store) : undefined;
  if (!routed || !store) {
    return {
      route: {
        why: `No routing rule of idp.secrets matches ${component.name} in ${env}${component.owner ? ` (owner ${component.owner})` : ''} and there is no default store: ask the platform team to add a rule or a default.`,
      },
    };
  }
  return {
    route: { store: store.name, type: store.type, why: routed.why, ref: store.refFor({ component: component.name, env, key: 'KEY' }).replace(/KEY(?=[^/]*$)/, '<KEY>') },
    store,
  };
}

/**
 * The configured store a reference is in (core's storeForRef: its scheme; for Vault, its mount): the routed store when
 * it holds such references (a platform with two Vaults on the same mount means the one it routes to), else the first
 * configured store that does; none: unmanaged.
 */
export function storeServing(secrets: SecretStores | undefined, ref: string, preferred?: SecretStore): SecretStore | undefined {
  if (!secrets) return undefined;
  const name = storeForRef(secrets.config, ref, preferred?.name);
  return name === undefined ? undefined : secrets.stores.get(name);
}

/** "vault://kv/ references (the Vault stores' mounts: secret)": what kind of reference no configured store serves. */
function unserved(secrets: SecretStores | undefined, ref: string): string {
  const parsed = parseSecretRef(ref);
  const scheme = ref.slice(0, ref.indexOf('://') + 3);
  if (parsed && !('problem' in parsed) && parsed.scheme === 'vault' && secrets) {
    const mounts = Object.values(secrets.config.stores).flatMap((s) => (s.type === 'vault' ? [s.mount] : []));
    if (mounts.length) return `vault://${parsed.mount}/ references (the Vault stores' mounts: ${mounts.join(', ')})`;
  }
  return `${scheme} references`;
}

/** A store's failure as the API answers it: what to do, never a value (store errors carry none). */
export function storeFailure(e: unknown): IdpError {
  if (!(e instanceof SecretStoreError)) return e instanceof IdpError ? e : new IdpError('internal', 500, `The secret store failed unexpectedly (${e instanceof Error ? e.name : 'error'}).`);
  switch (e.kind) {
    case 'invalid':
    case 'too-large':
      return new InvalidRequestError(e.message);
    case 'not-found':
      return new NotFoundError(e.message);
    case 'throttled':
    case 'unavailable':
      // Nothing is lost by trying again: the same Idempotency-Key writes no second version.
      return new UnavailableError(`${e.message} Nothing was proposed; send the same request again (idp retries by itself).`, 5);
    case 'permission-denied':
      return new ProviderError(`${e.message} (store "${e.store}" refused idp's own credentials: the platform team must grant them.)`);
  }
}

/** The env-secrets workflow of (component, env): one secret change at a time per environment. */
export function secretWorkflowId(provider: GitProvider, component: string, env: string): string {
  return makeWorkflowId('env-secrets', component, env, repoKey(provider));
}

/** The environment's open secret change (its running workflow), if any. */
async function pendingChange(temporal: Client, id: string) {
  try {
    const d = await temporal.workflow.getHandle(id).describe();
    if (d.status.name !== 'RUNNING') return undefined;
    return { status: baseStatus(id, d), request: (d.memo?.state as EnvChangeState | undefined)?.request ?? (d.memo?.request as EnvChangeState['request'] | undefined) };
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) return undefined;
    throw e;
  }
}

export const sameEdit = (a: SecretEdit | undefined, b: SecretEdit | undefined) => a?.key === b?.key && a?.ref === b?.ref && a?.version === b?.version;

/**
 * Refuses a second secret change of an environment while one is open (409, naming its PR), unless it is this very
 * request again (a retry) or asks for exactly the same edit. A value's edit is never the same: its version is new.
 */
async function assertNoOtherChange(temporal: Client, id: string, requestId: string, env: string, edit?: SecretEdit): Promise<void> {
  const open = await pendingChange(temporal, id);
  if (!open || open.request?.id === requestId || (edit && sameEdit(open.request?.secret, edit))) return;
  const s = open.request?.secret;
  const what = s ? `${s.ref ? 'set' : 'unset'} ${s.key}` : 'a secret change';
  const pr = open.status.pr;
  throw new ConflictError(
    `A secret change of ${env} is already open (${what}${pr ? `, PR #${pr.number}: ${pr.url}` : ''}): merge or close it first, then run this again. Nothing was written.`,
  );
}

/** The environment is in paws.yaml on the default branch (first: nothing else is worth checking otherwise). */
function assertEnvironment(c: Pick<SecretRequestContext, 'text' | 'path' | 'env'>): void {
  const envs = parsePaws(c.text, c.path).spec.environments ?? {};
  if (!Object.hasOwn(envs, c.env)) {
    throw new NotFoundError(`Environment "${c.env}" does not exist in ${c.path}; ${Object.keys(envs).length ? `existing: ${Object.keys(envs).join(', ')}` : 'it has no environments yet'}. Nothing was written.`);
  }
}

/** The edit applies to paws.yaml as it is now (the environment exists, the key can be set or unset): else refused, nothing written. */
function assertEditApplies(text: string, path: string, env: string, secret: SecretEdit): void {
  applyEnvChange(text, { kind: 'env-secrets', path, env, requestedAt: new Date().toISOString(), secret });
}

export interface SecretRequestContext {
  temporal: Client;
  secrets: SecretStores | undefined;
  provider: GitProvider;
  text: string;
  path: string;
  component: ComponentRef;
  env: string;
  key: string;
  requestId: string;
  dryRun: boolean;
}

/**
 * The value's path: routed store, checks, the write. Returns the edit the workflow carries (key, ref, version) and the
 * store it went to. In a dry run everything is checked and nothing is written.
 */
export async function writeSecretValue(c: SecretRequestContext, value: string): Promise<{ secret: SecretEdit; store: string }> {
  if (value.length === 0) throw new InvalidRequestError('The secret value is empty: send a non-empty value (an empty secret is almost always a mistake in the pipe that produced it). Nothing was written.');
  assertEnvironment(c);
  const { store } = routeFor(c.secrets, c.component, c.env);
  if (!store) throw new InvalidRequestError(`${routeFor(c.secrets, c.component, c.env).route.why} Nothing was written.`);
  const target = { component: c.component.name, env: c.env, key: c.key };
  let ref: string;
  try {
    ref = store.refFor(target);
  } catch (e) {
    throw storeFailure(e);
  }
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > store.maxValueBytes) {
    throw new InvalidRequestError(
      `The secret value is ${bytes.toLocaleString('en-US')} bytes; store "${store.name}" (${store.type}), where ${c.env} of ${c.component.name} writes, takes at most ${store.maxValueBytes.toLocaleString('en-US')} bytes. Nothing was written.`,
    );
  }
  // Checked without a version: the store assigns it when it writes (and core checks its shape then).
  assertEditApplies(c.text, c.path, c.env, { key: c.key, ref });
  await assertNoOtherChange(c.temporal, secretWorkflowId(c.provider, c.component.name, c.env), c.requestId, c.env);
  if (c.dryRun) return { secret: { key: c.key, ref }, store: store.name };
  let written: { ref: string; version: string };
  try {
    written = await store.putVersion(target, value, c.requestId);
  } catch (e) {
    throw storeFailure(e);
  }
  // Fault injection for the durability test: the process dies with the value stored and no workflow started yet.
  if (process.env.IDP_FAULT === 'after-store-write') process.kill(process.pid, 'SIGKILL');
  return { secret: { key: c.key, ref: written.ref, version: written.version }, store: store.name };
}

/** Pointing a key at an existing secret: it must be in a configured store, and exist there (with `version`, if given). */
export async function pinSecretRef(c: SecretRequestContext, ref: string, version: string | undefined): Promise<{ secret: SecretEdit; store: string }> {
  if (!SECRET_REF.test(ref)) throw new InvalidRequestError('ref is not a secret reference: write scheme://location#key, e.g. vault://secret/shared/stripe#key or aws-sm://shared/stripe. Nothing was written.');
  const parsed = parseSecretRef(ref);
  if (parsed && 'problem' in parsed) throw new InvalidRequestError(`ref ${ref} is not valid: ${parsed.problem}. Nothing was written.`);
  assertEnvironment(c);
  const store = storeServing(c.secrets, ref, routeFor(c.secrets, c.component, c.env).store);
  if (!store) {
    const configured = c.secrets ? [...c.secrets.stores.values()].map((s) => `${s.name} (${s.type})`).join(', ') : '';
    throw new InvalidRequestError(
      `No configured secret store serves ${unserved(c.secrets, ref)}, so idp cannot check that it exists${configured ? `; the stores are ${configured}` : `. ${NO_STORES}`}. Nothing was written.`,
    );
  }
  let status: SecretStatus;
  try {
    [status] = (await store.describe([{ ref, ...(version !== undefined ? { version } : {}) }])) as [SecretStatus];
  } catch (e) {
    throw storeFailure(e);
  }
  if (!status.exists) throw new NotFoundError(`There is no secret at ${ref} in store "${store.name}": write it there first, or set a value with \`idp secrets set ${c.key}\`. Nothing was written.`);
  if (version !== undefined && !status.versionExists) {
    throw new NotFoundError(`${ref} in store "${store.name}" has no version ${version}${status.currentVersion ? ` (its current version is ${status.currentVersion})` : ''}. Nothing was written.`);
  }
  // Without a version the current one is pinned: merging is what switches the environment, reverting goes back.
  const pinned = version ?? status.currentVersion;
  const secret: SecretEdit = { key: c.key, ref, ...(pinned !== undefined ? { version: pinned } : {}) };
  assertEditApplies(c.text, c.path, c.env, secret);
  await assertNoOtherChange(c.temporal, secretWorkflowId(c.provider, c.component.name, c.env), c.requestId, c.env, secret);
  return { secret, store: store.name };
}

/** Removing a key's reference: the edit must apply (the key is the environment's own); the stored value is kept. */
export async function unsetSecretRef(c: SecretRequestContext): Promise<{ secret: SecretEdit }> {
  const secret: SecretEdit = { key: c.key };
  assertEnvironment(c);
  assertEditApplies(c.text, c.path, c.env, secret);
  await assertNoOtherChange(c.temporal, secretWorkflowId(c.provider, c.component.name, c.env), c.requestId, c.env, secret);
  return { secret };
}

/**
 * GET /environments/:env/secrets: the effective secrets of `env` (own and inherited), each described by its store —
 * one describe call per store for all of its references — plus routing and the open change; with `check`, the verdict.
 */
export async function listSecrets(args: {
  temporal: Client;
  secrets: SecretStores | undefined;
  provider: GitProvider;
  text: string;
  ref: { repo: string; path: string };
  env: string;
  check: boolean;
}): Promise<SecretList> {
  const { spec } = parsePaws(args.text, args.ref.path);
  const component = { name: spec.metadata.name, ...(spec.metadata.owner ? { owner: spec.metadata.owner } : {}) };
  if (!Object.hasOwn(spec.environments ?? {}, args.env)) {
    throw new NotFoundError(`There is no environment ${args.env} in ${args.ref.path} on the default branch; \`idp env list\` shows them.`);
  }
  const effective = effectiveSecrets(spec, args.env);
  const { route, store: routed } = routeFor(args.secrets, component, args.env);
  const views: SecretView[] = effective.map((s) => ({
    key: s.key,
    ref: s.ref,
    ...(s.version !== undefined ? { version: s.version } : {}),
    store: UNMANAGED,
    source: s.source === 'own' ? 'own' : `from:${s.source.from}`,
  }));

  // One describe per store, for all of its references.
  const byStore = new Map<SecretStore, number[]>();
  views.forEach((v, i) => {
    const store = storeServing(args.secrets, v.ref, routed);
    if (!store) {
      v.problem = `no configured secret store serves ${unserved(args.secrets, v.ref)}${args.secrets ? '' : ` (${NO_STORES})`}`;
      return;
    }
    v.store = store.name;
    byStore.set(store, [...(byStore.get(store) ?? []), i]);
  });
  const apply = (i: number, s: SecretStatus) => {
    const v = views[i]!;
    v.exists = s.exists;
    if (s.versionExists !== undefined) v.versionExists = s.versionExists;
    if (s.currentVersion !== undefined) v.currentVersion = s.currentVersion;
    if (s.lastChanged !== undefined) v.lastChanged = s.lastChanged;
  };
  const asked = (i: number) => ({ ref: views[i]!.ref, ...(views[i]!.version !== undefined ? { version: views[i]!.version } : {}) });
  const pendingId = secretWorkflowId(args.provider, component.name, args.env);
  const [pending] = await Promise.all([
    pendingChange(args.temporal, pendingId),
    ...[...byStore].map(async ([store, indexes]) => {
      try {
        (await store.describe(indexes.map(asked))).forEach((s, j) => apply(indexes[j]!, s));
      } catch (e) {
        // A malformed reference fails its store's whole batch: then each is asked alone, so one bad line spoils one row.
        if (!(e instanceof SecretStoreError && e.kind === 'invalid') || indexes.length === 1) {
          for (const i of indexes) views[i]!.problem = storeFailure(e).message;
          return;
        }
        await Promise.all(
          indexes.map(async (i) => {
            try {
              apply(i, (await store.describe([asked(i)]))[0]!);
            } catch (one) {
              views[i]!.problem = storeFailure(one).message;
            }
          }),
        );
      }
    }),
  ]);
  views.sort((a, b) => a.key.localeCompare(b.key));
  const list: SecretList = {
    component: component.name,
    repo: args.ref.repo,
    environment: args.env,
    secrets: views,
    route,
    ...(pending ? { pending: pending.status } : {}),
  };
  if (args.check) {
    const problems = views.flatMap((v) => {
      const problem = unresolved(v);
      return problem ? [{ key: v.key, problem }] : [];
    });
    list.check = { ok: problems.length === 0, problems };
  }
  return list;
}

/** Why a reference does not resolve in its store, or undefined when it does. */
function unresolved(v: SecretView): string | undefined {
  if (v.exists === undefined) return `cannot be checked: ${v.problem ?? 'the store did not answer'}`;
  if (!v.exists) return `${v.ref} does not exist in store "${v.store}"`;
  if (v.version !== undefined && v.versionExists === false) {
    return `version ${v.version} of ${v.ref} does not exist in store "${v.store}" (deleted or never written)${v.currentVersion ? `; its current version is ${v.currentVersion}` : ''}`;
  }
  return undefined;
}
