/**
 * The pattern every environment change shares (clone, create, destroy,
 * extend): start the workflow, print its PR as soon as it exists, and with
 * --wait follow the workflow until the PR is merged or closed.
 *
 * Human output: progress and narration on stderr, the PR URL alone on stdout
 * (so `open "$(idp env clone staging p1)"` works). --json: the WorkflowStatus
 * on stdout (the final one with --wait), nothing else.
 */
import { errorFromBody, type ErrorCode } from '@idp/core/errors';
import type { PlatformClient } from '@idp/core/client';
import type { WorkflowStatus } from '@idp/core';
import type { CommandInput } from '../../command.js';
import { OutcomeError } from '../../exit-codes.js';
import { componentLabel, setup } from './common.js';
import { followWorkflow, type FollowOptions } from './wait.js';

export interface EnvChange {
  /** Progress text, e.g. "Cloning staging → preview-123"; " in <component>" is appended. */
  verb: string;
  start(client: PlatformClient, ref: { repo: string; path: string }): Promise<WorkflowStatus>;
  /** What to say once the PR is merged (with --wait). */
  applied(final: WorkflowStatus, input: CommandInput): string;
}

/** A change the workflow refused before opening a PR (the server usually answers with an error instead). */
function throwIfRefused(s: WorkflowStatus): void {
  if (s.phase === 'failed' || s.status === 'failed' || s.error) {
    const error = s.error ?? { code: 'internal', message: `The workflow ${s.workflowId} failed before opening a pull request.` };
    throw errorFromBody({ error: { code: error.code as ErrorCode, message: error.message } });
  }
}

const outcomeWord = (s: WorkflowStatus) =>
  s.phase === 'merged' ? 'merged' : s.phase === 'closed' ? 'closed without merging' : s.status === 'completed' ? s.phase : s.status.replace('_', ' ');

export async function runEnvChange(change: EnvChange, input: CommandInput, followOpts?: FollowOptions): Promise<void> {
  const { ui, flags } = input;
  const wait = flags.wait === true;
  const { ctx, client, ref } = await setup(input);

  const status = await ui.action(`${change.verb} in ${componentLabel(ctx)}`, () => change.start(client, ref), {
    done: (s) => (s.joined ? 'done (joined the same request, already in progress)' : 'done'),
  });
  throwIfRefused(status);

  const pr = status.pr;
  if (!ui.json) {
    if (pr) {
      if (pr.state === 'open') ui.note(status.joined ? `PR #${pr.number} is open for this change; it applies when merged.` : `PR #${pr.number} opened; the change applies when it is merged.`);
      else ui.note(`PR #${pr.number} is already ${pr.state}.`);
      ui.print(pr.url);
    } else {
      ui.note(`Workflow ${status.workflowId} has not opened its pull request yet.`);
    }
  }
  if (!wait) {
    if (ui.json) ui.printJson(status);
    return;
  }

  const final = await ui.action(pr ? `Waiting for PR #${pr.number} to be merged` : `Waiting for workflow ${status.workflowId}`, () => followWorkflow(client, status.workflowId, followOpts), {
    done: outcomeWord,
    interruptHint: `Stopped waiting; the workflow ${status.workflowId} keeps running${pr ? ` and PR #${pr.number} stays open (${pr.url})` : ''}.`,
  });
  if (ui.json) ui.printJson(final);

  if (final.phase === 'merged' && final.status === 'completed') {
    ui.note(change.applied(final, input));
    return;
  }
  const number = final.pr?.number ?? pr?.number;
  if (final.phase === 'closed') {
    throw new OutcomeError('pr_closed', `PR #${number} was closed without being merged; nothing changed.`);
  }
  const why = final.error ? `: ${final.error.message}` : '.';
  if (final.phase === 'merged') {
    throw new OutcomeError('workflow_failed', `PR #${number} was merged, but the workflow ${final.workflowId} then ended ${final.status.replace('_', ' ')}${why}`);
  }
  throw new OutcomeError('workflow_failed', `The workflow ${final.workflowId} ended ${final.status.replace('_', ' ')} (phase ${final.phase})${why}`);
}
