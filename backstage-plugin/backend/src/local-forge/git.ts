/** The git binary, run on a bare repository of the local forge (never through a shell). */
import { execFile, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface GitIdentity {
  name: string;
  email: string;
}

/** Runs git; stdout as a Buffer. `env` adds to a minimal environment (no user config: hooks, signing, templates). */
export async function git(args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): Promise<Buffer> {
  const { stdout } = await run('git', ['-c', 'commit.gpgsign=false', '-c', 'core.hooksPath=/dev/null', ...args], {
    encoding: 'buffer',
    maxBuffer: 64 * 1024 * 1024,
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', ...opts.env },
  });
  return stdout;
}

/** The commit `ref` names, or undefined when there is none (an empty repository, an unknown branch). */
export async function commitOf(gitdir: string, ref = 'HEAD'): Promise<string | undefined> {
  try {
    return (await git(['--git-dir', gitdir, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).toString().trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The object id of `path` at `commit`, and its type, or undefined when there is no such path. */
export async function objectAt(gitdir: string, commit: string, path: string): Promise<{ oid: string; type: string } | undefined> {
  try {
    const out = (await git(['--git-dir', gitdir, 'rev-parse', '--verify', '--quiet', `${commit}:${path}`])).toString().trim();
    if (!out) return undefined;
    const type = (await git(['--git-dir', gitdir, 'cat-file', '-t', out])).toString().trim();
    return { oid: out, type };
  } catch {
    return undefined;
  }
}

export async function readBlob(gitdir: string, oid: string): Promise<Buffer> {
  return git(['--git-dir', gitdir, 'cat-file', 'blob', oid]);
}

/** The files under `tree` (a tree id), relative to it. */
export async function listFiles(gitdir: string, tree: string): Promise<{ path: string; oid: string }[]> {
  const out = (await git(['--git-dir', gitdir, 'ls-tree', '-r', '-z', tree])).toString();
  return out
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const [meta = '', path = ''] = line.split('\t');
      return { path, oid: meta.split(' ')[2] ?? '' };
    })
    .filter((f) => f.oid);
}

/** A tar archive of a tree (rooted at it), streamed. */
export function archive(gitdir: string, tree: string): Readable {
  const child = spawn('git', ['--git-dir', gitdir, 'archive', '--format=tar', tree], { stdio: ['ignore', 'pipe', 'ignore'] });
  return child.stdout;
}
