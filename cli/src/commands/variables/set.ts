/**
 * idp variables set KEY=VALUE [KEY=VALUE...] --env <env> [--wait]: one PR setting them in environments.<env>.variables
 * (Heroku's `heroku config:set`). A variable that looks like a secret is refused by the API, which points at
 * `idp secrets set`; the refusal never repeats the value.
 */
import type { CommandInput } from '../../command.js';
import { runEnvChange } from '../shared/env-change.js';
import { envFlag, parsePairs } from './common.js';

export async function run(input: CommandInput): Promise<void> {
  const env = envFlag(input);
  const set = parsePairs(input.args);
  const keys = Object.keys(set).join(', ');
  await runEnvChange(
    {
      verb: `Setting ${keys} in ${env}`,
      start: (client, ref) => client.setVariables(env, { ...ref, set }),
      applied: () => `${keys} ${Object.keys(set).length > 1 ? 'are' : 'is'} set in ${env}.`,
    },
    input,
  );
}
