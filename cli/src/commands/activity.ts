/** idp activity: what idp did for the component — its workflows, newest first, with their PRs and Temporal links. */
import type { ActivityList, ActivityWorkflow } from '@idp/core';
import type { CommandInput } from '../command.js';
import { UsageError } from '../exit-codes.js';
import { colors, relativeTime, table, terminalSafe, type Colors } from '../output.js';
import { setup, stringFlag } from './shared/common.js';

/** Where a workflow is: its phase while it runs or once it ended normally, else how it ended (failed, terminated…). */
export function activityState(w: Pick<ActivityWorkflow, 'status' | 'phase' | 'stuck'>, c: Colors = colors(false)): string {
  const s = w.status === 'running' || w.status === 'completed' ? w.phase : w.status;
  const styled = s === 'merged' ? c.green(s) : s === 'open' || s === 'queued' || s === 'proposing' ? c.yellow(s) : c.red(s);
  return w.stuck ? `${styled} ${c.red('(stuck)')}` : styled;
}

/** One table: the workflows and the PRs no workflow follows, newest first (by start / by opening). */
export function activityTable(list: ActivityList, now: Date, c: Colors = colors(false)): string {
  const rows = [
    ...list.workflows.map((w) => ({
      at: w.startedAt ?? '',
      cells: [relativeTime(w.startedAt, now), w.kind, w.environment, activityState(w, c), w.requestedBy ?? '-', w.pr?.url ?? '-', w.workflowId, w.temporalUrl ?? '-'],
    })),
    ...list.pulls.map((p) => ({
      at: p.createdAt,
      cells: [relativeTime(p.createdAt, now), p.kind ?? '-', p.environment ?? '-', `PR ${p.state}`, p.author, p.url, '-', '-'],
    })),
  ].sort((a, b) => b.at.localeCompare(a.at));
  return table(['WHEN', 'KIND', 'ENV', 'STATUS', 'BY', 'PR', 'WORKFLOW', 'TEMPORAL'], rows.map((r) => r.cells), c);
}

export async function run(input: CommandInput): Promise<void> {
  const { ui, io } = input;
  const raw = stringFlag(input.flags, 'limit');
  const limit = raw === undefined ? undefined : Number(raw);
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= 100)) throw new UsageError(`--limit must be a whole number from 1 to 100, not "${raw}".`);
  const { client, ref } = await setup(input);
  const list = await client.activity(ref, limit === undefined ? {} : { limit });
  if (ui.json) return ui.printJson(list);
  if (list.workflows.length === 0 && list.pulls.length === 0) {
    ui.note(`No idp activity for ${list.component} yet. Changes start it: \`idp env clone staging preview-1\`, \`idp releases create --env staging --image <image>\`.`);
    return;
  }
  io.stdout.write(activityTable(terminalSafe(list), io.now(), ui.out));
}
