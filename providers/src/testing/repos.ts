/**
 * Real git repositories for tests, made with the git CLI: a bare repository
 * (what the local forge serves, what a team would host) and a working copy
 * cloned from it, like a developer's checkout.
 *
 *   const repo = await createRepo({ files: { 'paws.yaml': '...' } });
 *   const sha = await repo.push({ branch: 'feature', files: { 'a.txt': 'hi' } });
 *   await repo.git(['log', '--oneline']);
 *   await repo.cleanup();
 *
 * git runs hermetically: no system or user config (no signing hooks, no
 * templates), a fixed test identity, no prompts, and any GIT_DIR-like
 * variables inherited from the caller are dropped.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const TEST_AUTHOR = { name: 'IDP Test', email: 'test@idp.invalid' } as const;

export interface TestRepo {
  /** Temporary folder holding both repositories; removed by cleanup(). */
  root: string;
  /** Absolute path of the bare repository (the "remote"). */
  bare: string;
  /** Absolute path of the working copy; its `origin` is `bare`. */
  workdir: string;
  /** The default branch (HEAD of the bare repository). */
  branch: string;
  /** Run git in the working copy; returns trimmed stdout. */
  git(args: string[]): Promise<string>;
  /** Run git against the bare repository (`git --git-dir <bare> ...`); returns trimmed stdout. */
  gitBare(args: string[]): Promise<string>;
  /**
   * Commit `files` (null deletes a file) on `branch` in the working copy and
   * push it to the bare repository, like a developer would. The working copy is
   * first synced with the bare repository, so this works after other writers
   * (e.g. the local forge) moved branches. A new branch starts at `from`
   * (default: the default branch). Returns the pushed commit sha.
   */
  push(opts: { branch?: string; files: Record<string, string | null>; message?: string; from?: string }): Promise<string>;
  cleanup(): Promise<void>;
}

/** Environment for hermetic git runs. */
export function gitEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_CEILING_DIRECTORIES', 'GIT_NAMESPACE']) {
    delete env[name];
  }
  return {
    ...env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: TEST_AUTHOR.name,
    GIT_AUTHOR_EMAIL: TEST_AUTHOR.email,
    GIT_COMMITTER_NAME: TEST_AUTHOR.name,
    GIT_COMMITTER_EMAIL: TEST_AUTHOR.email,
    GIT_TERMINAL_PROMPT: '0',
    LC_ALL: 'C',
  };
}

/** Run the git CLI; throws with git's stderr on failure, returns trimmed stdout. */
export async function git(args: string[], opts: { cwd?: string } = {}): Promise<string> {
  try {
    const { stdout } = await execFileAsync('git', ['-c', 'commit.gpgsign=false', '-c', 'tag.gpgsign=false', '-c', 'gc.auto=0', ...args], {
      cwd: opts.cwd,
      env: gitEnv(),
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout.trimEnd();
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`git ${args.join(' ')} failed${opts.cwd ? ` in ${opts.cwd}` : ''}: ${e.stderr?.trim() || e.message}`);
  }
}

/** Write (or with null, delete) files below `dir`, creating folders as needed. */
export async function writeFiles(dir: string, files: Record<string, string | null>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const file = join(dir, path);
    if (content === null) {
      await rm(file, { force: true });
    } else {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, content);
    }
  }
}

/**
 * A bare repository whose default branch `branch` holds `files` in one commit
 * (an empty commit when there are none), plus a working copy cloned from it.
 * With `empty`, the bare repository has no commit at all (what a forge creates
 * for a new repository before its first push).
 */
export async function createRepo(opts: { files?: Record<string, string>; branch?: string; empty?: boolean } = {}): Promise<TestRepo> {
  const branch = opts.branch ?? 'main';
  // realpath: on some systems tmpdir() is a symlink, and callers compare paths.
  const root = await realpath(await mkdtemp(join(tmpdir(), 'idp-repo-')));
  const bare = join(root, 'repo.git');
  const workdir = join(root, 'work');
  try {
    await git(['init', '--quiet', '--bare', `--initial-branch=${branch}`, bare]);
    await git(['init', '--quiet', `--initial-branch=${branch}`, workdir]);
    await git(['remote', 'add', 'origin', bare], { cwd: workdir });
    if (!opts.empty) {
      await writeFiles(workdir, opts.files ?? {});
      await git(['add', '--all'], { cwd: workdir });
      await git(['commit', '--quiet', '--allow-empty', '-m', 'Initial commit'], { cwd: workdir });
      await git(['push', '--quiet', '--set-upstream', 'origin', branch], { cwd: workdir });
    }
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }

  // Pushes share one working copy, so they take turns.
  let queue: Promise<unknown> = Promise.resolve();
  const inWorkdir = (args: string[]) => git(args, { cwd: workdir });

  async function pushNow(p: { branch?: string; files: Record<string, string | null>; message?: string; from?: string }): Promise<string> {
    const target = p.branch ?? branch;
    await inWorkdir(['fetch', '--quiet', '--prune', 'origin']);
    const remoteBranches = (await inWorkdir(['for-each-ref', '--format=%(refname:strip=3)', 'refs/remotes/origin'])).split('\n');
    const start = remoteBranches.includes(target) ? `origin/${target}` : `origin/${p.from ?? branch}`;
    if (remoteBranches.includes(start.slice('origin/'.length))) await inWorkdir(['checkout', '--quiet', '--force', '-B', target, start]);
    else await inWorkdir(['checkout', '--quiet', '--force', '--orphan', target]); // the first commit of an empty repository
    await inWorkdir(['clean', '--quiet', '-fdx']);
    await writeFiles(workdir, p.files);
    await inWorkdir(['add', '--all']);
    await inWorkdir(['commit', '--quiet', '--allow-empty', '-m', p.message ?? `Update ${Object.keys(p.files).join(', ') || target}`]);
    await inWorkdir(['push', '--quiet', 'origin', `HEAD:refs/heads/${target}`]);
    return inWorkdir(['rev-parse', 'HEAD']);
  }

  return {
    root,
    bare,
    workdir,
    branch,
    git: inWorkdir,
    gitBare: (args) => git(['--git-dir', bare, ...args]),
    push(p) {
      const result = queue.then(() => pushNow(p));
      queue = result.catch(() => {});
      return result;
    },
    // Retries: a git process (e.g. auto-gc after a large push) may still be writing for a moment.
    cleanup: () => rm(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }),
  };
}
