/** idp env destroy <name> [--confirm <name>] [--wait] */
import type { CommandInput } from '../../command.js';
import { UsageError } from '../../exit-codes.js';
import { checkEnvName, stringFlag } from '../shared/common.js';
import { runEnvChange } from '../shared/env-change.js';

export async function run(input: CommandInput): Promise<void> {
  const [name] = input.args as [string];
  checkEnvName(name);
  const confirm = stringFlag(input.flags, 'confirm');
  // The server decides whether a confirmation is needed (permanent environments); a wrong one is caught here.
  if (confirm !== undefined && confirm !== name) {
    throw new UsageError(`--confirm ${confirm} does not match the environment to destroy (${name}).`);
  }
  await runEnvChange(
    {
      verb: `Destroying ${name}`,
      start: (client, ref) => client.destroyEnvironment(name, { ...ref, confirm }),
      applied: (s) => `${s.environment} is destroyed.`,
    },
    input,
  );
}
