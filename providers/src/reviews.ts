/** Review and check rules shared by the providers that compute them from the forge's raw records. */
import type { PullRequest, Review } from '@idp/core';
import type { CheckRun, ChecksSummary } from './provider.js';

/**
 * Who approves the current head: each reviewer's latest verdict counts
 * (approve / request changes / dismissed; a comment keeps the earlier verdict,
 * as on GitHub), and only an approval given on the current head commit.
 */
export function approvalsOf(pull: Pick<PullRequest, 'reviews' | 'headSha'>): string[] {
  const verdicts = new Map<string, Review>();
  for (const review of pull.reviews) if (review.state !== 'commented') verdicts.set(review.by, review);
  return [...verdicts.values()].filter((r) => r.state === 'approved' && r.commitSha === pull.headSha).map((r) => r.by);
}

/** The worst state wins; nothing reported is 'none'. */
export function summarizeChecks(checks: CheckRun[]): ChecksSummary['state'] {
  if (checks.length === 0) return 'none';
  if (checks.some((c) => c.state === 'failure')) return 'failure';
  if (checks.some((c) => c.state === 'pending')) return 'pending';
  return 'success';
}
