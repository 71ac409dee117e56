import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoNext, seedDemo } from './demo.js';
import { LocalForge } from '@idp/providers';

describe('the demo the start banner points at', () => {
  it('names a preview environment that does not exist yet and the next PR number, so its Try lines run on every start', async (t) => {
    const home = mkdtempSync(join(tmpdir(), 'idp-demo-'));
    t.after(() => rmSync(home, { recursive: true, force: true }));
    const demo = seedDemo(home);
    assert.deepEqual(await demoNext(demo.bare), { preview: 'preview-1', pr: 1 });

    // A first start's Try lines ran: preview-1 exists on main, and PR #1 was used.
    const paws = join(demo.workdir, 'paws.yaml');
    writeFileSync(paws, readFileSync(paws, 'utf8').replace(/^environments:\n/m, 'environments:\n  preview-1:\n    from: staging\n'));
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: demo.workdir, stdio: 'ignore' });
    git('commit', '-qam', 'preview-1');
    git('push', '-q', 'origin', 'main');
    const forge = new LocalForge({ repo: demo.bare });
    const main = (await forge.branchSha('main'))!;
    await forge.commitToNewBranch({ branch: 'idp/env-clone/checkout/preview-1', baseSha: main, message: 'x', changes: [{ path: 'x', content: 'x' }], author: { name: 't', email: 't@example.com' } });
    await forge.openPullRequest({ head: 'idp/env-clone/checkout/preview-1', base: 'main', title: 'x', body: '', author: 't' });

    assert.deepEqual(await demoNext(demo.bare), { preview: 'preview-2', pr: 2 });
  });
});
