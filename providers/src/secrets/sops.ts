/**
 * SOPS + age in a git repository: one encrypted file per component and environment, `<component>/<env>.enc.yaml`,
 * key names in plaintext, every value encrypted to the store's age recipient. The reference is
 * `sops://<component>/<env>.enc.yaml#<KEY>`; a version is the commit of the secrets repository that wrote it.
 *
 * The same value again under a new request id changes nothing (sops keeps an unchanged value's ciphertext): it
 * returns the version that already holds the value, and writes nothing.
 *
 * Writing (`putVersion`), holding the store's lock (in-process queue + proper-lockfile, so the API and the worker in
 * other processes take turns): fetch into a private clone under the cache dir, look for a commit carrying this
 * request's `Idp-Request` trailer (found: return it, write nothing), reset to the branch, `sops set --value-stdin`
 * with the value JSON-encoded on stdin (never argv, never a plaintext file; a new file starts as an encrypted `{}`),
 * commit with `Idp-Request`/`Idp-Secret` trailers, push. A push the repository refuses (a hook) is
 * permission-denied; one that lost a race to a writer outside the lock is retried on the new head.
 *
 * Reading (`describe`) never decrypts and needs no key: key names are read from the committed YAML, a key's current
 * version is the newest commit whose diff changed its `KEY: ENC[…]` line (sops re-encrypts only the key it sets),
 * and a pinned version exists when that commit's file has the key. Reads go straight to the repository on disk.
 *
 * Files idp creates encrypt every key (`--encrypted-regex '^'`): sops's default leaves keys ending in
 * `_unencrypted` in plaintext, and `FOO_unencrypted` is a valid variable name. A file that would leave some key
 * unencrypted is refused.
 *
 * maxValueBytes: 65,536, AWS Secrets Manager's limit (sops has none; a value this large is already not a secret
 * a workload takes from an environment variable).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import lockfile from 'proper-lockfile';
import { parse } from 'yaml';
import type { SopsStoreConfig } from '@idp/core';
import { inProcessQueue } from '../local-pulls.js';
import { checkTarget, checkValue } from './common.js';
import { SecretStoreError, type SecretStatus, type SecretStore, type SecretTarget } from './store.js';
import { ageRecipient, findSops, SOPS_MISSING } from './tools.js';

export const SOPS_MAX_VALUE_BYTES = 65_536;
const SCHEME = 'sops://';
const FILE = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*\.ya?ml$/;
const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
/** Pushes that lose a race to a writer outside the lock, retried on the new head. */
const PUSH_TRIES = 3;

export interface SopsOptions {
  env?: NodeJS.ProcessEnv;
  /** Where the private clone lives; default: <tmpdir>/idp-sops/<hash of the repository path>. */
  cacheDir?: string;
  /** The sops binary; default: findSops() (SOPS_BIN, PATH, <repo>/.tools/bin). */
  sopsBin?: string;
}

interface Run {
  code: number;
  stdout: Buffer;
  stderr: string;
}

function run(cmd: string, args: string[], opts: { cwd?: string; env: NodeJS.ProcessEnv; input?: string }): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? 1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }));
    child.stdin.on('error', () => {}); // a child that exits before reading its stdin
    child.stdin.end(opts.input ?? '');
  });
}

export class SopsStore implements SecretStore {
  readonly type = 'sops' as const;
  readonly maxValueBytes = SOPS_MAX_VALUE_BYTES;
  /** The bare repository on disk. */
  readonly repo: string;
  private readonly cacheDir: string;
  private readonly clone: string;
  private readonly env: NodeJS.ProcessEnv;

  constructor(readonly name: string, private readonly config: SopsStoreConfig, private readonly opts: SopsOptions = {}) {
    this.env = opts.env ?? process.env;
    this.repo = resolve(config.repo.startsWith('file://') ? fileURLToPath(config.repo) : config.repo);
    this.cacheDir = opts.cacheDir ?? join(tmpdir(), 'idp-sops', createHash('sha256').update(this.repo).digest('hex').slice(0, 16));
    this.clone = join(this.cacheDir, 'clone');
  }

