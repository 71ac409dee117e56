/** idp env clone <source> <target> [--ttl 72h] [--wait] */
import type { CommandInput } from '../../command.js';
import { relativeTime } from '../../output.js';
import { checkEnvName, stringFlag } from '../shared/common.js';
import { runEnvChange } from '../shared/env-change.js';

export async function run(input: CommandInput): Promise<void> {
  const [source, target] = input.args as [string, string];
  checkEnvName(source, 'source environment');
  checkEnvName(target, 'target environment');
  const ttl = stringFlag(input.flags, 'ttl');
  await runEnvChange(
    {
      verb: `Cloning ${source} → ${target}`,
      start: (client, ref) => client.cloneEnvironment(source, { ...ref, target, ttl }),
      applied: (s, { io }) => `${s.environment} is live${s.expiresAt ? `; it expires ${relativeTime(s.expiresAt, io.now())} (${s.expiresAt})` : ''}.`,
    },
    input,
  );
}
