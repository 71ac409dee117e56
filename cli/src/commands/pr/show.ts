/** idp pr show <number> */
import type { PullRequest } from '@idp/core';
import type { CommandInput } from '../../command.js';
import { colors, relativeTime, shortSha, terminalSafe, type Colors } from '../../output.js';
import { prNumber, setup } from '../shared/common.js';
import { stateLabel } from './list.js';

const reviewWord = { approved: 'approved', changes_requested: 'requested changes', commented: 'commented', dismissed: 'review dismissed' } as const;

/**
 * HTML comments, idp's `<!-- idp workflow: … -->` marker among them, are hidden, as a
 * forge's Markdown view hides them; inside a fenced code block they are text, and stay.
 * A comment alone on its line takes the line with it. An unclosed `<!--` stays visible.
 */
const FENCE_OR_COMMENT = /^ {0,3}(`{3,}|~{3,})[\s\S]*?(?:^ {0,3}\1[ \t]*$|(?![\s\S]))|([ \t]*)<!--[\s\S]*?-->([ \t]*\n)?/gm;
export const withoutHtmlComments = (markdown: string) =>
  markdown.replace(FENCE_OR_COMMENT, (match, fence: string | undefined, lead: string | undefined, trail: string | undefined, at: number) => {
    if (fence) return match;
    const ownLine = (at === 0 || markdown[at - 1] === '\n') && trail !== undefined;
    return ownLine ? '' : (lead ?? '') + (trail ?? '');
  });

export function formatPull(p: PullRequest, now: Date, c: Colors = colors(false)): string {
  const lines = [
    `${c.bold(p.title)} ${c.dim(`#${p.number}`)}`,
    `${stateLabel(p.state, c)} • ${p.author} ${p.state === 'open' ? 'wants to merge' : 'proposed merging'} ${p.head} into ${p.base} • opened ${relativeTime(p.createdAt, now)}`,
  ];
  if (p.state === 'merged') lines.push(`Merged by ${p.mergedBy ?? '?'} ${relativeTime(p.mergedAt, now)} as ${shortSha(p.mergeSha)}`);
  if (p.state === 'closed') lines.push(`Closed by ${p.closedBy ?? '?'} ${relativeTime(p.closedAt, now)}`);
  lines.push(`Head ${shortSha(p.headSha)} on base ${shortSha(p.baseSha)}`);
  if (p.labels.length) lines.push(`Labels: ${p.labels.join(', ')}`);
  if (p.reviews.length) {
    lines.push('', c.bold('Reviews'));
    for (const r of p.reviews) {
      const stale = r.commitSha !== p.headSha ? c.dim(' (on an older commit)') : '';
      const text = withoutHtmlComments(r.body ?? '').trim();
      lines.push(`  ${r.by} ${reviewWord[r.state]} ${relativeTime(r.at, now)}${stale}${text ? `: ${text}` : ''}`);
    }
  }
  const body = withoutHtmlComments(p.body);
  if (body.trim()) lines.push('', ...body.trimEnd().split('\n'));
  if (p.comments.length) {
    lines.push('', c.bold('Comments'));
    for (const m of p.comments) lines.push(`  ${m.by} ${relativeTime(m.at, now)}: ${withoutHtmlComments(m.body).trim()}`);
  }
  lines.push('', `${c.dim('View:')} ${p.url}`);
  return lines.join('\n') + '\n';
}

export async function run(input: CommandInput): Promise<void> {
  const { ui, io } = input;
  const n = prNumber(input.args[0]!);
  const { client, ref } = await setup(input);
  const pull = await client.pull(ref, n);
  if (ui.json) return ui.printJson(pull);
  io.stdout.write(formatPull(terminalSafe(pull), io.now(), ui.out));
}
