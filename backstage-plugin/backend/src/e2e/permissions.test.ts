/**
 * Backstage permissions on idp's changes, through the real embedded backend with idp's policy set to
 * `idp.permissions.ownersOnly: [prod*]`: only the owning group (team-payments: alice, bob) may release to production.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startEmbedded, type EmbeddedStack } from '../testing/embedded.js';

describe('only the owning group releases to prod*', () => {
  let stack: EmbeddedStack;
  before(async () => {
    stack = await startEmbedded({ ownersOnly: ['prod*'] });
  });
  after(async () => {
    await stack?.stop();
  });

  const release = async (user: string, env: string) => {
    const res = await fetch(`${stack.apiUrl}/releases`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await stack.tokenFor(user)}` },
      body: JSON.stringify({ repo: stack.demo.bare, path: 'paws.yaml', env, image: 'ghcr.io/acme/checkout:2.0.0' }),
    });
    return { status: res.status, body: (await res.json()) as { error?: { message: string } } };
  };
  const refs = () => execFileSync('git', ['for-each-ref'], { cwd: stack.demo.bare, encoding: 'utf8' });

  it('refuses a non-member (403, saying what is missing) and writes nothing', async () => {
    const before = refs();
    const r = await release('carol', 'production');
    assert.equal(r.status, 403, JSON.stringify(r.body));
    assert.match(r.body.error!.message, /idp\.release\.request/);
    assert.match(r.body.error!.message, /team-payments/);
    assert.equal(refs(), before);
    // Nor was a release workflow started: the ledger has no release of production.
    const ledger = await fetch(`${stack.apiUrl}/releases?repo=${encodeURIComponent(stack.demo.bare)}&path=paws.yaml`, { headers: { authorization: `Bearer ${await stack.tokenFor('carol')}` } });
    const production = ((await ledger.json()) as { environments: { env: string; releases: unknown[] }[] }).environments.find((e) => e.env === 'production');
    assert.deepEqual(production?.releases ?? [], []);
  });

  it('lets the non-member release to staging, and a member to production', async () => {
    assert.equal((await release('carol', 'staging')).status, 202);
    assert.equal((await release('alice', 'production')).status, 202);
  });
});
