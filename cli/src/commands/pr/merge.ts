/** idp pr merge <number> */
import type { CommandInput } from '../../command.js';
import { shortSha } from '../../output.js';
import { prNumber, setup } from '../shared/common.js';

export async function run(input: CommandInput): Promise<void> {
  const { ui } = input;
  const n = prNumber(input.args[0]!);
  const { client, ref } = await setup(input);
  const pull = await ui.action(`Merging PR #${n}`, () => client.merge(n, ref));
  if (ui.json) return ui.printJson(pull);
  ui.print(`Merged PR #${pull.number} into ${pull.base} as ${shortSha(pull.mergeSha)}: ${pull.url}`);
}
