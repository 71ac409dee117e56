/** What `idp logs` and `idp metrics` share: the required --env, and --process / -n checked before anything is sent. */
import type { CommandInput } from '../../command.js';
import { UsageError } from '../../exit-codes.js';
import { checkEnvName, stringFlag } from './common.js';

export function requiredEnv(input: CommandInput, command: string): string {
  const env = stringFlag(input.flags, 'env');
  if (!env) throw new UsageError(`--env is required: the environment to read, e.g. --env staging.`, `Run \`idp ${command} --help\` for usage.`);
  checkEnvName(env);
  return env;
}

export function processFlag(input: CommandInput): string | undefined {
  const p = stringFlag(input.flags, 'process');
  if (p !== undefined && !/^[a-z0-9][a-z0-9-]*(\.\d+)?$/.test(p)) {
    throw new UsageError(`--process "${p}" is not a process name: give one like web (every web process) or web.1 (that one).`);
  }
  return p;
}

/** A whole number from 1 to `max`, or undefined when the flag is absent. */
export function countFlag(input: CommandInput, name: string, max: number): number | undefined {
  const raw = stringFlag(input.flags, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`--${name} must be a whole number from 1 to ${max}, not "${raw}".`);
  return n;
}
