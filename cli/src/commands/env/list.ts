/** idp env list: the component's environments, on the default branch and pending in PRs. */
import type { EnvironmentView } from '@idp/core';
import type { CommandInput } from '../../command.js';
import { colors, relativeTime, table, terminalSafe, type Colors } from '../../output.js';
import { setup } from '../shared/common.js';

type Pull = EnvironmentView['pulls'][number];

/** The PR's workflow kind, from the server's annotation or the branch (idp/<kind>/<component>/<env>). */
const kindOf = (p: Pull) => p.kind ?? /^idp\/(env-[a-z]+)\//.exec(p.head)?.[1];

/** "live", "pending PR #3", "teardown PR #5", "live, extend PR #7", "live, release PR #8", "expired". */
export function envStatus(e: EnvironmentView, now: Date, c: Colors = colors(false)): string {
  const open = e.pulls.filter((p) => p.state === 'open');
  const teardown = open.find((p) => kindOf(p) === 'env-destroy' || kindOf(p) === 'env-ttl');
  const creating = e.source === 'pending' ? (open.find((p) => kindOf(p) === 'env-clone' || kindOf(p) === 'env-create') ?? open[0]) : undefined;
  const parts: string[] = [];
  if (teardown) parts.push(c.red(`teardown PR #${teardown.number}`));
  else if (e.source === 'pending') parts.push(c.yellow(creating ? `pending PR #${creating.number}` : 'pending'));
  else if (e.expiresAt && Date.parse(e.expiresAt) <= now.getTime()) parts.push(c.red('expired'));
  else parts.push(c.green('live'));
  for (const p of open) {
    if (p === teardown || p === creating) continue;
    parts.push(kindOf(p) === 'env-extend' ? `extend PR #${p.number}` : kindOf(p) === 'env-vars' ? `variables PR #${p.number}` : kindOf(p) === 'env-secrets' ? `secret PR #${p.number}` : kindOf(p) === 'release' ? `release PR #${p.number}` : `PR #${p.number}`);
  }
  // A workflow that cannot bring its PR up to date (the change no longer applies): say so, it needs a human.
  // Or whose activity keeps failing (stuck: retrying ...): the details follow the table.
  for (const w of e.workflows) if (w.stuck) parts.push(c.red(w.pr ? `PR #${w.pr.number} stuck` : `${w.kind} stuck`));
  // What runs for it, where a runtime reports (the embedded stack's local runtime); why it crashed follows the table.
  const r = e.runtime;
  if (r) parts.push(r.state === 'running' ? c.green(r.url ? `running at ${r.url}` : 'running') : r.state === 'crashed' ? c.red('crashed') : r.state === 'starting' ? c.yellow('starting') : 'stopped');
  return parts.join(', ');
}

export function envTable(envs: EnvironmentView[], now: Date, c: Colors = colors(false)): string {
  const rows = envs.map((e) => [
    e.name,
    e.from ?? '-',
    e.expiresAt ? relativeTime(e.expiresAt, now) : '-',
    envStatus(e, now, c),
    e.pulls.filter((p) => p.state === 'open').map((p) => p.url).join(' '),
  ]);
  return table(['NAME', 'FROM', 'EXPIRES', 'STATUS', 'PR'], rows, c);
}

export async function run(input: CommandInput): Promise<void> {
  const { ui, io } = input;
  const { client, ref } = await setup(input);
  const list = await client.listEnvironments(ref);
  if (ui.json) return ui.printJson(list);
  if (list.environments.length === 0) {
    ui.note(`${list.component} has no environments yet. Create one with \`idp env create <name>\`.`);
    return;
  }
  const safe = terminalSafe(list);
  io.stdout.write(envTable(safe.environments, io.now(), ui.out));
  // Why each stuck workflow is stuck: what a human must look at.
  for (const e of safe.environments) for (const w of e.workflows) if (w.stuck) io.stdout.write(ui.out.red(`${e.name}: ${w.workflowId}: ${w.stuck}`) + '\n');
  for (const e of safe.environments) if (e.runtime?.state === 'crashed' && e.runtime.reason) io.stdout.write(ui.out.red(`${e.name}: crashed: ${e.runtime.reason}`) + '\n');
}
