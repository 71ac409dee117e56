/**
 * GitLab webhook deliveries: check the secret token, then reduce the payload to
 * the few facts a workflow needs (which MR / branch / commit, what happened).
 * Workflows never trust these facts: a signal only makes them re-read the MR
 * from GitLab, so the mapping stays deliberately small.
 *
 * GitLab does not sign deliveries: it sends the secret configured on the hook
 * back verbatim in `X-Gitlab-Token`, so that is what is compared (timing-safe).
 *
 * Payload shapes: https://docs.gitlab.com/user/project/integrations/webhook_events/
 * (Merge request events, Pipeline events, Push events). Headers:
 * https://docs.gitlab.com/user/project/integrations/webhooks/#delivery-headers
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { compact, header, jsonObject, num, str, WebhookRejected, ZERO_SHA, type ForgeEvent, type ForgeEventAction, type WebhookHeaders } from './event.js';

/**
 * Whether `given` is the configured secret. Both sides are hashed first, so the
 * comparison is constant-time whatever their lengths (timingSafeEqual needs equal
 * lengths, and the secret's length is a secret too).
 */
export function verifyGitLabToken(secret: string, given: string | undefined): boolean {
  if (!secret || given === undefined) return false;
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(secret));
}

/** What of a payload is read: everything optional, checked where used. */
interface Payload {
  object_kind?: string;
  ref?: string;
  after?: string;
  checkout_sha?: string | null;
  project?: { id?: number; path_with_namespace?: string };
  object_attributes?: {
    iid?: number;
    action?: string;
    source_branch?: string;
    source_project_id?: number;
    target_project_id?: number;
    last_commit?: { id?: string };
    // pipeline events
    ref?: string;
    tag?: boolean;
    sha?: string;
  };
  merge_request?: { iid?: number; source_branch?: string; source_project_id?: number; target_project_id?: number } | null;
}

/**
 * object_attributes.action of a merge request event → what happened. `approved` /
 * `unapproved` fire when the MR becomes (un)approved as a whole, `approval` /
 * `unapproval` for each reviewer's: they only wake the release, which then reads
 * GitLab's approvals and reviewers APIs (never the payload) for the verdict.
 * Note Hooks (comments) are not followed at all: a comment is never a review.
 * Other actions are ignored.
 */
const MR_ACTIONS: Record<string, ForgeEventAction> = {
  open: 'opened',
  update: 'updated',
  merge: 'merged',
  close: 'closed',
  reopen: 'reopened',
  approved: 'reviewed',
  unapproved: 'reviewed',
  approval: 'reviewed',
  unapproval: 'reviewed',
};


/**
 * Verify and read one GitLab delivery. Returns null for deliveries that need no
 * reaction (events idp does not follow). Throws WebhookRejected(401) when the
 * token is missing or wrong (before the body is read), WebhookRejected(400) when
 * the body cannot be read or lacks what its event must carry.
 */
export function parseGitLabWebhook(headers: WebhookHeaders, rawBody: Buffer, secret: string, host: string): ForgeEvent | null {
  if (!verifyGitLabToken(secret, header(headers, 'x-gitlab-token'))) {
    throw new WebhookRejected(401, 'Missing or wrong X-Gitlab-Token: the secret token of the GitLab webhook must match the one idp was started with.');
  }
  const event = header(headers, 'x-gitlab-event');
  if (!event) throw new WebhookRejected(400, 'No X-Gitlab-Event header: not a GitLab webhook delivery.');
  const payload = jsonObject<Payload>(rawBody.toString('utf8'));

  const kind = { 'Merge Request Hook': 'merge_request', 'Pipeline Hook': 'pipeline', 'Push Hook': 'push' }[event];
  if (!kind) return null;

  const path = payload.project?.path_with_namespace;
  if (typeof path !== 'string' || !path.includes('/')) throw new WebhookRejected(400, `The ${event} payload names no project.`);
  const base = {
    // The event's UUID; Idempotency-Key (GitLab 17.4+) is the same across retries of one delivery.
    deliveryId: header(headers, 'x-gitlab-event-uuid') ?? header(headers, 'idempotency-key') ?? '',
    forge: 'gitlab' as const,
    repoId: `gitlab:${host}/${path}`.toLowerCase(),
  };
  /** The source branch, unless it lives in a fork: a fork's `idp/...` branch is not idp's. */
  const ownBranch = (mr: { source_branch?: string; source_project_id?: number; target_project_id?: number } | null | undefined) => {
    if (!mr) return undefined;
    const fork = mr.source_project_id !== undefined && mr.target_project_id !== undefined && mr.source_project_id !== mr.target_project_id;
    return fork ? undefined : str(mr.source_branch);
  };

  switch (kind) {
    case 'merge_request': {
      const mr = payload.object_attributes;
      const number = num(mr?.iid);
      if (!mr || number === undefined) throw new WebhookRejected(400, 'The Merge Request Hook payload has no merge request iid.');
      const action = MR_ACTIONS[mr.action ?? ''];
      if (!action) return null;
      return compact({ ...base, action, number, branch: ownBranch(mr), sha: str(mr.last_commit?.id) });
    }
    case 'pipeline': {
      const pipeline = payload.object_attributes;
      if (!pipeline) throw new WebhookRejected(400, 'The Pipeline Hook payload has no pipeline.');
      const mr = payload.merge_request;
      // A merge request pipeline runs on refs/merge-requests/<iid>/head: the branch is the MR's source.
      const branch = mr ? ownBranch(mr) : pipeline.tag ? undefined : str(pipeline.ref);
      return compact({ ...base, action: 'checks', number: num(mr?.iid), branch, sha: str(pipeline.sha) });
    }
    case 'push': {
      const ref = str(payload.ref);
      if (!ref?.startsWith('refs/heads/')) return null;
      const after = str(payload.after);
      // A deleted branch is pushed to 0000…; its branch still matters (a PR lost its head).
      return compact({ ...base, action: 'pushed', branch: ref.slice('refs/heads/'.length), sha: !after || ZERO_SHA.test(after) ? undefined : after });
    }
  }
  return null;
}
