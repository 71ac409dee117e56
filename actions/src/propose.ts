/**
 * What every proposing action does (env:*, release:*): resolve the component, send the request as the acting user,
 * and answer once the workflow's PR exists. The request runs inside a checkpoint: a retried or recovered step whose
 * first run got its PR returns that run's outputs without asking again; one whose first run failed sends the same
 * request again with the same Idempotency-Key (task + step), which joins the same workflow — never a second PR.
 */
import type { ChangePlan, WorkflowStatus } from '@idp/core';
import type { PlatformClient } from '@idp/core/client';
import type { z } from 'zod/v3';
import { resolveComponent, type ComponentInput, type ResolvedComponent } from './component.js';
import type { RunContext } from './definition.js';
import { platformClient } from './platform.js';

/** DNS-1123 labels, as the API checks them: the Scaffolder's validation says so before the step runs. */
export const ENV_NAME = '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$';
/** A TTL as idp reads them: 30m, 72h, 7d, 1h30m. */
export const TTL = '^([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?$';

export const componentInput = (zod: typeof z) => ({
  component: zod.string().optional().describe('The component, as a catalog entity ref (e.g. component:default/checkout): what a template\'s EntityPicker gives'),
  repo: zod.string().optional().describe('Instead of component: the repository (git remote, or a path for the local forge)'),
  path: zod.string().optional().describe('paws.yaml path in the repository (default: the idp/paws-path annotation, else paws.yaml in the source-location folder)'),
});
export const envName = (zod: typeof z, what: string) => zod.string().regex(new RegExp(ENV_NAME), `${what} must be a DNS-1123 label (lowercase letters, digits, '-')`).describe(what);

export const proposedOutput = (zod: typeof z) => ({
  prUrl: zod.string().optional().describe('The PR the workflow opened (absent in a dry run, or while a release waits behind another)'),
  prNumber: zod.number().int().optional(),
  workflowId: zod.string().describe('The workflow that follows the PR (in a dry run: the one it would start or join)'),
  joined: zod.boolean().optional().describe('True when the request joined a workflow already running for the same change'),
  component: zod.string().describe('paws.yaml\'s metadata.name'),
  environment: zod.string(),
  dryRun: zod.boolean().optional(),
  diff: zod.string().optional().describe('Dry run: the PR\'s diff as it would be opened now'),
});

export interface Proposed {
  prUrl?: string;
  prNumber?: number;
  workflowId: string;
  joined?: boolean;
  component: string;
  environment: string;
  dryRun?: boolean;
  diff?: string;
  /** Releases: v<n>, the image, and what the environment ran. */
  version?: string;
  image?: string;
  previousImage?: string;
}

const TERMINAL_PHASES = new Set(['merged', 'closed', 'failed']);

function describe(status: WorkflowStatus | ChangePlan): Proposed {
  if ('dryRun' in status) {
    return {
      workflowId: status.workflowId,
      component: status.component,
      environment: status.environment,
      dryRun: true,
      diff: status.files.map((f) => f.patch).join('\n'),
      ...(status.release ? { image: status.release.image, ...(status.release.previousImage ? { previousImage: status.release.previousImage } : {}) } : {}),
    };
  }
  const r = status.release;
  return {
    workflowId: status.workflowId,
    component: status.component,
    environment: status.environment,
    ...(status.pr ? { prUrl: status.pr.url, prNumber: status.pr.number } : {}),
    ...(status.joined !== undefined ? { joined: status.joined } : {}),
    ...(r ? { version: `v${r.number}`, image: r.image, ...(r.previousImage ? { previousImage: r.previousImage } : {}) } : {}),
  };
}

/** Waits for the workflow's PR, at most prWaitSeconds; a release queued behind another answers without one. */
async function untilPr(ctx: RunContext, client: PlatformClient, first: WorkflowStatus, resend: () => Promise<WorkflowStatus>): Promise<WorkflowStatus> {
  const deadline = Date.now() + ctx.deps.prWaitSeconds * 1000;
  let status = first;
  while (!status.pr && Date.now() < deadline && !ctx.signal?.aborted) {
    if (status.status !== 'running' || TERMINAL_PHASES.has(status.phase)) break;
    if (status.kind === 'releases') {
      // Recorded in the environment's queue, not numbered yet (no worker took it): the same request again numbers it.
      status = await resend();
      continue;
    }
    if (status.kind === 'release' && status.phase === 'queued') {
      ctx.log(`${status.release ? `v${status.release.number}` : 'The release'} waits behind a release to ${status.environment} in progress; its PR opens when that one ends.`);
      return status;
    }
    const wait = Math.max(1, Math.min(20, Math.ceil((deadline - Date.now()) / 1000)));
    status = { ...(await client.workflow(status.workflowId, wait, status.phase)), ...(status.joined !== undefined ? { joined: status.joined } : {}) };
  }
  if (status.pr) return status;
  if (status.error || status.status !== 'running' || status.phase === 'failed') {
    throw new Error(`Workflow ${status.workflowId} ended without a PR (${status.status}, ${status.phase})${status.error ? `: ${status.error.message}` : ''}.`);
  }
  throw new Error(
    `Workflow ${status.workflowId} has opened no PR after ${ctx.deps.prWaitSeconds} s (is idp's worker running?). It keeps going: retry this task (or run it again) — it joins the same workflow, no second PR.`,
  );
}

/**
 * Resolves the component, sends `request` as the acting user (dryRun: the plan, nothing written), and returns the
 * outputs once the PR exists.
 */
export async function propose(
  ctx: RunContext,
  input: ComponentInput,
  what: string,
  request: (client: PlatformClient, where: ResolvedComponent, dryRun: boolean) => Promise<WorkflowStatus | ChangePlan>,
): Promise<Proposed> {
  const where = await resolveComponent(ctx.deps.catalog, ctx.credentials, input);
  ctx.log(`${what}: ${where.entityRef ? `${where.entityRef} (` : ''}${where.repo}, ${where.path}${where.entityRef ? ')' : ''}`);
  const client = await platformClient(ctx.deps, ctx.credentials, ctx.idempotencyKey);
  if (ctx.dryRun) {
    const plan = describe(await request(client, where, true));
    ctx.log(`Dry run: nothing was written. Workflow ${plan.workflowId} would propose:\n${plan.diff}`);
    return plan;
  }
  const outputs = await ctx.checkpoint('proposed', async () => {
    const send = async () => {
      const r = await request(client, where, false);
      if ('dryRun' in r) throw new Error('The Platform API answered a real request with a plan.');
      return r;
    };
    const first = await send();
    ctx.log(`${first.joined ? 'Joined' : 'Started'} workflow ${first.workflowId}.`);
    return describe(await untilPr(ctx, client, first, send)) as unknown as Record<string, string | number | boolean>;
  });
  const proposed = outputs as unknown as Proposed;
  if (proposed.prUrl) ctx.log(`PR #${proposed.prNumber}: ${proposed.prUrl}`);
  return proposed;
}
