/**
 * Identity as an input of the Platform API router (api/src/identity.ts), on the
 * real Temporal dev server and real repositories: the standalone server's rules
 * (its one user, or a shared secret), a custom Identity's actor and authorize
 * verdicts, service principals, and four-eyes across a person's aliases.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowNotFoundError } from '@temporalio/client';
import { IdpError, parsePaws, workflowId as makeWorkflowId } from '@idp/core';
import { PlatformClient } from '@idp/core/client';
import { standaloneIdentity, startApiServer, type Actor, type AuthorizeCheck, type Identity } from '@idp/api';
import { LocalForge, repoKey } from '@idp/providers';
import { createRepo, type TestRepo } from '@idp/providers/testing';
import { providersFor } from '@idp/api';
import { startTestStack, TEST_USER, type TestStack } from '../testing/stack.js';
import { branches, CHECKOUT_PAWS, eventually, RELEASE_PAWS } from './fixtures.js';

describe('identity', () => {
  let stack: TestStack;
  const servers: { close(): Promise<void> }[] = [];
  before(async () => {
    stack = await startTestStack({ pollIntervalMs: 60_000 });
  });
  after(async () => {
    for (const s of servers) await s.close();
    await stack?.stop();
  });

  /** The same router on its own port, with `identity`. */
  async function serve(identity: Identity): Promise<string> {
    const { cfg } = stack;
    const server = await startApiServer({
      host: '127.0.0.1', port: 0, temporal: stack.api.temporal, taskQueue: cfg.taskQueue, providers: providersFor(cfg),
      pollIntervalMs: cfg.pollIntervalMs, version: 'test', temporalAddress: cfg.temporalAddress, namespace: cfg.namespace, identity,
    });
    servers.push(server);
    return server.url;
  }

  async function checkoutRepo(t: { after(fn: () => Promise<void>): void }, paws = CHECKOUT_PAWS): Promise<TestRepo> {
    const repo = await createRepo({ files: { 'paws.yaml': paws } });
    t.after(() => repo.cleanup());
    return repo;
  }

  /** Nothing of an env change was written: no branch besides the default one, no workflow. */
  async function assertNothingWritten(repo: TestRepo, kind: 'env-clone', env: string) {
    assert.deepEqual(branches(repo.bare), [repo.branch], 'no branch');
    const component = parsePaws(CHECKOUT_PAWS).spec.metadata.name;
    const id = makeWorkflowId(kind, component, env, repoKey(new LocalForge({ repo: repo.bare })));
    await assert.rejects(stack.api.temporal.workflow.getHandle(id).describe(), WorkflowNotFoundError, 'no workflow');
  }

  const post = (url: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;

  it('standalone without a shared secret: acts only as its user, and refuses a request naming another (403, nothing written)', async (t) => {
    const repo = await checkoutRepo(t);
    const url = await serve(standaloneIdentity({ user: TEST_USER }));
    const res = await post(url, '/environments/staging/clone', { repo: repo.bare, target: 'pr-1' }, { 'x-idp-user': 'mallory@example.com' });
    assert.equal(res.status, 403);
    const err = await errorOf(res);
    assert.equal(err.code, 'forbidden');
    assert.match(err.message, new RegExp(`acts only as ${TEST_USER}; start it with IDP_API_TOKEN`));
    await assertNothingWritten(repo, 'env-clone', 'pr-1');

    // Its own user (named or not) acts, and authors the PR.
    const ok = await new PlatformClient({ baseUrl: url, user: TEST_USER }).cloneEnvironment('staging', { repo: repo.bare, target: 'pr-1' });
    assert.equal((await stack.client.pull({ repo: repo.bare }, ok.pr!.number)).author, TEST_USER);
  });

  it('standalone with a shared secret: 401 without it (nothing written); with it a request may name its user', async (t) => {
    const repo = await checkoutRepo(t);
    const missing = await post(stack.api.url, '/environments/staging/clone', { repo: repo.bare, target: 'pr-2' }, { 'x-idp-user': 'alice@example.com' });
    assert.equal(missing.status, 401);
    assert.match((await errorOf(missing)).message, /IDP_API_TOKEN/);
    const wrong = await post(stack.api.url, '/environments/staging/clone', { repo: repo.bare, target: 'pr-2' }, { authorization: 'Bearer nope', 'x-idp-user': 'alice@example.com' });
    assert.equal(wrong.status, 401);
    await assertNothingWritten(repo, 'env-clone', 'pr-2');

    const ok = await stack.clientAs('alice@example.com').cloneEnvironment('staging', { repo: repo.bare, target: 'pr-2' });
    assert.equal((await stack.client.pull({ repo: repo.bare }, ok.pr!.number)).author, 'alice@example.com');
  });

  it("a custom Identity's actor authors the PR and reviews, whatever x-idp-user says", async (t) => {
    const repo = await checkoutRepo(t);
    const alice: Actor = { id: 'user:default/alice', kind: 'user', aliases: ['alice@example.com'] };
    const url = await serve({ actorOf: async () => alice });
    const as = new PlatformClient({ baseUrl: url, user: 'mallory@example.com' });
    const res = await as.cloneEnvironment('staging', { repo: repo.bare, target: 'pr-3' });
    const pr = await stack.client.pull({ repo: repo.bare }, res.pr!.number);
    assert.equal(pr.author, 'user:default/alice');
    await as.review(pr.number, { repo: repo.bare, event: 'comment', body: 'looks fine' });
    assert.deepEqual((await stack.client.pull({ repo: repo.bare }, pr.number)).reviews.map((r) => r.by), ['user:default/alice']);
  });

  it('an Identity that refuses: 403 with its reason, and nothing is written (no branch, no workflow, no review)', async (t) => {
    const repo = await checkoutRepo(t);
    const seen: AuthorizeCheck[] = [];
    const url = await serve({
      actorOf: async () => ({ id: 'user:default/carol', kind: 'user', aliases: [] }),
      async authorize(_req, actor, check) {
        seen.push(check);
        if (check.action !== 'component.read') throw new IdpError('forbidden', 403, `${actor.id} may not ${check.action} (missing: idp.${check.action})`);
      },
    });
    const carol = new PlatformClient({ baseUrl: url });
    await assert.rejects(carol.cloneEnvironment('staging', { repo: repo.bare, target: 'pr-4' }), (e: Error) => /may not environment\.change/.test(e.message));
    await assertNothingWritten(repo, 'env-clone', 'pr-4');
    assert.deepEqual(seen.at(-1), { action: 'environment.change', component: { name: 'checkout', owner: 'team-payments', repo: repo.bare, path: 'paws.yaml' }, env: 'pr-4' });

    // Reads pass (component.read) and are checked with the component.
    assert.equal((await carol.component({ repo: repo.bare })).component, 'checkout');
    assert.equal(seen.at(-1)?.action, 'component.read');

    // A review of someone else's PR is refused before the forge records it.
    const open = await stack.client.cloneEnvironment('staging', { repo: repo.bare, target: 'pr-5' });
    await assert.rejects(carol.review(open.pr!.number, { repo: repo.bare, event: 'approve' }), (e: Error) => /may not pull\.review/.test(e.message));
    assert.deepEqual((await stack.client.pull({ repo: repo.bare }, open.pr!.number)).reviews, []);
  });

  it('a service principal may request changes but never approves (403, no review recorded)', async (t) => {
    const repo = await checkoutRepo(t);
    const url = await serve({ actorOf: async () => ({ id: 'plugin:ci-bot', kind: 'service', aliases: [] }) });
    const bot = new PlatformClient({ baseUrl: url });
    const open = await stack.client.cloneEnvironment('staging', { repo: repo.bare, target: 'pr-6' });
    const n = open.pr!.number;
    const res = await post(url, `/pulls/${n}/reviews`, { repo: repo.bare, event: 'approve' });
    assert.equal(res.status, 403);
    assert.match((await errorOf(res)).message, /plugin:ci-bot is a service principal: .*approvals come from people/);
    assert.deepEqual((await stack.client.pull({ repo: repo.bare }, n)).reviews, []);
    await bot.review(n, { repo: repo.bare, event: 'request_changes', body: 'lint fails' });
    assert.deepEqual((await stack.client.pull({ repo: repo.bare }, n)).reviews.map((r) => [r.by, r.state]), [['plugin:ci-bot', 'changes_requested']]);
  });

  it('four-eyes across aliases: the requester approving under another of their names does not count', async (t) => {
    const repo = await checkoutRepo(t, RELEASE_PAWS);
    const alice: Actor = { id: 'user:default/alice', kind: 'user', aliases: ['user:default/alice', 'Alice@Corp.example'] };
    const url = await serve({ actorOf: async () => alice });
    const ref = { repo: repo.bare };
    const res = await new PlatformClient({ baseUrl: url }).createRelease({ ...ref, env: 'staging', image: 'ghcr.io/acme/checkout:1.4.3' });
    const n = res.pr!.number;
    // Alice again, this time as her email (the shared-secret server lets a client name it).
    await stack.clientAs('alice@corp.example').review(n, { ...ref, event: 'approve' });
    const shown = await stack.client.release(ref, 'staging', 1);
    assert.deepEqual(shown.verdict?.approvedBy, []);
    assert.deepEqual(shown.verdict?.ignored, [{ by: 'alice@corp.example', why: 'is the author' }]);
    assert.equal((await stack.client.workflow(res.workflowId)).phase, 'open', 'not merged on her own approval');

    // Someone else's approval counts: the release merges.
    await stack.clientAs('bob@example.com').review(n, { ...ref, event: 'approve' });
    await eventually(async () => (await stack.client.workflow(res.workflowId, 2)).status === 'completed', 30_000, 'the release merged');
  });
});
