/**
 * What the local runtime reads from the local forge's bare repositories: which ones there are, the tip of each one's
 * default branch (read straight from the ref files, no process spawned: it is asked several times a second), a file at
 * a commit, and a plain copy of a commit's tree for a process to run in.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** git with no user or system config: the runtime's reads must not depend on whoever runs it. */
const gitEnv = () => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', LANG: 'C' });

export function isBareRepo(dir: string): boolean {
  try {
    return statSync(dir).isDirectory() && existsSync(join(dir, 'HEAD')) && existsSync(join(dir, 'objects')) && existsSync(join(dir, 'refs'));
  } catch {
    return false;
  }
}

/** The bare repositories `<name>.git` directly inside each of `dirs` (the local forge's folder); missing folders are none. */
export function bareReposIn(dirs: string[]): string[] {
  const found: string[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) if (n.endsWith('.git') && isBareRepo(join(dir, n))) found.push(join(dir, n));
  }
  return found;
}

/**
 * The commit at the tip of the repository's default branch (the one HEAD names), undefined while it has none, null
 * when it could not be read just now (look again later: never take a failed read for an empty repository).
 * Loose ref first, then packed-refs (where `git gc` or `git pack-refs` moves it).
 */
export function defaultBranchTip(bare: string): string | undefined | null {
  try {
    const head = readFileSync(join(bare, 'HEAD'), 'utf8').trim();
    const ref = /^ref: (refs\/heads\/\S+)$/.exec(head)?.[1];
    if (!ref) return /^[0-9a-f]{40,64}$/.test(head) ? head : undefined;
    const loose = join(bare, ref);
    if (existsSync(loose)) return readFileSync(loose, 'utf8').trim() || undefined;
    const packed = join(bare, 'packed-refs');
    if (!existsSync(packed)) return undefined;
    for (const line of readFileSync(packed, 'utf8').split('\n')) {
      const [sha, name] = line.split(' ');
      if (name === ref && sha) return sha;
    }
  } catch {
    // Unreadable just now (a permission, a file being replaced): the next look sees it.
    return null;
  }
  return undefined;
}

/** `path` at `commit`, or undefined when the commit has no such file; any other failure of git throws. */
export async function readAt(bare: string, commit: string, path: string): Promise<string | undefined> {
  try {
    const { stdout } = await run('git', ['--git-dir', bare, 'show', `${commit}:${path}`], { env: gitEnv(), maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (e) {
    const stderr = String((e as { stderr?: string }).stderr ?? '');
    if (/does not exist in|exists on disk, but not in/.test(stderr)) return undefined;
    throw new Error(`git show ${commit.slice(0, 12)}:${path} in ${bare} failed: ${stderr.trim().split('\n')[0] ?? (e as Error).message}`);
  }
}

/**
 * A plain copy of `commit`'s tree at `dir` (no .git: the process runs what was merged, nothing else), made once:
 * extracted beside it and renamed into place, so a copy cut short by a crash is never taken for a whole one.
 */
export async function checkoutAt(bare: string, commit: string, dir: string): Promise<string> {
  if (existsSync(dir)) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  await new Promise<void>((resolve, reject) => {
    const archive = spawn('git', ['--git-dir', bare, 'archive', '--format=tar', commit], { env: gitEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const tar = spawn('tar', ['-x', '-C', tmp], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    archive.stderr.on('data', (d: Buffer) => (err += d));
    tar.stderr.on('data', (d: Buffer) => (err += d));
    archive.stdout.pipe(tar.stdin);
    let pending = 2;
    let failed = false;
    const done = (what: string) => (code: number | null) => {
      if (code !== 0 && !failed) {
        failed = true;
        reject(new Error(`${what} of ${commit} failed (exit ${code}): ${err.trim().split('\n')[0] ?? ''}`));
      }
      if (--pending === 0 && !failed) resolve();
    };
    archive.once('close', done('git archive'));
    tar.once('close', done('tar -x'));
    archive.once('error', reject);
    tar.once('error', reject);
  }).catch((e: unknown) => {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  });
  renameSync(tmp, dir);
  return dir;
}
