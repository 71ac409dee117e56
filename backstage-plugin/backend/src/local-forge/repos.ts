/**
 * The local forge's repositories as the Scaffolder and the catalog see them: bare git repositories on disk, named by
 * file:// URLs (`file:///…/repos/payments.git`, the spelling idp's CLI, API and context resolver already accept).
 * Where new ones are created, and which folders may be read (IDP_REPO_ROOTS: the embedded stack's IDP_HOME).
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Config } from '@backstage/config';
import { configFromEnv } from '@idp/api';

/** A repository name: what a Component name may be (DNS-1123 label), so `<name>.git` is one plain folder. */
export const REPO_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export interface LocalForgeSettings {
  /** Where new repositories are created (`idp.localForge.directory`, default $IDP_HOME/repos). */
  directory: string;
  /** The folders whose repositories may be read and served (IDP_REPO_ROOTS); empty: none. */
  roots: string[];
}

export function localForgeSettings(config: Config, env: NodeJS.ProcessEnv = process.env): LocalForgeSettings {
  const home = resolve(env.IDP_HOME ?? '.idp');
  return {
    directory: resolve(config.getOptionalString('idp.localForge.directory') ?? join(home, 'repos')),
    roots: configFromEnv(env).repoRoots,
  };
}

export function repoPath(settings: LocalForgeSettings, name: string): string {
  return join(settings.directory, `${name}.git`);
}

/** `file:///…/payments.git`: what `git clone` takes and idp resolves. */
export function repoUrl(path: string): string {
  return pathToFileURL(path).href;
}

export function isInside(path: string, roots: string[]): boolean {
  return roots.some((root) => path === root || path.startsWith(root.endsWith(sep) ? root : root + sep));
}

function isBareRepo(dir: string): boolean {
  try {
    return statSync(dir).isDirectory() && existsSync(join(dir, 'HEAD')) && existsSync(join(dir, 'objects')) && existsSync(join(dir, 'refs'));
  } catch {
    return false;
  }
}

/**
 * A file:// URL read as (bare repository, path inside it): the first `*.git` folder of the path that is a bare
 * repository under the roots. `file:///srv/repos/payments.git/docs/x.md` → (/srv/repos/payments.git, docs/x.md).
 * `repoUrl` is the repository's URL as spelled in `url`. Undefined for anything else: a URL outside the roots reads exactly as a missing one.
 */
export function locateInRepo(url: URL, roots: string[]): { gitdir: string; repoUrl: string; path: string } | undefined {
  if (url.protocol !== 'file:' || (url.hostname && url.hostname !== 'localhost')) return undefined;
  const parts = fileURLToPath(url).split(sep);
  for (let i = 1; i <= parts.length; i++) {
    const candidate = parts.slice(0, i).join(sep);
    if (!candidate.endsWith('.git') || !isBareRepo(candidate)) continue;
    const gitdir = realpathSync(candidate);
    if (!isInside(gitdir, roots)) return undefined;
    return { gitdir, repoUrl: repoUrl(candidate), path: parts.slice(i).filter(Boolean).join('/') };
  }
  return undefined;
}
