/**
 * Seeds the demo component: a bare repository (the "remote") and a working copy
 * whose origin is that bare repository, holding templates/checkout/paws.yaml and
 * the web service it runs (templates/checkout-app/server.mjs, which the embedded
 * stack's local runtime starts per environment). Made with the git CLI, exactly
 * as a user would make one.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parsePaws, setEnvironmentSecret } from '@idp/core';
import { LocalForge } from '@idp/providers';

const require = createRequire(import.meta.url);

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', args, { cwd, stdio: 'ignore', env: { ...process.env, GIT_AUTHOR_NAME: 'idp demo', GIT_AUTHOR_EMAIL: 'demo@idp.local', GIT_COMMITTER_NAME: 'idp demo', GIT_COMMITTER_EMAIL: 'demo@idp.local' } });
}

export interface DemoSeedOptions {
  /**
   * Secret references to pin in the seeded paws.yaml, per environment and key (`npm start` stores a test key in its
   * embedded SOPS store and pins that version, so staging runs out of the box).
   */
  secrets?: Record<string, Record<string, { ref: string; version: string }>>;
}

/** Whether the demo exists already (seedDemo then leaves it as it is). */
export function demoSeeded(home: string): boolean {
  const root = join(home, 'demo');
  return existsSync(join(root, 'checkout.git')) && existsSync(join(root, 'checkout'));
}

export function seedDemo(home: string, opts: DemoSeedOptions = {}): { bare: string; workdir: string; created: boolean } {
  const root = join(home, 'demo');
  const bare = join(root, 'checkout.git');
  const workdir = join(root, 'checkout');
  if (existsSync(bare) && existsSync(workdir)) return { bare, workdir, created: false };
  mkdirSync(root, { recursive: true });
  const templates = dirname(require.resolve('@idp/templates/package.json'));
  git(root, 'init', '--bare', '--initial-branch=main', bare);
  git(root, 'clone', '--quiet', bare, workdir);
  let paws = readFileSync(join(templates, 'checkout', 'paws.yaml'), 'utf8');
  for (const [env, keys] of Object.entries(opts.secrets ?? {})) {
    for (const [key, secret] of Object.entries(keys)) paws = setEnvironmentSecret(paws, env, key, secret);
  }
  writeFileSync(join(workdir, 'paws.yaml'), paws);
  writeFileSync(join(workdir, 'server.mjs'), readFileSync(join(templates, 'checkout-app', 'server.mjs')));
  git(workdir, 'checkout', '--quiet', '-B', 'main');
  git(workdir, 'add', 'paws.yaml', 'server.mjs');
  git(workdir, 'commit', '--quiet', '-m', 'checkout: initial paws.yaml');
  git(workdir, 'push', '--quiet', 'origin', 'main');
  return { bare, workdir, created: true };
}

/**
 * What the start banner's "Try" lines can name on this start, so they run as
 * printed on a second start too: the first `preview-<n>` the demo's paws.yaml
 * (on main) does not have yet, and the number the next PR will get.
 */
export async function demoNext(bare: string): Promise<{ preview: string; pr: number }> {
  const forge = new LocalForge({ repo: bare });
  const [{ file }, { pulls }] = await Promise.all([forge.snapshot('paws.yaml'), forge.listPullRequests({ state: 'all', limit: 1 })]);
  const existing = new Set(file ? Object.keys(parsePaws(file.content, 'paws.yaml').spec.environments ?? {}) : []);
  let n = 1;
  while (existing.has(`preview-${n}`)) n++;
  return { preview: `preview-${n}`, pr: (pulls.at(-1)?.number ?? 0) + 1 };
}
