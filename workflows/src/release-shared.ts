/**
 * What the Platform API and the release workflows share: inputs, results, and
 * the messages between an environment's release queue (`releases:…`) and its
 * releases (`release:…:v<n>`). Definitions only: safe outside the sandbox.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ReleaseOutcome, ReleasePolicy, ReleaseRecord } from '@idp/core';
import type { PrRef } from './shared.js';

export type ReleaseKind = ReleaseRecord['kind'];

/** One release as asked for: what to set, fixed by the API when it validated the request. */
export interface ReleaseRequest {
  kind: ReleaseKind;
  /** The image the environment runs once merged. */
  image: string;
  /** What the environment ran when the request was validated. */
  previousImage?: string;
  /** promote: the source environment. */
  from?: string;
  /** rollback: the release returned to. */
  rollbackTo?: number;
  requestedBy: string;
  /** The requester's login on the deployment repository's forge, when known: not counted as a reviewer. */
  requesterLogin?: string;
  /** Every other name the requester goes by (emails, forge logins, the Backstage entity ref): none of them counts as a reviewer. */
  requesterAliases?: string[];
  requestedAt: string;
  requestId: string;
}

/** Where a component's releases go; the same for its queue and each release. */
export interface ReleaseTarget {
  /** The component's repository (its paws.yaml holds the deploy settings and the policy). */
  repo: string;
  repoKey?: string;
  /** The repository's canonical identity (search attribute IdpRepo). */
  repoId?: string;
  path: string;
  component: string;
  env: string;
  pollIntervalMs?: number;
  historyLimit?: number;
}

export interface ReleaseQueueInput extends ReleaseTarget {
  /** Carried over continue-as-new: newest first. */
  ledger?: ReleaseRecord[];
  next?: number;
  /** Carried over continue-as-new: the requests already recorded, oldest first (a retry is recorded once). */
  requests?: [string, RecordedRequest][];
}

/** What the queue recorded for one request id. */
export interface RecordedRequest {
  number: number;
  /** The same image was already queued or in progress for this environment: this request joined it. */
  joined: boolean;
  /** Who asked for which image: a reused request id with another request is told apart by the API. */
  image: string;
  requestedBy: string;
}

/** The approval policy, resolved for this environment and kind (core/src/release/policy.ts). */
export type ResolvedPolicy = ReleasePolicy;

export interface ReleaseInput extends ReleaseTarget, ReleaseRequest {
  number: number;
  /** The queue that holds this environment's lock. */
  queueId: string;
  /** Carried over continue-as-new so a long wait reopens nothing. */
  resume?: { pr: PrRef; repo: string; policy: ResolvedPolicy; deadline: string; ownHead?: string };
}

export interface EnqueueResult extends RecordedRequest {
  workflowId: string;
  /** The release this one waits for (it holds the environment's lock or is ahead in the queue). */
  queuedBehind?: number;
}

/** The release workflow's published state (memo `state`, query `state`). */
export interface ReleaseState {
  phase: 'queued' | 'proposing' | 'open' | 'merged' | 'closed' | 'failed';
  pr?: PrRef;
  /** The deployment repository the PR is in. */
  repo?: string;
  policy?: ResolvedPolicy;
  /** When the release gives up waiting for approval (ISO). */
  deadline?: string;
  /** The policy on the PR's head when last checked: what is still missing. */
  waitingFor?: string[];
  approvers?: string[];
  error?: { code: string; message: string };
  /** See ReleaseRequest.requesterLogin. */
  requesterLogin?: string;
  /** See ReleaseRequest.requesterAliases. */
  requesterAliases?: string[];
  release: ReleaseRecord;
}

export interface ReleaseResult {
  /** 'closed': the PR was closed without merge (release.outcome says why). */
  outcome: 'merged' | 'closed';
  pr: PrRef;
  release: ReleaseRecord;
}

/**
 * API → queue: number this release and start it (or join the same one). A
 * signal (sent with signal-with-start), so the request is durable as soon as
 * the API is told it was delivered, with or without a worker running; the
 * queue numbers requests in signal order and records each request id once.
 */
export const enqueueReleaseSignal = defineSignal<[ReleaseRequest]>('enqueueRelease');
/** API → queue: what became of the request with this id (waits until its release is started). */
export const releaseRequestUpdate = defineUpdate<EnqueueResult, [string]>('releaseRequest');
/** Queue → release: the environment's lock is yours. */
export const lockGrantedSignal = defineSignal('lockGranted');
/** Release → queue: the ledger entry changed (PR opened, approvals). */
export const releaseProgressSignal = defineSignal<[Partial<ReleaseRecord> & { number: number }]>('releaseProgress');
export const ledgerQuery = defineQuery<ReleaseRecord[]>('ledger');

export { POLICY_STATUS_CONTEXT } from '@idp/core/names';

export const FINAL_OUTCOMES: ReadonlySet<ReleaseOutcome> = new Set(['merged', 'rejected', 'timed_out', 'cancelled', 'failed']);
