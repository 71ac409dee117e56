/** idp secrets unset KEY --env staging: a PR removing the key's reference; the value stays in its store until an operator purges it. */
import type { CommandInput } from '../../command.js';
import { runEnvChange } from '../shared/env-change.js';
import { secretKey, secretsEnv } from './common.js';

export async function run(input: CommandInput): Promise<void> {
  const key = secretKey(input.args[0]!, 'unset');
  const env = secretsEnv(input.flags, 'unset', `idp secrets unset ${key} --env staging`);
  await runEnvChange(
    {
      verb: `Unsetting ${key} in ${env}`,
      start: (client, where) => client.unsetSecret(env, key, where),
      applied: (s) => `${key} is no longer set in ${s.environment}; its value is still in its store (an operator purges it).`,
    },
    input,
  );
}
