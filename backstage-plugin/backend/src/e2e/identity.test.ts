/**
 * Identity through the real embedded Backstage (`npm start`'s process): the acting user is the token's, whatever
 * headers say, and four-eyes holds across every name of one person (entity ref, email, forge login).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LocalForge } from '@idp/providers';
import { startEmbedded, type EmbeddedStack } from '../testing/embedded.js';

describe('the Platform API in the embedded Backstage', () => {
  let stack: EmbeddedStack;
  before(async () => {
    stack = await startEmbedded();
  });
  after(async () => {
    await stack?.stop();
  });

  const call = async (token: string | undefined, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${stack.apiUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  it('answers /health without a token and nothing else', async () => {
    assert.equal((await call(undefined, 'GET', '/health')).status, 200);
    const r = await call(undefined, 'GET', `/environments?repo=${encodeURIComponent(stack.demo.bare)}&path=paws.yaml`);
    assert.equal(r.status, 401);
    assert.match(r.body.error.message, /idp login/);
  });

  it('records the token\'s user as PR author and reviewer, whatever x-idp-user says', async () => {
    const [alice, bob] = [await stack.tokenFor('alice'), await stack.tokenFor('bob')];
    const clone = await call(alice, 'POST', '/environments/staging/clone', { repo: stack.demo.bare, path: 'paws.yaml', target: 'preview-41' }, { 'x-idp-user': 'mallory@example.com' });
    assert.equal(clone.status, 202, JSON.stringify(clone.body));
    const n = clone.body.pr.number as number;
    const pr = await call(alice, 'GET', `/pulls/${n}?repo=${encodeURIComponent(stack.demo.bare)}`);
    assert.equal(pr.body.author, 'user:default/alice');

    const review = await call(bob, 'POST', `/pulls/${n}/reviews`, { repo: stack.demo.bare, path: 'paws.yaml', event: 'approve' }, { 'x-idp-user': 'user:default/alice' });
    assert.equal(review.status, 200, JSON.stringify(review.body));
    assert.deepEqual(review.body.reviews.map((r: { by: string }) => r.by), ['user:default/bob']);
  });

  it('does not count the requester\'s own approval, under any name linked to their user entity', async () => {
    const alice = await stack.tokenFor('alice');
    const who = await call(alice, 'GET', '/whoami');
    assert.deepEqual(new Set(who.body.aliases), new Set(['user:default/alice', 'alice@example.com', 'alice-gh']));

    const rel = await call(alice, 'POST', '/releases', { repo: stack.demo.bare, path: 'paws.yaml', env: 'staging', image: 'ghcr.io/acme/checkout:1.5.0' });
    assert.equal(rel.status, 202, JSON.stringify(rel.body));
    const pr = rel.body.workflow?.pr ?? rel.body.pr;
    assert.ok(pr?.number, JSON.stringify(rel.body));
    // Through the API, as herself…
    const own = await call(alice, 'POST', `/pulls/${pr.number}/reviews`, { repo: stack.demo.bare, path: 'paws.yaml', event: 'approve' });
    assert.equal(own.status, 200, JSON.stringify(own.body));
    // …and on the forge under her email, as a git client configured with it could.
    await new LocalForge({ repo: stack.demo.bare }).review(pr.number, { event: 'approve', by: 'alice@example.com' });

    const detail = await call(alice, 'GET', `/releases/staging/${rel.body.release?.number ?? rel.body.number}?repo=${encodeURIComponent(stack.demo.bare)}&path=paws.yaml`);
    assert.equal(detail.status, 200, JSON.stringify(detail.body));
    assert.equal(detail.body.verdict.satisfied, false);
    assert.deepEqual(detail.body.verdict.approvedBy, []);
    assert.deepEqual(new Set(detail.body.verdict.ignored.map((i: { by: string }) => i.by)), new Set(['user:default/alice', 'alice@example.com']));
  });

  it('never prints a token', async () => {
    const token = await stack.tokenFor('carol');
    await call(token, 'GET', '/whoami');
    assert.ok(!stack.output().includes(token));
  });
});
