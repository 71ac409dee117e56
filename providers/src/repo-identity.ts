/**
 * One repository, however its remote is spelled: `git@github.com:acme/checkout.git`, `https://github.com/Acme/checkout/`
 * and `ssh://git@github.com/acme/checkout` are the same repository; a local forge's repository is its path on disk
 * (`/srv/git/checkout.git`, `file:///srv/git/checkout.git/`). And the catalog annotation values that name it.
 *
 * Pure (no node: imports, no other module): the browser uses it too, as `@idp/providers/repo-identity` (the idp
 * frontend plugin reads an entity's repository with the same rules as idp's Scaffolder actions).
 */

export type RepoIdentity =
  /** On a forge: host and owner/repo (GitLab: group/sub/project), without .git. */
  | { kind: 'network'; host: string; path: string }
  /** owner/repo with no host (a project-slug, or a rule written that way): matches that path on any host. */
  | { kind: 'slug'; path: string }
  /** A repository on this machine's disk (the local forge). */
  | { kind: 'file'; path: string };

const trimSlashes = (p: string) => p.replace(/\/+$/, '') || '/';

/** An absolute path with `.`, `..` and repeated slashes resolved, as path.posix.normalize does. */
function normalizeAbsolute(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

export interface NetworkRemote {
  host: string;
  /** owner/repo on GitHub, group/subgroup/project on GitLab (no .git). */
  path: string;
}

/** Host and repository path of `https://…`, `ssh://…`, `git@host:path` or `host/path` remotes; null for anything else. */
export function parseNetworkRemote(remote: string): NetworkRemote | null {
  let host: string | undefined;
  let path: string | undefined;
  const url = /^(?:https?|ssh|git):\/\/(?:[^@/]*@)?([^/:]+)(?::\d+)?\/(.+)$/i.exec(remote);
  const scp = /^(?:[^@/]+@)?([^/:]+):(?!\/\/)(.+)$/.exec(remote);
  const bare = /^([a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?::\d+)?)\/(.+)$/i.exec(remote);
  if (url) [host, path] = [url[1], url[2]];
  else if (scp) [host, path] = [scp[1], scp[2]];
  else if (bare) [host, path] = [bare[1], bare[2]];
  if (!host || !path) return null;
  path = path.replace(/\.git\/?$/, '').replace(/^\/+|\/+$/g, '');
  if (path.split('/').length < 2) return null;
  return { host: host.toLowerCase(), path };
}


/** The identity of a remote URL, a path on disk or an owner/repo slug; undefined for anything else. */
export function repoIdentity(remote: string): RepoIdentity | undefined {
  const value = remote.trim();
  if (/^file:\/\//i.test(value)) {
    try {
      return { kind: 'file', path: trimSlashes(decodeURIComponent(new URL(value).pathname)) };
    } catch {
      return undefined;
    }
  }
  if (value.startsWith('/')) return { kind: 'file', path: normalizeAbsolute(value) };
  const network = parseNetworkRemote(value);
  if (network) return { kind: 'network', host: network.host, path: network.path };
  const slug = value.replace(/\.git\/?$/, '').replace(/\/+$/, '');
  if (/^[\w.-]+(\/[\w.-]+)+$/.test(slug)) return { kind: 'slug', path: slug };
  return undefined;
}

/** Whether two identities name the same repository (forges compare case-insensitively, disks do not). */
export function sameRepo(a: RepoIdentity, b: RepoIdentity): boolean {
  if (a.kind === 'file' || b.kind === 'file') return a.kind === b.kind && a.path === b.path;
  if (a.path.toLowerCase() !== b.path.toLowerCase()) return false;
  return a.kind === 'slug' || b.kind === 'slug' || a.host === b.host;
}

/** How an identity is written in messages. */
export function describeRepo(id: RepoIdentity): string {
  return id.kind === 'network' ? `${id.host}/${id.path}` : id.path;
}

/** The folders a location inside the repository may be described by: '' (the root), services, services/payments… */
export function ancestors(dir: string): string[] {
  const parts = dir.split('/').filter((p) => p && p !== '.');
  return ['', ...parts.map((_, i) => parts.slice(0, i + 1).join('/'))];
}

// Branch names a source-location usually points into (`…/tree/main/services/payments/`).
const BRANCHES = ['main', 'master'];
// Deeper folders than this are not spelled out in the query, which travels in a URL (the rules cover deep monorepos).
const MAX_DEPTH = 4;

/**
 * The values `backstage.io/source-location` takes for this repository (at its root, or at `dir` or one of its parent
 * folders on a usual branch), so the catalog can be asked by an exact filter instead of being scanned. The catalog
 * compares them case-insensitively.
 */
export function sourceLocationSpellings(id: RepoIdentity, dir: string): string[] {
  const out = new Set<string>();
  if (id.kind === 'file') {
    for (const p of [`file://${id.path}`, `file://${id.path}/`]) out.add(`url:${p}`);
    out.add(`file:${id.path}`);
    out.add(`file:${id.path}/`);
    return [...out];
  }
  if (id.kind !== 'network') return [];
  const base = `https://${id.host}/${id.path}`;
  for (const suffix of ['', '/', '.git', '.git/']) out.add(`url:${base}${suffix}`);
  // GitHub writes …/tree/<branch>/…, GitLab …/-/tree/<branch>/…; a host named neither may be either.
  const trees = /github/i.test(id.host) ? ['tree'] : /gitlab/i.test(id.host) ? ['-/tree'] : ['tree', '-/tree'];
  for (const sub of ancestors(dir).slice(0, MAX_DEPTH + 1)) {
    for (const branch of BRANCHES) {
      for (const tree of trees) {
        const at = `url:${base}/${tree}/${branch}${sub ? `/${sub}` : ''}`;
        out.add(at);
        out.add(`${at}/`);
      }
    }
  }
  return [...out];
}

/** A source-location value read back: the repository, and the folder inside it ('' for the root). */
export function parseSourceLocation(value: string): { repo: RepoIdentity; subpath: string } | undefined {
  // `url:<url>` (url:file:///srv/git/x.git/ for the local forge), or a `file:<path>` location.
  const target = value.replace(/^url:/i, '').replace(/^file:(?!\/\/)/i, '');
  if (/^file:\/\//i.test(target) || target.startsWith('/')) {
    const repo = repoIdentity(target);
    return repo ? { repo, subpath: '' } : undefined;
  }
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return undefined;
  }
  // https://host/owner/repo[/-]/tree|blob/<branch>/<sub…>
  const m = /^\/(.+?)(?:\/-)?\/(?:tree|blob)\/[^/]+(?:\/(.*))?$/.exec(url.pathname);
  const repoPath = m ? m[1]! : url.pathname;
  const repo = repoIdentity(`https://${url.host}/${repoPath.replace(/^\/+/, '')}`);
  if (!repo) return undefined;
  return { repo, subpath: (m?.[2] ?? '').replace(/^\/+|\/+$/g, '') };
}

