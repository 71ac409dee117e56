import type { WorkflowStatus } from '@idp/core';
import { defineAction } from '../../definition.js';
import { platformClient } from '../../platform.js';
import { examples } from './wait.examples.js';

/** How a workflow ended, in one word: the release's outcome, else its PR's fate. */
function outcomeOf(s: WorkflowStatus): string {
  if (s.release) return s.release.outcome;
  if (s.phase === 'merged' || s.phase === 'closed' || s.phase === 'failed') return s.phase;
  return s.status;
}

export const workflowWaitAction = defineAction({
  name: 'workflow:wait',
  title: 'Wait for an idp workflow',
  description:
    'Waits until an idp workflow ends (its PR merged, closed, rejected, timed out…) and outputs how it ended; the step fails unless the change was merged, so a task\'s outcome is the change\'s. Use it after idp:env:* or idp:release:* when the user asked to wait.',
  input: (z) =>
    z.object({
      workflowId: z.string().min(1).describe('The workflow to follow: the workflowId output of an idp:env:* or idp:release:* step'),
      timeoutMinutes: z.number().int().min(1).max(7 * 24 * 60).default(60).describe('Give up waiting (the step fails; the workflow goes on) after this many minutes'),
    }),
  output: (z) =>
    z.object({
      workflowId: z.string(),
      status: z.string().describe('The workflow\'s status: completed, failed, … (running when it timed out)'),
      phase: z.string().describe('Where its PR is: merged, closed, failed…'),
      outcome: z.string().describe('How it ended: merged, closed, rejected, timed_out, cancelled, failed (releases: the ledger\'s outcome)'),
      prUrl: z.string().optional(),
      version: z.string().optional(),
    }),
  attributes: { readOnly: true, destructive: false, idempotent: true },
  examples,
  async run(ctx, input) {
    if (ctx.dryRun) {
      ctx.log(`Dry run: would wait for workflow ${input.workflowId} to end.`);
      return { workflowId: input.workflowId, status: 'dry-run', phase: 'dry-run', outcome: 'dry-run' };
    }
    const client = await platformClient(ctx.deps, ctx.credentials);
    // The Scaffolder validates its input with the JSON schema, which applies no defaults.
    const minutes = input.timeoutMinutes ?? 60;
    const deadline = Date.now() + minutes * 60_000;
    let s = await client.workflow(input.workflowId);
    ctx.log(`Waiting for workflow ${s.workflowId} (${s.phase}${s.pr ? `, PR #${s.pr.number} ${s.pr.url}` : ''}).`);
    // Long polls of at most a minute (the API's ceiling), each returning early when the phase changes.
    while (s.status === 'running' && Date.now() < deadline && !ctx.signal?.aborted) {
      const before = s.phase;
      s = await client.workflow(input.workflowId, Math.max(1, Math.min(60, Math.ceil((deadline - Date.now()) / 1000))), s.phase);
      if (s.phase !== before) ctx.log(`${s.workflowId}: ${before} → ${s.phase}${s.pr ? ` (PR #${s.pr.number})` : ''}`);
    }
    const output = {
      workflowId: s.workflowId,
      status: s.status,
      phase: s.phase,
      outcome: outcomeOf(s),
      ...(s.pr ? { prUrl: s.pr.url } : {}),
      ...(s.release ? { version: `v${s.release.number}` } : {}),
    };
    if (s.status === 'running') throw new Error(`Workflow ${s.workflowId} is still ${s.phase} after ${minutes} min; it goes on (follow it with \`idp\` or the PR).`);
    if (output.outcome !== 'merged' && s.phase !== 'merged') {
      const why = s.release?.reason ?? s.error?.message;
      throw new Error(`Workflow ${s.workflowId} ended ${output.outcome}${why ? `: ${why}` : ''}${s.pr ? ` (PR #${s.pr.number}: ${s.pr.url})` : ''}.`);
    }
    ctx.log(`Workflow ${s.workflowId}: merged${s.pr ? ` (PR #${s.pr.number})` : ''}.`);
    return output;
  },
});
