/**
 * Which catalog entity a working copy is: first the platform team's rules (`idp.context.rules` in app-config, for
 * monorepos and anything the annotations cannot say), then the Component whose annotations name the repository —
 * `backstage.io/source-location` (the most specific folder wins), `github.com/project-slug`, `gitlab.com/project-slug`.
 * The catalog is read with the caller's credentials, so it answers only with entities they may see, and asked by an
 * exact filter on the annotation values, never scanned.
 */
import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import { parseEntityRef, RELATION_OWNED_BY, stringifyEntityRef, type Entity } from '@backstage/catalog-model';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { InvalidRequestError, matchesGlob, repoPathProblem, type ContextMatch, type ResolveContextRequest, type ResolvedContext } from '@idp/core';
import { posix } from 'node:path';
import { describeRepo, parseSourceLocation, repoIdentity, sameRepo, sourceLocationSpellings, type RepoIdentity } from '@idp/providers';

export const SOURCE_LOCATION = 'backstage.io/source-location';
export const GITHUB_SLUG = 'github.com/project-slug';
export const GITLAB_SLUG = 'gitlab.com/project-slug';

/** One `idp.context.rules` entry: a repository (and a folder glob inside it) is this entity. */
export interface ContextRule {
  repo: string;
  id: RepoIdentity;
  path?: string;
  entity: string;
}

/** The rules of app-config, checked (an unreadable rule is a configuration error, reported as such). */
export function contextRules(config: Config): ContextRule[] {
  return (config.getOptionalConfigArray('idp.context.rules') ?? []).map((rule, i) => {
    const where = `idp.context.rules[${i}]`;
    const repo = rule.getString('repo');
    const id = repoIdentity(repo);
    if (!id) throw new Error(`${where}.repo "${repo}" is not a git remote, an owner/repo slug or an absolute path.`);
    const path = rule.getOptionalString('path');
    const problem = path ? repoPathProblem(path) : null;
    if (problem) throw new Error(`${where}.path "${path}" is not a folder glob inside the repository: ${problem}.`);
    let entity: string;
    try {
      entity = stringifyEntityRef(parseEntityRef(rule.getString('entity'), { defaultKind: 'component', defaultNamespace: 'default' }));
    } catch (e) {
      throw new Error(`${where}.entity: ${e instanceof Error ? e.message : String(e)}`);
    }
    return { repo, id, ...(path ? { path } : {}), entity };
  });
}

export interface ContextResolver {
  resolve(input: ResolveContextRequest, credentials: BackstageCredentials): Promise<ResolvedContext>;
}

/** The entity's owner as an entity ref (its ownedBy relation, else spec.owner as written). */
function ownerOf(entity: Entity): string | undefined {
  const rel = entity.relations?.find((r) => r.type === RELATION_OWNED_BY)?.targetRef;
  const spec = (entity.spec as { owner?: unknown } | undefined)?.owner;
  return rel ?? (typeof spec === 'string' ? spec : undefined);
}

function matchOf(entity: Entity, via: ContextMatch['via'], why: string): ContextMatch {
  const owner = ownerOf(entity);
  return { entityRef: stringifyEntityRef(entity), ...(entity.metadata.title ? { title: entity.metadata.title } : {}), ...(owner ? { owner } : {}), via, why };
}

const inside = (dir: string, folder: string) => folder === '' || dir === folder || dir.startsWith(`${folder}/`);

