/**
 * The Platform API answers what its contract says: every response of a real
 * flow parses with the contract's zod schemas (the ones the OpenAPI document is
 * generated from), and the served document describes every route.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ComponentInfo, EnvironmentList, Health, PullDiff, PullList, PullRequestSchema, ReleaseDetail, ReleaseList, WorkflowStatus } from '@idp/core';
import type { IdpError } from '@idp/core/errors';
import { LocalForge } from '@idp/providers';
import { startTestStack, type TestStack } from '../testing/stack.js';
import { createRepo } from '@idp/providers/testing';
import { CHECKOUT_PAWS, completed, RELEASE_PAWS } from './fixtures.js';

describe('Platform API contract', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack();
  });
  after(async () => {
    await stack?.stop();
  });

  it('responses of a clone → review → merge flow match the contract schemas', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const ref = { repo: repo.bare };
    Health.parse(await stack.client.health());
    ComponentInfo.parse(await stack.client.component(ref));
    const started = WorkflowStatus.parse(await stack.client.cloneEnvironment('staging', { ...ref, target: 'c-1', ttl: '1h' }));
    EnvironmentList.parse(await stack.client.listEnvironments(ref));
    const diff = PullDiff.parse(await stack.client.diff(ref, started.pr!.number));
    assert.deepEqual(diff.files.map((f) => [f.path, f.status]), [['paws.yaml', 'modified']]);
    assert.match(diff.files[0]!.patch, /^\+  c-1:$/m);
    PullRequestSchema.parse(await stack.clientAs('r@example.com').review(started.pr!.number, { ...ref, event: 'approve' }));
    for (const pr of await stack.client.listPulls(ref, 'all')) PullRequestSchema.parse(pr);
    PullRequestSchema.parse(await stack.client.merge(started.pr!.number, ref));
    WorkflowStatus.parse(await completed(stack.client, started.workflowId));
  });

  it('responses of a release → review → merge flow match the contract schemas', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': RELEASE_PAWS } });
    t.after(() => repo.cleanup());
    const ref = { repo: repo.bare };
    const started = WorkflowStatus.parse(await stack.client.createRelease({ ...ref, env: 'staging', image: 'ghcr.io/acme/checkout:1.5.0' }));
    const queued = WorkflowStatus.parse(await stack.client.createRelease({ ...ref, env: 'staging', image: 'ghcr.io/acme/checkout:1.6.0' }));
    assert.equal(queued.phase, 'queued');
    const open = ReleaseDetail.parse(await stack.client.release(ref, 'staging', 1));
    assert.equal(open.verdict?.satisfied, false);
    ReleaseDetail.parse(await stack.client.release(ref, 'staging', 2));
    ReleaseList.parse(await stack.client.listReleases(ref));
    await stack.clientAs('r@example.com').review(started.pr!.number, { ...ref, event: 'approve' });
    WorkflowStatus.parse(await completed(stack.client, started.workflowId));
    ReleaseDetail.parse(await stack.client.release(ref, 'staging', 1));
    await stack.api.temporal.workflow.getHandle(queued.workflowId).terminate('test over');
  });

  it('GET /pulls pages newest first through the typed client: each PR once, nextPage until the last page', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const ref = { repo: repo.bare };
    const forge = new LocalForge({ repo: repo.bare });
    for (const n of [1, 2, 3, 4, 5]) {
      await repo.push({ branch: `feature/${n}`, files: { [`f${n}.txt`]: String(n) } });
      await forge.openPullRequest({ head: `feature/${n}`, base: 'main', title: `change ${n}`, body: '', author: 'dev@example.com' });
    }
    const pages: PullList[] = [];
    for (let page: number | undefined = 1; page !== undefined && pages.length < 10; page = pages.at(-1)!.nextPage) {
      pages.push(PullList.parse(await stack.client.pullsPage(ref, { state: 'all', limit: 2, page })));
    }
    assert.deepEqual(pages.map((p) => p.pulls.map((pr) => pr.number)), [[4, 5], [2, 3], [1]], 'newest first, nothing repeated or skipped');
    assert.deepEqual(pages.map((p) => p.nextPage), [2, 3, undefined]);
    assert.deepEqual((await stack.client.listPulls(ref, 'all', 2)).map((pr) => pr.number), [4, 5], 'listPulls is the first page');
    for (const bad of [0, 1001, 1.5]) {
      await assert.rejects(stack.client.pullsPage(ref, { page: bad }), (e: IdpError) => e.code === 'invalid_request' && /page/.test(e.message), String(bad));
    }
  });

  it('serves an OpenAPI 3.1 document naming every operation the client calls', async () => {
    const doc = (await (await fetch(`${stack.api.url}/openapi.json`)).json()) as { openapi: string; paths: Record<string, Record<string, { operationId: string }>> };
    assert.equal(doc.openapi, '3.1.0');
    const ops = Object.values(doc.paths).flatMap((p) => Object.values(p).map((o) => o.operationId)).sort();
    assert.deepEqual(ops, [
      'cloneEnvironment', 'closePull', 'createEnvironment', 'createRelease', 'destroyEnvironment', 'extendEnvironment', 'getComponent', 'getMetrics',
      'getPull', 'getPullDiff', 'getRelease', 'getWorkflow', 'health', 'listActivity', 'listEnvironments', 'listLogs', 'listPulls', 'listReleases', 'listSecrets', 'listVariables', 'mergePull', 'openapi',
      'promoteRelease', 'reportCheck', 'resolveContext', 'reviewPull', 'rollbackRelease', 'setSecret', 'setVariables', 'tailLogs', 'unsetSecret', 'whoami',
    ]);
  });

  it('a browser following a PR link gets a readable page with the diff, escaped', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const res = await stack.client.cloneEnvironment('staging', { repo: repo.bare, target: 'page' });
    await stack.clientAs('<script>@example.com').review(res.pr!.number, { repo: repo.bare, event: 'comment', body: '<b>hi</b>' });
    const page = await fetch(res.pr!.url, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8', ...stack.headersAs() } });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const html = await page.text();
    assert.match(html, /<title>#1 Clone environment staging → page<\/title>/);
    assert.match(html, /<span class="add">\+  page:<\/span>/);
    assert.match(html, /idp pr merge 1/);
    assert.doesNotMatch(html, /<script>|<b>hi/, 'user text is escaped');
    const json = await fetch(res.pr!.url, { headers: stack.headersAs() });
    assert.equal(((await json.json()) as { number: number }).number, 1, 'API clients still get JSON');
  });

  it('the PR page renders Markdown with raw HTML off, hides the marker and says what happened to the PR', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const forge = new LocalForge({ repo: repo.bare });
    const page = async (n: number) => {
      const res = await fetch(`${stack.api.url}/pulls/${n}?repo=${encodeURIComponent(repo.bare)}`, { headers: { accept: 'text/html', ...stack.headersAs() } });
      assert.equal(res.status, 200);
      return res.text();
    };
    // PR text is attacker-controlled: raw HTML and javascript: links must come out inert.
    const body = [
      'Promote to **production**.', '', '```diff', '-  image: a:1', '+  image: a:2', '```', '', 'Then run `idp pr merge 1`.', '',
      '<script>alert(1)</script>', '', '[x](javascript:alert(1))', '', '<!-- idp workflow: release-checkout-production -->',
    ].join('\n');
    await repo.push({ branch: 'feature/md', files: { 'md.txt': 'md' } });
    const pr = await forge.openPullRequest({ head: 'feature/md', base: 'main', title: 'markdown', body, author: 'dev@example.com' });
    await forge.comment(pr.number, 'Looks **fine** <img src=x onerror=alert(1)> [y](JavaScript:alert(2))', 'rev@example.com');
    const open = await page(pr.number);
    assert.match(open, /<strong>production<\/strong>/);
    assert.match(open, /<pre><code class="language-diff">-  image: a:1\n\+  image: a:2\n<\/code><\/pre>/);
    assert.match(open, /<code>idp pr merge 1<\/code>/);
    assert.match(open, /<strong>fine<\/strong>/, 'comments are Markdown too');
    assert.match(open, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/, 'raw HTML is shown as text');
    assert.doesNotMatch(open, /<script|<img/i);
    assert.doesNotMatch(open, /href="\s*javascript:/i);
    assert.doesNotMatch(open, /idp workflow:/, 'the hidden marker stays hidden');
    assert.match(open, /dev@example\.com<\/b> wants to merge <code>feature\/md<\/code> into <code>main<\/code>/);

    await forge.merge(pr.number, { by: 'lead@example.com' });
    const merged = await page(pr.number);
    assert.match(merged, /lead@example\.com<\/b> merged <code>feature\/md<\/code> into <code>main<\/code>/);
    assert.doesNotMatch(merged, /wants to merge|idp pr merge 1<\/code> \(or/);

    await repo.push({ branch: 'feature/drop', files: { 'drop.txt': 'x' } });
    const dropped = await forge.openPullRequest({ head: 'feature/drop', base: 'main', title: 'drop', body: '', author: 'dev@example.com' });
    await forge.close(dropped.number, 'lead@example.com');
    const closed = await page(dropped.number);
    assert.match(closed, /lead@example\.com<\/b> closed this without merging <code>feature\/drop<\/code> into <code>main<\/code>/);
    assert.doesNotMatch(closed, /wants to merge/);
  });

  it('an unknown route answers 404 as JSON pointing at the document', async () => {
    const res = await fetch(`${stack.api.url}/nope`, { headers: stack.headersAs() });
    assert.equal(res.status, 404);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /openapi\.json/);
  });

  it('with IDP_API_TOKEN set, a request without the token is refused', async () => {
    const { startApiServer, standaloneIdentity } = await import('@idp/api');
    const guarded = await startApiServer({
      host: '127.0.0.1', port: 0, temporal: stack.api.temporal, taskQueue: stack.cfg.taskQueue, providers: () => { throw new Error('unused'); },
      pollIntervalMs: 1000, version: 'test', temporalAddress: stack.cfg.temporalAddress, namespace: 'default', identity: standaloneIdentity({ user: 'dev@example.com', sharedSecret: 's3cret' }),
    });
    try {
      const res = await fetch(`${guarded.url}/pulls?repo=/x`);
      assert.equal(res.status, 401);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'unauthenticated');
      assert.equal((await fetch(`${guarded.url}/health`)).status, 200, '/health stays open for probes');
      // Every route that writes, the new check report included, is refused before any repository is touched
      // (the providers throw if called: that would be a 500, not a 401).
      for (const path of ['/pulls/1/checks', '/pulls/1/reviews', '/pulls/1/merge', '/pulls/1/close', '/releases']) {
        const body = JSON.stringify({ repo: '/x', path: 'paws.yaml', name: 'ci/build', state: 'success', event: 'approve', env: 'staging', image: 'ghcr.io/acme/x:1' });
        const w = await fetch(`${guarded.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        assert.equal(w.status, 401, path);
        assert.equal(((await w.json()) as { error: { code: string } }).error.code, 'unauthenticated', path);
      }
    } finally {
      await guarded.close();
    }
  });
});
