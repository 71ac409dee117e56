/** idp logout: revoke the stored sign-in for this API URL on the server and forget it here. */
import type { CommandInput } from '../../command.js';
import { resolveApi } from '../../context.js';
import { contextFlags } from '../shared/common.js';
import { revoke } from '../../auth/oauth.js';
import { deleteLogin, readLogin } from '../../auth/store.js';

export async function run(input: CommandInput): Promise<void> {
  const { io, ui, flags } = input;
  const api = resolveApi(contextFlags(flags), io.env);
  const login = readLogin(io.env, api.url);
  if (!login) {
    if (ui.json) return ui.printJson({ api: api.url, signedOut: false });
    ui.print(`Not signed in to ${api.url}.`);
    return;
  }
  let revoked = true;
  try {
    await revoke(login);
  } catch (e) {
    // Forgotten here all the same: a server that is gone must not keep you signed in on this machine.
    revoked = false;
    ui.note(`Could not revoke the sign-in on ${login.backend} (${e instanceof Error ? e.message : String(e)}); it is forgotten here, and its refresh token expires on its own.`);
  }
  deleteLogin(io.env, api.url);
  if (ui.json) return ui.printJson({ api: api.url, signedOut: true, revoked, user: login.user ?? null });
  ui.print(`Signed out of ${login.backend}${login.user ? ` (${login.user})` : ''}.`);
  if (io.env.IDP_TOKEN) ui.note('IDP_TOKEN is still set: commands keep using it until you unset it.');
}
