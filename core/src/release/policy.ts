/**
 * Release policies: who must approve a release PR, which checks must pass, and
 * whether it merges by itself. Resolved from paws.yaml (inherited through
 * `from:`), then evaluated against a PR's reviews and checks.
 */
import { environmentOrThrow } from '../paws/lookup.js';
import type { PawsSpec, ReleaseSpec } from '../paws/schema.js';
import { fromChain } from './inherit.js';
import { DEFAULT_RELEASE_TIMEOUT, parseTimeout } from './timeout.js';

export interface ReleasePolicy {
  approvals: number;
  /** Users or teams allowed to approve; empty: anyone. */
  approvers: string[];
  requiredChecks: string[];
  /** Whether the author's own approval counts. */
  selfApproval: boolean;
  autoMerge: boolean;
  /** As written, e.g. "7d". */
  timeout: string;
  timeoutMs: number;
  /** Set when platform floors (IDP_RELEASE_FLOORS, floors.ts) apply: their patterns, and the fields they raised. */
  floor?: { patterns: string[]; raised: ('approvals' | 'selfApproval' | 'requiredChecks' | 'approvers')[] };
}

type PolicyFields = Omit<ReleaseSpec, 'rollback'>;

const DEFAULTS: Required<PolicyFields> = {
  approvals: 1,
  approvers: [],
  requiredChecks: [],
  selfApproval: false,
  autoMerge: true,
  timeout: DEFAULT_RELEASE_TIMEOUT,
};

/**
 * The policy for releases (or rollbacks) to `env`. Each field comes from the nearest
 * environment up the `from:` chain that sets it; for a rollback, the `rollback`
 * overrides (inherited the same way) then apply on top.
 */
export function releasePolicyFor(spec: PawsSpec, env: string, path: 'release' | 'rollback' = 'release'): ReleasePolicy {
  environmentOrThrow(spec, env, 'paws.yaml');
  const chain = fromChain(spec, env);
  const nearest = (pick: (e: ReleaseSpec) => PolicyFields | undefined): PolicyFields => {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(DEFAULTS) as (keyof PolicyFields)[]) {
      const found = chain.find((e) => e.release && pick(e.release)?.[key] !== undefined);
      if (found) out[key] = pick(found.release!)![key];
    }
    return out as PolicyFields;
  };
  const fields: Required<PolicyFields> = {
    ...DEFAULTS,
    ...nearest((r) => r),
    ...(path === 'rollback' ? nearest((r) => r.rollback) : {}),
  };
  return { ...fields, approvers: [...fields.approvers], requiredChecks: [...fields.requiredChecks], timeoutMs: parseTimeout(fields.timeout) };
}

export interface PolicyReview {
  by: string;
  state: 'approved' | 'changes_requested' | 'commented' | 'dismissed';
  /** The commit the review was given on. */
  commitSha: string;
  /** ISO-8601; reviews are ordered by it. */
  at: string;
}

export interface PolicyCheck {
  name: string;
  state: 'pending' | 'success' | 'failure';
}

export interface PolicyVerdict {
  satisfied: boolean;
  /** Approvals that count. */
  approvedBy: string[];
  /** Approvals on the head that do not count, and why ("is the author", "is not an allowed approver"). */
  ignored: { by: string; why: string }[];
  /** Allowed approvers (not the author) whose latest verdict requests changes. */
  changesRequestedBy: string[];
  /** The required checks, in policy order; one not reported is 'missing'. */
  checks: { name: string; state: 'pending' | 'success' | 'failure' | 'missing' }[];
  /** What the release waits for, as sentences: "1 more approval from team-payments or alice", "check ci/build (pending)". */
  waitingFor: string[];
}

export interface PolicyInput {
  /** Every name the author goes by (see authorNames): idp user, forge login. */
  author: string | string[];
  headSha: string;
  reviews: PolicyReview[];
  /** Reported checks, oldest first: the last report of a name wins. */
  checks: PolicyCheck[];
  /**
   * Team entry → members, for the `approvers` entries the forge resolved as
   * teams: such an entry matches only its members, never a user of that name.
   */
  teams?: Record<string, string[]>;
  /** Reviewers whose reviews do not count at all, and why (e.g. "cannot write to acme/deployments"). */
  excluded?: Record<string, string>;
}

