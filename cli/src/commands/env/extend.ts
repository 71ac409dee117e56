/** idp env extend <name> --ttl 24h [--wait]: the environment gets <ttl> more (from its current expiry, or from now once expired). */
import type { CommandInput } from '../../command.js';
import { UsageError } from '../../exit-codes.js';
import { relativeTime } from '../../output.js';
import { checkEnvName, stringFlag } from '../shared/common.js';
import { runEnvChange } from '../shared/env-change.js';

export async function run(input: CommandInput): Promise<void> {
  const [name] = input.args as [string];
  checkEnvName(name);
  const ttl = stringFlag(input.flags, 'ttl');
  if (!ttl) throw new UsageError('--ttl is required, e.g. --ttl 24h: the environment then lives 24 hours longer.', 'Run `idp env extend --help` for usage.');
  await runEnvChange(
    {
      verb: `Extending ${name} by ${ttl}`,
      start: (client, ref) => client.extendEnvironment(name, { ...ref, ttl }),
      applied: (s, { io }) => `${s.environment} now expires ${s.expiresAt ? `${relativeTime(s.expiresAt, io.now())} (${s.expiresAt})` : `in ${ttl}`}.`,
    },
    input,
  );
}
