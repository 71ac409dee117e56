/** idp pr close <number>: close without merging (the workflow following it ends with "closed"). */
import type { CommandInput } from '../../command.js';
import { prNumber, setup } from '../shared/common.js';

export async function run(input: CommandInput): Promise<void> {
  const { ui } = input;
  const n = prNumber(input.args[0]!);
  const { client, ref } = await setup(input);
  const pull = await client.close(n, ref);
  if (ui.json) return ui.printJson(pull);
  ui.print(`Closed PR #${pull.number} without merging: ${pull.url}`);
}
