/** idp pr check <number> <name> --success | --failure | --pending [-m <description>]: the local forge's CI, by hand. */
import type { CommandInput } from '../../command.js';
import { UsageError } from '../../exit-codes.js';
import { prNumber, setup, stringFlag } from '../shared/common.js';

const STATES = ['success', 'failure', 'pending'] as const;

export async function run(input: CommandInput): Promise<void> {
  const { ui, flags } = input;
  const n = prNumber(input.args[0]!);
  const name = input.args[1]!;
  const chosen = STATES.filter((s) => flags[s] === true);
  if (chosen.length !== 1) throw new UsageError('Pass exactly one of --success, --failure or --pending.', 'Run `idp pr check --help` for usage.');
  const state = chosen[0]!;
  const { client, ref } = await setup(input);
  const pull = await client.check(n, { ...ref, name, state, description: stringFlag(flags, 'message') });
  if (ui.json) return ui.printJson(pull);
  ui.print(`Reported ${name}: ${state} on PR #${pull.number} (${pull.headSha.slice(0, 7)}): ${pull.url}`);
}
