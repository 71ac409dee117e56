/**
 * The worker's activities. Each is idempotent: a retry after a crash at any
 * point finds what the earlier attempt wrote (the branch, the PR) instead of
 * writing it again. User-actionable refusals become non-retryable failures
 * whose type is the API error code.
 */
import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import { branchForWorkflow, ConflictError, isIdpError, NotFoundError } from '@idp/core';
import type { EnvActivities, PreparedChange } from '@idp/workflows/activities';
import type { EnvChangeInput, PrRef } from '@idp/workflows/shared';
import type { GitProvider } from '../providers/provider.js';
import type { PullRequest } from '@idp/core';
import { applyEnvChange, describeChange, expiresAtIn, sameEnvironment } from './env-change.js';
import { faultPoint } from './faults.js';

export type ProviderLookup = (repo: string) => GitProvider;

const toRef = (pr: PullRequest): PrRef => ({ number: pr.number, url: pr.url, head: pr.head, headSha: pr.headSha, state: pr.state });

/** Heartbeat while the activity runs, so a killed worker is noticed in seconds, not at the start-to-close timeout. */
async function withHeartbeat<T>(fn: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => heartbeat(), 1000);
  try {
    return await fn();
  } catch (err) {
    if (isIdpError(err) && err.code !== 'provider_error' && err.code !== 'internal') {
      throw ApplicationFailure.nonRetryable(err.message, err.code, err.details);
    }
    throw err;
  } finally {
    clearInterval(timer);
  }
}

function authorOf(user: string) {
  return { name: user, email: user.includes('@') ? user : `${user}@users.noreply.idp` };
}

/** The workflow's edit applied to paws.yaml as it is now on the base branch. */
async function changeOnBase(p: GitProvider, input: EnvChangeInput & { workflowId: string }, base: string) {
  const file = await p.readFile(input.path, base);
  if (!file) throw new NotFoundError(`No ${input.path} on ${base} in ${input.repo}.`);
  const edit = applyEnvChange(file.content, input);
  const text = describeChange(input, input.workflowId, edit.expiresAt);
  return { baseSha: file.commitSha, changes: [{ path: input.path, content: edit.text }], expiresAt: edit.expiresAt, ...text };
}

export function createActivities(providers: ProviderLookup): EnvActivities {
  return {
    prepareEnvChange: (input) =>
      withHeartbeat(async (): Promise<PreparedChange> => {
        const p = providers(input.repo);
        const branch = branchForWorkflow(input.workflowId);
        const base = await p.defaultBranch();
        const baseHead = await p.branchSha(base);
        if (!baseHead) throw new NotFoundError(`The default branch ${base} of ${input.repo} has no commits.`);

        const existing = await p.branchSha(branch);
        if (existing) {
          const pr = await p.findPullRequestByBranch(branch);
          const stale = pr !== null && pr.state !== 'open' && pr.headSha === existing;
          if (!stale) {
            // An earlier attempt pushed the branch (a crash before the PR was recorded), or an earlier
            // run that ended without closing its PR did. Reuse it when it proposes exactly this change;
            // otherwise rewrite it to this request (compare-and-swap: never over someone else's push).
            const next = await changeOnBase(p, input, base);
            const file = await p.readFile(input.path, existing);
            if (file && sameEnvironment(file.content, next.changes[0]!.content, input.path, input.env)) {
              const expiresAt = expiresAtIn(file.content, input.path, input.env);
              return { branch, base, baseSha: pr?.baseSha ?? baseHead, headSha: existing, ...describeChange(input, input.workflowId, expiresAt), expiresAt };
            }
            const { sha } = await p.updateBranch({ branch, expectedSha: existing, baseSha: next.baseSha, message: next.message, changes: next.changes, author: authorOf(input.requestedBy) });
            return { branch, base, baseSha: next.baseSha, headSha: sha, title: next.title, body: next.body, expiresAt: next.expiresAt };
          }
          // Left over from an earlier run whose PR was closed or merged: start afresh.
          await p.deleteBranch(branch);
        }

        const next = await changeOnBase(p, input, base);
        const { sha } = await p.commitToNewBranch({ branch, baseSha: next.baseSha, message: next.message, changes: next.changes, author: authorOf(input.requestedBy) });
        faultPoint('after-push');
        return { branch, base, baseSha: next.baseSha, headSha: sha, title: next.title, body: next.body, expiresAt: next.expiresAt };
      }),

    openPullRequest: ({ repo, change, author, labels }) =>
      withHeartbeat(async () => {
        const p = providers(repo);
        const found = await p.findPullRequestByBranch(change.branch, 'open');
        if (found) return toRef(found);
        let pr: PullRequest;
        try {
          pr = await p.openPullRequest({ head: change.branch, base: change.base, title: change.title, body: change.body, author, labels });
        } catch (err) {
          // An earlier attempt that was presumed dead (a stalled worker) opened it in the meantime.
          const raced = err instanceof ConflictError ? await p.findPullRequestByBranch(change.branch, 'open') : null;
          if (raced) return toRef(raced);
          throw err;
        }
        faultPoint('after-open');
        return toRef(pr);
      }),

    getPullRequest: ({ repo, number }) =>
      withHeartbeat(async () => {
        const p = providers(repo);
        const full = await p.getPullRequest(number);
        const pr = toRef(full);
        if (pr.state !== 'open') return pr;
        const [mergeable, baseTip] = await Promise.all([p.mergeable(number), p.branchSha(full.base)]);
        return { ...pr, mergeable, behind: baseTip !== null && baseTip !== full.baseSha, ...(baseTip ? { baseTip } : {}) };
      }),

    refreshEnvChange: (input) =>
      withHeartbeat(async () => {
        const p = providers(input.repo);
        const branch = branchForWorkflow(input.workflowId);
        const base = await p.defaultBranch();
        const next = await changeOnBase(p, input, base);
        const { sha } = await p.updateBranch({ branch, expectedSha: input.expectedSha, baseSha: next.baseSha, message: next.message, changes: next.changes, author: authorOf(input.requestedBy) });
        return { branch, base, baseSha: next.baseSha, headSha: sha, title: next.title, body: next.body, expiresAt: next.expiresAt };
      }),

    commentOnPullRequest: ({ repo, number, body, marker }) =>
      withHeartbeat(async () => {
        const p = providers(repo);
        const tag = `<!-- idp:${marker} -->`;
        if ((await p.getPullRequest(number)).comments.some((c) => c.body.includes(tag))) return;
        await p.comment(number, `${body}\n\n${tag}`, 'idp');
      }),

    closePullRequestForBranch: ({ repo, branch, comment }) =>
      withHeartbeat(async () => {
        const p = providers(repo);
        const pr = await p.findPullRequestByBranch(branch, 'open');
        if (!pr) return null;
        await p.comment(pr.number, comment, 'idp');
        await p.close(pr.number, 'idp');
        return pr.number;
      }),

    expiryOnBase: ({ repo, path, env }) =>
      withHeartbeat(async () => {
        const p = providers(repo);
        const file = await p.readFile(path, await p.defaultBranch());
        return (file && expiresAtIn(file.content, path, env)) ?? null;
      }),

    deleteBranch: ({ repo, branch }) => withHeartbeat(() => providers(repo).deleteBranch(branch)),
  };
}
