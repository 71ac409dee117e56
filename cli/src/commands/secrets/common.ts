/** What the secrets verbs share: the required --env, and the rule that a value never comes from the command line. */
import { secretKeyProblem } from '@idp/core/names';
import type { Flags } from '../../command.js';
import { UsageError } from '../../exit-codes.js';
import { checkEnvName, stringFlag } from '../shared/common.js';

/** --env, required and a valid environment name. */
export function secretsEnv(flags: Flags, verb: string, example: string): string {
  const env = stringFlag(flags, 'env');
  if (!env) throw new UsageError(`--env is required: which environment's secrets? e.g. \`${example}\`.`, `Run \`idp secrets ${verb} --help\` for usage.`);
  checkEnvName(env);
  return env;
}

/** Said when a value shows up on the command line; the value itself is never repeated (not even in an error). */
export const NO_VALUE_ON_ARGV =
  'A secret value never goes on the command line (shell history and `ps` would keep it). Nothing was sent. Pipe it in: `printf %s "$VALUE" | idp secrets set KEY --env <env>`, or run `idp secrets set KEY --env <env>` in a terminal and type it at the hidden prompt.';

/** The key argument: a name alone (`KEY=value` is refused without repeating it), valid as the server checks it. */
export function secretKey(arg: string, verb: string): string {
  if (arg.includes('=')) throw new UsageError(NO_VALUE_ON_ARGV, `Run \`idp secrets ${verb} --help\` for usage.`);
  const problem = secretKeyProblem(arg);
  if (problem) throw new UsageError(`Invalid secret name: ${problem}.`, `Run \`idp secrets ${verb} --help\` for usage.`);
  return arg;
}
