/**
 * idp open: the component in the browser, as `heroku open` does — its Backstage entity page, one of its idp tabs
 * (an environment on the Environments tab, or on the Secrets & Variables, Logs or Metrics tab with --secrets, --logs,
 * --metrics), a PR, or with `--env <env>` the environment's running app itself (its URL as the runtime reports it,
 * "running at" in `idp env list`). The component is this folder's, as `idp info` resolves it (its catalog entity,
 * asked of the Backstage serving the API); the app's URL is what that Backstage reports (app.baseUrl, in /health's
 * servedBy), else the API URL's origin. Prints the URL instead of opening it with --print, with --json, or when
 * there is no way to open a browser here.
 */
import type { EnvironmentList, Health } from '@idp/core';
import { NotFoundError } from '@idp/core/errors';
import type { CommandInput } from '../command.js';
import { registerHint, resolveInCatalog } from '../catalog.js';
import { UsageError } from '../exit-codes.js';
import { checkEnvName, prNumber, setup, stringFlag } from './shared/common.js';

/**
 * The entity page's idp tabs. The same paths as TAB_PATHS in backstage-plugin/idp/src/plugin.tsx (kept here, not
 * imported: the CLI does not depend on the frontend package); the parity test checks they agree.
 */
export const TAB_PATHS = { environments: '/environments', releases: '/releases', secrets: '/secrets', logs: '/logs', metrics: '/metrics', activity: '/activity' } as const;

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

/** The running app's URL, as `idp env list` shows it ("running at …"); else why there is none to open. */
function appUrl(list: EnvironmentList, env: string): string {
  const found = list.environments.find((e) => e.name === env);
  if (!found) {
    const names = list.environments.map((e) => e.name);
    throw new NotFoundError(`${list.component} has no environment ${env}${names.length ? `; its environments are ${names.join(', ')}` : ''}.`);
  }
  const r = found.runtime;
  if (r?.state === 'running' && r.url) return r.url;
  if (!r) {
    throw new NotFoundError(
      found.source === 'pending'
        ? `${env} is only in an open PR: nothing runs for it until that PR is merged.`
        : `Nothing reports ${env} running: no runtime on this platform tells idp where its app answers. \`idp open ${env}\` opens its Environments tab.`,
    );
  }
  throw new NotFoundError(`${env} is ${r.state}${r.reason ? `: ${r.reason}` : ''}${r.state === 'starting' ? ' (try again in a moment)' : ''}; no app to open. \`idp logs --env ${env}\` shows what it wrote.`);
}

/** What `idp open` means on this machine: false when nothing can open a browser (the URL is printed instead). */
function canOpen(env: Record<string, string | undefined>): boolean {
  if (env.BROWSER) return env.BROWSER !== 'none';
  // A Linux box without a display (ssh, a container): xdg-open would start and fail on its own, noisily.
  return process.platform !== 'linux' || Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

/** The tab flags, in the order --help lists them. */
const TAB_FLAGS = ['releases', 'secrets', 'logs', 'metrics', 'activity'] as const;

export async function run(input: CommandInput): Promise<void> {
  const { args, flags, io, ui } = input;
  const pr = stringFlag(flags, 'pr');
  const envFlag = stringFlag(flags, 'env');
  const tabs = TAB_FLAGS.filter((t) => flags[t] === true);
  if (tabs.length > 1) throw new UsageError('Give one of --releases, --secrets, --logs, --metrics and --activity.');
  if (args[0] !== undefined && envFlag !== undefined) throw new UsageError(`Give the environment once: \`idp open ${args[0]}\` (its Environments tab) or \`idp open --env ${envFlag}\` (its running app).`);
  const env = args[0] ?? envFlag;
  if (pr !== undefined && (env !== undefined || tabs.length)) throw new UsageError('--pr opens a pull request: give no environment and no tab with it.');
  if (env !== undefined) checkEnvName(env);

  const { ctx, client, ref } = await setup(input);
  let url: string;
  if (pr !== undefined) {
    url = (await client.pull(ref, prNumber(pr))).url;
  } else if (envFlag !== undefined && !tabs.length) {
    // `idp open --env preview-1`: the app itself, where the runtime says it answers (any server: no web UI needed).
    url = await appUrl(await client.listEnvironments(ref), envFlag);
  } else {
    const health = await client.health();
    if (health.servedBy?.name !== 'Backstage') {
      throw new UsageError(
        `${ctx.api.url} is the standalone idp server: it has no web UI to open.`,
        'Point IDP_API_URL (or --api) at a Backstage serving the idp plugin; `idp open --pr <n>` still opens a pull request, `idp open --env <env>` the environment\'s running app.',
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
