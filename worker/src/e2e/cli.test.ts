/**
 * The real `idp` bin against the real stack, run in a working copy whose origin
 * is a bare repository on disk — as a developer runs it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { startTestStack, type TestStack } from '../testing/stack.js';
import { createRepo } from '@idp/providers/testing';
import { CHECKOUT_PAWS, branches } from './fixtures.js';

const IDP = fileURLToPath(new URL('../../../cli/bin/idp.js', import.meta.url));

function idp(cwd: string, env: Record<string, string>, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [IDP, ...args], { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('idp CLI end to end', () => {
  let stack: TestStack;
  let env: Record<string, string>;
  before(async () => {
    stack = await startTestStack({ pollIntervalMs: 500 });
    env = { IDP_API_URL: stack.api.url, IDP_API_TOKEN: stack.token, IDP_USER: 'cli@example.com' };
  });
  after(async () => {
    await stack?.stop();
  });

  it('clone prints the PR URL; --json gives the contract shape; env list shows it pending', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const human = await idp(repo.workdir, env, 'env', 'clone', 'staging', 'preview-123');
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout + human.stderr, /pulls\/1/);

    const json = await idp(repo.workdir, env, 'env', 'clone', 'staging', 'preview-123', '--json');
    assert.equal(json.code, 0, json.stderr);
    const body = JSON.parse(json.stdout);
    assert.match(body.workflowId, /^env-clone:checkout:preview-123@/);
    assert.equal(body.joined, true);
    assert.equal(body.pr.number, 1);

    const diff = await idp(repo.workdir, env, 'pr', 'diff', '1');
    assert.equal(diff.code, 0, diff.stderr);
    assert.match(diff.stdout, /^\+  preview-123:\n\+    from: staging$/m);

    const list = await idp(repo.workdir, env, 'env', 'list', '--json');
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout).environments.map((e: { name: string }) => e.name), ['staging', 'production', 'preview-123']);
  });

  it('--wait follows the PR: exit 0 when merged, 7 when closed', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const merged = idp(repo.workdir, env, 'env', 'clone', 'staging', 'wait-merged', '--wait');
    const closed = idp(repo.workdir, env, 'env', 'clone', 'staging', 'wait-closed', '--wait');
    const prs = await (async () => {
      for (;;) {
        const pulls = await stack.client.listPulls({ repo: repo.bare }, 'open');
        if (pulls.length === 2) return pulls;
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const m = prs.find((p) => p.head.endsWith('/wait-merged'))!;
    const c = prs.find((p) => p.head.endsWith('/wait-closed'))!;
    assert.equal((await idp(repo.workdir, env, 'pr', 'merge', String(m.number))).code, 0);
    assert.equal((await idp(repo.workdir, env, 'pr', 'close', String(c.number))).code, 0);
    assert.equal((await merged).code, 0);
    assert.equal((await closed).code, 7);
  });

  it('bad input: a clear error, a usage exit code, nothing written', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const bad = await idp(repo.workdir, env, 'env', 'clone', 'staging', 'Bad_Name');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /DNS-1123/);
    const missing = await idp(repo.workdir, env, 'env', 'clone', 'nope', 'preview-1');
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /"nope" does not exist/);
    assert.deepEqual(branches(repo.bare), ['main']);
  });

  it('a folder with no context says what it looked for', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'idp-nocontext-'));
    try {
      const r = await idp(empty, env, 'env', 'list');
      assert.equal(r.code, 2);
      assert.match(r.stderr, /paws\.yaml/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('an unreachable server → exit 6 with what to do', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const r = await idp(repo.workdir, { ...env, IDP_API_URL: 'http://127.0.0.1:9/api/idp' }, 'env', 'list');
    assert.equal(r.code, 6);
    assert.match(r.stderr, /npm start|IDP_API_URL/);
  });
});
