/**
 * idp secrets set KEY --env staging: the value — from stdin, or typed at a hidden prompt on a terminal, never from the
 * command line — is sent once to the Platform API, which writes it to the environment's secret store as a new version;
 * a PR then pins that version's reference in paws.yaml. `--ref <ref> [--version <v>]` instead points the key at a
 * secret that exists already (no value). The value is never printed, not even in an error.
 */
import type { CommandInput } from '../../command.js';
import { UsageError } from '../../exit-codes.js';
import { stringFlag } from '../shared/common.js';
import { runEnvChange } from '../shared/env-change.js';
import { shortVersion } from './list.js';
import { secretKey, secretsEnv } from './common.js';

export async function run(input: CommandInput): Promise<void> {
  const { io, flags } = input;
  const key = secretKey(input.args[0]!, 'set');
  const env = secretsEnv(flags, 'set', `printf %s "$VALUE" | idp secrets set ${key} --env staging`);
  const ref = stringFlag(flags, 'ref');
  // `--version` (main.ts hands it over as secret-version: sade keeps --version for the CLI's own).
  const version = stringFlag(flags, 'secret-version');
  if (version !== undefined && ref === undefined) throw new UsageError('--version goes with --ref: the version of an existing secret to pin. A value gets a new version from its store.', 'Run `idp secrets set --help` for usage.');

  let value: string | undefined;
  if (ref === undefined) {
    const read = io.readSecret ?? (async (prompt: string) => (await import('../../secret-input.js')).readSecret(prompt));
    value = await read(`Value of ${key} for ${env} (not shown): `);
    if (value === '') {
      throw new UsageError(
        `No value: stdin was empty. Pipe the value in (\`printf %s "$VALUE" | idp secrets set ${key} --env ${env}\`), or run it in a terminal to type it at a hidden prompt. Nothing was sent.`,
      );
    }
  }
  await runEnvChange(
    {
      verb: ref === undefined ? `Setting ${key} in ${env}` : `Pointing ${key} in ${env} at ${ref}`,
      start: (client, where) => client.setSecret(env, key, { ...where, ...(value !== undefined ? { value } : { ref: ref!, ...(version !== undefined ? { version } : {}) }) }),
      started: (s) => {
        const secret = s.secret;
        if (!secret?.ref) return undefined;
        const stored = value !== undefined ? `Stored ${key} in store ${secret.store ?? '?'} as version ${shortVersion(secret.version)}` : `${key} will point at ${secret.ref}${secret.version ? ` (version ${shortVersion(secret.version)})` : ''}`;
        return `${stored}; ${env} uses it once the PR is merged.`;
      },
      applied: (s) => `${key} of ${s.environment} is now ${s.secret?.ref ?? ref}${s.secret?.version ? ` version ${shortVersion(s.secret.version)}` : ''}.`,
    },
    input,
  );
}
