/** idp env create <name> [--ttl 72h] [--wait] */
import type { CommandInput } from '../../command.js';
import { relativeTime } from '../../output.js';
import { checkEnvName, stringFlag } from '../shared/common.js';
import { runEnvChange } from '../shared/env-change.js';

export async function run(input: CommandInput): Promise<void> {
  const [name] = input.args as [string];
  checkEnvName(name);
  const ttl = stringFlag(input.flags, 'ttl');
  await runEnvChange(
    {
      verb: `Creating ${name}`,
      start: (client, ref) => client.createEnvironment({ ...ref, name, ttl }),
      applied: (s, { io }) => `${s.environment} is live${s.expiresAt ? `; it expires ${relativeTime(s.expiresAt, io.now())} (${s.expiresAt})` : ''}.`,
    },
    input,
  );
}
