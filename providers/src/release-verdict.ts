/**
 * Whether a release PR satisfies its policy, read from the forge: the same
 * verdict for the worker's activities (merge or wait) and the API (`idp pr
 * merge`, `idp pr check`, the local PR page).
 */
import { authorNames, evaluatePolicy, POLICY_STATUS_CONTEXT, type PullRequest, type ReleasePolicy } from '@idp/core';
import type { GitProvider } from './provider.js';

/** Who asked for the release, under every name they go by: none of them counts as an approver of it (four-eyes). */
export interface Requester {
  /** The requester as recorded (requestedBy). */
  by: string;
  /** Their login on the deployment repository's forge, when known. */
  login?: string | undefined;
  /** Every other name of the same person (Actor.aliases): emails, forge logins, entity ref. Matched case-insensitively. */
  aliases?: string[] | undefined;
}

/**
 * The policy on the PR's current head, from the provider's raw reviews and
 * checks (checks and teams are only read when the policy names some). On a
 * forge that says who may write to the repository, reviews of those who cannot
 * count neither as approvals nor as change requests.
 */
export async function releaseVerdict(p: GitProvider, pull: PullRequest, policy: ReleasePolicy, requester: Requester) {
  // A merged PR is judged as it was merged (did the policy hold on the merged head?): approvals given after do not count.
  if (pull.state === 'merged') pull = { ...pull, reviews: reviewsBefore(pull.reviews, pull.mergedAt) };
  // idp's own status is the verdict, never an input to it; a closed PR is not judged.
  const checks = pull.state !== 'closed' && policy.requiredChecks.length > 0 ? (await p.checks(pull.number)).checks.filter((c) => c.name !== POLICY_STATUS_CONTEXT) : [];
  const teams = p.teamMembers && policy.approvers.length > 0 ? await teamsOf(p, policy.approvers) : {};
  const excluded = p.canWrite ? await readOnlyReviewers(p, pull) : {};
  return evaluatePolicy(policy, { author: [...authorNames(requester.by, requester.login), ...(requester.aliases ?? [])], headSha: pull.headSha, reviews: pull.reviews, checks, teams, excluded });
}

/** The reviews given up to `at` (the merge): what the policy could have seen when it was merged. */
function reviewsBefore(reviews: PullRequest['reviews'], at: string | undefined): PullRequest['reviews'] {
  const end = at ? Date.parse(at) : NaN;
  return Number.isNaN(end) ? reviews : reviews.filter((r) => !(Date.parse(r.at) > end));
}

/** Reviewers with a verdict (approval or change request) who cannot write to the repository: one canWrite per distinct reviewer. */
async function readOnlyReviewers(p: GitProvider, pull: PullRequest): Promise<Record<string, string>> {
  const reviewers = new Map<string, string>();
  for (const r of pull.reviews) {
    if (r.state === 'approved' || r.state === 'changes_requested') reviewers.set(r.by.toLowerCase(), r.by);
  }
  const readOnly = await Promise.all([...reviewers.values()].map(async (by) => ((await p.canWrite!(by)) ? null : by)));
  return Object.fromEntries(readOnly.filter((by): by is string => by !== null).map((by) => [by, `cannot write to ${p.repo}`]));
}

/** Members of the approver entries that name teams (an entry that is not a team is a user). */
async function teamsOf(p: GitProvider, approvers: string[]): Promise<Record<string, string[]>> {
  const entries = await Promise.all(approvers.map(async (a) => [a, await p.teamMembers!(a)] as const));
  return Object.fromEntries(entries.filter((e): e is readonly [string, string[]] => e[1] !== null));
}

