/**
 * The small glob dialect of idp's own files (deploy-access grants, release
 * floors): `*` matches within one path segment, `**` as a whole segment matches
 * any number of segments (none included), everything else matches literally.
 * Kept here rather than `path.matchesGlob`, which is experimental on Node 22,
 * and without brace or character-class syntax, so a grant means what it reads.
 */

/** Whether `path` (segments separated by `/`) matches `glob`. */
export function matchesGlob(path: string, glob: string): boolean {
  const p = path.split('/');
  const g = glob.split('/');
  const seen = new Map<string, boolean>();
  const match = (i: number, j: number): boolean => {
    const key = `${i},${j}`;
    const known = seen.get(key);
    if (known !== undefined) return known;
    let ok: boolean;
    if (j === g.length) ok = i === p.length;
    else if (g[j] === '**') ok = match(i, j + 1) || (i < p.length && match(i + 1, j));
    else ok = i < p.length && segmentMatches(p[i]!, g[j]!) && match(i + 1, j + 1);
    seen.set(key, ok);
    return ok;
  };
  return match(0, 0);
}

function segmentMatches(segment: string, pattern: string): boolean {
  const re = pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*');
  return new RegExp(`^${re}$`).test(segment);
}

/**
 * Why `path` is not a plain relative path inside a repository (a leading `/`,
 * an empty, `.` or `..` segment, a backslash), or null when it is one. Such a
 * path could name a file outside what a glob seems to cover (`apps/a/../b`).
 */
export function repoPathProblem(path: string): string | null {
  if (path.length === 0) return 'it is empty';
  if (path.startsWith('/')) return 'it starts with /';
  if (path.includes('\\')) return 'it contains a backslash';
  const bad = path.split('/').find((s) => s === '' || s === '.' || s === '..');
  if (bad !== undefined) return bad === '' ? 'it has an empty segment (//)' : `it has a "${bad}" segment`;
  return null;
}
