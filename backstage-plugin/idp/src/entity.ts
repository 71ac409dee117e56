/**
 * Which repository and paws.yaml a catalog entity is, read from its annotations the way idp's Scaffolder actions and
 * the backend's context resolution read them: `backstage.io/source-location`, and `idp/paws-path` to override where
 * paws.yaml is.
 */
import type { Entity } from '@backstage/catalog-model';
import type { RepoRef } from '@idp/core';

export const SOURCE_LOCATION = 'backstage.io/source-location';
export const PAWS_PATH = 'idp/paws-path';

/** Components idp can act on: they say where their repository is. */
export function isIdpComponent(entity: Entity): boolean {
  return entity.kind.toLowerCase() === 'component' && entityRepo(entity) !== undefined;
}

// TODO(slice 2): share one parser with actions/src/component.ts (providers' parseSourceLocation is Node-only today).
export function entityRepo(entity: Entity): RepoRef | undefined {
  const annotations = entity.metadata.annotations ?? {};
  const location = annotations[SOURCE_LOCATION];
  if (!location) return undefined;
  const target = location.replace(/^url:/i, '');
  if (/^file:\/\//i.test(target)) {
    const path = decodeURIComponent(new URL(target).pathname).replace(/\/+$/, '');
    return { repo: path, path: annotations[PAWS_PATH] ?? 'paws.yaml' };
  }
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return undefined;
  }
  const m = /^\/(.+?)(?:\/-)?\/(?:tree|blob)\/[^/]+(?:\/(.*))?$/.exec(url.pathname);
  const repoPath = (m ? m[1]! : url.pathname).replace(/^\/+|\/+$/g, '').replace(/\.git$/, '');
  const dir = (m?.[2] ?? '').replace(/^\/+|\/+$/g, '');
  return { repo: `https://${url.host}/${repoPath}`, path: annotations[PAWS_PATH] ?? (dir ? `${dir}/paws.yaml` : 'paws.yaml') };
}
