/** idp whoami: who the server takes you for — your entity ref, the names four-eyes knows you by, and how you signed in. */
import type { CommandInput } from '../../command.js';
import { resolveApi, resolveUser } from '../../context.js';
import { clientFor, contextFlags } from '../shared/common.js';

export async function run(input: CommandInput): Promise<void> {
  const { io, ui, flags } = input;
  const api = resolveApi(contextFlags(flags), io.env);
  const client = clientFor({ api, user: await resolveUser(io.cwd, io.env) });
  const me = await client.whoami();
  if (ui.json) return ui.printJson(me);
  const c = ui.out;
  ui.print(`${c.bold(me.id)}  ${c.dim(`(${me.kind})`)}`);
  const others = me.aliases.filter((a) => a !== me.id);
  if (others.length) ui.print(`Also known as: ${others.join(', ')}`);
  ui.note(c.dim(`API ${api.url}; ${api.tokenSource ? `token from ${api.tokenSource}` : 'no token'}`));
}
