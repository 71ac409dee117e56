/**
 * What create, promote and rollback share, on top of env-change.ts: start the
 * release, say which version it is and what it changes, print its PR URL (or
 * that it is queued), and with --wait follow the release's own workflow
 * through queued → open → its end.
 *
 * With --wait the exit code is the outcome: 0 merged, 7 its PR closed by a
 * person (cancelled), 8 rejected by an approver, 9 timed out waiting for
 * approval, 1 any other failure.
 */
import type { PlatformClient } from '@idp/core/client';
import type { ReleaseRecord, WorkflowStatus } from '@idp/core';
import type { CommandInput } from '../../command.js';
import { OutcomeError } from '../../exit-codes.js';
import { terminalSafe } from '../../output.js';
import { componentLabel } from '../shared/common.js';
import { followChange, outcomeWord, startChange, throwUnlessMerged } from '../shared/env-change.js';
import { isClosed } from '../shared/wait.js';
import { imageChange, kindLabel, reasonText, shortImage } from './common.js';

export interface ReleaseChange {
  /** The environment released to. */
  env: string;
  /** Progress text, e.g. "Promoting staging → production"; " in <component>" is appended. */
  verb: string;
  start(client: PlatformClient, ref: { repo: string; path: string }): Promise<WorkflowStatus>;
}

const isQueued = (s: WorkflowStatus) => s.phase === 'queued' || s.release?.outcome === 'queued';
const errorCode = (s: WorkflowStatus) => s.error?.code;

/** "Release v12 of checkout to staging: ghcr.io/acme/checkout:1.4.2 → 1.4.3", "… to production (promote from staging): …". */
export function releaseHeadline(component: string, r: ReleaseRecord): string {
  const how = r.kind === 'create' ? '' : ` (${kindLabel(r)})`;
  return `Release v${r.number} of ${component} to ${r.env}${how}: ${imageChange(r.previousImage, r.image)}`;
}

/** "rejected", "timed out", "merged", "closed without merging"… */
export function releaseOutcomeWord(s: WorkflowStatus): string {
  const code = errorCode(s) ?? (s.status === 'failed' ? s.release?.outcome : undefined);
  if (code === 'rejected') return 'rejected';
  if (code === 'timed_out') return 'timed out';
  return outcomeWord(s);
}

/** Throws the OutcomeError of a followed release that ended without being merged. */
export function throwUnlessReleased(final: WorkflowStatus, release: ReleaseRecord): void {
  if (final.phase === 'merged' && final.status === 'completed') return;
  const r = final.release ?? release;
  const pr = final.pr ?? r.pr;
  const what = `v${r.number} to ${r.env}`;
  const code = errorCode(final) ?? (final.status === 'failed' ? r.outcome : undefined);
  const reason = (reasonText(final.error?.message ?? r.reason ?? '') || 'no reason given').replace(/\.?$/, '.');
  const closed = pr ? ` PR #${pr.number} is closed` : '';
  if (code === 'rejected') throw new OutcomeError('release_rejected', `Release ${what} was rejected: ${reason}${closed}; nothing changed.`);
  if (code === 'timed_out') throw new OutcomeError('release_timed_out', `Release ${what} timed out: ${reason}${closed}; nothing changed.`);
  if (final.phase === 'closed') throw new OutcomeError('pr_closed', `PR #${pr?.number} was closed without being merged; release ${what} is cancelled and nothing changed.`);
  throwUnlessMerged(final, pr?.number);
}

export async function runReleaseChange(change: ReleaseChange, input: CommandInput): Promise<void> {
  const { ui, flags } = input;
  const wait = flags.wait === true;
  const { ctx, client, status } = await startChange(input, change.verb, change.start, 'done (joined the same release, already requested)');
  const shown = terminalSafe(status);
  const release = shown.release;
  const component = shown.component || componentLabel(ctx);

  if (!release) {
    // The server accepted the request but answered before the release had a number (see the report on the contract).
    ui.note(`The release to ${change.env} is accepted but not numbered yet; see \`idp releases --env ${change.env}\`.`);
    if (wait) {
      if (ui.json) ui.printJson(status);
      throw new OutcomeError('workflow_failed', `Cannot follow the release: the server answered with workflow ${shown.workflowId} (${shown.kind}) and no release number. Find it with \`idp releases --env ${change.env}\`, then \`idp releases show v<number> --env ${change.env}\`.`);
    }
    if (ui.json) ui.printJson(status);
    return;
  }

  const id = release.workflowId || status.workflowId;
  const v = `v${release.number}`;
  let printed = false;
  const say = (s: WorkflowStatus) => {
    const pr = s.pr ?? s.release?.pr;
    if (isQueued(s) && !pr) {
      ui.note(`${v} is queued behind the release in progress for ${change.env}; its PR opens when that one ends.`);
    } else if (pr) {
      if (pr.state === 'open') ui.note(s.joined ? `PR #${pr.number} is open for this release; it merges once the release policy holds.` : `PR #${pr.number} opened; it merges once the release policy holds.`);
      else ui.note(`PR #${pr.number} is already ${pr.state}.`);
      ui.print(pr.url);
      printed = true;
    } else {
      ui.note(`The workflow ${s.workflowId} has not opened the PR of ${v} yet.`);
    }
  };
  if (!ui.json) {
    ui.note(releaseHeadline(component, release));
    say(shown);
  }
  if (!wait) {
    if (ui.json) ui.printJson(status);
    return;
  }

  let current = status;
  const hint = (s: WorkflowStatus) => {
    const pr = s.pr ?? s.release?.pr;
    return `Stopped waiting; release ${v} (workflow ${id}) keeps going${pr ? ` and PR #${pr.number} stays open (${pr.url})` : ''}.`;
  };
  if (isQueued(current) && !current.pr) {
    current = await followChange(ui, client, id, `Waiting for the release ahead of ${v} in ${change.env} to end`, {
      interruptHint: hint(current),
      done: (s) => (isClosed(s) ? releaseOutcomeWord(s) : s.pr ? `PR #${s.pr.number} opened` : 'dequeued'),
      follow: { until: (s) => !isQueued(s) && s.phase !== 'proposing', sincePhase: 'queued' },
    });
    if (!ui.json && !isClosed(current)) say(terminalSafe({ ...current, joined: false }));
  }
  if (!isClosed(current)) {
    const pr = current.pr ?? current.release?.pr;
    current = await followChange(ui, client, id, pr ? `Waiting for PR #${pr.number} to be approved and merged` : `Waiting for release ${v}`, {
      interruptHint: hint(current),
      done: releaseOutcomeWord,
    });
  }
  // A release that went from the queue to its end between two looks still gives its PR URL on stdout.
  const last = current.pr ?? current.release?.pr;
  if (!ui.json && !printed && last) ui.print(terminalSafe(last).url);
  if (ui.json) ui.printJson(current);
  throwUnlessReleased(terminalSafe(current), release);
  const final = terminalSafe(current.release ?? release);
  const approvers = final.approvers.length ? ` (approved by ${final.approvers.join(', ')})` : '';
  ui.note(`${v} is released: ${final.env} is set to ${shortImage(final.image)}${approvers}.`);
}
