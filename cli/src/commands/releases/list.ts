/**
 * idp releases [list] [--env production]: each environment's release ledger,
 * newest first (Heroku's `heroku releases`), from the server's ledger.
 */
import { NotFoundError } from '@idp/core/errors';
import type { EnvironmentReleases, ReleaseList } from '@idp/core';
import type { CommandInput } from '../../command.js';
import { colors, relativeTime, table, terminalSafe, type Colors } from '../../output.js';
import { checkEnvName, setup, stringFlag } from '../shared/common.js';
import { kindLabel, outcomeLabel, shortImage } from './common.js';

/** One environment: a "=== production" header (with what is current), then its releases. */
export function ledgerTable(e: EnvironmentReleases, now: Date, c: Colors = colors(false)): string {
  const current = e.current ? `current v${e.current.number}: ${shortImage(e.current.image)}` : 'no release merged yet';
  const header = `${c.bold(`=== ${e.env}`)}  ${c.dim(current)}\n` + (e.stuck ? `${c.red(e.stuck)}\n` : '');
  if (e.releases.length === 0) return `${header}No releases yet: \`idp releases create --env ${e.env} --image <image:tag>\`.\n`;
  const rows = e.releases.map((r) => [
    `v${r.number}`,
    shortImage(r.image) + (r.kind === 'create' ? '' : c.dim(` (${kindLabel(r)})`)),
    r.pr ? `#${r.pr.number}` : '-',
    r.requestedBy,
    r.approvers.length ? r.approvers.join(', ') : '-',
    relativeTime(r.requestedAt, now),
    outcomeLabel(r.outcome, c) + (r.outsidePolicy ? c.red(' outside policy') : '') + (e.current && r.number === e.current.number ? c.dim(' (current)') : ''),
  ]);
  // A merge the policy did not allow (made in the forge's UI) is deployed all the same: say what was missing.
  const outside = e.releases.filter((r) => r.outsidePolicy).map((r) => c.red(`v${r.number} was merged outside its release policy; missing: ${r.outsidePolicy}`) + '\n');
  return header + table(['VERSION', 'IMAGE', 'PR', 'REQUESTED BY', 'APPROVED BY', 'WHEN', 'OUTCOME'], rows, c) + outside.join('');
}

export function ledgers(list: ReleaseList, now: Date, c: Colors = colors(false)): string {
  return list.environments.map((e) => ledgerTable(e, now, c)).join('\n');
}

export async function run(input: CommandInput): Promise<void> {
  const { ui, io } = input;
  const env = stringFlag(input.flags, 'env');
  if (env !== undefined) checkEnvName(env);
  const { client, ref } = await setup(input);
  let list = await client.listReleases(ref);
  if (env !== undefined) {
    const found = list.environments.filter((e) => e.env === env);
    if (found.length === 0) {
      const names = list.environments.map((e) => e.env);
      throw new NotFoundError(`${list.component} has no environment ${env}${names.length ? `; its environments are ${names.join(', ')}` : ''}.`);
    }
    list = { ...list, environments: found };
  }
  if (ui.json) return ui.printJson(list);
  if (list.environments.length === 0) {
    ui.note(`${list.component} has no environments to release to yet. Create one with \`idp env create <name>\`.`);
    return;
  }
  io.stdout.write(ledgers(terminalSafe(list), io.now(), ui.out));
}
