/**
 * publish:idp-local's handler on real git repositories in a temporary folder: what it creates, as whom; what it
 * refuses (a taken name, a bad name) and that dry-run writes nothing. The Scaffolder around it is the e2e test's.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ConfigReader } from '@backstage/config';
import { createPublishIdpLocalAction } from './publish.js';

const git = (gitdir: string, ...args: string[]) => execFileSync('git', ['--git-dir', gitdir, ...args], { encoding: 'utf8' });
const silent = { info() {}, warn() {}, error() {}, debug() {}, child() { return silent; } };

describe('publish:idp-local', () => {
  let root: string;
  let directory: string;
  let workspace: string;
  const action = () => createPublishIdpLocalAction({ settings: { directory, roots: [root] }, config: new ConfigReader({}) });

  /** Runs the handler as the Scaffolder would (the task's user is alice unless told otherwise); returns its outputs. */
  async function run(input: Record<string, string>, opts: { dryRun?: boolean; taskId?: string; user?: boolean } = {}) {
    const outputs: Record<string, unknown> = {};
    const alice = { apiVersion: 'backstage.io/v1alpha1', kind: 'User', metadata: { name: 'alice' }, spec: { profile: { displayName: 'Alice', email: 'alice@example.com' } } };
    await action().handler({
      input,
      workspacePath: workspace,
      logger: silent,
      output: (name: string, value: unknown) => (outputs[name] = value),
      task: { id: opts.taskId ?? 'task-1' },
      isDryRun: opts.dryRun ?? false,
      ...(opts.user === false ? {} : { user: { entity: alice, ref: 'user:default/alice' } }),
    } as never);
    return outputs;
  }

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'idp-publish-'));
    directory = join(root, 'repos');
    workspace = join(root, 'workspace');
    mkdirSync(join(workspace, 'docs'), { recursive: true });
    writeFileSync(join(workspace, 'paws.yaml'), 'kind: Workload\n');
    writeFileSync(join(workspace, 'docs', 'index.md'), '# docs\n');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('dry-run reports the repository it would create and writes nothing', async () => {
    const out = await run({ name: 'payments' }, { dryRun: true });
    const url = pathToFileURL(join(directory, 'payments.git')).href;
    assert.deepEqual(out, { remoteUrl: url, repoContentsUrl: `${url}/`, catalogInfoUrl: `${url}/catalog-info.yaml` });
    assert.equal(existsSync(directory), false);
  });

  it("creates <name>.git with the workspace as the initial commit on main, authored by the task's user", async () => {
    const out = await run({ name: 'payments', description: 'Takes payments', gitCommitMessage: 'payments: first' });
    const bare = join(directory, 'payments.git');
    assert.equal(out.remoteUrl, pathToFileURL(bare).href);
    assert.equal(out.commitHash, git(bare, 'rev-parse', 'main').trim());
    assert.equal(git(bare, 'symbolic-ref', 'HEAD').trim(), 'refs/heads/main');
    assert.equal(git(bare, 'log', '--format=%an <%ae>|%cn <%ce>|%s', 'main').trim(), 'Alice <alice@example.com>|Scaffolder <scaffolder@backstage.io>|payments: first');
    assert.match(git(bare, 'log', '-1', '--format=%b', 'main'), /^Requested-by: user:default\/alice$/m);
    assert.deepEqual(git(bare, 'ls-tree', '-r', '--name-only', 'main').trim().split('\n'), ['docs/index.md', 'paws.yaml']);
    assert.deepEqual(readdirSync(directory), ['payments.git'], 'nothing left of its making');
    assert.deepEqual(readdirSync(workspace).sort(), ['docs', 'paws.yaml'], 'nothing written into the workspace');
    assert.equal(existsSync(join(bare, 'index')), false);
  });

  it('refuses a name that exists, for another task, and changes nothing', async () => {
    const bare = join(directory, 'payments.git');
    const before = git(bare, 'for-each-ref');
    await assert.rejects(run({ name: 'payments' }, { taskId: 'task-2' }), (e: Error) => e.name === 'ConflictError' && /The repository payments already exists on the local forge/.test(e.message));
    await assert.rejects(run({ name: 'payments' }, { taskId: 'task-2', dryRun: true }), /already exists/);
    assert.equal(git(bare, 'for-each-ref'), before);
  });

  it('reports the same repository when the task that created it runs the step again (task recovery)', async () => {
    const bare = join(directory, 'payments.git');
    const out = await run({ name: 'payments' }, { taskId: 'task-1' });
    assert.equal(out.commitHash, git(bare, 'rev-parse', 'main').trim());
    assert.equal(git(bare, 'rev-list', '--count', 'main').trim(), '1');
  });

  it('refuses a name that is not a plain repository name, writing nothing', async () => {
    for (const name of ['../escape', 'Payments', 'a/b', '-x', '']) {
      await assert.rejects(run({ name }), (e: Error) => e.name === 'InputError', name);
    }
    assert.deepEqual(readdirSync(directory), ['payments.git']);
    assert.equal(existsSync(join(root, 'escape.git')), false);
  });

  it('commits as the Scaffolder when the task has no user', async () => {
    await run({ name: 'robot' }, { user: false, taskId: 'task-3' });
    assert.equal(git(join(directory, 'robot.git'), 'log', '--format=%an', 'main').trim(), 'Scaffolder');
  });
});