/** `rules` is asked on every request, so a changed app-config (where Backstage reloads it) changes the answer. */
export function createContextResolver({ catalog, rules }: { catalog: CatalogService; rules: () => ContextRule[] }): ContextResolver {
  return {
    async resolve(input, credentials) {
      const dir = (input.path ?? (input.paws ? posix.dirname(input.paws.path) : '')).replace(/^\.$/, '').replace(/^\/+|\/+$/g, '');
      for (const [what, p] of [['path', dir], ['paws.path', input.paws?.path ?? '']] as const) {
        const problem = p ? repoPathProblem(p) : null;
        if (problem) throw new InvalidRequestError(`${what} "${p}" is not a path inside the working copy: ${problem}.`);
      }
      const remotes = input.remotes.flatMap((r) => {
        const id = repoIdentity(r.url);
        return id ? [{ ...r, id }] : [];
      });
      const searched: string[] = [];
      const notes: string[] = [];
      const answer = (r: Pick<ResolvedContext, 'status'> & Partial<ResolvedContext>): ResolvedContext => ({ candidates: [], searched, notes, ...r });

      // 1. The platform team's rules, in the order written: the first that fits decides.
      for (const [i, rule] of rules().entries()) {
        const fits = remotes.some((r) => sameRepo(r.id, rule.id)) && (!rule.path || matchesGlob(dir, rule.path) || (input.paws ? matchesGlob(input.paws.path, rule.path) : false));
        if (!fits) continue;
        const described = `idp.context.rules[${i}] of app-config (repo ${rule.repo}${rule.path ? `, path ${rule.path}` : ''})`;
        const entity = await catalog.getEntityByRef(rule.entity, { credentials });
        if (!entity) {
          notes.push(`${described} names ${rule.entity}, which is not in the catalog or not visible to you.`);
          continue;
        }
        return answer({ status: 'matched', entity: matchOf(entity, 'rule', `${described}`) });
      }

      // 2. The annotations that name one of the remotes, asked as one filter query (OR of the alternatives).
      const sourceLocations = [...new Set(remotes.flatMap((r) => sourceLocationSpellings(r.id, dir)))];
      const slugs = (host: RegExp) => [...new Set(remotes.flatMap((r) => (r.id.kind === 'slug' || (r.id.kind === 'network' && (host.test(r.id.host) || !/git(hub|lab)/i.test(r.id.host))) ? [r.id.path] : [])))];
      const [github, gitlab] = [slugs(/github/i), slugs(/gitlab/i)];
      const filter: Record<string, string[] | string>[] = [
        ...(sourceLocations.length ? [{ kind: 'component', [`metadata.annotations.${SOURCE_LOCATION}`]: sourceLocations }] : []),
        ...(github.length ? [{ kind: 'component', [`metadata.annotations.${GITHUB_SLUG}`]: github }] : []),
        ...(gitlab.length ? [{ kind: 'component', [`metadata.annotations.${GITLAB_SLUG}`]: gitlab }] : []),
      ];
      for (const r of remotes) searched.push(`${SOURCE_LOCATION} naming ${describeRepo(r.id)}${r.id.kind === 'file' ? '' : ` (or a folder above ${dir || 'the root'})`}`);
      if (github.length) searched.push(`${GITHUB_SLUG}: ${github.join(', ')}`);
      if (gitlab.length) searched.push(`${GITLAB_SLUG}: ${gitlab.join(', ')}`);
      if (!filter.length) return answer({ status: 'not_found' });
      const { items } = await catalog.getEntities({ filter }, { credentials });

      // The catalog matched case-insensitively on exact values: check each hit, and how specific it is.
      const hits = items.flatMap((entity) => {
        const annotations = entity.metadata.annotations ?? {};
        const found: { depth: number; why: string }[] = [];
        const location = annotations[SOURCE_LOCATION] ? parseSourceLocation(annotations[SOURCE_LOCATION]) : undefined;
        const remote = location && remotes.find((r) => sameRepo(r.id, location.repo));
        if (location && remote && (inside(dir, location.subpath) || (input.paws && inside(posix.dirname(input.paws.path), location.subpath)))) {
          found.push({ depth: location.subpath ? location.subpath.split('/').length : 0, why: `its ${SOURCE_LOCATION} ${annotations[SOURCE_LOCATION]} is the ${remote.name} remote${location.subpath ? ` at ${location.subpath}` : ''}` });
        }
        for (const [annotation, allowed] of [[GITHUB_SLUG, github], [GITLAB_SLUG, gitlab]] as const) {
          const slug = annotations[annotation];
          const remote = slug && allowed.some((s) => s.toLowerCase() === slug.toLowerCase()) ? remotes.find((r) => r.id.path.toLowerCase() === slug.toLowerCase()) : undefined;
          if (remote) found.push({ depth: 0, why: `its ${annotation} ${slug} is the ${remote.name} remote (${remote.url})` });
        }
        if (!found.length) return [];
        const best = found.sort((a, b) => b.depth - a.depth)[0]!;
        return [{ entity, depth: best.depth, why: best.why }];
      });
      if (!hits.length) return answer({ status: 'not_found' });
      const deepest = Math.max(...hits.map((h) => h.depth));
      const top = hits.filter((h) => h.depth === deepest);
      if (top.length === 1) return answer({ status: 'matched', entity: matchOf(top[0]!.entity, 'annotation', top[0]!.why) });
      // Several entities for one repository: the one paws.yaml names, if exactly one is.
      const named = input.paws?.name ? top.filter((h) => h.entity.metadata.name.toLowerCase() === input.paws!.name!.toLowerCase()) : [];
      if (named.length === 1) {
        return answer({ status: 'matched', entity: matchOf(named[0]!.entity, 'annotation', `${named[0]!.why}, and paws.yaml's metadata.name is ${input.paws!.name}`) });
      }
      return answer({ status: 'ambiguous', candidates: top.map((h) => matchOf(h.entity, 'annotation', h.why)) });
    },
  };
}