  refFor(t: SecretTarget): string {
    return `${SCHEME}${t.component}/${t.env}.enc.yaml#${t.key}`;
  }

  async putVersion(t: SecretTarget, value: string, requestId: string): Promise<{ ref: string; version: string }> {
    checkTarget(this.name, t);
    checkValue(this, value);
    if (!/^[\x21-\x7e]{1,200}$/.test(requestId)) throw new SecretStoreError('invalid', this.name, 'The request id must be 1–200 printable characters without spaces.');
    const ref = this.refFor(t);
    const file = `${t.component}/${t.env}.enc.yaml`;
    const key = await this.keyEnv();
    const branch = await this.branch();
    return inProcessQueue(this.cacheDir, () =>
      this.withFileLock(async () => {
        for (let attempt = 1; ; attempt++) {
          const head = await this.syncClone(branch);
          const earlier = head && (await this.commitOf(head, requestId, ref));
          if (earlier) return { ref, version: earlier };
          const path = join(this.clone, file);
          if (existsSync(path)) await this.assertEncryptsEveryKey(file, await readFile(path, 'utf8'));
          else await this.createFile(path, key.recipient, key.env);
          const before = keyLine(await readFile(path, 'utf8'), t.key);
          await this.sops(['set', '--value-stdin', path, `["${t.key}"]`], key.env, file, JSON.stringify(value));
          // sops keeps the ciphertext of a value that did not change: the version that holds it already is this one.
          if (head && before !== undefined && keyLine(await readFile(path, 'utf8'), t.key) === before) {
            const current = (await this.keyChanges(head, file)).get(t.key);
            if (current) return { ref, version: current.sha };
          }
          await this.git(['add', '--', file], this.clone);
          const message = `Set ${t.key} of ${t.component}/${t.env}\n\nIdp-Request: ${requestId}\nIdp-Secret: ${ref.slice(SCHEME.length)}\n`;
          await this.git(['commit', '--quiet', '--no-verify', '-m', message], this.clone);
          const version = (await this.git(['rev-parse', 'HEAD'], this.clone)).trim();
          const push = await this.gitRun(['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`], this.clone, true);
          if (push.code === 0) return { ref, version };
          if (/\[remote rejected\]|hook declined/.test(push.stderr)) {
            throw new SecretStoreError('permission-denied', this.name, `The secrets repository of store "${this.name}" (${this.repo}) refused the write of ${ref} (a hook declined the push): ask its owners for write access. Nothing was written.`);
          }
          if (!/\[rejected\]|non-fast-forward|fetch first/.test(push.stderr) || attempt >= PUSH_TRIES) {
            throw new SecretStoreError('unavailable', this.name, `Pushing ${ref} to the secrets repository of store "${this.name}" (${this.repo}) failed: ${firstLine(push.stderr)}`);
          }
        }
      }),
    );
  }

  async describe(refs: ReadonlyArray<{ ref: string; version?: string }>): Promise<SecretStatus[]> {
    const parsed = refs.map(({ ref }) => this.parseRef(ref));
    if (!refs.length) return [];
    const branch = await this.branch();
    const head = (await this.gitRun(['rev-parse', '--quiet', '--verify', `refs/heads/${branch}^{commit}`], this.repo, true)).stdout.toString().trim();
    // Every file at the head and at every pinned version, in one `git cat-file --batch`.
    const asks = new Set<string>();
    for (const [i, { file }] of parsed.entries()) {
      if (head) asks.add(`${head}:${file}`);
      const v = refs[i]!.version;
      if (v && SHA.test(v)) asks.add(`${v}:${file}`);
    }
    const blobs = await this.catFiles([...asks]);
    const keysOf = (rev: string | undefined, file: string) => (rev ? blobs.get(`${rev}:${file}`) : undefined);
    // Each file's history once: the newest commit changing each key's line.
    const changes = new Map<string, Map<string, { sha: string; date: string }>>();
    for (const { file } of parsed) {
      if (head && keysOf(head, file)?.size && !changes.has(file)) changes.set(file, await this.keyChanges(head, file));
    }
    return refs.map(({ ref, version }, i) => {
      const { file, key } = parsed[i]!;
      const exists = !!keysOf(head, file)?.has(key);
      const status: SecretStatus = { ref, ...(version !== undefined ? { version } : {}), exists };
      const last = exists ? changes.get(file)?.get(key) : undefined;
      if (last) {
        status.currentVersion = last.sha;
        status.lastChanged = new Date(last.date).toISOString();
      }
      if (version !== undefined) status.versionExists = SHA.test(version) && !!keysOf(version, file)?.has(key);
      return status;
    });
  }

  private parseRef(ref: string): { file: string; key: string } {
    const [file = '', key = '', ...rest] = ref.startsWith(SCHEME) ? ref.slice(SCHEME.length).split('#') : [];
    if (!FILE.test(file) || file.split('/').includes('..') || !KEY.test(key) || rest.length) {
      throw new SecretStoreError('invalid', this.name, `"${ref.slice(0, 200)}" is not a reference of SOPS store "${this.name}": expected sops://<component>/<env>.enc.yaml#<KEY>.`);
    }
    return { file, key };
  }

  /** The branch the repository's HEAD names (its default branch), born or not. */
  private async branch(): Promise<string> {
    const r = await this.gitRun(['symbolic-ref', '--quiet', 'HEAD'], this.repo, true);
    const ref = r.stdout.toString().trim();
    if (r.code !== 0 || !ref.startsWith('refs/heads/')) {
      throw new SecretStoreError('unavailable', this.name, `The secrets repository of store "${this.name}" (${this.repo}) is missing or not a git repository: create it (git init --bare) or fix "repo" in the store's config.`);
    }
    return ref.slice('refs/heads/'.length);
  }

  /** The private clone, reset to the repository's `branch`; returns its head, or '' when the branch has no commit yet. */
  private async syncClone(branch: string): Promise<string> {
    if (!existsSync(join(this.clone, '.git'))) {
      await mkdir(this.cacheDir, { recursive: true });
      await this.git(['clone', '--quiet', '--no-checkout', this.repo, this.clone], this.cacheDir);
    }
    await this.git(['fetch', '--quiet', '--prune', 'origin'], this.clone);
    const head = (await this.gitRun(['rev-parse', '--quiet', '--verify', `refs/remotes/origin/${branch}^{commit}`], this.clone, true)).stdout.toString().trim();
    if (head) {
      await this.git(['checkout', '--quiet', '--force', '-B', branch, head], this.clone);
    } else {
      // An empty repository: start the branch from nothing, dropping whatever an earlier refused write left.
      await this.git(['symbolic-ref', 'HEAD', `refs/heads/${branch}`], this.clone);
      await this.gitRun(['update-ref', '-d', `refs/heads/${branch}`], this.clone, true);
      await this.git(['read-tree', '--empty'], this.clone);
    }
    await this.git(['clean', '--quiet', '-dfx'], this.clone);
    return head;
  }

  /** The commit that already wrote `ref` for this request id, if any. */
  private async commitOf(head: string, requestId: string, ref: string): Promise<string | undefined> {
    const log = await this.git(
      ['log', '--fixed-strings', `--grep=${requestId}`, '--format=%H%x00%(trailers:key=Idp-Request,valueonly,separator=%x01)%x00%(trailers:key=Idp-Secret,valueonly,separator=%x01)', head],
      this.clone,
    );
    for (const line of log.split('\n')) {
      const [sha, requests = '', secrets = ''] = line.split('\0');
      if (sha && requests.split('\x01').includes(requestId) && secrets.split('\x01').includes(ref.slice(SCHEME.length))) return sha;
    }
    return undefined;
  }

  /** A new file: an encrypted empty document, every key to come encrypted, to the store's recipient. */
  private async createFile(path: string, recipient: string, env: NodeJS.ProcessEnv): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    const r = await this.sopsRun(['encrypt', '--input-type', 'yaml', '--output-type', 'yaml', '--encrypted-regex', '^', '--age', recipient, '--filename-override', path], env, '{}\n');
    if (r.code !== 0) throw this.sopsError(r, path.slice(this.clone.length + 1));
    await writeFile(path, r.stdout);
  }

  private async assertEncryptsEveryKey(file: string, text: string): Promise<void> {
    const meta = (parse(text) as { sops?: Record<string, unknown> } | null)?.sops ?? {};
    const rules = ['unencrypted_suffix', 'encrypted_suffix', 'unencrypted_regex', 'encrypted_regex', 'unencrypted_comment_regex', 'encrypted_comment_regex'].filter((k) => meta[k] !== undefined);
    if (!(rules.length === 1 && rules[0] === 'encrypted_regex' && meta.encrypted_regex === '^')) {
      throw new SecretStoreError('invalid', this.name, `${file} in the secrets repository of store "${this.name}" does not encrypt every key (sops ${rules.join(', ') || 'no rule'}): idp writes only files it created, whose rule is encrypted_regex "^". Move the file away or re-create it.`);
    }
  }

  /** key → the newest commit (of `head`'s history) whose diff of `file` added a `key:` line. */
  private async keyChanges(head: string, file: string): Promise<Map<string, { sha: string; date: string }>> {
    const out = await this.git(['log', '--format=%x00%H %cI', '--patch', '--unified=0', '--no-color', '--no-ext-diff', head, '--', file], this.repo);
    const found = new Map<string, { sha: string; date: string }>();
    for (const commit of out.split('\0').slice(1)) {
      const [header = '', ...lines] = commit.split('\n');
      const [sha = '', date = ''] = header.split(' ');
      for (const line of lines) {
        const m = /^\+([A-Za-z_][A-Za-z0-9_]*):/.exec(line);
        if (m && !found.has(m[1]!)) found.set(m[1]!, { sha, date });
      }
    }
    return found;
  }

  /** `<rev>:<file>` → the file's top-level key names (sops's own metadata left out); absent when there is no such file. */
  private async catFiles(asks: string[]): Promise<Map<string, Set<string>>> {
    const found = new Map<string, Set<string>>();
    if (!asks.length) return found;
    const r = await this.gitRun(['cat-file', '--batch'], this.repo, false, asks.join('\n') + '\n');
    if (r.code !== 0) throw new SecretStoreError('unavailable', this.name, `Reading the secrets repository of store "${this.name}" (${this.repo}) failed: ${firstLine(r.stderr)}`);
    let at = 0;
    for (const ask of asks) {
      const eol = r.stdout.indexOf(0x0a, at);
      const header = r.stdout.subarray(at, eol).toString();
      at = eol + 1;
      const m = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header);
      if (!m) continue; // "<ask> missing" / "ambiguous"
      const body = r.stdout.subarray(at, at + Number(m[2])).toString('utf8');
      at += Number(m[2]) + 1;
      if (m[1] !== 'blob') continue;
      // The top-level keys as sops writes them (one `KEY: ENC[…]` line each, unindented): read off the lines rather than
      // parsed, so describing 200 keys pinned at 200 versions stays one cheap pass (a YAML parse per blob was ~1 ms each).
      found.set(ask, new Set([...body.matchAll(/^([A-Za-z_][A-Za-z0-9_]*):/gm)].map((m) => m[1]!).filter((k) => k !== 'sops')));
    }
    return found;
  }

