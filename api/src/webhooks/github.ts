/**
 * GitHub webhook deliveries: verify the signature, then reduce the payload to
 * the few facts a workflow needs (which PR / branch / commit, what happened).
 * Workflows never trust these facts: a signal only makes them re-read the PR
 * from the forge, so the mapping stays deliberately small.
 *
 * Payload shapes: GitHub's webhook docs, as published in @octokit/openapi
 * (`x-webhooks`: pull-request-*, pull-request-review-*, check-run-*,
 * check-suite-*, status, push, ping).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { compact, header, jsonObject, num, str, WebhookRejected, ZERO_SHA, type ForgeEvent, type ForgeEventAction, type WebhookHeaders } from './event.js';

/**
 * Check `X-Hub-Signature-256` (`sha256=` + hex HMAC-SHA256 of the raw body).
 * This is all `@octokit/webhooks-methods`' `verify` does; it is not installed,
 * and one node:crypto function is not worth a dependency. The comparison is
 * timing-safe, so the signature cannot be guessed byte by byte.
 */
export function verifyGitHubSignature(rawBody: Buffer, secret: string, signature: string | undefined): boolean {
  if (!secret || !signature) return false;
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`, 'utf8');
  const given = Buffer.from(signature.trim().toLowerCase(), 'utf8');
  // timingSafeEqual needs equal lengths; the length of a valid signature is no secret.
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** What of a payload is read: everything optional, checked where used. */
interface Repo {
  id?: number;
  full_name?: string;
}
interface PullHead {
  ref?: string;
  sha?: string;
  repo?: Repo | null;
}
interface Payload {
  action?: string;
  number?: number;
  repository?: Repo;
  pull_request?: { number?: number; merged?: boolean; head?: PullHead };
  review?: { commit_id?: string };
  check_run?: { head_sha?: string; pull_requests?: CheckPull[]; check_suite?: { head_branch?: string | null } };
  check_suite?: { head_sha?: string; head_branch?: string | null; pull_requests?: CheckPull[] };
  sha?: string;
  context?: string;
  branches?: { name?: string }[];
  ref?: string;
  after?: string;
  deleted?: boolean;
}
interface CheckPull {
  number?: number;
  head?: PullHead;
}

/** pull_request actions worth waking a workflow for; any other (assigned, milestoned, locked...) is ignored. */
const PULL_ACTIONS: Record<string, ForgeEventAction> = {
  opened: 'opened',
  reopened: 'reopened',
  synchronize: 'updated',
  edited: 'updated',
  labeled: 'updated',
  unlabeled: 'updated',
  ready_for_review: 'updated',
  converted_to_draft: 'updated',
};

const REVIEW_ACTIONS = new Set(['submitted', 'edited', 'dismissed']);

/** The commit status idp publishes on release PR heads (CommitStatus in providers/provider.ts). */
const OWN_STATUS = 'idp/policy';


/**
 * Verify and read one GitHub delivery. Returns null for deliveries that need no
 * reaction (ping, events and actions idp does not follow). Throws
 * WebhookRejected(401) when the signature is missing or wrong (before the body
 * is even parsed), WebhookRejected(400) when the body cannot be read.
 */
export function parseGitHubWebhook(headers: WebhookHeaders, rawBody: Buffer, secret: string, host: string): ForgeEvent | null {
  if (!verifyGitHubSignature(rawBody, secret, header(headers, 'x-hub-signature-256'))) {
    throw new WebhookRejected(401, 'Missing or wrong X-Hub-Signature-256: the webhook secret configured on GitHub must match the one idp was started with.');
  }
  const event = header(headers, 'x-github-event');
  if (!event) throw new WebhookRejected(400, 'No X-GitHub-Event header: not a GitHub webhook delivery.');
  const payload = readPayload(headers, rawBody);

  if (event === 'ping') return null;
  const interesting = ['pull_request', 'pull_request_review', 'check_run', 'check_suite', 'status', 'push'];
  if (!interesting.includes(event)) return null;

  const fullName = payload.repository?.full_name;
  if (typeof fullName !== 'string' || !fullName.includes('/')) throw new WebhookRejected(400, `The ${event} payload names no repository.`);
  const base = {
    deliveryId: header(headers, 'x-github-delivery') ?? '',
    forge: 'github' as const,
    repoId: `github:${host}/${fullName}`.toLowerCase(),
  };
  const repositoryId = payload.repository?.id;
  /** The head branch of a PR, unless it lives in a fork: a fork's `idp/...` branch is not idp's. */
  const ownBranch = (head: PullHead | undefined): string | undefined => {
    if (typeof head?.ref !== 'string') return undefined;
    const fork = head.repo === null || (head.repo?.id !== undefined && repositoryId !== undefined && head.repo.id !== repositoryId);
    return fork ? undefined : head.ref;
  };

  switch (event) {
    case 'pull_request': {
      const pr = payload.pull_request;
      const number = num(pr?.number ?? payload.number);
      if (!pr || number === undefined) throw new WebhookRejected(400, 'The pull_request payload has no pull request number.');
      const action = payload.action === 'closed' ? (pr.merged === true ? 'merged' : 'closed') : PULL_ACTIONS[payload.action ?? ''];
      if (!action) return null;
      return compact({ ...base, action, number, branch: ownBranch(pr.head), sha: str(pr.head?.sha) });
    }
    case 'pull_request_review': {
      if (!REVIEW_ACTIONS.has(payload.action ?? '')) return null;
      const pr = payload.pull_request;
      const number = num(pr?.number);
      if (!pr || number === undefined) throw new WebhookRejected(400, 'The pull_request_review payload has no pull request number.');
      return compact({ ...base, action: 'reviewed', number, branch: ownBranch(pr.head), sha: str(pr.head?.sha) ?? str(payload.review?.commit_id) });
    }
    case 'check_run':
    case 'check_suite': {
      const subject = event === 'check_run' ? payload.check_run : payload.check_suite;
      if (!subject) throw new WebhookRejected(400, `The ${event} payload has no ${event}.`);
      const sha = str(subject.head_sha);
      const pull = pickPull(subject.pull_requests, sha, ownBranch);
      const suiteBranch = event === 'check_run' ? payload.check_run?.check_suite?.head_branch : payload.check_suite?.head_branch;
      return compact({ ...base, action: 'checks', number: num(pull?.number), branch: pull ? ownBranch(pull.head) : str(suiteBranch), sha });
    }
    case 'status': {
      // idp's own verdict on the head (the release workflow sets it after evaluating): nothing new to read.
      if (payload.context === OWN_STATUS) return null;
      // No PR number in a commit status: the branches that contain the commit (up to 10), idp's own first.
      const names = (payload.branches ?? []).map((b) => b.name).filter((n): n is string => typeof n === 'string' && n.length > 0);
      const branch = names.find((n) => n.startsWith('idp/')) ?? (names.length === 1 ? names[0] : undefined);
      return compact({ ...base, action: 'checks', branch, sha: str(payload.sha) });
    }
    case 'push': {
      const ref = str(payload.ref);
      // Tags move no PR base.
      if (!ref?.startsWith('refs/heads/')) return null;
      const after = str(payload.after);
      return compact({ ...base, action: 'pushed', branch: ref.slice('refs/heads/'.length), sha: payload.deleted || !after || ZERO_SHA.test(after) ? undefined : after });
    }
  }
  return null;
}

/** The PR a check is about: the one whose head is the checked commit, idp's own branch first. */
function pickPull(pulls: CheckPull[] | undefined, sha: string | undefined, ownBranch: (h: PullHead | undefined) => string | undefined): CheckPull | undefined {
  const list = (pulls ?? []).filter((p) => typeof p.number === 'number');
  const matching = list.filter((p) => !sha || !p.head?.sha || p.head.sha === sha);
  return matching.find((p) => ownBranch(p.head)?.startsWith('idp/')) ?? matching[0] ?? list[0];
}

/** The JSON payload: the raw body, or its `payload` field when the hook sends application/x-www-form-urlencoded. */
function readPayload(headers: WebhookHeaders, rawBody: Buffer): Payload {
  let text = rawBody.toString('utf8');
  if ((header(headers, 'content-type') ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    const form = new URLSearchParams(text).get('payload');
    if (form === null) throw new WebhookRejected(400, 'The form-encoded delivery has no payload field.');
    text = form;
  }
  return jsonObject<Payload>(text);
}
