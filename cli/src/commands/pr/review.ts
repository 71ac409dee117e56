/** idp pr review <number> --approve | --request-changes | --comment [-m <body>] */
import type { CommandInput } from '../../command.js';
import { UsageError } from '../../exit-codes.js';
import { prNumber, setup, stringFlag } from '../shared/common.js';

const EVENTS = { approve: 'approve', 'request-changes': 'request_changes', comment: 'comment' } as const;
const DONE = { approve: 'Approved', request_changes: 'Requested changes on', comment: 'Commented on' } as const;

export async function run(input: CommandInput): Promise<void> {
  const { ui, flags } = input;
  const n = prNumber(input.args[0]!);
  const chosen = (Object.keys(EVENTS) as (keyof typeof EVENTS)[]).filter((k) => flags[k] === true);
  if (chosen.length !== 1) {
    throw new UsageError('Pass exactly one of --approve, --request-changes or --comment.', 'Run `idp pr review --help` for usage.');
  }
  const event = EVENTS[chosen[0]!];
  const body = stringFlag(flags, 'message');
  if (event === 'comment' && !body) throw new UsageError('--comment needs a message: -m "<text>".');
  const { client, ref } = await setup(input);
  const pull = await client.review(n, { ...ref, event, body });
  if (ui.json) return ui.printJson(pull);
  ui.print(`${DONE[event]} PR #${pull.number}: ${pull.url}`);
  // A release PR's policy may not count this review (four eyes, not an allowed approver): say so now.
  if (pull.note) ui.note(pull.note);
  // GitLab has no API for its "Request changes" review: there idp only withdraws the approval and comments.
  if (event === 'request_changes' && !pull.reviews.some((r) => r.state === 'changes_requested')) {
    ui.note('The forge records no request for changes from idp: your approval (if any) was withdrawn and your comment posted, but that does not block the PR. On GitLab, block it with "Request changes" in the merge request\'s review.');
  }
}
