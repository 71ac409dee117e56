/**
 * The local forge against real git repositories made with the git CLI: the
 * provider contract, plus checks that what it writes is plain git that git
 * itself reads, and that PRs are shared between instances and processes.
 */
import { realpathSync } from 'node:fs';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ConflictError, InvalidRequestError, NotFoundError } from '@idp/core/errors';
import { createRepo, type TestRepo } from './testing/repos.js';
import { providerContract } from './contract.js';
import { providerFor } from './index.js';
import { LocalForge } from './local.js';

const AUTHOR = { name: 'Forge Test', email: 'forge@idp.invalid' };

providerContract('local', async ({ files, defaultBranch }) => {
  const repo = await createRepo({ files, branch: defaultBranch });
  const provider = new LocalForge({ repo: repo.bare });
  return {
    provider,
    push: (branch, changed, opts) => repo.push({ branch, files: changed, ...opts }),
    // The local forge's checks are the commit statuses set on a commit (as a CI system would through the API).
    setCheck: (sha, name, state) => provider.setCommitStatus(sha, { context: name, state, description: `${name} is ${state}` }),
    cleanup: repo.cleanup,
  };
});

describe('LocalForge on a real bare repository', () => {
  let repo: TestRepo;
  let forge: LocalForge;
  before(async () => {
    repo = await createRepo({ files: { 'paws.yaml': 'name: checkout\n', 'deploy/staging.yaml': 'replicas: 1\n' } });
    forge = new LocalForge({ repo: repo.bare, webBaseUrl: 'http://localhost:7070/' });
  });
  after(() => repo.cleanup());

  async function branch(name: string, files: Record<string, string | null>): Promise<string> {
    const baseSha = (await forge.branchSha('main'))!;
    const changes = Object.entries(files).map(([path, content]) => ({ path, content }));
    return (await forge.commitToNewBranch({ branch: name, baseSha, message: `Change ${name}`, changes, author: AUTHOR })).sha;
  }

  it('accepts a path or a file:// URL of a bare repository and refuses anything else', async () => {
    assert.equal(new LocalForge({ repo: pathToFileURL(repo.bare).href }).gitdir, repo.bare);
    assert.equal(new LocalForge({ repo: repo.bare }).repo, repo.bare);
    assert.throws(() => new LocalForge({ repo: repo.workdir }), (e: Error) => e instanceof NotFoundError && /working copy/.test(e.message));
    assert.throws(() => new LocalForge({ repo: join(repo.root, 'nope.git') }), (e: Error) => e instanceof NotFoundError && /bare git repository/.test(e.message));
    assert.throws(() => new LocalForge({ repo: join(repo.workdir, 'deploy') }), (e: Error) => e instanceof NotFoundError && /not a bare git repository/.test(e.message));
  });

  it('writes branches and commits that git reads (fsck, ls-remote, clone)', async () => {
    const sha = await branch('idp/git-reads', { 'deploy/preview.yaml': 'replicas: 2\n', 'deploy/staging.yaml': null });
    assert.equal(await repo.gitBare(['rev-parse', 'refs/heads/idp/git-reads']), sha);
    assert.match(await repo.git(['ls-remote', 'origin']), new RegExp(`^${sha}\\trefs/heads/idp/git-reads$`, 'm'));
    assert.equal(await repo.gitBare(['log', '-1', '--format=%an <%ae>|%s', sha]), 'Forge Test <forge@idp.invalid>|Change idp/git-reads');
    assert.equal(await repo.gitBare(['rev-parse', `${sha}^`]), await repo.gitBare(['rev-parse', 'main']));
    assert.equal(await repo.gitBare(['diff', '--name-status', 'main', sha]), 'A\tdeploy/preview.yaml\nD\tdeploy/staging.yaml');
    await repo.gitBare(['fsck', '--strict', '--no-dangling']);

    // A developer's checkout fetches it like any branch.
    await repo.git(['fetch', '--quiet', 'origin']);
    assert.equal(await repo.git(['show', 'origin/idp/git-reads:deploy/preview.yaml']), 'replicas: 2');
  });

  it('keeps PRs as refs/pull/<n>/head plus JSON in the repository, visible to another instance', async () => {
    const head = await branch('idp/shared', { 'x.txt': 'x\n' });
    const pr = await forge.openPullRequest({ head: 'idp/shared', base: 'main', title: 'Shared', body: '', author: 'a@example.com' });
    assert.equal(pr.url, `http://localhost:7070/pulls/${pr.number}?repo=${encodeURIComponent(repo.bare)}`);
    assert.match(await repo.git(['ls-remote', 'origin', `refs/pull/${pr.number}/head`]), new RegExp(`^${head}\\t`));
    const stored = JSON.parse(await readFile(join(repo.bare, 'idp', 'pulls', `${pr.number}.json`), 'utf8'));
    assert.equal(stored.head, 'idp/shared');

    // Another instance (as another process would) sees and changes the same PR.
    const other = new LocalForge({ repo: pathToFileURL(repo.bare).href });
    const seen = await other.getPullRequest(pr.number);
    assert.equal(seen.url, `file://${repo.bare}#pull/${pr.number}`);
    assert.deepEqual({ ...seen, url: pr.url }, pr);
    assert.equal((await other.findPullRequestByBranch('idp/shared'))?.number, pr.number);
    await other.review(pr.number, { event: 'approve', by: 'b@example.com' });
    assert.deepEqual(await forge.approvals(pr.number), ['b@example.com']);

    // A push to the branch moves the PR; the next change through the forge moves refs/pull/<n>/head too.
    const pushed = await repo.push({ branch: 'idp/shared', files: { 'x.txt': 'y\n' } });
    assert.equal((await forge.getPullRequest(pr.number)).headSha, pushed);
    await forge.comment(pr.number, 'pushed', 'a@example.com');
    assert.equal(await repo.gitBare(['rev-parse', `refs/pull/${pr.number}/head`]), pushed);
  });

  it('keeps commit statuses per commit in the repository: one per context, replaced when set again, reported as checks of the PR on that head', async () => {
    const head = await branch('idp/status', { 's.txt': 's\n' });
    const pr = await forge.openPullRequest({ head: 'idp/status', base: 'main', title: 'Status', body: '', author: 'a@example.com' });
    await forge.setCommitStatus(head, { context: 'idp/policy', state: 'pending', description: '1 more approval' });
    await forge.setCommitStatus(head, { context: 'ci/build', state: 'success', description: 'built', targetUrl: 'http://ci.invalid/1' });
    // Set again (a retried activity): replaced, not added.
    await forge.setCommitStatus(head, { context: 'idp/policy', state: 'pending', description: '1 more approval' });
    const other = new LocalForge({ repo: repo.bare });
    assert.deepEqual(await other.checks(pr.number), {
      state: 'pending',
      checks: [
        { name: 'idp/policy', state: 'pending' },
        { name: 'ci/build', state: 'success', url: 'http://ci.invalid/1' },
      ],
    });
    await other.setCommitStatus(head, { context: 'idp/policy', state: 'success', description: 'the release policy holds' });
    assert.deepEqual(await forge.checks(pr.number), { state: 'success', checks: [{ name: 'idp/policy', state: 'success' }, { name: 'ci/build', state: 'success', url: 'http://ci.invalid/1' }] });
    const stored = JSON.parse(await readFile(join(repo.bare, 'idp', 'statuses', `${head}.json`), 'utf8'));
    assert.equal(stored[0].description, 'the release policy holds');

    // A new head has no status until one is set on it.
    const pushed = await repo.push({ branch: 'idp/status', files: { 's.txt': 't\n' } });
    assert.deepEqual(await forge.checks(pr.number), { state: 'none', checks: [] });
    await forge.setCommitStatus(pushed, { context: 'idp/policy', state: 'failure', description: 'rejected' });
    assert.equal((await forge.checks(pr.number)).state, 'failure');

    await assert.rejects(forge.setCommitStatus('0'.repeat(40), { context: 'idp/policy', state: 'success', description: 'x' }), NotFoundError);
    await assert.rejects(forge.setCommitStatus('main', { context: 'idp/policy', state: 'success', description: 'x' }), NotFoundError);
    await assert.rejects(forge.setCommitStatus(pushed, { context: 'idp/policy', state: 'success', description: 'x'.repeat(141) }), /at most 140/);
  });

  it('merges as git does: fast-forward, or a merge commit with two parents; no index file in the bare repo', async () => {
    const ffHead = await branch('idp/ff', { 'ff.txt': 'ff\n' });
    const ff = await forge.openPullRequest({ head: 'idp/ff', base: 'main', title: 'FF', body: '', author: 'a@example.com' });
    await forge.merge(ff.number, { by: 'b@example.com', expectedHeadSha: ffHead });
    assert.equal(await repo.gitBare(['rev-parse', 'main']), ffHead);

    const head = await branch('idp/mc', { 'mc.txt': 'mc\n' });
    const pr = await forge.openPullRequest({ head: 'idp/mc', base: 'main', title: 'MC', body: '', author: 'a@example.com' });
    const moved = await repo.push({ branch: 'main', files: { 'other.txt': 'other\n' } });
    const merged = await forge.merge(pr.number, { by: 'b@example.com', expectedHeadSha: head });
    assert.equal(await repo.gitBare(['rev-parse', 'main']), merged.mergeSha);
    assert.equal(await repo.gitBare(['rev-list', '--parents', '-n', '1', 'main']), `${merged.mergeSha} ${moved} ${head}`);
    assert.equal(await repo.gitBare(['log', '-1', '--format=%ae|%s', 'main']), `b@example.com|Merge pull request #${pr.number} from idp/mc`);
    assert.equal(await repo.gitBare(['show', 'main:mc.txt']), 'mc');
    assert.equal(await repo.gitBare(['show', 'main:other.txt']), 'other');
    await repo.gitBare(['fsck', '--strict', '--no-dangling']);
    assert.equal(existsSync(join(repo.bare, 'index')), false);

    // The developer's checkout fast-forwards to the merged main.
    await repo.git(['pull', '--quiet', '--ff-only', 'origin', 'main']);
    assert.equal(await repo.git(['rev-parse', 'HEAD']), merged.mergeSha);
  });

  it('refuses a branch that clashes with an existing one as file vs folder, like git', async () => {
    await branch('clash', { 'f.txt': 'f' });
    await assert.rejects(branch('clash/child', { 'g.txt': 'g' }), (e: Error) => e instanceof ConflictError && /branch clash exists/.test(e.message));
    await branch('deep/child', { 'g.txt': 'g' });
    await assert.rejects(branch('deep', { 'g.txt': 'g' }), (e: Error) => e instanceof ConflictError && /deep\/child/.test(e.message));
    await forge.deleteBranch('clash');
    await forge.deleteBranch('deep/child');
    await branch('clash/child', { 'g.txt': 'g' });
    await branch('deep', { 'g.txt': 'g' });
    await repo.gitBare(['fsck', '--strict', '--no-dangling']);
    await forge.deleteBranch('clash/child');
    await forge.deleteBranch('deep');
  });

  it('keeps working after git gc packs objects and refs', async () => {
    const head = await branch('idp/packed', { 'packed.txt': 'p\n' });
    const pr = await forge.openPullRequest({ head: 'idp/packed', base: 'main', title: 'Packed', body: '', author: 'a@example.com' });
    await repo.push({ branch: 'main', files: { 'main-moved.txt': 'm\n' } });
    await repo.gitBare(['gc', '--quiet', '--prune=now']);
    assert.equal(existsSync(join(repo.bare, 'refs', 'heads', 'main')), false, 'main is now only in packed-refs');

    assert.equal((await forge.readFile('packed.txt', 'idp/packed'))?.content, 'p\n');
    const merged = await forge.merge(pr.number, { by: 'b@example.com', expectedHeadSha: head });
    assert.equal(await repo.gitBare(['rev-parse', 'main']), merged.mergeSha);
    assert.equal(await repo.gitBare(['show', 'main:packed.txt']), 'p');
    await forge.deleteBranch('idp/packed');
    assert.equal(await repo.gitBare(['branch', '--list', 'idp/packed']), '');
    assert.equal(await forge.branchSha('idp/packed'), null);
    await repo.gitBare(['fsck', '--strict', '--no-dangling']);
  });

  it('serializes PR numbers across processes', async () => {
    const branches = Array.from({ length: 16 }, (_, i) => `idp/proc-${i}`);
    for (const b of branches) await branch(b, { [`${b}.txt`]: b });
    const before = (await forge.listPullRequests({ state: 'all' })).pulls.length;

    const script = fileURLToPath(new URL('./testing/open-pulls.js', import.meta.url));
    const children = [branches.slice(0, 8), branches.slice(8)].map((mine) => fork(script, [repo.bare, ...mine], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    const ready = children.map((child) => new Promise<void>((resolve) => child.once('message', () => resolve())));
    const results = children.map(
      (child) =>
        new Promise<number[]>((resolve, reject) => {
          child.on('message', (m: { numbers?: number[]; error?: string } | string) => {
            if (typeof m === 'object' && m.numbers) resolve(m.numbers);
            if (typeof m === 'object' && m.error) reject(new Error(m.error));
          });
          child.once('exit', (code) => reject(new Error(`child exited with ${code} before reporting`)));
        }),
    );
    await Promise.all(ready);
    for (const child of children) child.send('go'); // both start at once
    const numbers = (await Promise.all(results)).flat().sort((a, b) => a - b);

    assert.deepEqual(numbers, Array.from({ length: 16 }, (_, i) => before + i + 1));
    const { pulls: listed } = await forge.listPullRequests({ state: 'all', headPrefix: 'idp/proc-' });
    assert.deepEqual(listed.map((pr) => pr.number), numbers);
    for (const pr of listed) assert.equal(await repo.gitBare(['rev-parse', `refs/pull/${pr.number}/head`]), pr.headSha);
  });
});

describe('providerFor', () => {
  let repo: TestRepo;
  before(async () => {
    repo = await createRepo({ files: { 'a.txt': 'a' } });
  });
  after(() => repo.cleanup());

  it('refuses repositories outside the allowed roots (IDP_REPO_ROOTS), through symlinks too, as if they were absent', () => {
    assert.ok(providerFor(repo.bare, { allowedRoots: [realpathSync(repo.root)] }) instanceof LocalForge);
    // Not 403 "outside": that would tell a caller which paths exist on the server's disk.
    assert.throws(() => providerFor(repo.bare, { allowedRoots: ['/srv/git'] }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'not_found');
      assert.match(e.message, /IDP_REPO_ROOTS/);
      return true;
    });
    assert.throws(() => providerFor(`${repo.root}-evil/x.git`, { allowedRoots: [realpathSync(repo.root)] }), /No repository/);
  });

  it('serves a local path or file:// URL with one cached LocalForge per repository', () => {
    const byPath = providerFor(repo.bare);
    assert.ok(byPath instanceof LocalForge);
    assert.equal(byPath.kind, 'local');
    assert.equal(providerFor(pathToFileURL(repo.bare).href), byPath);
    assert.equal(providerFor(`${repo.bare}/`), byPath);
    assert.notEqual(providerFor(repo.bare, { webBaseUrl: 'http://localhost:1' }), byPath);
  });

  it('reports a missing local repository as NotFoundError', () => {
    assert.throws(() => providerFor(join(repo.root, 'missing.git')), NotFoundError);
  });
});
