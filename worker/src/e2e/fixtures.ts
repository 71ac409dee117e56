/** Shared bits of the end-to-end tests: the demo paws.yaml, git inspection with the real git CLI. */
import type { PlatformClient } from '@idp/core/client';
import type { WorkflowStatus } from '@idp/core';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

export const CHECKOUT_PAWS = readFileSync(join(dirname(require.resolve('@idp/templates/package.json')), 'checkout', 'paws.yaml'), 'utf8');

/** A component whose releases go into its own paws.yaml, with a policy per environment. */
export const RELEASE_PAWS = `apiVersion: paws.dev/v1
kind: Workload
metadata:
  name: checkout
containers:
  web:
    image: ghcr.io/acme/checkout:1.4.2
environments:
  # where developers try things
  staging:
    release: { approvals: 1 }
  production:
    release:
      approvals: 2
      approvers: [alice, bob, carol]
      rollback: { approvals: 1 }
  demo:
    from: staging
    release: { approvals: 1, timeout: 3s }
`;

/** A kustomize overlay whose image tag idp releases set. */
export const kustomization = (tag: string) => `# production overlay
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base
images:
  - name: ghcr.io/acme/checkout
    newTag: "${tag}" # set by idp releases
`;

/** Commits on main made for release `v` of any environment (counted by their Idp-Release trailer, whether merged by fast-forward or not). */
export const releaseCommits = (bare: string, v: string) =>
  git(bare, 'log', '--format=%B', 'main').split('\n').filter((l) => l.startsWith('Idp-Release:') && l.endsWith(`/${v}`)).length;

export function git(gitDir: string, ...args: string[]): string {
  return execFileSync('git', ['--git-dir', gitDir, ...args], { encoding: 'utf8' });
}

/** Lines added and removed between two commits, as git itself computes them. */
export function diffLines(gitDir: string, from: string, to: string): { added: string[]; removed: string[] } {
  const out = git(gitDir, 'diff', '--unified=0', from, to);
  const lines = out.split('\n').filter((l) => !l.startsWith('+++') && !l.startsWith('---'));
  return {
    added: lines.filter((l) => l.startsWith('+')).map((l) => l.slice(1)),
    removed: lines.filter((l) => l.startsWith('-')).map((l) => l.slice(1)),
  };
}

export function branches(gitDir: string): string[] {
  return git(gitDir, 'for-each-ref', '--format=%(refname:short)', 'refs/heads').split('\n').filter(Boolean);
}

export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Wait for an idp workflow to complete (long-polling the API), and return its final status. */
export function completed(client: PlatformClient, workflowId: string): Promise<WorkflowStatus> {
  return eventually(async () => {
    const s = await client.workflow(workflowId, 5);
    return s.status === 'completed' && s;
  }, 30_000, `${workflowId} to complete`);
}
