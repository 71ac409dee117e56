/** idp releases promote <source> <target> [--wait]: set <target> to exactly what <source> runs now. */
import type { CommandInput } from '../../command.js';
import { UsageError } from '../../exit-codes.js';
import { checkEnvName } from '../shared/common.js';
import { runReleaseChange } from './change.js';

export async function run(input: CommandInput): Promise<void> {
  const [from, to] = input.args as [string, string];
  checkEnvName(from, 'source environment');
  checkEnvName(to, 'target environment');
  if (from === to) throw new UsageError(`Promoting ${from} to itself changes nothing; name two environments, e.g. \`idp releases promote staging production\`.`);
  await runReleaseChange(
    {
      env: to,
      verb: `Promoting ${from} → ${to}`,
      start: (client, ref) => client.promoteRelease({ ...ref, from, to }),
    },
    input,
  );
}
