/** idp variables unset KEY [KEY...] --env <env> [--wait]: one PR removing them from environments.<env>.variables. */
import type { CommandInput } from '../../command.js';
import { UsageError } from '../../exit-codes.js';
import { runEnvChange } from '../shared/env-change.js';
import { envFlag } from './common.js';

export async function run(input: CommandInput): Promise<void> {
  const env = envFlag(input);
  const unset = [...new Set(input.args)];
  const pair = unset.find((k) => k.includes('='));
  if (pair) throw new UsageError(`unset takes names only (${pair.slice(0, pair.indexOf('='))}, not ${pair.slice(0, pair.indexOf('=') + 1)}…).`, 'Run `idp variables unset --help` for usage.');
  const keys = unset.join(', ');
  await runEnvChange(
    {
      verb: `Unsetting ${keys} in ${env}`,
      start: (client, ref) => client.setVariables(env, { ...ref, unset }),
      applied: () => `${keys} ${unset.length > 1 ? 'are' : 'is'} no longer set in ${env}.`,
    },
    input,
  );
}
