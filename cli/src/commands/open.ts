/**
 * idp open: the component in the browser, as `heroku open` does — its Backstage entity page, one of its idp tabs
 * (an environment on the Environments tab, or on the Secrets & Variables tab with --secrets), or a PR. The component is this folder's, as `idp info` resolves it (its
 * catalog entity, asked of the Backstage serving the API); the app's URL is what that Backstage reports (app.baseUrl,
 * in /health's servedBy), else the API URL's origin. Prints the URL instead of opening it with --print, with --json,
 * or when there is no way to open a browser here.
 */
import type { Health } from '@idp/core';
import type { CommandInput } from '../command.js';
import { registerHint, resolveInCatalog } from '../catalog.js';
import { UsageError } from '../exit-codes.js';
import { checkEnvName, prNumber, setup, stringFlag } from './shared/common.js';

/**
 * The entity page's idp tabs. The same paths as TAB_PATHS in backstage-plugin/idp/src/plugin.tsx (kept here, not
 * imported: the CLI does not depend on the frontend package); the parity test checks they agree.
 */
export const TAB_PATHS = { environments: '/environments', releases: '/releases', secrets: '/secrets', activity: '/activity' } as const;

/** `component:default/checkout` → `<app>/catalog/default/component/checkout`: Backstage's entity route (catalog-react's entityRouteParams: kind and namespace lower-cased). */
export function entityPageUrl(appUrl: string, entityRef: string): string {
  const m = /^([^:/]+):(?:([^/]+)\/)?(.+)$/.exec(entityRef);
  if (!m) throw new Error(`Not an entity ref: ${entityRef}`);
  const [, kind, namespace = 'default', name] = m;
  const enc = encodeURIComponent;
  return `${appUrl.replace(/\/+$/, '')}/catalog/${enc(namespace.toLowerCase())}/${enc(kind!.toLowerCase())}/${enc(name!)}`;
}

/** Where the Backstage app is: what the server reports, else the API URL without its /api/<plugin> path. */
export function appUrlOf(apiUrl: string, health: Pick<Health, 'servedBy'>): string {
  if (health.servedBy?.appUrl) return health.servedBy.appUrl.replace(/\/+$/, '');
  const u = new URL(apiUrl);
  return `${u.origin}${u.pathname.replace(/\/api\/[^/]+\/?$/, '').replace(/\/+$/, '')}`;
}

/** What `idp open` means on this machine: false when nothing can open a browser (the URL is printed instead). */
function canOpen(env: Record<string, string | undefined>): boolean {
  if (env.BROWSER) return env.BROWSER !== 'none';
  // A Linux box without a display (ssh, a container): xdg-open would start and fail on its own, noisily.
  return process.platform !== 'linux' || Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

export async function run(input: CommandInput): Promise<void> {
  const { args, flags, io, ui } = input;
  const env = args[0];
  const pr = stringFlag(flags, 'pr');
  const tabs = (['releases', 'secrets', 'activity'] as const).filter((t) => flags[t] === true);
  if (tabs.length > 1) throw new UsageError('Give one of --releases, --secrets and --activity.');
  if (pr !== undefined && (env !== undefined || tabs.length)) throw new UsageError('--pr opens a pull request: give no environment and no tab with it.');
  if (env !== undefined) checkEnvName(env);

  const { ctx, client, ref } = await setup(input);
  let url: string;
  if (pr !== undefined) {
    url = (await client.pull(ref, prNumber(pr))).url;
  } else {
    const health = await client.health();
    if (health.servedBy?.name !== 'Backstage') {
      throw new UsageError(
        `${ctx.api.url} is the standalone idp server: it has no web UI to open.`,
        'Point IDP_API_URL (or --api) at a Backstage serving the idp plugin; `idp open --pr <n>` still opens a pull request.',
      );
    }
    const found = await resolveInCatalog(client, ctx.component, io.cwd, io.env);
    if (found.status === 'not_found') throw new UsageError(`${ctx.component.repo} is not in the Backstage catalog: no page to open.`, registerHint(ctx.api.url, ctx.component.repo));
    if (found.status === 'ambiguous' || !found.entity) {
      throw new UsageError(
        `${found.candidates.length} catalog entities claim this folder: ${found.candidates.map((c) => c.entityRef).join(', ')}.`,
        'Run `idp info` for why; an idp.context rule in app-config (or a paws.yaml metadata.name matching one) settles it.',
      );
    }
    const page = entityPageUrl(appUrlOf(ctx.api.url, health), found.entity.entityRef);
    const tab = tabs[0] ?? (env !== undefined ? 'environments' : undefined);
    url = tab ? `${page}${TAB_PATHS[tab]}${env !== undefined ? `?env=${encodeURIComponent(env)}` : ''}` : page;
  }

  // A script wants the URL, not a browser.
  if (ui.json) return ui.printJson({ url });
  if (flags.print === true) return ui.print(url);
  const opened = io.openUrl ? await io.openUrl(url) : canOpen(io.env) && (await (await import('../auth/browser.js')).openBrowser(url, io.env));
  if (opened) return;
  io.stderr.write('No browser to open here: open this URL yourself.\n');
  ui.print(url);
}
