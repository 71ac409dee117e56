/** idp releases rollback <env> [--to v11] [--wait]: a new release setting <env> back to an earlier merged release's image. */
import type { CommandInput } from '../../command.js';
import { checkEnvName, stringFlag } from '../shared/common.js';
import { runReleaseChange } from './change.js';
import { releaseNumber } from './common.js';

export async function run(input: CommandInput): Promise<void> {
  const [env] = input.args as [string];
  checkEnvName(env);
  const toArg = stringFlag(input.flags, 'to');
  const to = toArg === undefined ? undefined : releaseNumber(toArg, 'a release to roll back to');
  await runReleaseChange(
    {
      env,
      verb: to === undefined ? `Rolling back ${env} to its previous release` : `Rolling back ${env} to v${to}`,
      start: (client, ref) => client.rollbackRelease({ ...ref, env, ...(to === undefined ? {} : { to }) }),
    },
    input,
  );
}
