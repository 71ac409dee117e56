/**
 * GET /activity: what idp did for a component — its workflows (running and recently closed) from Temporal's
 * visibility, and idp's PRs of the component that none of them follows — in one answer.
 */
import type { Client } from '@temporalio/client';
import { parsePaws, parseWorkflowId, workflowForBranch, type ActivityList, type ActivityPull, type ActivityWorkflow } from '@idp/core';
import { repoKey, type GitProvider } from '@idp/providers';
import { baseStatus, quote } from './workflows.js';

/**
 * The workflows a person's request starts. The release queue (the ledger, `idp releases`) and the TTL timer run for
 * as long as the environment lives and are no event of their own; what they start (a release, a TTL destroy) is listed.
 */
const CHANGES = ['env-clone', 'env-create', 'env-destroy', 'env-extend', 'env-vars', 'env-secrets', 'release'];

/** A run in the Temporal Web UI (its history page). */
export function temporalRunUrl(webUrl: string, namespace: string, workflowId: string, runId: string): string {
  return `${webUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}/history`;
}

type Memo = { request?: { requestedBy?: string }; state?: { request?: { requestedBy?: string }; release?: { requestedBy?: string } } } | undefined;

export async function listActivity(args: {
  temporal: Client;
  provider: GitProvider;
  text: string;
  ref: { repo: string; path: string };
  limit: number;
  namespace: string;
  temporalWebUrl?: string;
}): Promise<ActivityList> {
  const component = parsePaws(args.text, args.ref.path).spec.metadata.name;
  // Search attributes every idp workflow starts with (no scan). SQL visibility (the dev server) cannot ORDER BY: it
  // answers running runs first, then closed ones by close time, newest first — the window we want; sorted below.
  const query = `IdpRepo = ${quote(args.provider.id)} AND IdpComponent = ${quote(component)} AND IdpKind IN (${CHANGES.map(quote).join(', ')}) AND ExecutionStatus != 'ContinuedAsNew'`;
  const workflows: ActivityWorkflow[] = [];
  const [, { pulls }] = await Promise.all([
    (async () => {
      for await (const wf of args.temporal.workflow.list({ query, pageSize: args.limit })) {
        const status = baseStatus(wf.workflowId, wf);
        const memo = wf.memo as Memo;
        const requestedBy = memo?.request?.requestedBy ?? memo?.state?.request?.requestedBy ?? memo?.state?.release?.requestedBy;
        // Terminated, timed out or cancelled by hand: the memo still names the phase it was in, which is no longer true.
        const ended = status.status !== 'running' && status.status !== 'completed' && !['merged', 'closed', 'failed'].includes(status.phase);
        workflows.push({
          ...status,
          ...(ended ? { phase: 'failed' as const } : {}),
          runId: wf.runId,
          ...(requestedBy ? { requestedBy } : {}),
          ...(args.temporalWebUrl ? { temporalUrl: temporalRunUrl(args.temporalWebUrl, args.namespace, wf.workflowId, wf.runId) } : {}),
        });
        if (workflows.length >= args.limit) break;
      }
    })(),
    args.provider.listPullRequests({ state: 'all', headPrefix: 'idp/', limit: args.limit }),
  ]);
  workflows.sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? ''));

  // A PR is tied to a listed workflow when that workflow recorded it (a reused workflow id has had other PRs).
  const followed = new Set(workflows.flatMap((w) => (w.pr ? [w.pr.url] : [])));
  const key = repoKey(args.provider);
  const orphans: ActivityPull[] = [];
  for (const pr of pulls) {
    const workflowId = workflowForBranch(pr.head, key);
    const parsed = workflowId ? parseWorkflowId(workflowId) : null;
    if (!parsed || parsed.component !== component || followed.has(pr.url)) continue;
    orphans.push({
      number: pr.number, url: pr.url, state: pr.state, head: pr.head, headSha: pr.headSha,
      title: pr.title, author: pr.author, createdAt: pr.createdAt, updatedAt: pr.updatedAt,
      workflowId: workflowId!, kind: parsed.kind, environment: parsed.env,
    });
  }
  orphans.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return { component, repo: args.ref.repo, workflows, pulls: orphans };
}
