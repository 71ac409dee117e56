/**
 * What the PR routes add for release PRs: a check reported by hand on the local
 * forge (where no CI runs), and, after a review, why it does not count under
 * the release policy — said when the review is given, not only in `idp releases show`.
 */
import type { Client } from '@temporalio/client';
import { ConflictError, IdpError, workflowForBranch, type PullRequest } from '@idp/core';
import { POLICY_STATUS_CONTEXT, type ReleaseState } from '@idp/workflows/release-shared';
import { type GitProvider, releaseVerdict } from '@idp/providers';
import { requesterOf } from './releases.js';

/**
 * Report check `name` on the PR's current head, as CI would. Only on the local
 * forge: on GitHub/GitLab checks come from CI, and idp reporting them with its
 * own credentials would let anyone pass a required check. `idp/policy` is the
 * release verdict idp publishes itself, never reported by hand.
 */
export async function reportLocalCheck(
  provider: GitProvider,
  number: number,
  check: { name: string; state: 'pending' | 'success' | 'failure'; description?: string | undefined },
  by: string,
): Promise<PullRequest> {
  if (provider.kind !== 'local') {
    throw new IdpError('forbidden', 403, `Checks on ${provider.kind === 'github' ? 'GitHub' : 'GitLab'} are reported by your CI, not by idp; \`idp pr check\` is for the local forge, which runs no CI.`);
  }
  if (check.name.trim().toLowerCase() === POLICY_STATUS_CONTEXT) {
    throw new IdpError('forbidden', 403, `${POLICY_STATUS_CONTEXT} is idp's own verdict on a release PR; it cannot be reported by hand. Report the checks the policy requires (e.g. ci/build).`);
  }
  const pr = await provider.getPullRequest(number);
  if (pr.state !== 'open') throw new ConflictError(`PR #${number} is ${pr.state}; checks are reported on open PRs only.`);
  await provider.setCommitStatus(pr.headSha, { context: check.name.trim(), state: check.state, description: check.description ?? `reported by ${by} (idp pr check)` });
  return pr;
}

/**
 * On an open release PR: why `user`'s review does not count under the
 * release's policy (their approval, or — for a request for changes — whether
 * it would), or undefined when it counts or the PR is no release. Best effort:
 * the review is already given, so a failure to judge it only omits the note.
 */
export async function releaseReviewNote(
  temporal: Client,
  provider: GitProvider,
  pr: PullRequest,
  user: string,
  event: 'approve' | 'request_changes' | 'comment',
): Promise<string | undefined> {
  if (event === 'comment' || pr.state !== 'open') return undefined;
  const id = workflowForBranch(pr.head);
  if (!id?.startsWith('release:')) return undefined;
  try {
    const state = (await temporal.workflow.getHandle(id).describe()).memo?.state as ReleaseState | undefined;
    if (!state?.policy || !state.release) return undefined;
    const login = (await provider.forgeLogin?.(user).catch(() => null)) ?? undefined;
    const names = new Set([user, ...(login ? [login] : [])].map((n) => n.toLowerCase()));
    // A request for changes is judged as the approval it would be: whoever's approval would not count does not block either.
    const judged = event === 'approve' ? pr : { ...pr, reviews: [...pr.reviews, { by: login ?? user, state: 'approved' as const, commitSha: pr.headSha, at: new Date().toISOString() }] };
    const v = await releaseVerdict(provider, judged, state.policy, requesterOf(state.release.requestedBy, state));
    const ignored = v.ignored.find((i) => names.has(i.by.toLowerCase()));
    if (!ignored) return undefined;
    const why =
      ignored.why === 'is the author'
        ? 'you requested this release (four eyes: the requester\'s own approval never counts)'
        : ignored.why === 'is not an allowed approver'
          ? `you are not an allowed approver (${state.policy.approvers.join(', ')})`
          : `you ${ignored.why}`;
    const what = event === 'approve' ? 'Your approval does not count' : 'Your request for changes does not block this release';
    const waiting = v.waitingFor.length ? ` Release v${state.release.number} to ${state.release.env} still waits for: ${v.waitingFor.join('; ')}.` : '';
    return `${what}: ${why}.${event === 'approve' ? waiting : ''}`;
  } catch {
    return undefined;
  }
}
