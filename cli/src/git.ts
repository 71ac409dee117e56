/**
 * The few git questions the CLI asks. We spawn `git` instead of parsing
 * `.git/config` ourselves: `git remote get-url` applies `url.<x>.insteadOf`
 * rewrites, `include`/`includeIf` files, worktrees (`.git` as a file) and
 * GIT_DIR, none of which a hand-written parser would get right. It costs a few
 * milliseconds per call and only runs for commands that need a context (never
 * for --version/--help).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';

export interface GitResult {
  ok: boolean;
  stdout: string;
  /** git itself could not be run (not installed). */
  missing?: boolean;
}

export function git(args: string[], cwd: string, env: Record<string, string | undefined>): Promise<GitResult> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, env: { ...env, GIT_TERMINAL_PROMPT: '0' }, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return resolve({ ok: false, stdout: '', missing: true });
      resolve({ ok: !err, stdout: stdout ?? '' });
    });
  });
}

/** Root of the working copy containing `dir`, or null (not in one, or git missing). */
export async function worktreeRoot(dir: string, env: Record<string, string | undefined>): Promise<string | null> {
  const r = await git(['rev-parse', '--show-toplevel'], dir, env);
  return r.ok && r.stdout.trim() ? path.resolve(r.stdout.trim()) : null;
}

export async function remoteUrl(root: string, env: Record<string, string | undefined>, remote = 'origin'): Promise<string | null> {
  const r = await git(['remote', 'get-url', remote], root, env);
  return r.ok && r.stdout.trim() ? r.stdout.trim() : null;
}

export async function configValue(key: string, cwd: string, env: Record<string, string | undefined>): Promise<string | null> {
  const r = await git(['config', '--get', key], cwd, env);
  return r.ok && r.stdout.trim() ? r.stdout.trim() : null;
}

/** Every paws.yaml in the working copy (tracked or untracked, not ignored), as repo-relative POSIX paths. */
export async function pawsFilesIn(root: string, env: Record<string, string | undefined>): Promise<string[]> {
  const r = await git(['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', ':(glob)**/paws.yaml'], root, env);
  if (!r.ok) return [];
  return [...new Set(r.stdout.split('\0').filter(Boolean))].sort();
}

/**
 * The server runs elsewhere, so a relative local remote (`../checkout.git`)
 * is made absolute; git resolves it against the working copy's root.
 * URLs (`scheme://`) and scp-like remotes (`git@host:acme/x.git`) are kept.
 */
export function normalizeRemote(url: string, root: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url;
  if (path.isAbsolute(url)) return url;
  if (/^[^/\\]+:/.test(url) && !/^[a-zA-Z]:[\\/]/.test(url)) return url;
  return path.resolve(root, url);
}

/** `/tmp/x/checkout.git`, `git@github.com:acme/checkout.git`, `https://github.com/acme/checkout/` → `checkout`. */
export function repoName(url: string): string {
  const last = url.replace(/[\\/]+$/, '').split(/[\\/:]/).pop() ?? url;
  return last.replace(/\.git$/, '') || url;
}

/** The working copy's remotes (fetch URLs), origin first, as `git remote -v` lists them. */
export async function remotes(root: string, env: Record<string, string | undefined>): Promise<{ name: string; url: string }[]> {
  const r = await git(['remote', '-v'], root, env);
  if (!r.ok) return [];
  const found = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const m = /^(\S+)\s+(.+?)\s+\(fetch\)$/.exec(line.trim());
    if (m && !found.has(m[1]!)) found.set(m[1]!, normalizeRemote(m[2]!, root));
  }
  return [...found].map(([name, url]) => ({ name, url })).sort((a, b) => Number(b.name === 'origin') - Number(a.name === 'origin'));
}