  /** The environment sops runs with: only the store's age identity and an empty HOME (no other keys, no config). */
  private async keyEnv(): Promise<{ env: NodeJS.ProcessEnv; recipient: string }> {
    const home = join(this.cacheDir, 'home');
    await mkdir(home, { recursive: true });
    const base = { PATH: this.env.PATH ?? '', HOME: home };
    let identity: string | undefined;
    if (this.config.ageKeyFile) {
      identity = await readFile(this.config.ageKeyFile, 'utf8').catch(() => undefined);
      if (identity === undefined) throw new SecretStoreError('permission-denied', this.name, `Store "${this.name}": its age identity file ${this.config.ageKeyFile} (ageKeyFile) does not exist or cannot be read.`);
    } else {
      identity = this.env[this.config.ageKeyEnv!];
      if (!identity) throw new SecretStoreError('permission-denied', this.name, `Store "${this.name}": ${this.config.ageKeyEnv} (ageKeyEnv), which should hold its age identity, is not set.`);
    }
    const recipient = await ageRecipient(identity).catch(() => {
      throw new SecretStoreError('permission-denied', this.name, `Store "${this.name}": its age identity (${this.config.ageKeyFile ?? this.config.ageKeyEnv}) holds no AGE-SECRET-KEY- line.`);
    });
    const env = this.config.ageKeyFile ? { ...base, SOPS_AGE_KEY_FILE: isAbsolute(this.config.ageKeyFile) ? this.config.ageKeyFile : resolve(this.config.ageKeyFile) } : { ...base, SOPS_AGE_KEY: identity };
    return { env, recipient };
  }

