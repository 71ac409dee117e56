/**
 * The activities the workflows call, as types only: the worker implements
 * them (worker/src/activities). Keeping the contract here lets workflows import
 * it without importing any adapter.
 */
import type { EnvChangeInput, PrRef } from './shared.js';
import type { ReleaseInput, ResolvedPolicy } from './release-shared.js';

export interface PreparedChange {
  branch: string;
  base: string;
  baseSha: string;
  headSha: string;
  title: string;
  body: string;
  expiresAt?: string;
}

export interface EnvActivities {
  /** Read paws.yaml on the default branch, apply the change, push it to the workflow's branch (idempotent). */
  prepareEnvChange(input: EnvChangeInput & { workflowId: string }): Promise<PreparedChange>;
  /** Find the open PR for the branch, or open it (idempotent). */
  openPullRequest(input: { repo: string; change: PreparedChange; author: string; labels: string[] }): Promise<PrRef>;
  /** The PR's state; for an open PR also whether it still merges cleanly into its base. */
  getPullRequest(input: { repo: string; number: number }): Promise<PrRef>;
  /**
   * The base moved and the PR conflicts with it: re-apply the edit to paws.yaml
   * as it is now on the base and move the branch to that commit (only if the
   * branch is still at `expectedSha`: a human's commit is never overwritten).
   */
  refreshEnvChange(input: EnvChangeInput & { workflowId: string; expectedSha: string }): Promise<PreparedChange>;
  /** Comment once: a comment carrying the same `marker` is not posted again (retries, continue-as-new). */
  commentOnPullRequest(input: { repo: string; number: number; body: string; marker: string }): Promise<void>;
  /** Close the open PR of `branch` (if any) with a comment; idempotent. Returns its number. */
  closePullRequestForBranch(input: { repo: string; branch: string; comment: string }): Promise<number | null>;
  /** lifecycle.expiresAt of `env` in paws.yaml on the default branch (after a merge: what was actually merged). */
  expiryOnBase(input: { repo: string; path: string; env: string }): Promise<string | null>;
  /** After merge: delete the head branch (GitHub's "delete branch on merge"). */
  deleteBranch(input: { repo: string; branch: string }): Promise<void>;

  /**
   * Read the deploy settings and policy from the component's paws.yaml, set the
   * environment's version in the deployment target, and push that to the
   * release's branch in the deployment repository (idempotent). With
   * `expectedSha` (a rebase), the branch is rewritten only if it is still there.
   */
  prepareRelease(input: ReleaseInput & { workflowId: string; expectedSha?: string }): Promise<PreparedRelease>;
  /** The PR's state and the policy evaluated on its current head (reviews and checks from the provider). */
  evaluateRelease(input: { repo: string; number: number; policy: ResolvedPolicy; author: string; authorLogin?: string; authorAliases?: string[] }): Promise<ReleaseEvaluation>;
  /** Merge only if the head is still `expectedHeadSha` (what the policy was evaluated on); idempotent. */
  mergeRelease(input: { repo: string; number: number; expectedHeadSha: string; message: string }): Promise<PrRef & { mergedAt?: string }>;
  /** Close the PR with a comment (once); idempotent. */
  closeRelease(input: { repo: string; number: number; comment: string }): Promise<void>;
  /**
   * Set the `idp/policy` commit status on a release PR's head (what branch
   * protection requires, so every merge path is held to the policy). Replaces
   * what the status said on that commit: a retry sets the same status.
   */
  setPolicyStatus(input: { repo: string; sha: string; state: 'pending' | 'success' | 'failure'; description: string; targetUrl?: string }): Promise<void>;
}

export interface PreparedRelease extends PreparedChange {
  /** The deployment repository (the component's own when deploy.format is paws). */
  repo: string;
  policy: ResolvedPolicy;
  previousImage?: string;
}

export interface ReleaseEvaluation {
  pr: PrRef;
  satisfied: boolean;
  approvedBy: string[];
  changesRequestedBy: string[];
  waitingFor: string[];
}
