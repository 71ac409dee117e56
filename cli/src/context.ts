/**
 * Where am I? Resolves the component (and the repository + paws.yaml path the
 * Platform API needs), the API URL and token, and the acting user — each with a
 * human-readable `source` saying what it was resolved from, which `idp info`
 * prints.
 *
 * Component, in order:
 *   1. --component flag, 2. IDP_COMPONENT,
 *   3. the nearest paws.yaml walking up from the cwd (its metadata.name),
 *   4. the name of the working copy's `origin` remote.
 * A requested component (1, 2) is looked up among the working copy's paws.yaml
 * files by metadata.name; when that is not unique, or when no component was
 * requested and the cwd is above several paws.yaml files, the candidates are
 * listed and a UsageError is thrown instead of guessing.
 *
 * Repository: `git remote get-url origin` of the working copy containing the
 * paws.yaml; path: the paws.yaml's path relative to that working copy's root.
 * `--repo <remote>` / IDP_REPO (with `--path`, default paws.yaml) skip the local
 * discovery altogether, for scripts and CI without a clone.
 */
import { DEFAULT_API_URL } from '@idp/core/client';
import { existsSync, realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { readLogin } from './auth/store.js';
import { installedApi } from './installed.js';
import { UsageError } from './exit-codes.js';
import { configValue, normalizeRemote, pawsFilesIn, remoteUrl, repoName, worktreeRoot } from './git.js';


export type Env = Record<string, string | undefined>;

export interface ContextFlags {
  component?: string;
  repo?: string;
  path?: string;
  api?: string;
}

export interface ComponentContext {
  /** Null when the paws.yaml found has no readable metadata.name (the server will say why). */
  component: string | null;
  componentSource: string;
  /** Git remote of the component, as the Platform API wants it (RepoRef.repo). */
  repo: string;
  repoSource: string;
  /** paws.yaml path inside the repository (RepoRef.path). */
  path: string;
  pathSource: string;
  /** Root of the local working copy the context came from (absent with --repo). */
  root?: string;
  /** Absolute path of the local paws.yaml, when one was used. */
  pawsFile?: string;
}

export interface ApiContext {
  url: string;
  urlSource: string;
  /** The bearer token, or how to get it (the stored login, renewed when it is about to expire). */
  token?: string | (() => Promise<string>);
  /** Where the token comes from, as `idp info` and error messages name it. */
  tokenSource?: 'IDP_TOKEN' | 'IDP_API_TOKEN' | 'idp login';
}

/**
 * The token, in order: IDP_TOKEN (a Backstage token: CI, scripts), IDP_API_TOKEN (the standalone server's shared
 * secret, sent with the acting user's name), then what `idp login` stored for this API URL.
 */
function tokenFor(url: string, env: Env): Pick<ApiContext, 'token' | 'tokenSource'> {
  if (env.IDP_TOKEN) return { token: env.IDP_TOKEN, tokenSource: 'IDP_TOKEN' };
  if (env.IDP_API_TOKEN) return { token: env.IDP_API_TOKEN, tokenSource: 'IDP_API_TOKEN' };
  let stored = false;
  try {
    stored = readLogin(env, url) !== undefined;
  } catch {
    // An unreadable credentials file: no login; `idp login` says what is wrong with it.
  }
  if (!stored) return {};
  // Loaded only when a command sends a request: the refresh code is not on the path of `idp --version`.
  return { token: () => import('./auth/session.js').then((m) => m.freshAccessToken(env, url)), tokenSource: 'idp login' };
}

/** A token that names the caller (Backstage): the server takes the user from it, so x-idp-user is not sent. */
export const identityToken = (api: ApiContext) => api.tokenSource === 'IDP_TOKEN' || api.tokenSource === 'idp login';

export interface UserContext {
  user?: string;
  source: string;
}

export function resolveApi(flags: ContextFlags, env: Env): ApiContext {
  if (flags.api) return { url: flags.api, urlSource: 'from --api', ...tokenFor(flags.api, env) };
  if (env.IDP_API_URL) return { url: env.IDP_API_URL, urlSource: 'from IDP_API_URL', ...tokenFor(env.IDP_API_URL, env) };
  const installed = installedApi();
  if (installed) return { url: installed.apiUrl, urlSource: `installed from this Backstage (${installed.file}); set IDP_API_URL or pass --api to change`, ...tokenFor(installed.apiUrl, env) };
  return { url: DEFAULT_API_URL, urlSource: 'default; set IDP_API_URL or pass --api to change', ...tokenFor(DEFAULT_API_URL, env) };
}

export async function resolveUser(cwd: string, env: Env): Promise<UserContext> {
  if (env.IDP_USER) return { user: env.IDP_USER, source: 'from IDP_USER' };
  const email = await configValue('user.email', cwd, env);
  if (email) return { user: email, source: 'from git config user.email' };
  return { source: 'not set; set IDP_USER or `git config user.email`' };
}

/** metadata.name of a paws.yaml, or null when unreadable. yaml is only loaded when a paws.yaml is actually found. */
export async function readComponentName(file: string): Promise<string | null> {
  try {
    const text = await readFile(file, 'utf8');
    const { parse } = await import('yaml');
    const doc: unknown = parse(text);
    const name = (doc as { metadata?: { name?: unknown } } | null)?.metadata?.name;
    return typeof name === 'string' && name ? name : null;
  } catch {
    return null;
  }
}

/** The nearest `paws.yaml` in `from` or its parents, not going above `stop` (the working copy's root) when given. */
export function findUp(from: string, stop: string | null, name = 'paws.yaml'): string | null {
  let dir = from;
  for (;;) {
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
    if (stop && dir === stop) return null;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

const toPosix = (p: string) => p.split(path.sep).join('/');

/** `./paws.yaml`, `../paws.yaml`, `services/cart/paws.yaml`: how a file looks from the cwd. */
function fromCwd(cwd: string, file: string): string {
  const rel = toPosix(path.relative(cwd, file));
  return rel.startsWith('.') ? rel : `./${rel}`;
}

const NEEDS_REPO =
  'The Platform API needs the repository the component lives in, so --component or IDP_COMPONENT alone is not enough.';

function noContextError(cwd: string, requested: { name: string; source: string } | undefined, stray: string | null): UsageError {
  return new UsageError(
    [
      requested
        ? `${requested.source} names component "${requested.name}", but ${cwd} is not inside a git working copy, so its repository is unknown.`
        : stray
          ? `Found ${stray}, but it is not inside a git working copy, so the component's repository is unknown.`
          : `No component here: found no paws.yaml in ${cwd} or its parents, and it is not inside a git working copy.`,
      NEEDS_REPO,
      'Fix: cd into the service\'s folder (a clone of its repository, containing paws.yaml), or pass --repo <git remote> [--path <paws.yaml path>] (or set IDP_REPO).',
    ].join('\n'),
  );
}

function listing(cwd: string, root: string, files: { rel: string; name: string | null }[]): string {
  const width = Math.max(...files.map((f) => (f.name ?? '(no metadata.name)').length));
  return files.map((f) => `  ${(f.name ?? '(no metadata.name)').padEnd(width)}  ${fromCwd(cwd, path.join(root, f.rel))}`).join('\n');
}

export async function resolveComponent(flags: ContextFlags, env: Env, cwdIn: string): Promise<ComponentContext> {
  const requested = flags.component
    ? { name: flags.component, source: '--component' }
    : env.IDP_COMPONENT
      ? { name: env.IDP_COMPONENT, source: 'IDP_COMPONENT' }
      : undefined;

  // 0. An explicit repository: no local discovery at all.
  const explicitRepo = flags.repo ? { url: flags.repo, source: 'from --repo' } : env.IDP_REPO ? { url: env.IDP_REPO, source: 'from IDP_REPO' } : undefined;
  if (explicitRepo) {
    return {
      component: requested?.name ?? repoName(explicitRepo.url),
      componentSource: requested ? `from ${requested.source}` : `from the repository name in ${explicitRepo.source.slice(5)}`,
      repo: explicitRepo.url,
      repoSource: explicitRepo.source,
      path: flags.path ?? 'paws.yaml',
      pathSource: flags.path ? 'from --path' : 'default',
    };
  }

  let cwd = cwdIn;
  try {
    cwd = realpathSync(cwdIn);
  } catch {
    throw new UsageError(`The current directory ${cwdIn} does not exist.`);
  }
  const root = await worktreeRoot(cwd, env);
  if (!root) throw noContextError(cwd, requested, requested ? null : findUp(cwd, null));

  const origin = await remoteUrl(root, env);
  if (!origin) {
    throw new UsageError(
      [
        `The git working copy ${root} has no "origin" remote, so the component's repository is unknown.`,
        `Fix: git remote add origin <url of the component's repository>, or pass --repo <git remote>.`,
      ].join('\n'),
    );
  }
  const repo = normalizeRemote(origin, root);
  const repoSource = `from git remote origin of ${root}`;
  const chosen = (file: string, component: string | null, componentSource: string, pathSource: string): ComponentContext => ({
    component,
    componentSource,
    repo,
    repoSource,
    path: toPosix(path.relative(root, file)),
    pathSource,
    root,
    pawsFile: file,
  });

  // --path: the paws.yaml is named explicitly (relative to the working copy's root).
  if (flags.path) {
    const file = path.resolve(root, flags.path);
    const name = existsSync(file) ? await readComponentName(file) : null;
    return {
      ...chosen(file, requested?.name ?? name ?? repoName(repo), requested ? `from ${requested.source}` : name ? `from ${fromCwd(cwd, file)} metadata.name` : 'from the name of git remote origin', 'from --path'),
      pawsFile: existsSync(file) ? file : undefined,
    };
  }

  const nearest = findUp(cwd, root);
  const nearestName = nearest ? await readComponentName(nearest) : null;

  if (!requested && nearest) {
    return chosen(
      nearest,
      nearestName,
      nearestName ? `from ${fromCwd(cwd, nearest)} metadata.name` : `${fromCwd(cwd, nearest)} has no readable metadata.name`,
      'nearest paws.yaml above the current directory',
    );
  }
  if (requested && nearest && nearestName === requested.name) {
    return chosen(nearest, requested.name, `from ${requested.source}, matching ${fromCwd(cwd, nearest)}`, 'nearest paws.yaml above the current directory');
  }

  // Look at every paws.yaml of the working copy.
  const rels = (await pawsFilesIn(root, env)).filter((rel) => existsSync(path.join(root, rel)));
  const files = await Promise.all(rels.map(async (rel) => ({ rel, name: await readComponentName(path.join(root, rel)) })));

  if (requested) {
    const matches = files.filter((f) => f.name === requested.name);
    if (matches.length === 1) {
      const file = path.join(root, matches[0]!.rel);
      return chosen(file, requested.name, `from ${requested.source}, matching ${fromCwd(cwd, file)}`, `the paws.yaml in ${root} named "${requested.name}"`);
    }
    if (matches.length > 1) {
      throw new UsageError(
        [
          `Several paws.yaml files in ${root} name component "${requested.name}":`,
          listing(cwd, root, matches),
          `cd into the one you mean, or pass --path <paws.yaml path>.`,
        ].join('\n'),
      );
    }
    if (files.length === 0) {
      // No paws.yaml checked out: trust the name and let the server read paws.yaml at the repository root.
      return { component: requested.name, componentSource: `from ${requested.source}`, repo, repoSource, path: 'paws.yaml', pathSource: 'default (no paws.yaml in the working copy)', root };
    }
    throw new UsageError(
      [`No paws.yaml in ${root} names component "${requested.name}". The components there are:`, listing(cwd, root, files), `Pass one of these names, or cd into its folder.`].join('\n'),
    );
  }

  if (files.length === 1) {
    const file = path.join(root, files[0]!.rel);
    const name = files[0]!.name;
    return chosen(file, name, name ? `from ${fromCwd(cwd, file)} metadata.name (the only paws.yaml in ${root})` : `${fromCwd(cwd, file)} has no readable metadata.name`, `the only paws.yaml in ${root}`);
  }
  if (files.length > 1) {
    throw new UsageError(
      [
        `Several components in ${root}, and none above ${cwd}:`,
        listing(cwd, root, files),
        `cd into the folder of the one you mean, or pass --component <name> (or set IDP_COMPONENT).`,
      ].join('\n'),
    );
  }
  // No paws.yaml anywhere in the working copy: the repository's name, and paws.yaml at its root.
  return {
    component: repoName(repo),
    componentSource: 'from the name of git remote origin (no paws.yaml in the working copy)',
    repo,
    repoSource,
    path: 'paws.yaml',
    pathSource: 'default (no paws.yaml in the working copy)',
    root,
  };
}

/** Everything a command needs to call the server. */
export interface Context {
  component: ComponentContext;
  api: ApiContext;
  user: UserContext;
}

export async function resolveContext(flags: ContextFlags, env: Env, cwd: string): Promise<Context> {
  const [component, user] = await Promise.all([resolveComponent(flags, env, cwd), resolveUser(cwd, env)]);
  return { component, api: resolveApi(flags, env), user };
}
