/**
 * What clients (the Platform API) and workflows share: inputs, results, the
 * messages a workflow accepts, and the search attributes it maintains. Safe to
 * import outside the workflow sandbox (definitions only).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const TASK_QUEUE = 'idp';

export type EnvChangeKind = 'env-clone' | 'env-create' | 'env-destroy' | 'env-extend' | 'env-vars' | 'env-secrets';

/**
 * env-secrets: the one key whose reference the PR sets (ref and its pinned version) or removes (no ref). Never a
 * value: the Platform API wrote the value to its store before it started the workflow.
 */
export interface SecretEdit {
  key: string;
  ref?: string;
  version?: string;
}

/** Input of every environment change workflow. Everything time-dependent is fixed by the caller, so retries are deterministic. */
export interface EnvChangeInput {
  kind: EnvChangeKind;
  repo: string;
  path: string;
  component: string;
  /** Short key of the repository: part of every workflow id (see core/src/names.ts). */
  repoKey?: string;
  /** The environment being created, destroyed or extended. */
  env: string;
  /** env-clone: the environment copied from. */
  source?: string;
  ttl?: string;
  /** env-destroy of a permanent environment: must equal env. */
  confirm?: string;
  /** env-vars: the variables to set and to unset (never secrets: the API refuses what looks like one). */
  variables?: { set?: Record<string, string>; unset?: string[] };
  /** env-secrets: the reference to pin, or the key to unset. */
  secret?: SecretEdit;
  requestedBy: string;
  /** ISO time of the request: "now" for every edit (expiresAt = requestedAt + ttl). */
  requestedAt: string;
  /** Unique per API request: tells a request that started the workflow from one that joined it. */
  requestId?: string;
  /** Why (e.g. "ttl expired"): shown in the PR body. */
  reason?: string;
  /** How often to poll the PR when no signal arrives (ms). */
  pollIntervalMs?: number;
  /** Continue-as-new past this many history events (default 5000, well under Temporal's 50k limit). */
  historyLimit?: number;
  /**
   * What the API read when it validated the request (default branch head and
   * the file there), so the first attempt of the first prepare does not read
   * it again — one forge call fewer per PR. Ignored when older than a minute
   * or on a retry; never trusted for anything but the starting point.
   */
  hint?: { base: string; baseSha: string; text: string; at: string };
  /** Carried over continue-as-new so a long wait does not reopen anything. */
  resume?: { pr: PrRef; expiresAt?: string; ownHead?: string; stuckAt?: string; stuck?: string };
}

export interface PrRef {
  number: number;
  url: string;
  head: string;
  headSha: string;
  state: 'open' | 'merged' | 'closed';
  /** Open PRs: whether the head still merges cleanly into the base (null: not known yet). */
  mergeable?: boolean | null;
  /** Open PRs: the base branch has moved since the head was made (the change was checked against an older paws.yaml). */
  behind?: boolean;
  /** Open PRs: the base branch's current commit. */
  baseTip?: string;
}

export type Phase = 'proposing' | 'open' | 'merged' | 'closed' | 'failed';

export interface EnvChangeState {
  phase: Phase;
  /** The request that started this workflow (to detect a joined request asking for something else). */
  request?: { id?: string; source?: string; ttl?: string; variables?: { set?: Record<string, string>; unset?: string[] }; secret?: SecretEdit; requestedBy: string };
  pr?: PrRef;
  expiresAt?: string;
  error?: { code: string; message: string };
  /** Why idp cannot bring the open PR up to date with its base (it then must not be merged as is). */
  stuck?: string;
}

export interface EnvChangeResult {
  outcome: 'merged' | 'closed';
  pr: PrRef;
  expiresAt?: string;
}

export interface EnvTtlInput {
  repo: string;
  repoKey?: string;
  path: string;
  component: string;
  env: string;
  expiresAt: string;
  pollIntervalMs?: number;
}

/** A PR event for this workflow's PR (webhook, or the API after a merge/close it performed). */
export interface PrEvent {
  number: number;
  state: 'open' | 'merged' | 'closed';
  headSha?: string;
}

export const prEventSignal = defineSignal<[PrEvent]>('prEvent');
/** The base branch moved (another PR merged, a push): check now whether this PR still merges cleanly. */
export const baseMovedSignal = defineSignal('baseMoved');
/** Returns as soon as the PR exists (or the change was refused): what `idp env clone` prints. */
export const pullRequestUpdate = defineUpdate<EnvChangeState>('pullRequest');
export const stateQuery = defineQuery<EnvChangeState>('state');

export const extendTtlSignal = defineSignal<[string]>('extendTtl');
export const cancelTtlSignal = defineSignal('cancelTtl');
export const ttlQuery = defineQuery<{ expiresAt: string; cancelled: boolean }>('ttl');

/** Registered with the server (`temporal server start-dev --search-attribute`), so listing is a query, not a scan. */
export const SA = {
  component: defineSearchAttributeKey('IdpComponent', SearchAttributeType.KEYWORD),
  environment: defineSearchAttributeKey('IdpEnvironment', SearchAttributeType.KEYWORD),
  kind: defineSearchAttributeKey('IdpKind', SearchAttributeType.KEYWORD),
  repo: defineSearchAttributeKey('IdpRepo', SearchAttributeType.KEYWORD),
  phase: defineSearchAttributeKey('IdpPhase', SearchAttributeType.KEYWORD),
  prNumber: defineSearchAttributeKey('IdpPrNumber', SearchAttributeType.INT),
} as const;

export const SEARCH_ATTRIBUTES = Object.values(SA);

/** The search attributes an idp workflow starts with. */
export function searchAttributesFor(kind: EnvChangeKind | 'env-ttl', repo: string, component: string, env: string) {
  return [
    { key: SA.component, value: component },
    { key: SA.environment, value: env },
    { key: SA.kind, value: kind },
    { key: SA.repo, value: repo },
    { key: SA.phase, value: kind === 'env-ttl' ? 'open' : 'proposing' },
  ];
}
