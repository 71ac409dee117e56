/**
 * idp releases show v12 --env production: one release with what gates it now —
 * its PR, the approvals so far (and the ones that did not count, with why), the
 * checks, what it still waits for, the policy and until when it waits, the
 * workflow, and the diff.
 */
import type { ReleaseDetail } from '@idp/core';
import type { CommandInput } from '../../command.js';
import { colors, relativeTime, terminalSafe, type Colors } from '../../output.js';
import { setup } from '../shared/common.js';
import { formatDiff } from '../pr/diff.js';
import { kindLabel, outcomeLabel, reasonText, releaseNumber, requiredEnv } from './common.js';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** "2 approvals from team-leads, alice; required checks ci/build; no self-approval; idp merges once it holds; times out after 72h". */
export function policyText(p: ReleaseDetail['policy']): string {
  const parts = [
    p.approvals === 0 ? 'no approval needed' : `${plural(p.approvals, 'approval')}${p.approvers.length ? ` from ${p.approvers.join(', ')}` : ''}`,
    p.requiredChecks.length ? `required checks ${p.requiredChecks.join(', ')}` : 'no required checks',
    p.selfApproval ? 'the requester may approve' : 'no self-approval',
    p.autoMerge ? 'idp merges once it holds' : 'a person merges once it holds',
    `times out after ${p.timeout}`,
  ];
  // What paws.yaml alone does not explain: the platform raised it.
  if (p.floor?.raised.length) parts.push(`${p.floor.raised.join(', ')} raised by the platform floor for ${p.floor.patterns.join(', ')}`);
  return parts.join('; ');
}

export function formatRelease(d: ReleaseDetail, now: Date, c: Colors = colors(false)): string {
  const r = d.release;
  const w = d.workflow;
  const lines: string[] = [c.bold(`Release v${r.number} of ${w.component || '?'} to ${r.env}`)];
  const row = (label: string, value: string) => lines.push(`${c.bold(label.padEnd(13))}${value}`);

  row('Outcome', outcomeLabel(r.outcome, c) + (r.reason ? `: ${reasonText(r.reason)}` : ''));
  if (r.outsidePolicy) row('Warning', c.red(`merged outside its release policy (it did not hold on the merged head); missing: ${r.outsidePolicy}`));
  row('Kind', kindLabel(r));
  row('Image', r.image);
  row('Previous', r.previousImage ?? c.dim('none (first release)'));
  row('Requested', `by ${r.requestedBy} ${relativeTime(r.requestedAt, now)}`);
  if (r.endedAt) row('Ended', relativeTime(r.endedAt, now));
  const pr = r.pr ?? w.pr;
  row('PR', pr ? `#${pr.number} ${pr.state}  ${pr.url}` : c.dim(r.outcome === 'queued' ? 'not yet: queued behind the release in progress' : 'none'));
  row('Workflow', `${w.workflowId}  ${w.status.replace('_', ' ')}, phase ${w.phase}${w.error ? ` (${w.error.code}: ${w.error.message})` : ''}`);
  if (w.stuck) row('Stuck', c.red(w.stuck));
  row('Policy', policyText(d.policy));
  if (d.deadline) row('Deadline', `${relativeTime(d.deadline, now)} (${d.deadline}): idp closes the PR if the policy does not hold by then`);

  const v = d.verdict;
  if (v) {
    row('Approved by', v.approvedBy.length ? v.approvedBy.join(', ') : c.dim('nobody yet'));
    for (const [i, ig] of v.ignored.entries()) row(i === 0 ? 'Not counted' : '', `${ig.by}: ${ig.why}`);
    if (v.changesRequestedBy.length) row('Changes', c.red(`requested by ${v.changesRequestedBy.join(', ')}`));
    if (v.checks.length) row('Checks', v.checks.map((k) => `${k.name} ${k.state === 'success' ? c.green(k.state) : k.state === 'pending' ? c.yellow(k.state) : c.red(k.state)}`).join(', '));
    row('Verdict', v.satisfied ? c.green('the policy holds') : `${c.yellow('waiting for')} ${v.waitingFor.join('; ') || 'nothing named'}`);
  } else if (r.approvers.length || r.outcome === 'merged') {
    row('Approved by', r.approvers.length ? r.approvers.join(', ') : c.dim('none recorded'));
  }

  const diff = formatDiff({ files: d.diff }, c);
  if (diff) lines.push('', c.bold('Diff'), diff.trimEnd());
  return lines.join('\n') + '\n';
}

export async function run(input: CommandInput): Promise<void> {
  const { ui, io } = input;
  const n = releaseNumber(input.args[0]!);
  const env = requiredEnv(input.flags, 'show', `idp releases show v${n} --env production`);
  const { client, ref } = await setup(input);
  const detail = await client.release(ref, env, n);
  if (ui.json) return ui.printJson(detail);
  io.stdout.write(formatRelease(terminalSafe(detail), io.now(), ui.out));
}
