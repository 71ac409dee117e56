/**
 * Low-level git helpers for the local forge: everything works on a BARE
 * repository (`gitdir`, no working tree) through isomorphic-git's object API,
 * and ref updates follow git's own `<ref>.lock` protocol so a concurrent
 * `git push` into the same repository cannot be silently overwritten.
 */
import fs from 'node:fs';
import { mkdir, open, rename, rmdir, unlink } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import git from 'isomorphic-git';
import type { TreeEntry } from 'isomorphic-git';
import { ConflictError, InvalidRequestError, ProviderError } from '@idp/core/errors';
import type { FileChange } from './provider.js';

/** isomorphic-git errors carry a string `code` (e.g. 'NotFoundError'). */
export function gitErrorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/** The oid a full ref name (`refs/heads/main`) points to, or null when it does not exist. */
export async function readRef(gitdir: string, ref: string): Promise<string | null> {
  try {
    return await git.resolveRef({ fs, gitdir, ref });
  } catch (err) {
    if (gitErrorCode(err) === 'NotFoundError') return null;
    throw err;
  }
}

/** The commit an existing object id points to (peeling annotated tags), or null when there is no such commit. */
async function peelToCommit(gitdir: string, oid: string): Promise<string | null> {
  try {
    return (await git.readCommit({ fs, gitdir, oid })).oid;
  } catch (err) {
    const code = gitErrorCode(err);
    if (code === 'NotFoundError' || code === 'ObjectTypeError') return null;
    throw err;
  }
}

/**
 * Resolve what a caller calls a ref: a branch name, a full ref (`refs/...`),
 * a tag, `HEAD`, or a (possibly abbreviated) commit sha. Branches win over
 * shas, as in git. Returns null when nothing matches.
 */
export async function resolveCommit(gitdir: string, ref: string): Promise<string | null> {
  // Invalid names cannot exist (and must not be used to read files outside refs/).
  if (ref !== 'HEAD' && !isValidBranchName(ref)) return null;
  const candidates = ref.startsWith('refs/') || ref === 'HEAD' ? [ref] : [`refs/heads/${ref}`, `refs/tags/${ref}`];
  for (const name of candidates) {
    const oid = await readRef(gitdir, name);
    if (oid) return peelToCommit(gitdir, oid);
  }
  if (/^[0-9a-f]{4,40}$/i.test(ref)) {
    try {
      const oid = await git.expandOid({ fs, gitdir, oid: ref.toLowerCase() });
      return peelToCommit(gitdir, oid);
    } catch (err) {
      const code = gitErrorCode(err);
      if (code === 'NotFoundError' || code === 'AmbiguousError') return null;
      throw err;
    }
  }
  return null;
}

/**
 * Point `ref` at `value` the way git does: take `<ref>.lock` exclusively,
 * check the current value, write the lock, rename it over the ref.
 * `expected`: the oid the ref must currently have, `null` when it must not
 * exist yet, `undefined` to overwrite whatever is there.
 */
export async function updateRef(gitdir: string, ref: string, value: string, expected?: string | null): Promise<void> {
  const file = join(gitdir, ref);
  const lock = `${file}.lock`;
  await mkdir(dirname(file), { recursive: true });
  let handle;
  try {
    handle = await open(lock, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ProviderError(
        `${ref} in ${gitdir} is being updated by another git process (${lock} exists). Retry; if no git process is running, delete that file.`,
      );
    }
    throw err;
  }
  let renamed = false;
  try {
    if (expected !== undefined) {
      const current = await readRef(gitdir, ref);
      if (current !== expected) {
        throw new ConflictError(
          `${ref} moved while it was being updated (expected ${expected ?? 'no ref'}, found ${current ?? 'no ref'}). Retry the operation.`,
        );
      }
    }
    await handle.writeFile(`${value}\n`);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(lock, file);
    renamed = true;
  } finally {
    await handle?.close();
    if (!renamed) await unlink(lock).catch(() => {});
  }
}

/** Delete a ref (loose or packed); deleting a missing ref is a no-op. */
export async function deleteRef(gitdir: string, ref: string): Promise<void> {
  if ((await readRef(gitdir, ref)) === null) return;
  await git.deleteRef({ fs, gitdir, ref });
  // Like git, drop folders the ref leaves empty, so `idp/x` can later become a branch `idp`.
  for (let dir = dirname(join(gitdir, ref)); dir.startsWith(join(gitdir, 'refs') + sep) && dir !== join(gitdir, 'refs', 'heads'); dir = dirname(dir)) {
    try {
      await rmdir(dir);
    } catch {
      break; // not empty (or already gone)
    }
  }
}

