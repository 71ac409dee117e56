/**
 * idp secrets [list] --env staging: each key's store, reference, pinned version, whether it exists there and when it
 * last changed — never a value (the API never reads one) — and the store a new key of the environment goes to.
 */
import type { SecretList, SecretView } from '@idp/core';
import type { CommandInput } from '../../command.js';
import { colors, relativeTime, table, terminalSafe, type Colors } from '../../output.js';
import { setup } from '../shared/common.js';
import { secretsEnv } from './common.js';

/** A sops version is a commit: shown short, as git does; other stores' versions as they are. */
export const shortVersion = (v: string | undefined) => (v === undefined ? '-' : /^[0-9a-f]{40}$/.test(v) ? v.slice(0, 7) : v);

/** "yes", "no", "no (version)" when the secret is there but the pinned version is not, "?" when the store could not say. */
export function existsWord(s: SecretView, c: Colors = colors(false)): string {
  if (s.exists === undefined) return c.yellow('?');
  if (!s.exists) return c.red('no');
  if (s.versionExists === false) return c.red('no (version)');
  return c.green('yes');
}

export function secretsTable(list: SecretList, now: Date, c: Colors = colors(false)): string {
  const inherited = list.secrets.some((s) => s.source !== 'own');
  const rows = list.secrets.map((s) => [
    s.key,
    s.store,
    s.ref,
    shortVersion(s.version),
    existsWord(s, c),
    s.lastChanged ? relativeTime(s.lastChanged, now) : '-',
    ...(inherited ? [s.source === 'own' ? 'own' : s.source.replace(/^from:/, 'from ')] : []),
  ]);
  return table(['KEY', 'STORE', 'REFERENCE', 'VERSION', 'EXISTS', 'CHANGED', ...(inherited ? ['SOURCE'] : [])], rows, c);
}

/** Where a new key goes: "New keys of staging go to store local (sops): the default store." */
export function routeLine(list: SecretList): string {
  const r = list.route;
  return r.store ? `New keys of ${list.environment} go to store ${r.store} (${r.type}, ${r.ref ?? 'its own reference'}): ${r.why}` : `New keys of ${list.environment} cannot be written: ${r.why}`;
}

/** The open secret change: "Open: set STRIPE_KEY, PR #4 (url)". */
export function pendingLine(list: SecretList): string | undefined {
  const p = list.pending;
  if (!p) return undefined;
  const what = p.secret ? `${p.secret.action} ${p.secret.key}` : 'a secret change';
  return `Open: ${what}${p.pr ? `, PR #${p.pr.number} (${p.pr.url})` : ` (${p.phase})`}; the next secret change of ${list.environment} waits until it is merged or closed.`;
}

export async function run(input: CommandInput): Promise<void> {
  const { ui, io, flags } = input;
  const env = secretsEnv(flags, 'list', 'idp secrets --env staging');
  const { client, ref } = await setup(input);
  const list = await client.listSecrets(ref, env);
  if (ui.json) return ui.printJson(list);
  const safe = terminalSafe(list);
  if (safe.secrets.length === 0) ui.note(`${env} of ${safe.component} has no secrets. Set one: printf %s "$VALUE" | idp secrets set KEY --env ${env}`);
  else io.stdout.write(secretsTable(safe, io.now(), ui.out));
  for (const s of safe.secrets) if (s.problem) io.stdout.write(ui.out.yellow(`${s.key}: ${s.problem}`) + '\n');
  io.stdout.write(routeLine(safe) + '\n');
  const pending = pendingLine(safe);
  if (pending) io.stdout.write(pending + '\n');
}
