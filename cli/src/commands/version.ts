/**
 * idp version: this CLI's version, the API it talks to, and what serves that API (Backstage or the standalone
 * server) with its version, from the server's open /health. Diagnostic: exits 0 even when the server is unreachable.
 */
import type { Health } from '@idp/core';
import type { CommandInput } from '../command.js';
import { resolveApi } from '../context.js';
import { errorBody } from '../exit-codes.js';
import { cliVersion } from '../version.js';
import { PlatformClient } from '@idp/core/client';
import { contextFlags } from './shared/common.js';


export async function run(input: CommandInput): Promise<void> {
  const { io, ui, flags } = input;
  const api = resolveApi(contextFlags(flags), io.env);
  // /health needs no token: a stored sign-in is neither sent nor renewed for it.
  const client = new PlatformClient({ baseUrl: api.url });
  let health: Health | undefined;
  let error: { code: string; message: string } | undefined;
  try {
    health = await client.health();
  } catch (e) {
    const { code, message } = errorBody(e).error;
    error = { code, message };
  }
  const result = {
    cli: { version: cliVersion() },
    api: { url: api.url, source: api.urlSource },
    server: health
      ? { reachable: true, apiVersion: health.version, servedBy: health.servedBy ?? null, status: health.status }
      : { reachable: false, error },
  };
  if (ui.json) return ui.printJson(result);
  const c = ui.out;
  const row = (label: string, value: string) => ui.print(`${c.bold(label.padEnd(12))}${value}`);
  row('idp CLI', cliVersion());
  row('API', `${api.url}  ${c.dim(`(${api.urlSource})`)}`);
  if (health) {
    const by = health.servedBy;
    row('Served by', by ? (by.name === 'standalone' ? `the standalone idp server (idp-server) ${by.version}` : `${by.name} ${by.version}${by.appUrl ? ` at ${by.appUrl}` : ''}`) : 'not reported by this server (an idp server older than the CLI?)');
    row('API version', `${health.version}${health.status === 'ok' ? '' : `  ${c.yellow(`(${health.status}: Temporal ${health.temporal.reachable ? 'reachable' : 'unreachable'})`)}`}`);
  } else {
    row('Served by', c.red(`unknown: ${error?.message ?? 'no answer'}`));
  }
}
