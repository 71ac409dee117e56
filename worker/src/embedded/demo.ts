/**
 * Seeds the demo component: a bare repository (the "remote") and a working copy
 * whose origin is that bare repository, holding templates/checkout/paws.yaml.
 * Made with the git CLI, exactly as a user would make one.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parsePaws } from '@idp/core';
import { LocalForge } from '@idp/providers';

const require = createRequire(import.meta.url);

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', args, { cwd, stdio: 'ignore', env: { ...process.env, GIT_AUTHOR_NAME: 'idp demo', GIT_AUTHOR_EMAIL: 'demo@idp.local', GIT_COMMITTER_NAME: 'idp demo', GIT_COMMITTER_EMAIL: 'demo@idp.local' } });
}

export function seedDemo(home: string): { bare: string; workdir: string; created: boolean } {
  const root = join(home, 'demo');
  const bare = join(root, 'checkout.git');
  const workdir = join(root, 'checkout');
  if (existsSync(bare) && existsSync(workdir)) return { bare, workdir, created: false };
  mkdirSync(root, { recursive: true });
  const template = join(dirname(require.resolve('@idp/templates/package.json')), 'checkout', 'paws.yaml');
  git(root, 'init', '--bare', '--initial-branch=main', bare);
  git(root, 'clone', '--quiet', bare, workdir);
  writeFileSync(join(workdir, 'paws.yaml'), readFileSync(template));
  git(workdir, 'checkout', '--quiet', '-B', 'main');
  git(workdir, 'add', 'paws.yaml');
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