export function evaluatePolicy(policy: ReleasePolicy, input: PolicyInput): PolicyVerdict {
  const authors = typeof input.author === 'string' ? [input.author] : input.author;
  const isAuthor = (user: string) => authors.some((a) => sameUser(user, a));
  const allowed = approverMatcher(policy.approvers, input.teams ?? {});
  const excluded = new Map(Object.entries(input.excluded ?? {}).map(([user, why]) => [userKey(user), why]));

  const approvedBy: string[] = [];
  const ignored: PolicyVerdict['ignored'] = [];
  const changesRequestedBy: string[] = [];
  for (const review of latestVerdicts(input.reviews)) {
    if (review.state === 'changes_requested') {
      if (!isAuthor(review.by) && !excluded.has(userKey(review.by)) && allowed(review.by)) changesRequestedBy.push(review.by);
      continue;
    }
    // A push after an approval invalidates it: the approver has not seen the new head.
    if (review.state !== 'approved' || review.commitSha !== input.headSha) continue;
    if (isAuthor(review.by) && !policy.selfApproval) ignored.push({ by: review.by, why: 'is the author' });
    else if (excluded.has(userKey(review.by))) ignored.push({ by: review.by, why: excluded.get(userKey(review.by))! });
    else if (!allowed(review.by)) ignored.push({ by: review.by, why: 'is not an allowed approver' });
    else approvedBy.push(review.by);
  }

  const reported = new Map(input.checks.map((c) => [c.name, c.state] as const));
  const checks = policy.requiredChecks.map((name) => ({ name, state: reported.get(name) ?? ('missing' as const) }));

  const waitingFor: string[] = [];
  const missing = policy.approvals - approvedBy.length;
  if (missing > 0) waitingFor.push(`${missing} more approval${missing === 1 ? '' : 's'} from ${approverPhrase(policy)}`);
  for (const by of changesRequestedBy) waitingFor.push(`${by} to approve or dismiss their request for changes`);
  for (const check of checks) {
    if (check.state !== 'success') waitingFor.push(`check ${check.name} (${check.state === 'missing' ? 'not reported yet' : check.state === 'failure' ? 'failed' : 'pending'})`);
  }

  return {
    satisfied: missing <= 0 && changesRequestedBy.length === 0 && checks.every((c) => c.state === 'success'),
    approvedBy,
    ignored,
    changesRequestedBy,
    checks,
    waitingFor,
  };
}

/** Markdown bullet lines describing the policy, for the release PR's body. */
export function describePolicy(policy: ReleasePolicy): string[] {
  const lines: string[] = [];
  // What the platform's floor raised above the component's paws.yaml is said so: paws.yaml alone does not explain it.
  const raised = new Set(policy.floor?.raised ?? []);
  const fromFloor = (...fields: NonNullable<ReleasePolicy['floor']>['raised']) =>
    fields.some((f) => raised.has(f)) ? ` _(platform floor for ${policy.floor!.patterns.map((p) => `\`${p}\``).join(', ')})_` : '';
  lines.push(
    policy.approvals === 0
      ? '- **Approvals:** none needed'
      : `- **Approvals:** ${policy.approvals} from ${approverPhrase(policy)}${fromFloor('approvals', 'approvers')}`,
  );
  lines.push(
    policy.selfApproval
      ? "- **Four-eyes rule:** off; the author's own approval counts"
      : `- **Four-eyes rule:** the author's own approval does not count${fromFloor('selfApproval')}`,
  );
  lines.push(
    policy.requiredChecks.length === 0
      ? '- **Required checks:** none'
      : `- **Required checks:** ${policy.requiredChecks.map((c) => `\`${c}\``).join(', ')}${fromFloor('requiredChecks')}`,
  );
  lines.push(
    policy.autoMerge
      ? '- **Merge:** automatic, as soon as the policy is satisfied'
      : '- **Merge:** not automatic; merge the PR once the policy is satisfied',
  );
  lines.push(`- **Timeout:** closed without merging if not merged within ${policy.timeout}`);
  return lines;
}

/**
 * Each user's latest verdict, in order of first appearance. A comment does not
 * replace an earlier verdict (GitHub and GitLab agree); a dismissal removes it.
 */
function latestVerdicts(reviews: PolicyReview[]): PolicyReview[] {
  const byUser = new Map<string, PolicyReview>();
  const ordered = reviews
    .map((r, i) => ({ r, i, t: Date.parse(r.at) }))
    .sort((a, b) => (a.t === b.t || Number.isNaN(a.t) || Number.isNaN(b.t) ? a.i - b.i : a.t - b.t));
  for (const { r } of ordered) {
    if (r.state === 'commented') continue;
    byUser.set(userKey(r.by), r);
  }
  return [...byUser.values()].filter((r) => r.state !== 'dismissed');
}

/**
 * Whether a user may approve: anyone when `approvers` is empty, else a member
 * of a listed team or a listed user. An entry the forge resolved as a team
 * (in `teams`) is a team only: a user whose login happens to equal the team's
 * name is not its member.
 */
function approverMatcher(approvers: string[], teams: Record<string, string[]>): (user: string) => boolean {
  if (approvers.length === 0) return () => true;
  const teamMembers = new Map(Object.entries(teams).map(([team, members]) => [userKey(team), members.map(userKey)]));
  const users = new Set<string>();
  for (const entry of approvers) {
    const members = teamMembers.get(userKey(entry));
    if (members) for (const member of members) users.add(member);
    else users.add(userKey(entry));
  }
  return (user) => users.has(userKey(user));
}

function approverPhrase(policy: ReleasePolicy): string {
  if (policy.approvers.length === 0) return policy.selfApproval ? 'anyone' : 'anyone but the author';
  const names = policy.approvers;
  return names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

/** User and team names compare case-insensitively, with or without a leading @. */
function userKey(name: string): string {
  return name.replace(/^@/, '').toLowerCase();
}

function sameUser(a: string, b: string): boolean {
  return userKey(a) === userKey(b);
}

/**
 * The names a release's requester may review under: the idp user, their forge
 * login when idp knows it, and — when the idp user is an email — its local
 * part, the usual login. Four eyes errs on the safe side: a reviewer who might
 * be the requester is not counted.
 */
export function authorNames(requestedBy: string, forgeLogin?: string): string[] {
  const names = [requestedBy];
  const at = requestedBy.indexOf('@');
  if (at > 0) names.push(requestedBy.slice(0, at));
  if (forgeLogin) names.push(forgeLogin);
  return [...new Set(names)];
}
