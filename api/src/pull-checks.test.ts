import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IdpError } from '@idp/core';
import { LocalForge, type GitProvider } from '@idp/providers';
import { createRepo } from '@idp/providers/testing';
import { reportLocalCheck } from './pull-checks.js';

const refusal = (kind: string) => (err: unknown) => err instanceof IdpError && err.status === 403 && err.code === 'forbidden' && err.message.includes(kind);

describe('idp pr check (reportLocalCheck)', () => {
  it('is refused on GitHub and GitLab, where CI reports checks, before anything is read or written', async () => {
    for (const kind of ['github', 'gitlab'] as const) {
      const untouched = new Proxy({ kind } as GitProvider, { get: (t, p) => (p === 'kind' ? t.kind : assert.fail(`read ${String(p)}`)) });
      await assert.rejects(reportLocalCheck(untouched, 3, { name: 'ci/build', state: 'success' }, 'alice'), refusal('reported by your CI'));
    }
  });

  it('refuses idp/policy, idp\'s own verdict, and sets a check on the head of an open PR otherwise', async (t) => {
    const repo = await createRepo({ files: { 'README.md': 'demo\n' } });
    t.after(() => repo.cleanup());
    const forge = new LocalForge({ repo: repo.bare });
    const main = (await forge.branchSha(repo.branch))!;
    await forge.commitToNewBranch({ branch: 'feature', baseSha: main, message: 'x', changes: [{ path: 'x', content: 'x' }], author: { name: 't', email: 't@example.com' } });
    const pr = await forge.openPullRequest({ head: 'feature', base: repo.branch, title: 'x', body: '', author: 't' });

    for (const name of ['idp/policy', 'IDP/Policy ']) {
      await assert.rejects(reportLocalCheck(forge, pr.number, { name, state: 'success' }, 'alice'), refusal('idp/policy'));
    }
    assert.deepEqual((await forge.checks(pr.number)).checks, [], 'nothing written');

    await reportLocalCheck(forge, pr.number, { name: 'ci/build', state: 'failure' }, 'alice');
    await reportLocalCheck(forge, pr.number, { name: 'ci/build', state: 'success' }, 'alice');
    assert.deepEqual((await forge.checks(pr.number)).checks, [{ name: 'ci/build', state: 'success' }], 'the latest report replaces the earlier one');
  });
});
