/**
 * idp secrets check --env production: whether every reference of the environment resolves in its store (the secret
 * exists, and so does its pinned version), in one API call; values are not read back. Exit 1 with the list when not.
 */
import type { CommandInput } from '../../command.js';
import { OutcomeError } from '../../exit-codes.js';
import { terminalSafe } from '../../output.js';
import { setup } from '../shared/common.js';
import { secretsEnv } from './common.js';

export async function run(input: CommandInput): Promise<void> {
  const { ui, io, flags } = input;
  const env = secretsEnv(flags, 'check', 'idp secrets check --env production');
  const { client, ref } = await setup(input);
  const list = terminalSafe(await client.listSecrets(ref, env, { check: true }));
  const problems = list.check?.problems ?? [];
  if (ui.json) ui.printJson(list);
  else if (problems.length === 0) io.stdout.write(`${list.secrets.length === 0 ? `${env} has no secrets` : `All ${list.secrets.length} secret${list.secrets.length === 1 ? '' : 's'} of ${env} resolve in their stores`}.\n`);
  else for (const p of problems) io.stdout.write(`${ui.out.red(p.key)}: ${p.problem}\n`);
  if (problems.length || !list.check) {
    throw new OutcomeError('secrets_unresolved', `${problems.length} of ${list.secrets.length} secrets of ${env} do not resolve in their stores${problems.length ? `: ${problems.map((p) => p.key).join(', ')}` : ''}.`);
  }
}
