/**
 * The worker's activities. Each is idempotent: a retry after a crash at any
 * point finds what the earlier attempt wrote (the branch, the PR) instead of
 * writing it again. User-actionable refusals become non-retryable failures
 * whose type is the API error code.
 */
import { Context } from '@temporalio/activity';
import { branchForWorkflow, ConflictError, DEFAULT_RELEASE_FLOORS, NotFoundError, type ReleaseFloors, type SecretsConfig } from '@idp/core';
import type { EnvActivities, PreparedChange } from '@idp/workflows/activities';
import type { EnvChangeInput } from '@idp/workflows/shared';
import type { GitProvider, ProviderLookup } from '@idp/providers';
import type { PullRequest } from '@idp/core';
import { authorOf, toRef, withHeartbeat } from './common.js';
import { createReleaseActivities } from './releases.js';
import { applyEnvChange, deployTargetFor, expiresAtIn, externalSecretPath, overlaySecrets, parsePaws, sameEnvironment } from '@idp/core';
import { describeChange } from './env-change.js';
import { faultPoint } from './faults.js';

export type { ProviderLookup };

/** The workflow's edit applied to paws.yaml as it is at commit `baseSha`. */
function changeOn(text: string, baseSha: string, input: EnvChangeInput & { workflowId: string }) {
  const edit = applyEnvChange(text, input);
  const described = describeChange(input, input.workflowId, edit.expiresAt);
  return { baseSha, changes: [{ path: input.path, content: edit.text }], expiresAt: edit.expiresAt, ...described };
}

/**
 * A secret change of an environment released to a kustomize overlay in the same repository also rewrites the overlay's
 * ExternalSecret, so merging the secret PR is what moves the cluster to the new version. (An overlay in a deployment
 * repository of its own gets it with the next release: one PR cannot span two repositories.)
 */
async function withOverlaySecrets(p: GitProvider, next: ReturnType<typeof changeOn>, input: EnvChangeInput, secrets: SecretsConfig | undefined) {
  if (input.kind !== 'env-secrets') return next;
  const spec = parsePaws(next.changes[0]!.content!, input.path).spec;
  const target = deployTargetFor(spec, input.env, input.path);
  if (target.format !== 'kustomize' || target.repo !== undefined) return next;
  const kustomization = await p.readFile(target.file, next.baseSha);
  if (!kustomization) return next;
  const o = overlaySecrets({ spec, target, kustomization: kustomization.content, existing: (await p.readFile(externalSecretPath(target), next.baseSha))?.content ?? null, config: secrets });
  const changes: { path: string; content: string | null }[] = [...next.changes];
  if (o.kustomization !== kustomization.content) changes.push({ path: target.file, content: o.kustomization });
  if (o.file) changes.push(o.file);
  return { ...next, changes };
}

/** The workflow's edit applied to paws.yaml as it is now on the base branch. */
async function changeOnBase(p: GitProvider, input: EnvChangeInput & { workflowId: string }) {
  const snap = await p.snapshot(input.path);
  if (!snap.file) throw new NotFoundError(`No ${input.path} on ${snap.defaultBranch} in ${input.repo}.`);
  return { base: snap.defaultBranch, ...changeOn(snap.file.content, snap.file.commitSha, input) };
}

/**
 * `releaseFloors`: the platform's approval floors (IDP_RELEASE_FLOORS; default DEFAULT_RELEASE_FLOORS).
 * `secrets`: the platform's secret stores (the ExternalSecret a kustomize release writes then names each one's SecretStore).
 */
