/**
 * The pattern every change through a PR shares (env clone, create, destroy,
 * extend; releases build on the same pieces, see releases/change.ts): start
 * the workflow, print its PR as soon as it exists, and with --wait follow the
 * workflow until the PR is merged or closed.
 *
 * Human output: progress and narration on stderr, the PR URL alone on stdout
 * (so `open "$(idp env clone staging p1)"` works). --json: the WorkflowStatus
 * on stdout (the final one with --wait), nothing else.
 */
import { errorFromBody, type ErrorCode } from '@idp/core/errors';
import type { PlatformClient } from '@idp/core/client';
import type { WorkflowStatus } from '@idp/core';
import type { CommandInput } from '../../command.js';
import type { Context } from '../../context.js';
import { OutcomeError } from '../../exit-codes.js';
import type { Ui } from '../../output.js';
import { componentLabel, setup } from './common.js';
import { followWorkflow, type FollowOptions } from './wait.js';

export interface EnvChange {
  /** Progress text, e.g. "Cloning staging → preview-123"; " in <component>" is appended. */
  verb: string;
  start(client: PlatformClient, ref: { repo: string; path: string }): Promise<WorkflowStatus>;
  /** What to say once the PR is merged (with --wait). */
  applied(final: WorkflowStatus, input: CommandInput): string;
  /** What to say once the request is accepted, before the PR line (e.g. where a secret's value went). */
  started?(status: WorkflowStatus): string | undefined;
}

/** A change the workflow refused before opening a PR (the server usually answers with an error instead). */
export function throwIfRefused(s: WorkflowStatus): void {
  if (s.phase === 'failed' || s.status === 'failed' || s.error) {
    const error = s.error ?? { code: 'internal', message: `The workflow ${s.workflowId} failed before opening a pull request.` };
    throw errorFromBody({ error: { code: error.code as ErrorCode, message: error.message } });
  }
}

/** The word after "Waiting for ...", once the workflow ended. */
export const outcomeWord = (s: WorkflowStatus) =>
  s.phase === 'merged' ? 'merged' : s.phase === 'closed' ? 'closed without merging' : s.status === 'completed' ? s.phase : s.status.replace('_', ' ');

/**
 * Resolves the context, starts the change under a progress line
 * ("<verb> in <component>... done") and rejects a refusal reported in the
 * answer. `joinedWord` is what "done" becomes when the request joined one
 * already in progress.
 */
export async function startChange(
  input: CommandInput,
  verb: string,
  start: (client: PlatformClient, ref: { repo: string; path: string }) => Promise<WorkflowStatus>,
  joinedWord = 'done (joined the same request, already in progress)',
): Promise<{ ctx: Context; client: PlatformClient; status: WorkflowStatus }> {
  const { ctx, client, ref } = await setup(input);
  const status = await input.ui.action(`${verb} in ${componentLabel(ctx)}`, () => start(client, ref), {
    done: (s) => (s.joined ? joinedWord : 'done'),
  });
  throwIfRefused(status);
  return { ctx, client, status };
}

/** Follows `workflowId` under a progress line ("<text>... merged"); Ctrl-C prints `interruptHint`. */
export function followChange(
  ui: Ui,
  client: PlatformClient,
  workflowId: string,
  text: string,
  opts: { interruptHint: string; done?: (s: WorkflowStatus) => string; follow?: FollowOptions },
): Promise<WorkflowStatus> {
  return ui.action(text, () => followWorkflow(client, workflowId, opts.follow), { done: opts.done ?? outcomeWord, interruptHint: opts.interruptHint });
}

/** Throws the OutcomeError of a followed workflow that ended without its PR merged (exit 7, else 1). */
export function throwUnlessMerged(final: WorkflowStatus, prNumber: number | undefined, closedText = 'nothing changed'): void {
  if (final.phase === 'merged' && final.status === 'completed') return;
  const number = final.pr?.number ?? prNumber;
  if (final.phase === 'closed') {
    throw new OutcomeError('pr_closed', `PR #${number} was closed without being merged; ${closedText}.`);
  }
  const why = final.error ? `: ${final.error.message}` : '.';
  if (final.phase === 'merged') {
    throw new OutcomeError('workflow_failed', `PR #${number} was merged, but the workflow ${final.workflowId} then ended ${final.status.replace('_', ' ')}${why}`);
  }
  throw new OutcomeError('workflow_failed', `The workflow ${final.workflowId} ended ${final.status.replace('_', ' ')} (phase ${final.phase})${why}`);
}

export async function runEnvChange(change: EnvChange, input: CommandInput, followOpts?: FollowOptions): Promise<void> {
  const { ui, flags } = input;
  const wait = flags.wait === true;
  const { client, status } = await startChange(input, change.verb, change.start);

  const pr = status.pr;
  if (!ui.json) {
    const said = change.started?.(status);
    if (said) ui.note(said);
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

  const final = await followChange(ui, client, status.workflowId, pr ? `Waiting for PR #${pr.number} to be merged` : `Waiting for workflow ${status.workflowId}`, {
    interruptHint: `Stopped waiting; the workflow ${status.workflowId} keeps running${pr ? ` and PR #${pr.number} stays open (${pr.url})` : ''}.`,
    follow: followOpts,
  });
  if (ui.json) ui.printJson(final);
  throwUnlessMerged(final, pr?.number);
  ui.note(change.applied(final, input));
}
