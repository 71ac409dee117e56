/**
 * Release activities: write the version into the deployment target, evaluate
 * the approval policy on the PR's current head, merge with the expected head,
 * close. Each is idempotent (a retry finds what an earlier attempt wrote).
 */
import { ApplicationFailure } from '@temporalio/activity';
import { createTwoFilesPatch } from 'diff';
import {
  branchForWorkflow,
  ConflictError,
  deployedImage,
  DEPLOY_ACCESS_FILE,
  describePolicy,
  effectiveSecrets,
  externalSecretPath,
  isIdpError,
  NotFoundError,
  overlaySecrets,
  parsePaws,
  releasePlan,
  setDeployedImage,
  type ReleaseFloors,
  type SecretsConfig,
} from '@idp/core';
import type { EnvActivities, PreparedRelease, ReleaseEvaluation } from '@idp/workflows/activities';
import { POLICY_STATUS_CONTEXT, type ReleaseInput, type ResolvedPolicy } from '@idp/workflows/release-shared';
import { assertDeployAccess, releaseVerdict, type FileChange, type ProviderLookup } from '@idp/providers';
import { withHeartbeat, toRef, authorOf } from './common.js';
import { faultPoint } from './faults.js';

type ReleaseActivities = Pick<EnvActivities, 'prepareRelease' | 'evaluateRelease' | 'mergeRelease' | 'closeRelease' | 'setPolicyStatus'>;

/**
 * A release to a kustomize overlay also writes the environment's ExternalSecret beside it (core's overlaySecrets), so
 * the cluster fetches the pinned versions itself; `secrets` (the platform's secret stores) names each store's
 * SecretStore (without it: one ClusterSecretStore per store kind).
 */
export function createReleaseActivities(providers: ProviderLookup, floors: ReleaseFloors, secrets?: SecretsConfig): ReleaseActivities {
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
        const content = setDeployedImage(target, snap.file.content, input.image, spec);
        if (content === snap.file.content) {
          throw ApplicationFailure.nonRetryable(`${input.env} already runs ${input.image}; there is nothing to release.`, 'conflict');
        }
        const changes: FileChange[] = [{ path: target.file, content }];
        let secretFile: SecretFileText | undefined;
        if (target.format === 'kustomize') {
          // The ExternalSecret as paws.yaml pins the secrets now (default branch), beside the overlay, if the
          // deployment repository's grant covers that file too (it is written next to the one it granted).
          const path = externalSecretPath(target);
          const granted = await assertDeployAccess(providers, service, input.repo, { ...target, file: path }).then(
            () => true,
            (e: unknown) => (isIdpError(e) && e.code === 'forbidden' ? false : Promise.reject(e)),
          );
          const before = (await p.readFile(path, snap.file.commitSha))?.content ?? null;
          if (granted) {
            const o = overlaySecrets({ spec, target, kustomization: content, existing: before, config: secrets });
            changes[0] = { path: target.file, content: o.kustomization };
            if (o.file) changes.push(o.file);
            secretFile = { path, before, after: o.file ? o.file.content : before, keys: o.keys, skipped: o.skipped };
          } else {
            const why = `${repo} does not let this component write ${path} (${DEPLOY_ACCESS_FILE})`;
            secretFile = { path, before, after: before, keys: [], skipped: effectiveSecrets(spec, input.env).map((s) => ({ key: s.key, why })) };
          }
        }
        const text = describeRelease(input, input.workflowId, { repo, file: target.file, before: snap.file.content, after: changes[0]!.content!, previousImage, policy, secretFile });
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
            if (changes.every((c, i) => (onBranch[i]?.content ?? null) === c.content)) return done(snap.branchSha, pr?.baseSha ?? snap.file.commitSha);
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

/** The ExternalSecret a release writes beside a kustomize overlay (null: no such file). */
interface SecretFileText {
  path: string;
  before: string | null;
  after: string | null;
  keys: string[];
  skipped: { key: string; why: string }[];
}

function unifiedDiff(file: string, before: string, after: string): string {
  return createTwoFilesPatch(file, file, before, after, undefined, undefined, { context: 3 }).split('\n').slice(2).join('\n').trimEnd();
}

/** What the PR says about the ExternalSecret: which keys it fetches (references and versions only), and its diff. */
function describeSecretFile(f: SecretFileText | undefined): string[] {
  if (!f) return [];
  const list = (keys: string[]) => keys.map((k) => `\`${k}\``).join(', ');
  const skipped = f.skipped.length ? ['', `Not fetched by an ExternalSecret: ${f.skipped.map((s) => `\`${s.key}\` (${s.why})`).join('; ')}.`] : [];
  if (f.before !== f.after) {
    const what =
      f.after === null
        ? `Removes \`${f.path}\`: no secret of this environment is left for External Secrets Operator to fetch.`
        : `Writes \`${f.path}\`, the ExternalSecret that fetches ${list(f.keys)} from their stores (references and versions; no value is in this PR):`;
    return ['', what, '', '```diff', unifiedDiff(f.path, f.before ?? '', f.after ?? ''), '```', ...skipped];
  }
  return [...(f.keys.length ? ['', `\`${f.path}\` (the ExternalSecret) already fetches ${list(f.keys)}.`] : []), ...skipped];
}

function describeRelease(
  input: ReleaseInput,
  workflowId: string,
  d: { repo: string; file: string; before: string; after: string; previousImage?: string; policy: ResolvedPolicy; secretFile?: SecretFileText | undefined },
): { title: string; body: string; message: string } {
  const title = `Release v${input.number} of ${input.component} to ${input.env}: ${input.image}`;
  const why =
    input.kind === 'promote'
      ? `Promotes what \`${input.from}\` runs now.`
      : input.kind === 'rollback'
        ? `Rolls back to v${input.rollbackTo} (rollback policy).`
        : '';
  const patch = unifiedDiff(d.file, d.before, d.after);
  const lines = [
    `**${input.env}**: \`${d.previousImage ?? '(none)'}\` → \`${input.image}\`${why ? ` — ${why}` : ''}`,
    '',
    `Writes \`${d.file}\` in ${d.repo}:`,
    '',
    '```diff',
    patch,
    '```',
    ...describeSecretFile(d.secretFile),
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
