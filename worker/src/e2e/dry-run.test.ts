/**
 * `dryRun: true` on the requests that start workflows: validated and authorized exactly like the real request, answered
 * 200 with the change it would propose (the PR's diff as the forge would show it), and nothing written — no branch, no
 * PR, no workflow, no release in the ledger. Refusals are the real request's (400, 401, 409).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRepo } from '@idp/providers/testing';
import { startTestStack, type TestStack } from '../testing/stack.js';
import { CHECKOUT_PAWS, branches } from './fixtures.js';

describe('dry runs of changes and releases', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack();
  });
  after(async () => {
    await stack?.stop();
  });

  const post = (path: string, body: unknown, headers = stack.headersAs()) =>
    fetch(`${stack.api.url}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const noWorkflow = async (id: string) => {
    const res = await fetch(`${stack.api.url}/workflows/${encodeURIComponent(id)}`, { headers: stack.headersAs() });
    assert.equal(res.status, 404, `no workflow ${id}`);
  };

  it('a clone: the diff it would propose and the workflow it would start; nothing written; the real request then proposes the same', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const res = await post('/environments/staging/clone', { repo: repo.bare, target: 'preview-3', dryRun: true });
    const plan = (await res.json()) as { dryRun: true; workflowId: string; kind: string; files: { path: string; status: string; patch: string }[] };
    assert.equal(res.status, 200, JSON.stringify(plan));
    assert.equal(plan.dryRun, true);
    assert.equal(plan.kind, 'env-clone');
    assert.match(plan.workflowId, /^env-clone:checkout:preview-3@/);
    assert.deepEqual(plan.files.map((f) => [f.path, f.status]), [['paws.yaml', 'modified']]);
    const added = plan.files[0]!.patch.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++'));
    assert.deepEqual(added, ['+  preview-3:', '+    from: staging']);
    assert.deepEqual(branches(repo.bare), ['main']);
    await noWorkflow(plan.workflowId);

    const real = await stack.client.cloneEnvironment('staging', { repo: repo.bare, target: 'preview-3' });
    assert.equal(real.workflowId, plan.workflowId);
    const diff = await stack.client.diff({ repo: repo.bare }, real.pr!.number);
    assert.equal(diff.files[0]!.patch, plan.files[0]!.patch);
  });

  it('a release: the image line it would change, numbered nowhere; refusals as for the real request', async (t) => {
    const repo = await createRepo({ files: { 'paws.yaml': CHECKOUT_PAWS } });
    t.after(() => repo.cleanup());
    const res = await post('/releases', { repo: repo.bare, env: 'staging', image: 'ghcr.io/acme/checkout:1.4.3', dryRun: true });
    const plan = (await res.json()) as { workflowId: string; kind: string; release: { kind: string; image: string; previousImage?: string }; files: { patch: string }[] };
    assert.equal(res.status, 200, JSON.stringify(plan));
    assert.equal(plan.kind, 'release');
    assert.deepEqual(plan.release, { kind: 'create', image: 'ghcr.io/acme/checkout:1.4.3', previousImage: 'ghcr.io/acme/checkout:1.4.2' });
    assert.deepEqual(plan.files[0]!.patch.split('\n').filter((l) => /^[+-][^+-]/.test(l)), ['+    image: ghcr.io/acme/checkout:1.4.3']);
    assert.deepEqual(branches(repo.bare), ['main']);
    await noWorkflow(plan.workflowId);
    const ledger = await stack.client.listReleases({ repo: repo.bare });
    assert.deepEqual(ledger.environments.flatMap((e) => e.releases), []);

    // What the real request would refuse, the dry run refuses the same way.
    const same = await post('/releases', { repo: repo.bare, env: 'staging', image: 'ghcr.io/acme/checkout:1.4.2', dryRun: true });
    assert.equal(same.status, 409);
    const bad = await post('/environments/staging/clone', { repo: repo.bare, target: 'Bad_Name', dryRun: true });
    assert.equal(bad.status, 400);
    const anonymous = await post('/environments/staging/clone', { repo: repo.bare, target: 'preview-4', dryRun: true }, {} as Record<string, string>);
    assert.equal(anonymous.status, 401);
    assert.deepEqual(branches(repo.bare), ['main']);
  });
});