export const SOURCE_LOCATION = 'backstage.io/source-location';
export const PAWS_PATH = 'idp/paws-path';

/**
 * Repository (a remote URL, or a path on disk for the local forge) and folder (relative to its root, '' for the root) a
 * source-location annotation names, as the Platform API takes a repo; undefined for a value naming no repository.
 */
export function sourceLocationRepo(value: string): { repo: string; dir: string } | undefined {
  const parsed = parseSourceLocation(value);
  if (!parsed || parsed.repo.kind === 'slug') return undefined;
  const repo = parsed.repo.kind === 'file' ? parsed.repo.path : `https://${parsed.repo.host}/${parsed.repo.path}`;
  return { repo, dir: parsed.subpath };
}

/**
 * The repository and paws.yaml of a catalog entity, from its annotations: `backstage.io/source-location`, with
 * `idp/paws-path` (a path from the repository's root) overriding where paws.yaml is; undefined without a usable one.
 */
export function entityRepoRef(annotations: Record<string, string> | undefined): { repo: string; path: string } | undefined {
  const location = annotations?.[SOURCE_LOCATION];
  const source = location ? sourceLocationRepo(location) : undefined;
  if (!source) return undefined;
  return { repo: source.repo, path: annotations?.[PAWS_PATH] ?? (source.dir ? `${source.dir}/paws.yaml` : 'paws.yaml') };
}
