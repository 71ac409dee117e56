/**
 * The activity through the embedded stack as `npm start` runs it: GET /activity answers 401 without a token (and
 * writes nothing), and for a signed-in user lists a change they made — by them, with its PR and a link into the
 * stack's own Temporal Web UI, which serves it — through the API, the typed client and `idp activity` in a terminal.
 * (403 for a user who may not read the component: idp-backend's plugin.test.ts, under a policy that grants nothing;
 * the embedded stack's policy lets every signed-in user read.)
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActivityList } from '@idp/core';
import { eventually } from '@idp/worker/testing';
import { startEmbedded, type EmbeddedStack } from '../testing/embedded.js';

const IDP = fileURLToPath(new URL('../../../../cli/bin/idp.js', import.meta.url));

describe('the activity in the embedded Backstage', () => {
  let stack: EmbeddedStack;
  let home: string;
  before(async () => {
    stack = await startEmbedded();
    home = mkdtempSync(join(tmpdir(), 'idp-activity-'));
  });
  after(async () => {
    await stack?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  const q = () => `repo=${encodeURIComponent(stack.demo.bare)}&path=paws.yaml`;
  const refs = () => execFileSync('git', ['for-each-ref'], { cwd: stack.demo.bare, encoding: 'utf8' });

  it('refuses a caller without a token (401, saying how to sign in), writing nothing', async () => {
    const before = refs();
    const res = await fetch(`${stack.apiUrl}/activity?${q()}`);
    assert.equal(res.status, 401);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'unauthenticated');
    assert.match(body.error.message, /idp login/);
    assert.equal(refs(), before);
  });

  it('lists alice\'s clone with its PR and a working link to the stack\'s Temporal Web UI, in the API and in `idp activity`', async () => {
    const webUi = /\(Web UI (http:\/\/[^\s)]+)\)/.exec(stack.output())?.[1];
    assert.ok(webUi, 'the stack printed its Temporal Web UI');
    const alice = await stack.clientAs('alice');
    const ref = { repo: stack.demo.bare, path: 'paws.yaml' };
    const clone = await alice.cloneEnvironment('staging', { ...ref, target: 'activity-1' });

    const list = ActivityList.parse(await eventually(async () => {
      const l = await alice.activity(ref);
      return l.workflows.some((w) => w.workflowId === clone.workflowId) && l;
    }, 15_000, 'the clone in the activity'));
    const row = list.workflows.find((w) => w.workflowId === clone.workflowId)!;
    assert.equal(row.requestedBy, 'user:default/alice');
    assert.equal(row.status, 'running');
    assert.equal(row.pr?.url, clone.pr?.url);
    assert.equal(row.temporalUrl, `${webUi}/namespaces/default/workflows/${encodeURIComponent(clone.workflowId)}/${row.runId}/history`);
    const page = await fetch(row.temporalUrl!);
    assert.equal(page.status, 200, 'the Web UI serves the link');
    assert.match(await page.text(), /<html/i);

    const env = { PATH: process.env.PATH ?? '', HOME: home, XDG_CONFIG_HOME: join(home, 'config'), NO_COLOR: '1', IDP_API_URL: stack.apiUrl, IDP_TOKEN: await stack.tokenFor('alice') };
    const out = execFileSync(process.execPath, [IDP, 'activity'], { cwd: stack.demo.workdir, env, encoding: 'utf8' });
    const line = out.split('\n').find((l) => l.includes(clone.workflowId));
    assert.ok(line, out);
    assert.match(line, /env-clone\s+activity-1\s+open\s+user:default\/alice\s+\S+\/pulls\/\d+/);
    assert.ok(line.includes(row.temporalUrl!), line);
  });
});
