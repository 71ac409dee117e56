/** Test helpers: an in-memory Io, temp git working copies. Not shipped behaviour. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Io } from '../output.js';

export interface MemoryIo extends Io {
  out(): string;
  err(): string;
}

export function memoryIo(opts: { env?: Record<string, string | undefined>; cwd?: string; now?: Date; tty?: boolean; openUrl?: Io['openUrl']; readSecret?: Io['readSecret'] } = {}): MemoryIo {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => (out += s), isTTY: opts.tty ?? false },
    stderr: { write: (s: string) => (err += s), isTTY: opts.tty ?? false },
    env: opts.env ?? {},
    cwd: opts.cwd ?? process.cwd(),
    now: () => opts.now ?? new Date(),
    ...(opts.openUrl ? { openUrl: opts.openUrl } : {}),
    ...(opts.readSecret ? { readSecret: opts.readSecret } : {}),
    out: () => out,
    err: () => err,
  };
}

const created: string[] = [];
process.once('exit', () => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

/** A fresh directory, removed when the test process exits. */
export function tempDir(prefix = 'idp-cli-'): string {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), prefix)));
  created.push(dir);
  return dir;
}

/** An environment for spawned git that ignores the machine's global config. */
export function gitEnv(home: string): Record<string, string | undefined> {
  return { PATH: process.env.PATH, HOME: home, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: path.join(home, '.gitconfig') };
}

export function sh(cwd: string, args: string[], env?: Record<string, string | undefined>): string {
  return execFileSync('git', args, { cwd, env: env ?? gitEnv(cwd), encoding: 'utf8' });
}

/** `git init` at dir (created), with an origin remote when given. */
export function gitRepo(dir: string, origin?: string): string {
  mkdirSync(dir, { recursive: true });
  sh(dir, ['-c', 'init.defaultBranch=main', 'init', '-q']);
  if (origin) sh(dir, ['remote', 'add', 'origin', origin]);
  return dir;
}

export function writePaws(dir: string, name: string | null, style: 'block' | 'flow' = 'block'): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'paws.yaml');
  const meta = name === null ? 'metadata:\n  owner: nobody\n' : style === 'flow' ? `metadata: { name: ${name}, owner: team-x }\n` : `metadata:\n  # the component\n  name: ${name}\n  owner: team-x\n`;
  writeFileSync(file, `apiVersion: paws.dev/v1\nkind: Workload\n${meta}containers:\n  web:\n    image: nginx\n`);
  return file;
}
