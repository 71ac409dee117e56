/**
 * Pull request storage for the local forge, kept INSIDE the bare repository
 * (`<bare>/idp/`) so every process and every clone pointing at the same repo
 * sees the same pull requests:
 *
 *   <bare>/idp/pulls/<number>.json   one file per PR, replaced atomically
 *   <bare>/idp/lock                  proper-lockfile lock serializing mutations
 *
 * Readers never lock: a PR file is written to a temp file and renamed, so a
 * reader sees either the old or the new version, never half a file.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import lockfile from 'proper-lockfile';
import type { PullRequest } from '@idp/core';
import { NotFoundError, ProviderError } from '@idp/core/errors';

/** What is stored on disk: the PR without its URL (the URL depends on who serves it). */
export type StoredPull = Omit<PullRequest, 'url'>;

export class PullStore {
  readonly dir: string;
  private readonly pullsDir: string;

  constructor(gitdir: string) {
    this.dir = join(gitdir, 'idp');
    this.pullsDir = join(this.dir, 'pulls');
  }

  async get(number: number): Promise<StoredPull | null> {
    let text: string;
    try {
      text = await readFile(this.file(number), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      return JSON.parse(text) as StoredPull;
    } catch {
      throw new ProviderError(`${this.file(number)} is not valid JSON; restore it from a backup or delete it to drop PR #${number}.`);
    }
  }

  async require(number: number): Promise<StoredPull> {
    const pull = await this.get(number);
    if (!pull) throw new NotFoundError(`Pull request #${number} does not exist in ${this.dir}.`);
    return pull;
  }

  /** PR numbers on disk, ascending. */
  async numbers(): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(this.pullsDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return names
      .map((n) => /^(\d+)\.json$/.exec(n)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  async all(): Promise<StoredPull[]> {
    const pulls = await Promise.all((await this.numbers()).map((n) => this.get(n)));
    return pulls.filter((p): p is StoredPull => p !== null);
  }

  /** Next free number; only meaningful while holding the lock. */
  async nextNumber(): Promise<number> {
    const numbers = await this.numbers();
    return (numbers.at(-1) ?? 0) + 1;
  }

  /** Write a PR: temp file in the same folder, fsync, rename over the old one. */
  async put(pull: StoredPull): Promise<void> {
    await ensureDir(this.dir);
    await ensureDir(this.pullsDir);
    const target = this.file(pull.number);
    const temp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(`${JSON.stringify(pull, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temp, target);
    } catch (err) {
      await unlink(temp).catch(() => {});
      throw err;
    }
  }

  /**
   * Run `fn` holding the repository's lock. Two layers: an in-process queue
   * (so 20 concurrent calls in one process simply wait their turn instead of
   * polling the lock) and a proper-lockfile lock (so the worker and the API in
   * different processes exclude each other; a crashed holder's lock goes stale
   * after 10 s).
   */
  async withLock<T>(fn: () => Promise<T>): Promise<T> {
    return inProcessQueue(this.dir, () => this.withFileLock(fn));
  }

  private async withFileLock<T>(fn: () => Promise<T>): Promise<T> {
    await ensureDir(this.dir);
    const lockfilePath = join(this.dir, 'lock');
    let compromised: Error | undefined;
    let release: () => Promise<void>;
    try {
      release = await lockfile.lock(this.dir, {
        lockfilePath,
        realpath: false,
        stale: 10_000,
        // Up to ~30 s of waiting for other processes, polling quickly at first.
        retries: { retries: 300, factor: 1.2, minTimeout: 5, maxTimeout: 100, randomize: true },
        onCompromised: (err) => {
          compromised = err;
        },
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ELOCKED') {
        throw new ProviderError(
          `The repository ${this.dir} stayed locked by another process for too long (${lockfilePath}). Retry; if no idp process is running, delete that folder.`,
        );
      }
      throw err;
    }
    try {
      const result = await fn();
      if (compromised) {
        throw new ProviderError(`Lost the lock on ${this.dir} while writing (${compromised.message}); check the pull request and retry.`);
      }
      return result;
    } finally {
      await release().catch(() => {});
    }
  }

  private file(number: number): string {
    return join(this.pullsDir, `${number}.json`);
  }
}

/** mkdir without `recursive`: if the repository itself is gone, fail instead of recreating its folder. */
async function ensureDir(path: string): Promise<void> {
  try {
    await mkdir(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new NotFoundError(`The repository ${dirname(path)} no longer exists.`);
    if (code !== 'EEXIST') throw err;
  }
}

/** One promise chain per lock key: each caller waits for the previous one to finish. */
const queues = new Map<string, Promise<void>>();

async function inProcessQueue<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  let done!: () => void;
  const mine = new Promise<void>((resolve) => (done = resolve));
  const tail = previous.then(() => mine);
  queues.set(key, tail);
  await previous;
  try {
    return await fn();
  } finally {
    done();
    if (queues.get(key) === tail) queues.delete(key);
  }
}