/** git's rules for branch names (git check-ref-format), enough to refuse what git would. */
export function isValidBranchName(branch: string): boolean {
  return !(
    branch.length === 0 ||
    branch.startsWith('-') ||
    branch.startsWith('/') ||
    branch.endsWith('/') ||
    branch.endsWith('.') ||
    branch === '@' ||
    branch === 'HEAD' ||
    /\.\.|\/\/|@\{|[\x00-\x20\x7f~^:?*[\\]/.test(branch) ||
    branch.split('/').some((part) => part.startsWith('.') || part.endsWith('.lock'))
  );
}

export function assertBranchName(branch: string): void {
  if (!isValidBranchName(branch)) throw new InvalidRequestError(`"${branch}" is not a valid branch name (see git check-ref-format).`);
}

/**
 * git cannot have both branches `idp` and `idp/x` (one would be a file, the
 * other a folder under refs/heads). Say so before trying to create `branch`.
 */
export async function assertBranchCanBeCreated(gitdir: string, branch: string): Promise<void> {
  // listRefs covers loose and packed refs; empty leftover folders are not listed.
  const existing = await git.listRefs({ fs, gitdir, filepath: 'refs/heads' });
  const clash = existing.find((name) => branch.startsWith(`${name}/`) || name.startsWith(`${branch}/`));
  if (clash) {
    throw new ConflictError(`Cannot create branch ${branch}: branch ${clash} exists, and git cannot have both. Use another branch name.`, { branch, clash });
  }
}

/** Normalize a repository file path: forward slashes, no leading "./" or "/", no "..". */
export function normalizePath(path: string): string {
  const parts = path.replace(/\\/g, '/').split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.some((p) => p === '..' || p === '.git')) {
    throw new InvalidRequestError(`"${path}" is not a valid file path inside the repository.`);
  }
  return parts.join('/');
}

interface PathChange {
  segments: string[];
  content: string | null;
}

const FILE_MODE = '100644';
const DIR_MODE = '040000';

/**
 * Apply a change set to the tree `treeOid` and write the resulting trees.
 * Returns the new root tree oid. Unchanged subtrees keep their oids, so the
 * result is identical to what git itself would produce for the same content.
 */
export async function applyChanges(gitdir: string, treeOid: string, changes: FileChange[]): Promise<string> {
  const seen = new Set<string>();
  const normalized = changes.map((c) => {
    const path = normalizePath(c.path);
    if (seen.has(path)) throw new InvalidRequestError(`${path} appears more than once in the change set.`);
    seen.add(path);
    return { segments: path.split('/'), content: c.content };
  });
  for (const path of seen) {
    const dirs = path.split('/').slice(0, -1);
    for (let i = 1; i <= dirs.length; i++) {
      const dir = dirs.slice(0, i).join('/');
      if (seen.has(dir)) throw new InvalidRequestError(`The change set writes both ${dir} and ${path}; a path cannot be a file and a folder.`);
    }
  }
  return (await rewriteTree(gitdir, treeOid, normalized, '', true)) as string;
}

/** Rewrite one tree level; returns null when a non-root tree ends up empty (git has no empty folders). */
async function rewriteTree(gitdir: string, treeOid: string | null, changes: PathChange[], prefix: string, root: boolean): Promise<string | null> {
  const entries = new Map<string, TreeEntry>();
  if (treeOid) for (const e of (await git.readTree({ fs, gitdir, oid: treeOid })).tree) entries.set(e.path, e);

  const subdirs = new Map<string, PathChange[]>();
  for (const change of changes) {
    const [name, ...rest] = change.segments as [string, ...string[]];
    const existing = entries.get(name);
    const path = prefix + name;
    if (rest.length > 0) {
      if (existing && existing.type !== 'tree') throw new InvalidRequestError(`${path} is a file, so it cannot contain ${prefix}${change.segments.join('/')}.`);
      subdirs.set(name, [...(subdirs.get(name) ?? []), { segments: rest, content: change.content }]);
    } else if (existing?.type === 'tree') {
      throw new InvalidRequestError(`${path} is a folder; change the files inside it instead.`);
    } else if (change.content === null) {
      entries.delete(name);
    } else {
      const oid = await git.writeBlob({ fs, gitdir, blob: Buffer.from(change.content, 'utf8') });
      // Keep an existing file's mode (e.g. executable), new files are regular files.
      entries.set(name, { mode: existing?.mode ?? FILE_MODE, path: name, oid, type: 'blob' });
    }
  }
  for (const [name, subChanges] of subdirs) {
    const sub = await rewriteTree(gitdir, entries.get(name)?.oid ?? null, subChanges, `${prefix}${name}/`, false);
    if (sub === null) entries.delete(name);
    else entries.set(name, { mode: DIR_MODE, path: name, oid: sub, type: 'tree' });
  }
  if (entries.size === 0 && !root) return null;
  return git.writeTree({ fs, gitdir, tree: [...entries.values()] });
}

/** Files that differ between two commits, with their text on each side (null: absent). */
export async function changedFiles(gitdir: string, from: string, to: string): Promise<{ path: string; before: string | null; after: string | null }[]> {
  const out: { path: string; before: string | null; after: string | null }[] = [];
  await git.walk({
    fs,
    gitdir,
    trees: [git.TREE({ ref: from }), git.TREE({ ref: to })],
    map: async (path, [a, b]) => {
      if (path === '.') return true;
      const [ta, tb] = [await a?.type(), await b?.type()];
      if (ta === 'tree' || tb === 'tree') return (ta === 'tree' || !a) && (tb === 'tree' || !b) ? true : null;
      const [oa, ob] = [await a?.oid(), await b?.oid()];
      if (oa === ob) return null;
      const text = async (e: typeof a) => (e ? Buffer.from((await e.content()) ?? []).toString('utf8') : null);
      out.push({ path, before: await text(a), after: await text(b) });
      return null;
    },
  });
  // Byte order, as git lists paths.
  return out.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}
