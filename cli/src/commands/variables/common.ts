/** What the variables commands share: the required --env, and KEY=VALUE pairs. */
import type { CommandInput } from '../../command.js';
import { UsageError } from '../../exit-codes.js';
import { checkEnvName, stringFlag } from '../shared/common.js';
import { shownWord } from '../../redact.js';

export function envFlag(input: CommandInput): string {
  const env = stringFlag(input.flags, 'env');
  if (!env) throw new UsageError('--env is required: the environment whose variables to use, e.g. --env staging.', 'Run `idp variables --help` for usage.');
  checkEnvName(env);
  return env;
}

/** `A=1 B=two=2 C=` → { A: '1', B: 'two=2', C: '' }; a word without `=` is a usage error (it names no value). */
export function parsePairs(words: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq <= 0) {
      const name = shownWord(word);
      throw new UsageError(`${name} is not KEY=VALUE; write LOG_LEVEL=debug (KEY= sets an empty value; idp variables unset KEY removes one).`, 'Run `idp variables set --help` for usage.');
    }
    const key = word.slice(0, eq);
    if (Object.hasOwn(out, key)) throw new UsageError(`${key} is given twice.`, 'Give each variable once.');
    out[key] = word.slice(eq + 1);
  }
  return out;
}
