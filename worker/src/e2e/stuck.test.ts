/**
 * Workflows whose activities fail: a bug ends the workflow at once (visibly)
 * instead of being retried forever, and a failure that is retried (a forge
 * outage) shows as "stuck" in `idp env list` / `idp releases` while it lasts.
 * And the API merges or closes, with idp's credentials, only the PRs idp opened.
 *
 * The real stack; the worker's provider is the local forge with one method made
 * to fail on chosen repositories.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NativeConnection } from '@temporalio/worker';
import { ProviderError, workflowId } from '@idp/core';
import { type GitProvider, LocalForge, repoKey } from '@idp/providers';
import { startTestStack, type TestStack } from '../testing/stack.js';
import { createRepo, type GitHubFake, startGitHubFake } from '@idp/providers/testing';
import { createWorker } from '../worker.js';
import { providersFor } from '@idp/api';
import { CHECKOUT_PAWS, eventually, RELEASE_PAWS } from './fixtures.js';
import { PlatformClient } from '@idp/core/client';

const SERVICE = 'ghs_idp_service';
const REVIEWER = 'ghp_reviewer';

describe('failing activities and foreign PRs', () => {
  let stack: TestStack;
  let connection: NativeConnection;
  let stopWorker: () => Promise<void>;
  let github: GitHubFake;
  /** Repository → what its provider's openPullRequest throws. */
  const faults = new Map<string, () => Error>();

  before(async () => {
    github = await startGitHubFake({ users: { [SERVICE]: 'idp-bot', [REVIEWER]: 'rita' } });
    stack = await startTestStack({
      inProcessWorker: false, prWaitMs: 5_000, pollIntervalMs: 500,
      forges: [{ kind: 'github', host: 'github.test', apiUrl: github.url, github: { token: SERVICE } }],
    });
    const real = providersFor(stack.cfg);
    const faulty = (repo: string): GitProvider => {
      const p = real(repo);
      return new Proxy(p, {
        get(target, key) {
          const fault = faults.get(repo);
          if (key === 'openPullRequest' && fault) return async () => Promise.reject(fault());
          const v = Reflect.get(target, key) as unknown;
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
    };
    connection = await NativeConnection.connect({ address: stack.cfg.temporalAddress });
    const worker = await createWorker({ connection, namespace: stack.cfg.namespace, taskQueue: stack.cfg.taskQueue, providers: faulty });
    const run = worker.run();
    stopWorker = async () => {
      worker.shutdown();
      await run.catch(() => undefined);
      await connection.close();
    };
  });
  after(async () => {
    await stopWorker?.();
    await stack?.stop();
    await github?.close();
    assert.deepEqual(github.violations, []);
  });

  it('a bug in an activity ends the workflow with its error instead of retrying it forever', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    faults.set(repo.bare, () => new TypeError("Cannot read properties of undefined (reading 'sha')"));
    // The error itself is the answer: had the API given up waiting (a retried bug), it would answer "started, no PR yet".
    await assert.rejects(stack.client.cloneEnvironment('staging', { repo: repo.bare, target: 'buggy' }), /Cannot read properties of undefined/);
    const id = workflowId('env-clone', 'checkout', 'buggy', repoKey(providersFor(stack.cfg)(repo.bare)));
    const wf = await eventually(async () => {
      const s = await stack.client.workflow(id, 5);
      return s.status !== 'running' && s;
    }, 10_000, 'the workflow to end');
    assert.equal(wf.status, 'failed');
    assert.match(wf.error?.message ?? '', /Cannot read properties of undefined/);
  });

  it('a failure that is retried shows as stuck in the environment list while it lasts', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    faults.set(repo.bare, () => new ProviderError('GitHub answered 502 Bad Gateway'));
    const res = await stack.client.cloneEnvironment('staging', { repo: repo.bare, target: 'waiting' });
    assert.equal(res.status, 'running');
    assert.equal(res.pr, undefined, 'no PR could be opened');
    const env = await eventually(async () => {
      const list = await stack.client.listEnvironments({ repo: repo.bare });
      const e = list.environments.find((x) => x.name === 'waiting');
      return e?.workflows[0]?.stuck ? e : undefined;
    }, 20_000, 'the workflow to show as stuck');
    assert.match(env.workflows[0]!.stuck!, /^stuck: retrying openPullRequest \(attempt \d+\): GitHub answered 502 Bad Gateway$/);

    // The forge recovers: the PR opens, and the workflow is no longer reported stuck.
    faults.delete(repo.bare);
    const open = await eventually(async () => {
      const e = (await stack.client.listEnvironments({ repo: repo.bare })).environments.find((x) => x.name === 'waiting');
      return e?.pulls[0] ? e : undefined;
    }, 60_000, 'the PR once the forge is back');
    assert.equal(open.workflows[0]?.stuck, undefined);
  });

  it('releases: a release stuck retrying is shown in its environment of `idp releases`', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': RELEASE_PAWS } });
    t.after(() => repo.cleanup());
    faults.set(repo.bare, () => new ProviderError('GitLab answered 503 Service Unavailable'));
    await stack.client.createRelease({ repo: repo.bare, env: 'staging', image: 'ghcr.io/acme/checkout:1.4.3' });
    const staging = await eventually(async () => {
      const e = (await stack.client.listReleases({ repo: repo.bare })).environments.find((x) => x.env === 'staging');
      return e?.stuck ? e : undefined;
    }, 20_000, 'the release to show as stuck');
    assert.match(staging.stuck!, /^stuck: retrying openPullRequest \(attempt \d+\): GitLab answered 503 Service Unavailable$/);
    faults.delete(repo.bare);
  });

  it('merge and close act only on PRs idp opened (403 for others, which stay open)', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const ref = { repo: repo.bare };
    const forge = new LocalForge({ repo: repo.bare });
    // Someone's own PR, and one on a branch named like idp's that no idp workflow opened.
    await repo.push({ branch: 'feature/mine', files: { 'a.txt': 'mine' } });
    const theirs = await forge.openPullRequest({ head: 'feature/mine', base: 'main', title: 'mine', body: '', author: 'mallory@example.com' });
    await repo.push({ branch: 'idp/env-clone/checkout/lookalike', files: { 'paws.yaml': `${CHECKOUT_PAWS}\n# sneaky\n` } });
    const lookalike = await forge.openPullRequest({ head: 'idp/env-clone/checkout/lookalike', base: 'main', title: 'env clone', body: '', author: 'mallory@example.com' });
    for (const pr of [theirs, lookalike]) {
      await assert.rejects(stack.client.merge(pr.number, ref), (e: Error & { code?: string }) => e.code === 'forbidden' && /not opened by idp/.test(e.message));
      await assert.rejects(stack.client.close(pr.number, ref), (e: Error & { code?: string }) => e.code === 'forbidden');
      assert.equal((await stack.client.pull(ref, pr.number)).state, 'open');
    }
    // idp's own PR merges as before.
    const res = await stack.client.cloneEnvironment('staging', { ...ref, target: 'legit' });
    assert.equal((await stack.client.merge(res.pr!.number, ref)).state, 'merged');
  });

  it("on GitHub, a PR idp did not open is merged only with the caller's own token (the forge decides)", async () => {
    const gh = await github.createRepo('acme/web', { 'paws.yaml': CHECKOUT_PAWS.replace('name: checkout', 'name: web') });
    const remote = 'https://github.test/acme/web.git';
    const provider = providersFor(stack.cfg)(remote);
    const base = (await gh.git.branchSha('main'))!;
    await provider.commitToNewBranch({ branch: 'feature/readme', baseSha: base, message: 'readme', changes: [{ path: 'README.md', content: 'hi' }], author: { name: 'Someone', email: 'someone@example.com' } });
    const pr = await provider.openPullRequest({ head: 'feature/readme', base: 'main', title: 'readme', body: '', author: 'someone@example.com' });

    await assert.rejects(stack.clientAs('rita@example.com').merge(pr.number, { repo: remote }), (e: Error & { code?: string }) => e.code === 'forbidden');
    assert.equal(gh.pulls.get(pr.number)?.state, 'open');
    const rita = new PlatformClient({ baseUrl: stack.api.url, token: stack.token, user: 'rita@example.com', forgeToken: REVIEWER });
    const merged = await rita.merge(pr.number, { repo: remote });
    assert.equal(merged.state, 'merged');
    assert.equal(merged.mergedBy, 'rita', 'merged as Rita, by the forge\'s leave');
  });
});
