/**
 * Pull request storage for the local forge, kept INSIDE the bare repository
 * (`<bare>/idp/`) so every process and every clone pointing at the same repo
 * sees the same pull requests:
 *
 *   <bare>/idp/pulls/<number>.json   one file per PR, replaced atomically
 *   <bare>/idp/statuses/<sha>.json   commit statuses of one commit (e.g. idp/policy)
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
import type { CommitStatus } from './provider.js';
import { NotFoundError, ProviderError } from '@idp/core/errors';

/** What is stored on disk: the PR without its URL (the URL depends on who serves it). */
export type StoredPull = Omit<PullRequest, 'url'>;

/** A commit status as stored: the latest report of each context on one commit. */
export type StoredStatus = CommitStatus & { updatedAt: string };

export class PullStore {
  readonly dir: string;
  private readonly pullsDir: string;
  private readonly statusesDir: string;

  constructor(gitdir: string) {
    this.dir = join(gitdir, 'idp');
    this.pullsDir = join(this.dir, 'pulls');
    this.statusesDir = join(this.dir, 'statuses');
  }

  async get(number: number): Promise<StoredPull | null> {
    return readJson<StoredPull>(this.file(number), `delete it to drop PR #${number}`);
  }

  /** The statuses reported on commit `sha`, one per context, in the order first reported. */
  async statuses(sha: string): Promise<StoredStatus[]> {
    return (await readJson<StoredStatus[]>(this.statusFile(sha), 'delete it to drop the statuses of that commit')) ?? [];
  }

  /** Set (create or replace) the status of its context on `sha`; only meaningful while holding the lock. */
  async putStatus(sha: string, status: CommitStatus): Promise<void> {
    const list = await this.statuses(sha);
    const stored: StoredStatus = { ...status, updatedAt: new Date().toISOString() };
    const i = list.findIndex((s) => s.context === status.context);
    if (i >= 0) list[i] = stored;
    else list.push(stored);
    await ensureDir(this.dir);
    await ensureDir(this.statusesDir);
    await writeAtomically(this.statusFile(sha), list);
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
    await writeAtomically(this.file(pull.number), pull);
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

  private statusFile(sha: string): string {
    if (!/^[0-9a-f]{40}$/.test(sha)) throw new ProviderError(`${sha} is not a commit sha (40 hex digits).`);
    return join(this.statusesDir, `${sha}.json`);
  }
}

/** Parsed JSON of `path`, or null when the file does not exist. */
async function readJson<T>(path: string, remedy: string): Promise<T | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ProviderError(`${path} is not valid JSON; restore it from a backup or ${remedy}.`);
  }
}

/** Temp file in the same folder, fsync, rename over the old one: readers see the old or the new file, never half. */
async function writeAtomically(target: string, value: unknown): Promise<void> {
  const temp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx');
  try {
    await handle.writeFile(`${JSON.stringify(value, null, 2)}\n`);
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

export async function inProcessQueue<T>(key: string, fn: () => Promise<T>): Promise<T> {
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