  private sopsBin(): string {
    const bin = this.opts.sopsBin ?? findSops({ env: this.env });
    if (!bin) throw new SecretStoreError('unavailable', this.name, SOPS_MISSING);
    return bin;
  }

  /** sops, run from the cache dir so no `.sops.yaml` of the repository or above applies. */
  private sopsRun(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<Run> {
    return run(this.sopsBin(), args, { cwd: this.cacheDir, env, ...(input !== undefined ? { input } : {}) });
  }

  private async sops(args: string[], env: NodeJS.ProcessEnv, file: string, input: string): Promise<void> {
    const r = await this.sopsRun(args, env, input);
    if (r.code !== 0) throw this.sopsError(r, file);
  }

  /** sops's exit code only: its messages are not promised to leave the value out. */
  private sopsError(r: Run, file: string): SecretStoreError {
    // 128: no identity it has can decrypt the file's data key.
    if (r.code === 128) return new SecretStoreError('permission-denied', this.name, `Store "${this.name}": its age identity cannot decrypt ${file} (the file is encrypted to other recipients): use the identity the file was encrypted for, or have the file re-encrypted (sops updatekeys).`);
    return new SecretStoreError('unavailable', this.name, `Store "${this.name}": sops failed on ${file} with exit code ${r.code}. Nothing was written.`);
  }

  private gitEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { PATH: this.env.PATH ?? '', HOME: join(this.cacheDir, 'home'), GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', LANG: 'C' };
    return { ...env, GIT_AUTHOR_NAME: 'idp', GIT_AUTHOR_EMAIL: 'idp@localhost', GIT_COMMITTER_NAME: 'idp', GIT_COMMITTER_EMAIL: 'idp@localhost' };
  }

  private gitRun(args: string[], cwd: string, quiet = false, input?: string): Promise<Run> {
    const gitDir = cwd === this.repo ? ['--git-dir', this.repo] : [];
    return run('git', [...gitDir, ...args], { cwd: cwd === this.repo ? tmpdir() : cwd, env: this.gitEnv(), ...(input !== undefined ? { input } : {}) }).then((r) => {
      if (r.code !== 0 && !quiet) {
        throw new SecretStoreError('unavailable', this.name, `Store "${this.name}": git ${args[0]} in ${cwd} failed: ${firstLine(r.stderr)}`);
      }
      return r;
    });
  }

  private async git(args: string[], cwd: string): Promise<string> {
    return (await this.gitRun(args, cwd)).stdout.toString('utf8');
  }

  private async withFileLock<T>(fn: () => Promise<T>): Promise<T> {
    await mkdir(this.cacheDir, { recursive: true });
    let release: () => Promise<void>;
    try {
      release = await lockfile.lock(this.cacheDir, {
        lockfilePath: join(this.cacheDir, 'lock'),
        realpath: false,
        stale: 10_000,
        retries: { retries: 300, factor: 1.2, minTimeout: 5, maxTimeout: 100, randomize: true },
      });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ELOCKED') {
        throw new SecretStoreError('unavailable', this.name, `Store "${this.name}": another process held the lock on ${this.cacheDir} for too long; retry, and if no idp process is running, delete ${join(this.cacheDir, 'lock')}.`);
      }
      throw e;
    }
    try {
      return await fn();
    } finally {
      await release().catch(() => {});
    }
  }
}

/** The `KEY: ENC[…]` line of a top-level key in a sops YAML file. */
function keyLine(text: string, key: string): string | undefined {
  return text.split('\n').find((l) => l.startsWith(`${key}:`));
}

function firstLine(s: string): string {
  return s.trim().split('\n')[0]?.slice(0, 300) || '(no message)';
}
