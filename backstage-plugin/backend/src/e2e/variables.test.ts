/**
 * `idp variables` against the embedded stack as `npm start` runs it (Temporal, the worker, Backstage with the idp
 * plugin; the demo component `checkout`): set and unset through the real `idp` bin become one PR each whose diff is
 * exactly the variables' lines, merged into paws.yaml; `idp variables` shows each value's source; a variable that
 * looks like a secret is refused with a pointer to `idp secrets set`, and its value is in no output, no git object
 * and no ref; no token → 401, writing nothing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePaws } from '@idp/core';
import type { PlatformClient } from '@idp/core/client';
import { eventually } from '@idp/worker/testing';
import { startEmbedded, type EmbeddedStack } from '../testing/embedded.js';

const IDP = fileURLToPath(new URL('../../../../cli/bin/idp.js', import.meta.url));

describe('idp variables on the embedded stack', () => {
  let stack: EmbeddedStack;
  let home: string;
  let alice: PlatformClient;
  let env: Record<string, string>;
  before(async () => {
    stack = await startEmbedded();
    home = mkdtempSync(join(tmpdir(), 'idp-variables-'));
    alice = await stack.clientAs('alice');
    env = { PATH: process.env.PATH ?? '', HOME: home, XDG_CONFIG_HOME: join(home, 'config'), NO_COLOR: '1', IDP_API_URL: stack.apiUrl, IDP_TOKEN: await stack.tokenFor('alice') };
  });
  after(async () => {
    await stack?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  const ref = () => ({ repo: stack.demo.bare, path: 'paws.yaml' });
  const refs = () => execFileSync('git', ['for-each-ref'], { cwd: stack.demo.bare, encoding: 'utf8' });
  const pawsOnMain = () => execFileSync('git', ['show', 'main:paws.yaml'], { cwd: stack.demo.bare, encoding: 'utf8' });
  const idp = (...args: string[]) => spawnSync(process.execPath, [IDP, ...args], { cwd: stack.demo.workdir, env, encoding: 'utf8' });
  /**
   * The PR number at the end of the URL `idp` printed, once its workflow has merged it and deleted its branch (its last
   * write): a later test that snapshots the refs must not see that deletion as its own write.
   */
  const mergeAndWait = async (url: string) => {
    const n = Number(/\/pulls\/(\d+)/.exec(url)?.[1]);
    await alice.merge(n, ref());
    await eventually(async () => {
      const pr = await alice.pull(ref(), n);
      return pr.state === 'merged' && !refs().includes(`refs/heads/${pr.head}\n`);
    }, 30_000, `PR #${n} merged and its branch deleted`);
    return n;
  };

  it('refuses a caller without a token (401) on both routes, writing nothing', async () => {
    const before = refs();
    const q = `repo=${encodeURIComponent(stack.demo.bare)}&path=paws.yaml`;
    const get = await fetch(`${stack.apiUrl}/environments/staging/variables?${q}`);
    const post = await fetch(`${stack.apiUrl}/environments/staging/variables`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...ref(), set: { LOG_LEVEL: 'warn' } }) });
    assert.deepEqual([get.status, post.status], [401, 401]);
    assert.equal(((await post.json()) as { error: { code: string } }).error.code, 'unauthenticated');
    assert.equal(refs(), before);
  });

  it('set is one PR whose diff is the variables\' lines; merged, `idp variables` shows them with their sources; unset removes one', async () => {
    const set = idp('variables', 'set', 'LOG_LEVEL=warn', 'FEATURE_X=on', '--env', 'staging');
    assert.equal(set.status, 0, set.stderr);
    const url = set.stdout.trim();
    assert.match(url, /^http\S+\/pulls\/\d+(\?\S*)?$/, "stdout is the PR URL alone");
    const n = Number(/\/pulls\/(\d+)/.exec(url)![1]);
    const diff = await alice.diff(ref(), n);
    assert.deepEqual(diff.files.map((f) => f.path), ['paws.yaml']);
    const changed = diff.files[0]!.patch.split('\n').filter((l) => /^[-+](?![-+])/.test(l));
    assert.deepEqual(changed, ['-      LOG_LEVEL: debug', '+      LOG_LEVEL: warn', '+      FEATURE_X: "on"']);
    const pr = await alice.pull(ref(), n);
    assert.match(pr.title, /Set variables of environment staging/);

    // A different change while this PR is open is refused (409), naming the PR; the same one again joins it.
    const other = idp('variables', 'set', 'OTHER=1', '--env', 'staging');
    assert.notEqual(other.status, 0);
    assert.match(other.stderr, new RegExp(`PR #${n}.*Merge or close it first`));
    const again = idp('variables', 'set', 'FEATURE_X=on', 'LOG_LEVEL=warn', '--env', 'staging');
    assert.equal(again.status, 0, again.stderr);
    assert.equal(again.stdout.trim(), url);

    await mergeAndWait(url);
    assert.deepEqual(parsePaws(pawsOnMain()).spec.environments?.staging?.variables, { LOG_LEVEL: 'warn', FEATURE_X: 'on' });

    // preview-1 inherits from staging: each value says where it comes from.
    const clone = await alice.cloneEnvironment('staging', { ...ref(), target: 'preview-vars' });
    await mergeAndWait(clone.pr!.url);
    const list = idp('variables', '--env', 'preview-vars', '--json');
    assert.equal(list.status, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout), {
      component: 'checkout',
      environment: 'preview-vars',
      variables: [
        { key: 'DATABASE_URL', value: '${resources.db.url}', source: 'container:web' },
        { key: 'FEATURE_X', value: 'on', source: 'from:staging' },
        { key: 'LOG_LEVEL', value: 'warn', source: 'from:staging' },
      ],
    });
    const table = idp('variables', '--env', 'preview-vars');
    assert.match(table.stdout, /FEATURE_X\s+on\s+from: staging/);
    assert.match(table.stdout, /DATABASE_URL\s+\$\{resources\.db\.url\}\s+workload default \(web\)/);

    const inherited = idp('variables', 'unset', 'FEATURE_X', '--env', 'preview-vars');
    assert.notEqual(inherited.status, 0);
    assert.match(inherited.stderr, /comes from staging/);

    const unset = idp('variables', 'unset', 'FEATURE_X', '--env', 'staging');
    assert.equal(unset.status, 0, unset.stderr);
    await mergeAndWait(unset.stdout.trim());
    assert.deepEqual(parsePaws(pawsOnMain()).spec.environments?.staging?.variables, { LOG_LEVEL: 'warn' });
  });

  it('a variable that looks like a secret is refused, pointing at idp secrets set; its value is in no output, no git object, no ref', async () => {
    const before = refs();
    const canary = `sk_live_${randomBytes(18).toString('hex')}`;
    for (const args of [['variables', 'set', `PAYMENT_PROVIDER=${canary}`, '--env', 'staging'], ['variables', 'set', `STRIPE_KEY=${canary}`, '--env', 'staging', '--json']]) {
      const r = idp(...args);
      assert.equal(r.status, 5, `${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /looks like a secret.*idp secrets set (PAYMENT_PROVIDER|STRIPE_KEY) --env staging/s);
      assert.ok(!`${r.stdout}${r.stderr}`.includes(canary), 'the value is not repeated');
    }
    assert.equal(refs(), before, 'no branch');
    const objects = execFileSync('git', ['cat-file', '--batch-all-objects', '--batch'], { cwd: stack.demo.bare, maxBuffer: 256 * 1024 * 1024 });
    assert.ok(!objects.includes(canary), 'no git object holds the value');
    assert.ok(!stack.output().includes(canary), 'the stack logged nothing of it');
  });
});
