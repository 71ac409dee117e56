/**
 * The workflow bundle, built once into a file and loaded by every worker.
 *
 * Bundling (webpack) inside the worker would leave a few hundred MB of the
 * bundler's heap in a process that then runs for weeks; so a short-lived child
 * process writes the bundle next to the compiled workflows, and it is rebuilt
 * only when the workflows were compiled again since.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';

const require = createRequire(import.meta.url);
export const workflowsPath = (): string => require.resolve('@idp/workflows');

const mtime = (p: string) => {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return -1;
  }
};

/** Path of an up-to-date bundle of the workflows, building it in a child process when needed. */
export function workflowBundlePath(): string {
  const dist = dirname(workflowsPath());
  const out = join(dist, '..', 'bundle', 'workflows.js');
  const newest = Math.max(...readdirSync(dist).filter((f) => f.endsWith('.js')).map((f) => mtime(join(dist, f))));
  if (mtime(out) < newest) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), out], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error(`bundling the workflows failed (exit ${r.status})`);
  }
  return out;
}

// `node bundle.js <out>`: the child process that bundles.
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2]) {
  const out = process.argv[2];
  const silent = { info() {}, warn() {}, debug() {}, trace() {}, log() {}, error: console.error };
  const { code } = await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: silent as never });
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dirname(out), { recursive: true });
  // Several workers may start at once: each writes its own file and renames it into place.
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, code);
  renameSync(tmp, out);
}