export function createActivities(providers: ProviderLookup, opts: { releaseFloors?: ReleaseFloors; secrets?: SecretsConfig } = {}): EnvActivities {
  return {
    ...createReleaseActivities(providers, opts.releaseFloors ?? DEFAULT_RELEASE_FLOORS, opts.secrets),
    prepareEnvChange: (input) =>
      withHeartbeat(async (): Promise<PreparedChange> => {
        const p = providers(input.repo);
        const branch = branchForWorkflow(input.workflowId);

        // The common case in two forge calls: the API just read the base, so commit onto it directly.
        // commitToNewBranch is idempotent and refuses to overwrite, so a wrong guess costs nothing.
        const hint = input.hint;
        if (hint && Context.current().info.attempt === 1 && Date.now() - Date.parse(hint.at) < 60_000) {
          const next = await withOverlaySecrets(p, changeOn(hint.text, hint.baseSha, input), input, opts.secrets);
          try {
            const { sha } = await p.commitToNewBranch({ branch, baseSha: hint.baseSha, message: next.message, changes: next.changes, author: authorOf(input.requestedBy) });
            faultPoint('after-push');
            return { branch, base: hint.base, baseSha: hint.baseSha, headSha: sha, title: next.title, body: next.body, expiresAt: next.expiresAt };
          } catch (err) {
            if (!(err instanceof ConflictError)) throw err;
            // The branch exists already (an earlier run): the full path below sorts it out.
          }
        }

        const snap = await p.snapshot(input.path, branch);
        const base = snap.defaultBranch;
        const baseHead = snap.baseSha;
        if (!snap.file) throw new NotFoundError(`No ${input.path} on ${base} in ${input.repo}.`);
        const next = await withOverlaySecrets(p, changeOn(snap.file.content, snap.file.commitSha, input), input, opts.secrets);

        const existing = snap.branchSha;
        if (existing) {
          const pr = await p.findPullRequestByBranch(branch);
          const stale = pr !== null && pr.state !== 'open' && pr.headSha === existing;
          if (!stale) {
            // An earlier attempt pushed the branch (a crash before the PR was recorded), or an earlier
            // run that ended without closing its PR did. Reuse it when it proposes exactly this change;
            // otherwise rewrite it to this request (compare-and-swap: never over someone else's push).
            const file = await p.readFile(input.path, existing);
            if (file && sameEnvironment(file.content, next.changes[0]!.content ?? "", input.path, input.env)) {
              const expiresAt = expiresAtIn(file.content, input.path, input.env);
              return { branch, base, baseSha: pr?.baseSha ?? baseHead, headSha: existing, ...describeChange(input, input.workflowId, expiresAt), expiresAt };
            }
            const { sha } = await p.updateBranch({ branch, expectedSha: existing, baseSha: next.baseSha, message: next.message, changes: next.changes, author: authorOf(input.requestedBy) });
            return { branch, base, baseSha: next.baseSha, headSha: sha, title: next.title, body: next.body, expiresAt: next.expiresAt };
          }
          // Left over from an earlier run whose PR was closed or merged: start afresh.
          await p.deleteBranch(branch);
        }

        const { sha } = await p.commitToNewBranch({ branch, baseSha: next.baseSha, message: next.message, changes: next.changes, author: authorOf(input.requestedBy) });
        faultPoint('after-push');
        return { branch, base, baseSha: next.baseSha, headSha: sha, title: next.title, body: next.body, expiresAt: next.expiresAt };
      }),

    openPullRequest: ({ repo, change, author, labels }) =>
      withHeartbeat(async () => {
        const p = providers(repo);
        let pr: PullRequest;
        try {
          pr = await p.openPullRequest({ head: change.branch, base: change.base, title: change.title, body: change.body, author, labels });
        } catch (err) {
          // Opened already: by an earlier attempt (a crash after opening) or a stalled one presumed dead.
          // Opening first and looking only on conflict keeps the common case at one call.
          const existing = err instanceof ConflictError ? await p.findPullRequestByBranch(change.branch, 'open') : null;
          if (existing) return toRef(existing);
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
        const onBase = await changeOnBase(p, input);
        const next = { ...onBase, ...(await withOverlaySecrets(p, onBase, input, opts.secrets)) };
        const base = next.base;
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
        const { file } = await p.snapshot(path);
        return (file && expiresAtIn(file.content, path, env)) ?? null;
      }),

    deleteBranch: ({ repo, branch }) => withHeartbeat(() => providers(repo).deleteBranch(branch)),
  };
}
