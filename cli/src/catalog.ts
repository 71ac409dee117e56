/**
 * The working copy as the Backstage catalog knows it: what the CLI sees (remotes, the folder it runs in, the nearest
 * paws.yaml) sent to POST /context/resolve, where the server applies the catalog's annotations and the platform
 * team's `idp.context` rules. Asked only of a Backstage-served API; a standalone server has no catalog.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import type { ResolveContextRequest, ResolvedContext } from '@idp/core';
import type { PlatformClient } from '@idp/core/client';
import type { ComponentContext, Env } from './context.js';
import { remotes } from './git.js';

export async function resolveInCatalog(client: PlatformClient, ctx: ComponentContext, cwd: string, env: Env): Promise<ResolvedContext> {
  const found = ctx.root ? await remotes(ctx.root, env) : [];
  const request: ResolveContextRequest = {
    // Without a local working copy (--repo / IDP_REPO) the repository named is all there is.
    remotes: found.length ? found : [{ name: ctx.root ? 'origin' : 'repo', url: ctx.repo }],
    ...(ctx.root ? { path: relativeInside(ctx.root, cwd) } : {}),
    paws: { path: ctx.path, ...(ctx.component ? { name: ctx.component } : {}) },
  };
  return client.resolveContext(request);
}

/** cwd relative to the working copy's root, POSIX; '' at the root or outside it. */
function relativeInside(root: string, cwd: string): string {
  let here = cwd;
  try {
    here = realpathSync(cwd);
  } catch {
    // A vanished cwd was reported by the context already.
  }
  const rel = path.relative(root, here);
  return rel.startsWith('..') || path.isAbsolute(rel) ? '' : rel.split(path.sep).join('/');
}

/** What to do when the repository is not in the catalog (idp still works from paws.yaml). */
export function registerHint(apiUrl: string, repo: string): string {
  const backstage = apiUrl.replace(/\/api\/idp\/?$/, '');
  return [
    'idp works from paws.yaml as it is; to see this component in Backstage (owner, permissions by its owning group):',
    `  1. commit a catalog-info.yaml (kind: Component, spec.owner) whose backstage.io/source-location names ${repo}`,
    '     (or a github.com/project-slug / gitlab.com/project-slug annotation),',
    `  2. register it: ${backstage}/catalog-import, or add it under catalog.locations in app-config.`,
    'In a monorepo, a platform team can map a folder to an entity with idp.context.rules in app-config.',
  ].join('\n');
}
