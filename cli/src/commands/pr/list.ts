/** idp pr list [--state open|merged|closed|all] [--page N] */
import type { PullRequest } from '@idp/core';
import type { CommandInput } from '../../command.js';
import { UsageError } from '../../exit-codes.js';
import { colors, relativeTime, table, terminalSafe, truncate, type Colors } from '../../output.js';
import { setup, stringFlag } from '../shared/common.js';

const STATES = ['open', 'merged', 'closed', 'all'] as const;
type State = (typeof STATES)[number];

export function stateLabel(state: PullRequest['state'], c: Colors = colors(false)): string {
  return state === 'open' ? c.green(state) : state === 'merged' ? c.cyan(state) : c.red(state);
}

export function pullTable(pulls: PullRequest[], now: Date, c: Colors = colors(false)): string {
  const rows = pulls.map((p) => [`#${p.number}`, truncate(p.title, 60), p.head, stateLabel(p.state, c), p.author, relativeTime(p.updatedAt, now)]);
  return table(['#', 'TITLE', 'BRANCH', 'STATE', 'AUTHOR', 'UPDATED'], rows, c);
}

export async function run(input: CommandInput): Promise<void> {
  const { ui, io } = input;
  const state = (stringFlag(input.flags, 'state') ?? 'open') as State;
  if (!STATES.includes(state)) throw new UsageError(`--state must be one of ${STATES.join(', ')}; got "${state}".`);
  const pageFlag = stringFlag(input.flags, 'page');
  const page = pageFlag === undefined ? 1 : Number(pageFlag);
  if (!Number.isInteger(page) || page < 1 || page > 1000) throw new UsageError(`--page must be a whole number from 1 to 1000; got "${pageFlag}".`);
  const { ctx, client, ref } = await setup(input);
  // One page (the newest 100 first): a repository with thousands of PRs is never listed whole.
  const { pulls, nextPage } = await client.pullsPage(ref, { state, ...(page > 1 ? { page } : {}) });
  if (ui.json) return ui.printJson({ pulls, ...(nextPage ? { nextPage } : {}) });
  if (pulls.length === 0) {
    ui.note(`No ${state === 'all' ? '' : `${state} `}pull requests in ${ctx.component.repo}${page > 1 ? ` on page ${page}` : ''}.`);
    return;
  }
  io.stdout.write(pullTable(terminalSafe(pulls), io.now(), ui.out));
  if (nextPage) ui.note(`More: idp pr list --state ${state} --page ${nextPage}`);
}
