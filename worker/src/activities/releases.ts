/**
 * Release activities: write the version into the deployment target, evaluate
 * the approval policy on the PR's current head, merge with the expected head,
 * close. Each is idempotent (a retry finds what an earlier attempt wrote).
 */
import { ApplicationFailure } from '@temporalio/activity';
import { createTwoFilesPatch } from 'diff';
import { posix } from 'node:path';
import {
  addKustomizeResource,
  branchForWorkflow,
  ConflictError,
  deployedImage,
  describePolicy,
  effectiveSecrets,
  EXTERNAL_SECRET_FILE,
  NotFoundError,
  parsePaws,
  releasePlan,
  renderExternalSecrets,
  setDeployedImage,
  type ReleaseFloors,
} from '@idp/core';
import type { EnvActivities, PreparedRelease, ReleaseEvaluation } from '@idp/workflows/activities';
import { POLICY_STATUS_CONTEXT, type ReleaseInput, type ResolvedPolicy } from '@idp/workflows/release-shared';
import { assertDeployAccess, releaseVerdict, type ProviderLookup } from '@idp/providers';
import { withHeartbeat, toRef, authorOf } from './common.js';
import { faultPoint } from './faults.js';

type ReleaseActivities = Pick<EnvActivities, 'prepareRelease' | 'evaluateRelease' | 'mergeRelease' | 'closeRelease' | 'setPolicyStatus'>;

export function createReleaseActivities(providers: ProviderLookup, floors: ReleaseFloors): ReleaseActivities {
  return {
    prepareRelease: (input) =>
      withHeartbeat(async (): Promise<PreparedRelease> => {
        const branch = branchForWorkflow(input.workflowId);
        const service = providers(input.repo);
        const own = await service.snapshot(input.path, branch);
        if (!own.file) throw new NotFoundError(`No ${input.path} on ${own.defaultBranch} in ${input.repo}.`);
        // The policy and the target come from paws.yaml on the default branch (`own.file`), never from the release branch.
        const { spec } = parsePaws(own.file.content, input.path);
        const { target, policy } = releasePlan(spec, input, floors);
        const repo = target.repo ?? input.repo;
        const p = target.repo ? providers(target.repo) : service;
        // Before reading or writing anything there: the deployment repository (still) opts in to this component and file.
        await assertDeployAccess(providers, service, input.repo, target);
        const snap = target.repo || target.file !== input.path ? await p.snapshot(target.file, branch) : own;
        if (!snap.file) {
          throw new NotFoundError(`No ${target.file} on ${snap.defaultBranch} in ${repo}: add the ${target.format} file for ${input.env} there first (deploy: in ${input.path}).`);
        }
        const previousImage = deployedImage(target, snap.file.content, spec) ?? undefined;
        let content = setDeployedImage(target, snap.file.content, input.image, spec);
        if (content === snap.file.content) {
          throw ApplicationFailure.nonRetryable(`${input.env} already runs ${input.image}; there is nothing to release.`, 'conflict');
        }
        const changes = [{ path: target.file, content }];
        // A kustomize overlay gets the environment's secrets as an ExternalSecret beside it (references, never values).
        if (target.format === 'kustomize') {
          const secrets = renderExternalSecrets(spec.metadata.name, input.env, effectiveSecrets(spec, input.env));
          if (secrets !== null) {
            const file = posix.join(posix.dirname(target.file), EXTERNAL_SECRET_FILE);
            content = addKustomizeResource(content, target.file, EXTERNAL_SECRET_FILE);
            changes.splice(0, 1, { path: target.file, content }, { path: file, content: secrets });
          }
        }
        const text = describeRelease(input, input.workflowId, { repo, file: target.file, before: snap.file.content, after: content, previousImage, policy });
        const author = authorOf(input.requestedBy);
        const base = snap.defaultBranch;
        const done = (headSha: string, baseSha: string): PreparedRelease => ({ branch, base, baseSha, headSha, ...text, repo, policy, ...(previousImage ? { previousImage } : {}) });

        if (input.expectedSha && snap.branchSha !== input.expectedSha) {
          throw new ConflictError(`the branch ${branch} has commits idp did not write; update it yourself, or close the PR and request the release again.`);
        }
        if (snap.branchSha) {
          // An earlier attempt pushed the branch (a crash before the PR was opened): reuse it when it
          // proposes exactly this content, else rewrite it (compare-and-swap, never over a human's push).
          const pr = await p.findPullRequestByBranch(branch);
          if (pr && pr.state !== 'open') {
            await p.deleteBranch(branch);
          } else {
            const onBranch = await Promise.all(changes.map((c) => p.readFile(c.path, snap.branchSha!)));
            if (onBranch.every((file, i) => file?.content === changes[i]!.content)) return done(snap.branchSha, pr?.baseSha ?? snap.file.commitSha);
            const { sha } = await p.updateBranch({ branch, expectedSha: snap.branchSha, baseSha: snap.file.commitSha, message: text.message, changes, author });
            return done(sha, snap.file.commitSha);
          }
        }
        const { sha } = await p.commitToNewBranch({ branch, baseSha: snap.file.commitSha, message: text.message, changes, author });
        faultPoint('after-push');
        return done(sha, snap.file.commitSha);
      }),

    evaluateRelease: ({ repo, number, policy, author, authorLogin, authorAliases }) =>
      withHeartbeat(async (): Promise<ReleaseEvaluation> => {
        const p = providers(repo);
        const pull = await p.getPullRequest(number);
        const v = await releaseVerdict(p, pull, policy, { by: author, login: authorLogin, aliases: authorAliases });
        return { pr: toRef(pull), satisfied: v.satisfied, approvedBy: v.approvedBy, changesRequestedBy: v.changesRequestedBy, waitingFor: v.waitingFor };
      }),

    mergeRelease: ({ repo, number, expectedHeadSha, message }) =>
      withHeartbeat(async () => {
        const p = providers(repo);
        const pr = await p.merge(number, { by: 'idp', expectedHeadSha, message });
        faultPoint('after-merge');
        if (pr.state !== 'merged') throw new ConflictError(`PR #${number} was not merged (it is ${pr.state}).`);
        return { ...toRef(pr), ...(pr.mergedAt ? { mergedAt: pr.mergedAt } : {}) };
      }),

    closeRelease: ({ repo, number, comment }) =>
      withHeartbeat(async () => {
        const p = providers(repo);
        const pr = await p.getPullRequest(number);
        if (pr.state !== 'open') return;
        if (!pr.comments.some((c) => c.body === comment)) await p.comment(number, comment, 'idp');
        await p.close(number, 'idp');
      }),

    setPolicyStatus: ({ repo, sha, state, description, targetUrl }) =>
      withHeartbeat(() => providers(repo).setCommitStatus(sha, { context: POLICY_STATUS_CONTEXT, state, description, ...(targetUrl ? { targetUrl } : {}) })),
  };
}

