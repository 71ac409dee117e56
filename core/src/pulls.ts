/** Pull request shapes: what every git provider returns and what the Platform API serves. */

export type PullRequestState = 'open' | 'merged' | 'closed';

export interface Review {
  /** Who reviewed (email on the local forge, login on GitHub/GitLab). */
  by: string;
  /** 'dismissed': a forge's maintainer withdrew an earlier approval or change request. */
  state: 'approved' | 'changes_requested' | 'commented' | 'dismissed';
  body?: string;
  /** The head commit the review was given on: an approval of an older head does not count. */
  commitSha: string;
  at: string;
}

export interface PullRequestComment {
  by: string;
  body: string;
  at: string;
}

export interface PullRequest {
  number: number;
  url: string;
  title: string;
  body: string;
  /** Source branch (e.g. idp/env-clone/checkout/preview-123). */
  head: string;
  /** Target branch (e.g. main). */
  base: string;
  headSha: string;
  /** The base branch's commit the head was created from. */
  baseSha: string;
  state: PullRequestState;
  author: string;
  labels: string[];
  createdAt: string;
  updatedAt: string;
  mergedAt?: string;
  mergedBy?: string;
  mergeSha?: string;
  closedAt?: string;
  closedBy?: string;
  reviews: Review[];
  comments: PullRequestComment[];
}

export type ReviewEvent = 'approve' | 'request_changes' | 'comment';

/** One file a PR changes, with a unified diff against the commit the PR started from (like `git diff base...head`). */
export interface FileDiff {
  path: string;
  status: 'added' | 'modified' | 'deleted';
  patch: string;
}
