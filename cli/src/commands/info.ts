/**
 * idp info: which component, repository, API and user this directory means,
 * and why (what each was resolved from); then the server's health and what it
 * knows about the component. Diagnostic: exits 0 even when there is no
 * context or the server is unreachable (both are shown).
 */
import type { ComponentInfo, Health, ResolvedContext } from '@idp/core';
import type { CommandInput } from '../command.js';
import { resolveApi, resolveComponent, resolveUser, type ComponentContext } from '../context.js';
import { errorBody, UsageError } from '../exit-codes.js';
import { shortSha } from '../output.js';
import { clientFor, contextFlags, repoRef } from './shared/common.js';
import { UnreachableError } from '@idp/core/client';
import { registerHint, resolveInCatalog } from '../catalog.js';

type ErrorInfo = { code: string; message: string };

/** `idp info --json` prints this (the only JSON shape that is not an API response). */
export interface InfoResult {
  context: ComponentContext | null;
  contextError?: ErrorInfo;
  api: { url: string; source: string; token: boolean; tokenSource?: string };
  user: { user?: string; source: string };
  server: { reachable: boolean; health?: Health; error?: ErrorInfo };
  component?: ComponentInfo;
  componentError?: ErrorInfo;
  /** Backstage only: the catalog entity this working copy is (or the candidates, or none). */
  catalog?: ResolvedContext;
  catalogError?: ErrorInfo;
}

const brief = (e: unknown): ErrorInfo => {
  const { code, message } = errorBody(e).error;
  return { code, message };
};

export async function gatherInfo(input: CommandInput): Promise<InfoResult> {
  const { io } = input;
  const flags = contextFlags(input.flags);
  const api = resolveApi(flags, io.env);
  const [ctxResult, user] = await Promise.all([
    resolveComponent(flags, io.env, io.cwd).then(
      (c) => ({ c }),
      (e: unknown) => ({ e }),
    ),
    resolveUser(io.cwd, io.env),
  ]);
  const result: InfoResult = {
    context: 'c' in ctxResult ? ctxResult.c : null,
    api: { url: api.url, source: api.urlSource, token: Boolean(api.token), ...(api.tokenSource ? { tokenSource: api.tokenSource } : {}) },
    user: { user: user.user, source: user.source },
    server: { reachable: false },
  };
  if ('e' in ctxResult) result.contextError = brief(ctxResult.e);

  const client = clientFor({ api, user });
  try {
    result.server = { reachable: true, health: await client.health() };
  } catch (e) {
    result.server = { reachable: !(e instanceof UnreachableError), error: brief(e) };
  }
  if (result.context && result.server.reachable) {
    const context = result.context;
    const backstage = result.server.health?.servedBy?.name === 'Backstage';
    await Promise.all([
      client.component(repoRef(context)).then(
        (c) => void (result.component = c),
        (e: unknown) => void (result.componentError = brief(e)),
      ),
      // The catalog exists only where Backstage serves the API; a standalone server keeps the local rules alone.
      backstage &&
        resolveInCatalog(client, context, io.cwd, io.env).then(
          (c) => void (result.catalog = c),
          (e: unknown) => void (result.catalogError = brief(e)),
        ),
    ]);
  }
  return result;
}

export async function run(input: CommandInput): Promise<void> {
  const { ui } = input;
  const info = await gatherInfo(input);
  // Several catalog entities for this folder: say which, and exit 2 as for any ambiguous context.
  const ambiguous = info.catalog?.status === 'ambiguous'
    ? new UsageError(
        [
          'Several catalog entities match this working copy:',
          ...info.catalog.candidates.map((m) => `  ${m.entityRef}${m.owner ? ` (owner ${m.owner})` : ''}: ${m.why}`),
          "Name the one you mean in paws.yaml's metadata.name, or ask the platform team for an idp.context rule in app-config.",
        ].join('\n'),
      )
    : undefined;
  if (ui.json) {
    ui.printJson(info);
    if (ambiguous) throw ambiguous;
    return;
  }
  const c = ui.out;
  const lines: string[] = [];
  const row = (label: string, value: string, why?: string) => lines.push(`${c.bold(label.padEnd(13))}${value}${why ? `  ${c.dim(`(${why})`)}` : ''}`);
  const indent = (text: string) => text.split('\n').map((l) => ' '.repeat(13) + l).join('\n');

  const ctx = info.context;
  if (ctx) {
    row('Component', ctx.component ?? 'unknown', ctx.componentSource);
    row('Repository', ctx.repo, ctx.repoSource);
    row('paws.yaml', ctx.path, ctx.pathSource);
  } else {
    row('Component', c.red('none'));
    lines.push(indent(info.contextError?.message ?? ''));
  }
  row('API', info.api.url, info.api.source);
  // With a Backstage token the server takes the user from it (`idp whoami`); IDP_USER/git's email is not sent.
  if (info.api.tokenSource === 'IDP_TOKEN' || info.api.tokenSource === 'idp login') row('User', 'the token\'s', 'run `idp whoami` for who the server takes you for');
  else row('User', info.user.user ?? c.yellow('none'), info.user.source);
  row('Token', info.api.token ? 'set' : 'none', info.api.token ? `from ${info.api.tokenSource}` : 'run `idp login`, or set IDP_TOKEN');
  lines.push('');

  const h = info.server.health;
  if (h) {
    row('Server', `${c.green('reachable')}, idp ${h.version}, status ${h.status === 'ok' ? c.green(h.status) : c.yellow(h.status)}`);
    const t = h.temporal;
    row('Temporal', `${t.address}, namespace ${t.namespace}, task queue ${t.taskQueue}: ${t.reachable ? c.green('reachable') : c.red('unreachable')}`);
    if (h.user) row('Acting as', h.user, 'as the server sees you');
  } else if (info.server.reachable) {
    row('Server', c.yellow('answered with an error'));
    lines.push(indent(info.server.error?.message ?? ''));
  } else {
    row('Server', c.red('unreachable'));
    lines.push(indent(info.server.error?.message ?? ''));
  }
  const comp = info.component;
  if (comp) {
    row('On server', `${comp.component}${comp.owner ? `, owner ${comp.owner}` : ''}; ${comp.provider} provider, ${comp.defaultBranch} at ${shortSha(comp.headSha)}`);
    row('Environments', comp.environments.length ? comp.environments.join(', ') : 'none');
  } else if (info.componentError) {
    row('On server', c.red(info.componentError.code));
    lines.push(indent(info.componentError.message));
  }
  const cat = info.catalog;
  if (cat?.status === 'matched' && cat.entity) {
    row('Catalog', `${cat.entity.entityRef}${cat.entity.owner ? `, owner ${cat.entity.owner}` : ''}`, cat.entity.why);
  } else if (cat?.status === 'ambiguous') {
    row('Catalog', c.yellow(`${cat.candidates.length} entities match`), 'see below');
  } else if (cat?.status === 'not_found') {
    row('Catalog', c.yellow('not in the catalog'));
    lines.push(indent(registerHint(info.api.url, info.context?.repo ?? 'this repository')));
    if (cat.searched.length) lines.push(indent(c.dim(`Looked for: ${cat.searched.join('; ')}.`)));
  } else if (info.catalogError) {
    row('Catalog', c.red(info.catalogError.code));
    lines.push(indent(info.catalogError.message));
  }
  for (const note of cat?.notes ?? []) lines.push(indent(c.yellow(note)));
  ui.print(lines.join('\n'));
  if (ambiguous) throw ambiguous;
}