function describeRelease(
  input: ReleaseInput,
  workflowId: string,
  d: { repo: string; file: string; before: string; after: string; previousImage?: string; policy: ResolvedPolicy },
): { title: string; body: string; message: string } {
  const title = `Release v${input.number} of ${input.component} to ${input.env}: ${input.image}`;
  const why =
    input.kind === 'promote'
      ? `Promotes what \`${input.from}\` runs now.`
      : input.kind === 'rollback'
        ? `Rolls back to v${input.rollbackTo} (rollback policy).`
        : '';
  const patch = createTwoFilesPatch(d.file, d.file, d.before, d.after, undefined, undefined, { context: 3 })
    .split('\n')
    .slice(2)
    .join('\n')
    .trimEnd();
  const lines = [
    `**${input.env}**: \`${d.previousImage ?? '(none)'}\` → \`${input.image}\`${why ? ` — ${why}` : ''}`,
    '',
    `Writes \`${d.file}\` in ${d.repo}:`,
    '',
    '```diff',
    patch,
    '```',
    '',
    '**Release policy**',
    '',
    ...describePolicy(d.policy),
    '',
    `Requested by ${input.requestedBy} at ${input.requestedAt}. ${d.policy.autoMerge ? 'idp merges this PR as soon as the policy holds' : 'Merge it with `idp pr merge` once the policy holds'}; close it to cancel the release.`,
    '',
    `<!-- idp workflow: ${workflowId} -->`,
  ];
  return { title, body: lines.join('\n'), message: `${title}\n\nidp workflow: ${workflowId}\nRequested-by: ${input.requestedBy}\nIdp-Release: ${input.env}/v${input.number}` };
}
