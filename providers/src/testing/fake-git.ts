/**
 * The git side of the forge fakes (GitHub, GitLab): a real bare repository on
 * disk made with the git CLI, read and written with isomorphic-git, so the
 * fakes hold real commits and trees and a test can `git push` to them from
 * outside like a developer would. Each fake adds its own forge's PR/MR model
 * and HTTP shapes on top.
 */
import fs from 'node:fs';
import git from 'isomorphic-git';
import type { FileChange } from '../provider.js';
import { applyChanges, changedFiles, deleteRef, gitErrorCode, readRef, resolveCommit, updateRef } from '../local-git.js';
import { createRepo, type TestRepo } from './repos.js';

export interface GitPerson {
  name: string;
  email: string;
}

export class FakeGit {
  private constructor(readonly repo: TestRepo) {}

  static async create(files: Record<string, string>, defaultBranch = 'main'): Promise<FakeGit> {
    return new FakeGit(await createRepo({ files, branch: defaultBranch }));
  }

  /** A repository with no commit yet, HEAD naming `defaultBranch` (a forge's new repository before its first push). */
  static async createEmpty(defaultBranch = 'main'): Promise<FakeGit> {
    return new FakeGit(await createRepo({ branch: defaultBranch, empty: true }));
  }

  get gitdir(): string {
    return this.repo.bare;
  }

  /** What `git push` from a developer's clone does (outside any API). */
  push(branch: string, files: Record<string, string | null>, opts: { from?: string; message?: string } = {}): Promise<string> {
    return this.repo.push({ branch, files, ...opts });
  }

  cleanup(): Promise<void> {
    return this.repo.cleanup();
  }

  async defaultBranch(): Promise<string> {
    const head = (await fs.promises.readFile(`${this.gitdir}/HEAD`, 'utf8')).trim();
    return head.replace(/^ref: refs\/heads\//, '');
  }

  branchSha(branch: string): Promise<string | null> {
    return readRef(this.gitdir, `refs/heads/${branch}`);
  }

  /** A branch, tag or (abbreviated) sha → commit sha, or null. */
  resolve(ref: string): Promise<string | null> {
    return resolveCommit(this.gitdir, ref);
  }

  async commit(sha: string): Promise<{ oid: string; tree: string; parents: string[]; message: string; author: GitPerson & { timestamp: number } } | null> {
    try {
      const { oid, commit } = await git.readCommit({ fs, gitdir: this.gitdir, oid: sha });
      return { oid, tree: commit.tree, parents: commit.parent, message: commit.message, author: commit.author };
    } catch (err) {
      if (gitErrorCode(err) === 'NotFoundError') return null;
      throw err;
    }
  }

  /** The object at `path` in commit `sha`: a blob with its text, a tree with its entries, or null. */
  async entry(sha: string, path: string): Promise<
    | { type: 'blob'; oid: string; text: string; size: number; mode: string }
    | { type: 'tree'; oid: string; entries: { path: string; oid: string; type: string; mode: string }[] }
    | null
  > {
    const clean = path.replace(/^\/+|\/+$/g, '');
    try {
      if (clean === '') {
        const { oid, tree } = await git.readTree({ fs, gitdir: this.gitdir, oid: sha });
        return { type: 'tree', oid, entries: tree };
      }
      const parent = clean.includes('/') ? clean.slice(0, clean.lastIndexOf('/')) : '';
      const name = clean.slice(clean.lastIndexOf('/') + 1);
      const { tree } = await git.readTree({ fs, gitdir: this.gitdir, oid: sha, ...(parent ? { filepath: parent } : {}) });
      const hit = tree.find((e) => e.path === name);
      if (!hit) return null;
      if (hit.type === 'tree') {
        const sub = await git.readTree({ fs, gitdir: this.gitdir, oid: hit.oid });
        return { type: 'tree', oid: hit.oid, entries: sub.tree };
      }
      const { blob } = await git.readBlob({ fs, gitdir: this.gitdir, oid: hit.oid });
      return { type: 'blob', oid: hit.oid, text: Buffer.from(blob).toString('utf8'), size: blob.length, mode: hit.mode };
    } catch (err) {
      const code = gitErrorCode(err);
      if (code === 'NotFoundError' || code === 'ObjectTypeError') return null;
      throw err;
    }
  }

  /** Write a commit with `changes` on top of `parent` (not referenced by any branch yet). */
  async writeCommit(parent: string, changes: FileChange[], message: string, author: GitPerson): Promise<string> {
    const base = await git.readCommit({ fs, gitdir: this.gitdir, oid: parent });
    const tree = await applyChanges(this.gitdir, base.commit.tree, changes);
    return this.writeCommitWithTree(tree, [parent], message, author);
  }

  async writeCommitWithTree(tree: string, parents: string[], message: string, author: GitPerson): Promise<string> {
    const person = { ...author, timestamp: Math.floor(Date.now() / 1000), timezoneOffset: 0 };
    return git.writeCommit({ fs, gitdir: this.gitdir, commit: { tree, parent: parents, author: person, committer: person, message: message.endsWith('\n') ? message : `${message}\n` } });
  }

  /** Tree of `base` with `changes` applied (the Git Data API's create-tree). */
  async writeTree(baseTree: string, changes: FileChange[]): Promise<string> {
    return applyChanges(this.gitdir, baseTree, changes);
  }

  /** Compare-and-swap a branch: `expected` null means it must not exist; undefined overwrites. */
  setBranch(branch: string, sha: string, expected?: string | null): Promise<void> {
    return updateRef(this.gitdir, `refs/heads/${branch}`, sha, expected);
  }

  deleteBranch(branch: string): Promise<void> {
    return deleteRef(this.gitdir, `refs/heads/${branch}`);
  }

  async isAncestor(ancestor: string, of: string): Promise<boolean> {
    return ancestor === of || git.isDescendent({ fs, gitdir: this.gitdir, oid: of, ancestor, depth: -1 });
  }

  async mergeBase(a: string, b: string): Promise<string | null> {
    const [oid] = await git.findMergeBase({ fs, gitdir: this.gitdir, oids: [a, b] });
    return (oid as string | undefined) ?? null;
  }

  /**
   * Merge `theirs` into `ours`: ours when already contained, theirs for a
   * fast-forward, else a new merge commit; `{ conflict: paths }` when it does not merge cleanly.
   */
  async merge(ours: string, theirs: string, message: string, author: GitPerson, opts: { dryRun?: boolean; fastForward?: boolean } = {}): Promise<{ sha: string } | { conflict: string[] }> {
    const person = { ...author, timestamp: Math.floor(Date.now() / 1000), timezoneOffset: 0 };
    try {
      const result = await git.merge({
        fs,
        gitdir: this.gitdir,
        ours,
        theirs,
        noUpdateBranch: true,
        abortOnConflict: true,
        dryRun: opts.dryRun ?? false,
        fastForward: opts.fastForward ?? true,
        message: message.endsWith('\n') ? message : `${message}\n`,
        author: person,
        committer: person,
      });
      return { sha: result.oid ?? ours };
    } catch (err) {
      const code = gitErrorCode(err);
      if (code === 'MergeConflictError' || code === 'MergeNotSupportedError') {
        return { conflict: (err as { data?: { filepaths?: string[] } }).data?.filepaths ?? [] };
      }
      throw err;
    }
  }

  /** Files that differ between two commits, with their text on each side. */
  changedFiles(from: string, to: string) {
    return changedFiles(this.gitdir, from, to);
  }
}
