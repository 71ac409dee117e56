/**
 * Bad input gets a clear error and nothing is written: no branch, no PR, no workflow.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestStack, type TestStack } from '../testing/stack.js';
import { createRepo } from '@idp/providers/testing';
import { CHECKOUT_PAWS, branches, git } from './fixtures.js';

describe('bad input', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack();
  });
  after(async () => {
    await stack?.stop();
  });

  async function assertNothingWritten(bare: string, mainBefore: string) {
    assert.equal(git(bare, 'rev-parse', 'main').trim(), mainBefore, 'main unchanged');
    assert.deepEqual(branches(bare), ['main'], 'no branch pushed');
    assert.deepEqual(await stack.client.listPulls({ repo: bare }, 'all'), [], 'no PR');
    const runs = [];
    for await (const wf of stack.api.temporal.workflow.list({ query: `IdpRepo = '${bare}'` })) runs.push(wf.workflowId);
    assert.deepEqual(runs, [], 'no workflow started');
  }

  const cases: { name: string; paws?: string; source: string; target: string; ttl?: string; code: string; message: RegExp }[] = [
    { name: 'invalid target name', source: 'staging', target: 'Preview_123', code: 'invalid_request', message: /DNS-1123/ },
    { name: 'reserved target name', source: 'staging', target: 'default', code: 'invalid_request', message: /reserved/ },
    { name: 'too long target name', source: 'staging', target: 'a'.repeat(64), code: 'invalid_request', message: /63/ },
    { name: 'missing source environment', source: 'qa', target: 'preview-1', code: 'not_found', message: /"qa" does not exist.*staging, production/s },
    { name: 'target already exists', source: 'staging', target: 'production', code: 'conflict', message: /already exists/ },
    { name: 'bad TTL', source: 'staging', target: 'preview-1', ttl: '3 days', code: 'invalid_request', message: /TTL/ },
    {
      name: 'malformed paws.yaml',
      paws: 'apiVersion: paws.dev/v1\nkind: Workload\nmetadata:\n  name: checkout\nenvironments:\n  staging: {\n',
      source: 'staging',
      target: 'preview-1',
      code: 'invalid_paws',
      message: /paws\.yaml:\d+:\d+/,
    },
    {
      name: 'paws.yaml whose from: points nowhere',
      paws: 'apiVersion: paws.dev/v1\nkind: Workload\nmetadata:\n  name: checkout\nenvironments:\n  staging:\n    from: ghost\n',
      source: 'staging',
      target: 'preview-1',
      code: 'invalid_paws',
      message: /ghost/,
    },
  ];

  for (const c of cases) {
    it(`${c.name} → ${c.code}, nothing written`, async (t) => {
      const repo = await createRepo({ files: { 'paws.yaml': c.paws ?? CHECKOUT_PAWS } });
      t.after(() => repo.cleanup());
      const mainBefore = git(repo.bare, 'rev-parse', 'main').trim();
      await assert.rejects(stack.client.cloneEnvironment(c.source, { repo: repo.bare, target: c.target, ttl: c.ttl }), (e: Error & { code?: string }) => {
        assert.equal(e.code, c.code);
        assert.match(e.message, c.message);
        return true;
      });
      await assertNothingWritten(repo.bare, mainBefore);
    });
  }

  it('a repository without paws.yaml → not_found naming the file', async (t) => {
    const repo = await createRepo({ files: { 'README.md': 'hello\n' } });
    t.after(() => repo.cleanup());
    await assert.rejects(stack.client.cloneEnvironment('staging', { repo: repo.bare, target: 'preview-1' }), /No paws\.yaml on main|There is no paws\.yaml on main/);
  });

  it('a repo that is not a git repository → not_found', async () => {
    await assert.rejects(stack.client.cloneEnvironment('staging', { repo: '/nonexistent/x.git', target: 'preview-1' }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'not_found');
      return true;
    });
  });

  it('a request body missing fields → invalid_request listing them', async () => {
    const res = await fetch(`${stack.api.url}/environments/staging/clone`, { method: 'POST', headers: { 'content-type': 'application/json', ...stack.headersAs('a@b.c') }, body: '{}' });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'invalid_request');
    assert.match(body.error.message, /repo/);
    assert.match(body.error.message, /target/);
  });
});
