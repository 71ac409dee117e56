/**
 * The GitHub provider against the GitHub fake (real octokit over HTTP; every
 * REST exchange checked against GitHub's OpenAPI description, every GraphQL
 * document against GitHub's schema): the provider contract, and the faults a
 * real GitHub produces.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Octokit } from '@octokit/rest';
import { ConflictError, IdpError, InvalidRequestError, NotFoundError, ProviderError } from '@idp/core/errors';
import type { ReleasePolicy as ResolvedPolicy } from '@idp/core';
import { providerContract } from './contract.js';
import { GitHubProvider, type GitHubProviderOptions } from './github.js';
import { LIST_LIMIT } from './provider.js';
import { releaseVerdict } from './release-verdict.js';
import { nextId, now, startGitHubFake, type GitHubFake } from './testing/github-fake.js';

const SERVICE_TOKEN = 'ghs_service_token_never_printed';
const TOKENS: Record<string, string> = { alice: 'ghp_alice_token', bob: 'ghp_bob_token', carol: 'ghp_carol_token' };

let fake: GitHubFake;
let seq = 0;
const FILES = { 'paws.yaml': 'apiVersion: paws.dev/v1\n', 'README.md': '# app\n' };

function provider(fullName: string, extra: Partial<GitHubProviderOptions> = {}): GitHubProvider {
  const [owner, name] = fullName.split('/') as [string, string];
  return new GitHubProvider({
    repo: `https://github.test/${fullName}.git`,
    owner,
    name,
    host: 'github.test',
    apiUrl: fake.url,
    auth: { token: SERVICE_TOKEN },
    userToken: (user) => TOKENS[user],
    paceWrites: false,
    retryBaseMs: 10,
    ...extra,
  });
}

/** A one-file change on `branch` and its PR, opened by `author` (default: the service identity). */
async function openedPr(p: GitHubProvider, branch: string, file: Record<string, string>, author = 'idp') {
  const base = (await p.branchSha('main'))!;
  const changes = Object.entries(file).map(([path, content]) => ({ path, content }));
  const head = (await p.commitToNewBranch({ branch, baseSha: base, message: branch, author: { name: 'test', email: 'test@idp.invalid' }, changes })).sha;
  return { head, pr: await p.openPullRequest({ head: branch, base: 'main', title: 't', body: 'b', author }) };
}

before(async () => {
  fake = await startGitHubFake({ users: { [SERVICE_TOKEN]: 'idp-bot', ...Object.fromEntries(Object.entries(TOKENS).map(([u, t]) => [t, u])) } });
});
after(async () => {
  await fake.close();
  assert.deepEqual(fake.violations, [], 'every request and response matched GitHub\'s published API description');
});

providerContract(
  'github',
  async ({ files, defaultBranch }) => {
    const fullName = `acme/contract-${++seq}`;
    const repo = await fake.createRepo(fullName, files, defaultBranch);
    return {
      provider: provider(fullName),
      push: (branch, changed, opts) => repo.git.push(branch, changed, opts),
      setCheck: async (sha, name, state) => fake.setStatus(fullName, sha, name, state),
      cleanup: async () => undefined, // the fake removes its repositories when it closes
    };
  },
  { users: ['alice', 'bob', 'carol'] },
);

describe('GitHub provider: faults a real GitHub produces', () => {
  const SEED = { 'paws.yaml': 'apiVersion: paws.dev/v1\n', 'README.md': '# app\n' };

  it('retries 5xx and network-level failures, then succeeds', async () => {
    await fake.createRepo('acme/flaky', SEED);
    const p = provider('acme/flaky');
    fake.fail({ path: /^\/graphql$/, status: 502, times: 2 });
    assert.equal(await p.defaultBranch(), 'main');
    fake.fail({ method: 'POST', path: /\/issues\/\d+\/comments$/, status: 0 });
    const { pr } = await openedPr(p, 'idp/net', { 'n.txt': 'n' });
    await p.comment(pr.number, 'after a dropped connection', 'idp');
    assert.deepEqual((await p.getPullRequest(pr.number)).comments.map((c) => c.body), ['after a dropped connection']);
  });

  it('gives up after the retries with a retryable ProviderError', async () => {
    await fake.createRepo('acme/down', SEED);
    const p = provider('acme/down', { retries: 1 });
    fake.fail({ path: /^\/graphql$/, status: 503, times: 5 });
    await assert.rejects(p.branchSha('main'), (e: Error) => e instanceof ProviderError && /503/.test(e.message));
    fake.fail({ path: /^\/graphql$/, status: 503, times: 0 });
  });

  it('honours Retry-After on a secondary rate limit (403) and on 429', async () => {
    await fake.createRepo('acme/limited', SEED);
    const p = provider('acme/limited');
    fake.fail({ path: /^\/graphql$/, status: 403, headers: { 'retry-after': '1' }, body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' } });
    let t0 = Date.now();
    assert.equal(await p.defaultBranch(), 'main');
    assert.ok(Date.now() - t0 >= 900, `waited ${Date.now() - t0} ms for Retry-After: 1`);

    const q = provider('acme/limited');
    const reset = Math.floor(Date.now() / 1000) + 1;
    fake.fail({ path: /^\/graphql$/, status: 429, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) }, body: { message: 'API rate limit exceeded' } });
    t0 = Date.now();
    assert.equal(await q.branchSha('nope'), null);
    assert.ok(Date.now() >= (reset) * 1000 - 50, 'waited for x-ratelimit-reset');
  });

  it('401, 403 and 404 are non-retryable errors naming the token, permission or repository, never the token itself', async () => {
    await fake.createRepo('acme/locked', SEED);
    const bad = provider('acme/locked', { auth: { token: 'ghp_revoked_secret_value' } });
    const unauth = await bad.defaultBranch().catch((e: unknown) => e);
    assert.ok(unauth instanceof IdpError && unauth.code === 'unauthenticated', String(unauth));
    assert.match(unauth.message, /token/);
    assert.doesNotMatch(unauth.message, /ghp_revoked_secret_value/);

    const p = provider('acme/locked');
    fake.fail({ method: 'POST', path: /\/pulls$/, status: 403, headers: { 'x-accepted-github-permissions': 'pull_requests=write' }, body: { message: 'Resource not accessible by integration' } });
    const sha = (await p.branchSha('main'))!;
    await p.commitToNewBranch({ branch: 'idp/x', baseSha: sha, message: 'x', author: { name: 'x', email: 'x@x' }, changes: [{ path: 'x.txt', content: 'x' }] });
    const forbidden = await p.openPullRequest({ head: 'idp/x', base: 'main', title: 't', body: 'b', author: 'nobody' }).catch((e: unknown) => e);
    assert.ok(forbidden instanceof IdpError && forbidden.code === 'forbidden', String(forbidden));
    assert.match(forbidden.message, /pull_requests=write/);
    assert.match(forbidden.message, /acme\/locked/);
    assert.doesNotMatch(forbidden.message, new RegExp(SERVICE_TOKEN));

    const missing = await provider('acme/no-such-repo').defaultBranch().catch((e: unknown) => e);
    assert.ok(missing instanceof NotFoundError, String(missing));
    assert.match(missing.message, /acme\/no-such-repo/);
  });

  it('a merge refused because the base moved meanwhile (409) is merged again onto the new base, keeping the other change', async () => {
    const repo = await fake.createRepo('acme/race', SEED);
    const p = provider('acme/race');
    const { head, pr } = await openedPr(p, 'idp/race', { 'mine.txt': 'mine\n' });
    await repo.git.push('main', { 'theirs.txt': 'theirs\n' });
    fake.fail({ method: 'PUT', path: /\/pulls\/\d+\/merge$/, status: 409, body: { message: 'Base branch was modified. Review and try the merge again.', documentation_url: 'https://docs.github.com/rest' } });
    const merged = await p.merge(pr.number, { by: 'idp', expectedHeadSha: head });
    assert.equal(merged.state, 'merged');
    assert.equal((await p.readFile('theirs.txt', 'main'))?.content, 'theirs\n');
    assert.equal((await p.readFile('mine.txt', 'main'))?.content, 'mine\n');
  });

  it('a merge refused because the head changed (409) is a ConflictError: what was reviewed is not what would land', async () => {
    await fake.createRepo('acme/sneaky', SEED);
    const p = provider('acme/sneaky');
    const { head, pr } = await openedPr(p, 'idp/s', { 's.txt': 's\n' });
    fake.fail({ method: 'PUT', path: /\/pulls\/\d+\/merge$/, status: 409, body: { message: 'Head branch was modified. Review and try the merge again.', documentation_url: 'https://docs.github.com/rest' } });
    await assert.rejects(p.merge(pr.number, { by: 'idp', expectedHeadSha: head }), (e: Error) => e instanceof ConflictError && /reviewed/.test(e.message));
    assert.equal((await p.getPullRequest(pr.number)).state, 'open');
  });

  it('a maintainer dismissing an approval on GitHub withdraws it', async () => {
    await fake.createRepo('acme/dismiss', SEED);
    const p = provider('acme/dismiss');
    const { pr } = await openedPr(p, 'idp/d', { 'd.txt': 'd\n' });
    await p.review(pr.number, { event: 'approve', by: 'bob' });
    assert.deepEqual(await p.approvals(pr.number), ['bob']);
    const maintainer = new Octokit({ baseUrl: fake.url, auth: TOKENS.carol });
    const { data: reviews } = await maintainer.rest.pulls.listReviews({ owner: 'acme', repo: 'dismiss', pull_number: pr.number });
    await maintainer.rest.pulls.dismissReview({ owner: 'acme', repo: 'dismiss', pull_number: pr.number, review_id: reviews[0]!.id, message: 'stale' });
    assert.deepEqual(await p.approvals(pr.number), []);
    assert.equal((await p.getPullRequest(pr.number)).reviews.at(-1)?.state, 'dismissed');
  });

  it('reviews need the reviewer\'s own token (no approving as the service account)', async () => {
    await fake.createRepo('acme/review', SEED);
    const p = provider('acme/review');
    const { pr } = await openedPr(p, 'idp/r', { 'r.txt': 'r' });
    await assert.rejects(p.review(pr.number, { event: 'approve', by: 'mallory' }), (e: Error) => e instanceof IdpError && e.code === 'forbidden');
    assert.deepEqual(await p.approvals(pr.number), []);
  });
});

describe('GitHub provider: checks', () => {
  it('counts check runs (GitHub Apps such as Actions) beside commit statuses', async () => {
    await fake.createRepo('acme/check-runs', { 'a.txt': 'a\n' });
    const p = provider('acme/check-runs');
    const { head, pr } = await openedPr(p, 'idp/cr', { 'c.txt': 'c' });
    fake.setStatus('acme/check-runs', head, 'ci/legacy', 'success');
    fake.setCheckRun('acme/check-runs', head, 'build', 'in_progress');
    assert.deepEqual((await p.checks(pr.number)).state, 'pending');
    fake.setCheckRun('acme/check-runs', head, 'build', 'completed', 'skipped');
    fake.setCheckRun('acme/check-runs', head, 'test', 'completed', 'success');
    const green = await p.checks(pr.number);
    assert.equal(green.state, 'success', 'skipped counts as passed, as on GitHub');
    assert.deepEqual(green.checks.map((c) => [c.name, c.state]).sort(), [['build', 'success'], ['ci/legacy', 'success'], ['test', 'success']]);
    fake.setCheckRun('acme/check-runs', head, 'test', 'completed', 'timed_out');
    assert.equal((await p.checks(pr.number)).state, 'failure');
  });
});

describe('GitHub provider: GitHub App authentication', () => {
  it('acts as the app installation: a JWT buys an installation token, which is what the API calls carry', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    fake.addApp({ appId: 4242, slug: 'idp-app', publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(), installationId: 77 });
    await fake.createRepo('acme/app-auth', { 'paws.yaml': 'x: 1\n' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const p = provider('acme/app-auth', { auth: { appId: 4242, installationId: 77, privateKey: pem } });
    const { pr } = await openedPr(p, 'idp/app', { 'a.txt': 'a' }, 'someone-without-a-token');
    assert.equal(pr.author, 'idp-app[bot]');
    assert.equal(fake.installationTokens.length, 1, 'one installation token, reused across calls');

    const wrong = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const impostor = provider('acme/app-auth', { auth: { appId: 4242, installationId: 77, privateKey: wrong } });
    await assert.rejects(impostor.defaultBranch(), (e: Error) => e instanceof IdpError && e.code === 'unauthenticated' && !e.message.includes('PRIVATE KEY'));
  });
});

describe('GitHub provider: API calls', () => {
  it('commits a change set of several files onto a new branch in one request, whatever the repository size', async () => {
    for (const size of [10, 2000]) {
      const files: Record<string, string> = {};
      for (let i = 0; i < size; i++) files[`dir${i % 20}/file${i}.txt`] = `${i}\n`;
      const fullName = `acme/size-${size}`;
      await fake.createRepo(fullName, files);
      const p = provider(fullName);
      const base = (await p.branchSha('main'))!;
      await p.defaultBranch();
      const before = fake.requests.length;
      await p.commitToNewBranch({
        branch: 'idp/many',
        baseSha: base,
        message: 'many',
        author: { name: 'a', email: 'a@a' },
        changes: [{ path: 'dir1/file1.txt', content: 'changed\n' }, { path: 'new/file.txt', content: 'new\n' }, { path: 'dir2/file2.txt', content: null }],
      });
      assert.deepEqual(fake.requests.slice(before), ['POST /graphql idpCommitToNewBranch'], `${size} files`);
    }
  });
});

describe('GitHub provider: teams (release approvers)', () => {
  const teamCalls = (from: number) => fake.requests.slice(from).filter((r) => r.includes('/teams/'));

  it('answers the members of a team named with its org (org/team, @org/team)', async () => {
    await fake.createRepo('acme/teams', { 'paws.yaml': 'x: 1\n' });
    fake.addTeam('acme', 'payments', ['bob', 'alice']);
    fake.addTeam('platform', 'sre', ['carol']);
    const p = provider('acme/teams');
    const before = fake.requests.length;
    assert.deepEqual(await p.teamMembers('acme/payments'), ['alice', 'bob']);
    assert.deepEqual(await p.teamMembers('@ACME/Payments'), ['alice', 'bob'], 'same team, read once');
    assert.deepEqual(await p.teamMembers('@platform/sre'), ['carol']);
    assert.deepEqual(teamCalls(before), ['GET /orgs/acme/teams/payments/members', 'GET /orgs/platform/teams/sre/members']);
  });

  it('an entry that is no team (a user; a user-owned repository) is null', async () => {
    await fake.createRepo('acme/users', { 'paws.yaml': 'x: 1\n' });
    await fake.createRepo('alice/own', { 'paws.yaml': 'x: 1\n' });
    assert.equal(await provider('acme/users').teamMembers('@nobody-org/sre'), null);
    assert.equal(await provider('alice/own').teamMembers('alice/payments'), null, 'the owner is a user: /orgs/alice answers 404');
    const before = fake.requests.length;
    assert.equal(await provider('acme/users').teamMembers('alice'), null);
    assert.equal(await provider('acme/users').teamMembers('a/b/c'), null, 'not a team name');
    assert.deepEqual(fake.requests.slice(before), [], 'no request for what cannot name a team');
  });

  it('a bare name is a user, never a team: a user named like the owner org\'s team is not taken for it', async () => {
    await fake.createRepo('acme/bare', { 'paws.yaml': 'x: 1\n' });
    fake.addTeam('acme', 'payments', ['alice', 'bob']);
    fake.addUser('payments', 'ghp_user_named_payments');
    const p = provider('acme/bare');
    const before = fake.requests.length;
    assert.equal(await p.teamMembers('payments'), null, 'approvers: [payments] names the user payments');
    assert.equal(await p.teamMembers('@payments'), null);
    assert.deepEqual(await p.teamMembers('acme/payments'), ['alice', 'bob'], 'the team is named with its org');
    assert.deepEqual(teamCalls(before), ['GET /orgs/acme/teams/payments/members']);
  });

  it('in a release policy, approvers: [payments] is the user payments and [acme/payments] the team: neither stands for the other', async () => {
    await fake.createRepo('acme/team-or-user', FILES);
    fake.addTeam('acme', 'payments', ['alice', 'bob']);
    fake.addUser('payments', 'ghp_user_named_payments');
    for (const login of ['alice', 'payments']) fake.setCollaborator('acme/team-or-user', login, 'write');
    const p = provider('acme/team-or-user');
    const { pr } = await openedPr(p, 'idp/release/team', { 't.txt': 't\n' });
    await p.actingAs('payments', 'ghp_user_named_payments').review(pr.number, { event: 'approve', by: 'payments' });
    await p.review(pr.number, { event: 'approve', by: 'alice' });
    const pull = await p.getPullRequest(pr.number);
    const policy = (approvers: string[]): ResolvedPolicy => ({ approvals: 1, approvers, requiredChecks: [], selfApproval: false, autoMerge: true, timeout: '7d', timeoutMs: 7 * 86_400_000 });
    const bare = await releaseVerdict(p, pull, policy(['payments']), { by: 'requester@acme.example' });
    assert.deepEqual(bare.approvedBy, ['payments'], 'a bare name names a user: the team\'s members are not it');
    const team = await releaseVerdict(p, pull, policy(['acme/payments']), { by: 'requester@acme.example' });
    assert.deepEqual(team.approvedBy, ['alice'], 'org/team names the team: the user payments is not a member');
  });

  it('keeps answers (null included) for a while: a second call makes no request', async () => {
    await fake.createRepo('acme/cached', { 'paws.yaml': 'x: 1\n' });
    fake.addTeam('acme', 'release-managers', ['alice']);
    const p = provider('acme/cached');
    let before = fake.requests.length;
    const [a, b] = await Promise.all([p.teamMembers('acme/release-managers'), p.teamMembers('@acme/release-managers')]);
    assert.deepEqual([a, b], [['alice'], ['alice']]);
    assert.equal(await p.teamMembers('acme/dave'), null);
    assert.equal(teamCalls(before).length, 2, 'concurrent calls for one team share one read');

    fake.addTeam('acme', 'release-managers', ['alice', 'bob']);
    before = fake.requests.length;
    assert.deepEqual(await p.teamMembers('acme/release-managers'), ['alice']);
    assert.equal(await p.teamMembers('acme/dave'), null);
    assert.deepEqual(fake.requests.slice(before), [], 'answered from the cache');
    const mutated = (await p.teamMembers('acme/release-managers'))!;
    mutated.push('mallory');
    assert.deepEqual(await p.teamMembers('acme/release-managers'), ['alice'], 'callers get a copy');
    assert.deepEqual(await provider('acme/cached').teamMembers('acme/release-managers'), ['alice', 'bob'], 'per provider instance');
  });

  it('reads every page of a large team', async () => {
    await fake.createRepo('acme/big-team', { 'paws.yaml': 'x: 1\n' });
    const many = Array.from({ length: 230 }, (_, i) => `user-${String(i).padStart(3, '0')}`);
    fake.addTeam('acme', 'everyone', many);
    const before = fake.requests.length;
    assert.deepEqual(await provider('acme/big-team').teamMembers('acme/everyone'), many);
    assert.equal(teamCalls(before).length, 3, '100 per page');
  });

  it('a failure is an error naming the permission, not an answer: the next call asks again', async () => {
    await fake.createRepo('acme/team-perm', { 'paws.yaml': 'x: 1\n' });
    fake.addTeam('acme', 'ops', ['carol']);
    const p = provider('acme/team-perm');
    fake.fail({ method: 'GET', path: /\/teams\/ops\/members$/, status: 403, body: { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest' } });
    await assert.rejects(p.teamMembers('acme/ops'), (e: Error) => e instanceof IdpError && e.code === 'forbidden' && /Members: read/.test(e.message) && !e.message.includes(SERVICE_TOKEN));
    fake.fail({ method: 'GET', path: /\/teams\/ops\/members$/, status: 502, times: 2 });
    assert.deepEqual(await p.teamMembers('acme/ops'), ['carol'], '5xx are retried');
  });
});

describe('GitHub provider: forge logins (four eyes)', () => {
  const userCalls = (from: number) => fake.requests.slice(from).filter((r) => r === 'GET /user');

  it('reads the login with the user\'s own token (GET /user), also for an idp user named by email', async () => {
    await fake.createRepo('acme/logins', { 'paws.yaml': 'x: 1\n' });
    fake.addUser('dave-gh', 'ghp_dave_own_token');
    const p = provider('acme/logins');
    const before = fake.requests.length;
    assert.equal(await p.actingAs('dave@example.com', 'ghp_dave_own_token').forgeLogin!('dave@example.com'), 'dave-gh');
    assert.equal(await p.forgeLogin('alice'), 'alice', 'a token from userToken counts too');
    assert.deepEqual(userCalls(before), ['GET /user', 'GET /user']);
  });

  it('null without a token for the user, and no request', async () => {
    await fake.createRepo('acme/no-login', { 'paws.yaml': 'x: 1\n' });
    const p = provider('acme/no-login');
    const before = fake.requests.length;
    assert.equal(await p.forgeLogin('mallory'), null);
    assert.equal(await p.actingAs('bob', TOKENS.bob!).forgeLogin!('mallory@example.com'), null, 'actingAs gives a token to its user only');
    assert.equal(await provider('acme/no-login', { userToken: undefined }).forgeLogin('alice'), null);
    assert.deepEqual(fake.requests.slice(before), []);
  });

  it('reads once per provider instance (concurrent calls share the read)', async () => {
    await fake.createRepo('acme/login-cache', { 'paws.yaml': 'x: 1\n' });
    const acting = provider('acme/login-cache').actingAs('carol@example.com', TOKENS.carol!);
    const before = fake.requests.length;
    assert.deepEqual(await Promise.all([acting.forgeLogin!('carol@example.com'), acting.forgeLogin!('carol@example.com')]), ['carol', 'carol']);
    assert.equal(await acting.forgeLogin!('carol@example.com'), 'carol');
    assert.equal(userCalls(before).length, 1, 'one read');
    assert.equal(await provider('acme/login-cache').actingAs('carol@example.com', TOKENS.carol!).forgeLogin!('carol@example.com'), 'carol');
    assert.equal(userCalls(before).length, 2, 'per provider instance');
  });

  it('a token GitHub rejects is unauthenticated, saying the forge token is not valid (never quoting it); not kept', async () => {
    await fake.createRepo('acme/bad-login', { 'paws.yaml': 'x: 1\n' });
    const acting = provider('acme/bad-login').actingAs('erin@example.com', 'ghp_erin_revoked_secret');
    const before = fake.requests.length;
    const err = await acting.forgeLogin!('erin@example.com').catch((e: unknown) => e);
    assert.ok(err instanceof IdpError && err.code === 'unauthenticated' && err.status === 401, String(err));
    assert.match(err.message, /erin@example\.com's own GitHub token/);
    assert.match(err.message, /forge token is not valid/);
    assert.doesNotMatch(err.message, /ghp_erin_revoked_secret/);
    assert.doesNotMatch(JSON.stringify(err.details ?? null), /ghp_erin_revoked_secret/);
    assert.deepEqual(userCalls(before), ['GET /user'], '401 is not retried');
    fake.addUser('erin-gh', 'ghp_erin_revoked_secret');
    assert.equal(await acting.forgeLogin!('erin@example.com'), 'erin-gh', 'a failure is not an answer: the next call asks again');
  });
});

describe('GitHub provider: who may write (only their approvals count)', () => {
  const permissionCalls = (from: number) => fake.requests.slice(from).filter((r) => r.endsWith('/permission'));
  /** A release policy: one approval from anyone (but the requester) who can write. */
  const ANYONE: ResolvedPolicy = { approvals: 1, approvers: [], requiredChecks: [], selfApproval: false, autoMerge: true, timeout: '7d', timeoutMs: 7 * 86_400_000 };

  it('admin, maintain, write and a custom role built on write can write; triage, read, outsiders and unknown users cannot', async () => {
    await fake.createRepo('acme/roles', FILES);
    const roles = { 'r-admin': 'admin', 'r-maintain': 'maintain', 'r-write': 'write', 'r-triage': 'triage', 'r-read': 'read' } as const;
    for (const [login, role] of Object.entries(roles)) fake.setCollaborator('acme/roles', login, role);
    fake.setCollaborator('acme/roles', 'r-release-eng', { name: 'release-engineer', base: 'write' });
    fake.setCollaborator('acme/roles', 'r-auditor', { name: 'auditor', base: 'triage' });
    fake.addUser('outsider', 'ghp_outsider');
    const p = provider('acme/roles');
    const can = async (login: string) => [login, await p.canWrite(login)];
    assert.deepEqual(
      await Promise.all(['r-admin', 'r-maintain', 'r-write', 'r-release-eng', 'acme', 'r-triage', 'r-read', 'r-auditor', 'outsider', 'no-such-user'].map(can)),
      [['r-admin', true], ['r-maintain', true], ['r-write', true], ['r-release-eng', true], ['acme', true], ['r-triage', false], ['r-read', false], ['r-auditor', false], ['outsider', false], ['no-such-user', false]],
    );
    const before = fake.requests.length;
    assert.equal(await p.canWrite('a/b'), false, 'not a login: no request');
    assert.equal(await p.canWrite(''), false);
    assert.deepEqual(fake.requests.slice(before), []);
  });

  it('an approval by a read-only user does not satisfy a release policy; a writer\'s does', async () => {
    await fake.createRepo('acme/read-only', FILES);
    fake.setCollaborator('acme/read-only', 'bob', 'read');
    fake.setCollaborator('acme/read-only', 'alice', 'write');
    const p = provider('acme/read-only');
    const { pr } = await openedPr(p, 'idp/release/ro', { 'r.txt': 'r\n' });
    await p.review(pr.number, { event: 'approve', by: 'bob' });
    assert.deepEqual(await p.approvals(pr.number), ['bob'], 'GitHub records the approval of anyone who can read the repository');
    let verdict = await releaseVerdict(p, await p.getPullRequest(pr.number), ANYONE, { by: 'requester@acme.example' });
    assert.equal(verdict.satisfied, false, JSON.stringify(verdict));
    assert.deepEqual(verdict.approvedBy, []);

    await p.review(pr.number, { event: 'approve', by: 'alice' });
    verdict = await releaseVerdict(p, await p.getPullRequest(pr.number), ANYONE, { by: 'requester@acme.example' });
    assert.equal(verdict.satisfied, true, JSON.stringify(verdict));
    assert.deepEqual(verdict.approvedBy, ['alice']);
  });

  it('one read per login for a minute (concurrent calls share it); then read again, so a revoked permission stops counting', async (t) => {
    await fake.createRepo('acme/perm-cache', FILES);
    fake.setCollaborator('acme/perm-cache', 'carol', 'write');
    const p = provider('acme/perm-cache');
    const before = fake.requests.length;
    assert.deepEqual(await Promise.all([p.canWrite('carol'), p.canWrite('Carol'), p.canWrite('@carol')]), [true, true, true]);
    assert.equal(permissionCalls(before).length, 1);
    fake.setCollaborator('acme/perm-cache', 'carol', 'read');
    assert.equal(await p.canWrite('carol'), true, 'within the minute: the answer kept');
    assert.equal(permissionCalls(before).length, 1);
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() + 61_000 });
    assert.equal(await p.canWrite('carol'), false, 'a minute later: read again');
    assert.equal(permissionCalls(before).length, 2);
  });

  it('a token that may not read permissions is a forbidden error naming what it needs, never a yes; not kept', async () => {
    await fake.createRepo('acme/perm-denied', FILES);
    fake.setCollaborator('acme/perm-denied', 'alice', 'write');
    const p = provider('acme/perm-denied');
    fake.fail({
      method: 'GET', path: /\/collaborators\/alice\/permission$/, status: 403,
      body: { message: 'Must have push access to view collaborator permission.', documentation_url: 'https://docs.github.com/rest/collaborators/collaborators#get-repository-permissions-for-a-user' },
    });
    const err = await p.canWrite('alice').catch((e: unknown) => e);
    assert.ok(err instanceof IdpError && err.code === 'forbidden', String(err));
    assert.match(err.message, /Metadata: read/);
    assert.match(err.message, /push access/);
    assert.match(err.message, /acme\/perm-denied/);
    assert.doesNotMatch(err.message, new RegExp(SERVICE_TOKEN));
    assert.equal(await p.canWrite('alice'), true, 'a failure is not an answer: the next call asks again');
  });
});

describe('GitHub provider: every review and comment is read', () => {
  /** `n` reviews or comments as if `n` people had left them (seeded in the fake: 100 API calls would only be slower). */
  const people = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => ({ login: `${prefix}-${i}`, id: nextId() }));

  it('a change request after 100 other reviews withdraws an approval, and the 101st review is seen', async () => {
    const repo = await fake.createRepo('acme/many-reviews', FILES);
    const p = provider('acme/many-reviews');
    const { head, pr } = await openedPr(p, 'idp/many', { 'm.txt': 'm\n' });
    await p.review(pr.number, { event: 'approve', by: 'alice' });
    const pull = repo.pulls.get(pr.number)!;
    for (const user of people(100, 'commenter')) pull.reviews.push({ id: nextId(), user, state: 'COMMENTED', body: 'a question', commitId: head, submittedAt: now() });
    await p.review(pr.number, { event: 'request_changes', body: 'not this image', by: 'alice' });
    assert.equal(pull.reviews.length, 102);
    assert.deepEqual(await p.approvals(pr.number), [], 'alice\'s change request (review 102) replaces her approval');
    await p.review(pr.number, { event: 'approve', by: 'bob' });
    const before = fake.requests.length;
    assert.deepEqual(await p.approvals(pr.number), ['bob'], 'review 103');
    assert.deepEqual(fake.requests.slice(before), ['POST /graphql idpPull', 'POST /graphql idpPullPages'], 'the second page in one more request');
    const shown = await p.getPullRequest(pr.number);
    assert.equal(shown.reviews.length, 103);
    assert.deepEqual(shown.reviews.at(-1), { by: 'bob', state: 'approved', commitSha: head, at: shown.reviews.at(-1)!.at });
  });

  it('reads every comment; a PR with fewer than 100 reviews and comments costs one request', async () => {
    const repo = await fake.createRepo('acme/many-comments', FILES);
    const p = provider('acme/many-comments');
    const { pr } = await openedPr(p, 'idp/talk', { 't.txt': 't\n' });
    await p.comment(pr.number, 'first', 'idp');
    let before = fake.requests.length;
    assert.equal((await p.approvals(pr.number)).length, 0);
    assert.deepEqual(fake.requests.slice(before), ['POST /graphql idpPull']);

    const pull = repo.pulls.get(pr.number)!;
    for (const user of people(249, 'talker')) pull.comments.push({ id: nextId(), user, body: `comment by ${user.login}`, createdAt: now() });
    before = fake.requests.length;
    const shown = await p.getPullRequest(pr.number);
    assert.equal(shown.comments.length, 250);
    assert.deepEqual(shown.comments.map((c) => c.by).slice(0, 2), ['idp-bot', 'talker-0']);
    assert.equal(shown.comments.at(-1)?.body, 'comment by talker-248');
    assert.deepEqual(fake.requests.slice(before).filter((r) => r.includes('graphql')), ['POST /graphql idpPull', 'POST /graphql idpPullPages', 'POST /graphql idpPullPages']);
  });
});

describe('GitHub provider: listings are bounded', () => {
  /** A repository with `n` PRs (seeded in the fake, as an imported history would be): every third head is idp's, every tenth PR closed, every twentieth merged. */
  async function repoWithPulls(fullName: string, n: number) {
    const repo = await fake.createRepo(fullName, FILES);
    const sha = (await repo.git.branchSha('main'))!;
    const author = { login: 'dev', id: nextId() };
    for (let number = 1; number <= n; number++) {
      const t = now();
      repo.pulls.set(number, {
        number, id: nextId(), title: `PR ${number}`, body: '', head: number % 3 === 0 ? `idp/env-${number}` : `feature/${number}`, base: 'main',
        headSha: sha, baseSha: sha, state: number % 10 === 0 ? 'closed' : 'open', merged: number % 20 === 0, ...(number % 10 === 0 ? { closedAt: t } : {}),
        ...(number % 20 === 0 ? { mergedAt: t, mergedBy: author, mergeSha: sha } : {}),
        user: author, labels: [], createdAt: t, updatedAt: t, reviews: [], comments: [],
      });
    }
    repo.nextNumber = n + 1;
    return repo;
  }

  it('a repository with 300 PRs: a listing is the newest that match, in a bounded number of requests, with no compare call per PR', async () => {
    await repoWithPulls('acme/busy', 300);
    const p = provider('acme/busy');
    await p.defaultBranch();
    const calls = async <T>(fn: () => Promise<T>) => {
      const before = fake.requests.length;
      const out = await fn();
      return { out, requests: fake.requests.slice(before) };
    };

    const all = await calls(async () => (await p.listPullRequests({ state: 'all' })).pulls);
    assert.deepEqual(all.out.map((x) => x.number), Array.from({ length: LIST_LIMIT }, (_, i) => 201 + i), 'the newest 100, sorted by number');
    assert.deepEqual(all.requests, ['GET /repos/acme/busy/pulls', 'POST /graphql idpListedPulls'], 'one page of the list, then those PRs in one read');

    const open = await calls(async () => (await p.listPullRequests()).pulls);
    assert.equal(open.out.length, LIST_LIMIT);
    assert.ok(open.out.every((x) => x.state === 'open'));
    assert.equal(open.out.at(-1)?.number, 299);
    assert.ok(open.requests.length <= 3, open.requests.join(', '));

    const envs = await calls(async () => (await p.listPullRequests({ state: 'open', headPrefix: 'idp/env-', limit: 20 })).pulls);
    const newestEnvs = Array.from({ length: 300 }, (_, i) => i + 1).filter((n) => n % 3 === 0 && n % 10 !== 0).slice(-20);
    assert.deepEqual(envs.out.map((x) => x.number), newestEnvs, 'the newest 20 open idp/env- PRs');
    assert.ok(envs.requests.length <= 2, envs.requests.join(', '));

    const everyEnv = await calls(async () => (await p.listPullRequests({ state: 'all', headPrefix: 'idp/env-' })).pulls);
    assert.equal(everyEnv.out.length, LIST_LIMIT);
    assert.ok(everyEnv.out.every((x) => x.head.startsWith('idp/env-')));
    assert.ok(everyEnv.requests.length <= 6, `at most 5 pages looked through, then one read: ${everyEnv.requests.join(', ')}`);

    assert.equal((await p.listPullRequests({ state: 'all', limit: 5 })).pulls.length, 5);
    assert.equal((await p.listPullRequests({ state: 'all', limit: 1000 })).pulls.length, LIST_LIMIT, 'LIST_LIMIT is the ceiling');
    await assert.rejects(p.listPullRequests({ limit: 0 }), (e: Error) => e instanceof InvalidRequestError);
    assert.ok(!fake.requests.some((r) => r.includes('/acme/busy/compare/')), 'no compare call');
  });

  it('pages through 300 PRs newest first, two requests a page; merged and closed pages may be short and still lead on', async () => {
    await repoWithPulls('acme/paged', 300);
    const p = provider('acme/paged');
    await p.defaultBranch();
    /** Every page from the first until nextPage is absent, with the requests each took. */
    const walk = async (filter: { state: 'all' | 'merged' | 'closed'; limit: number }) => {
      const pages: { numbers: number[]; nextPage?: number; requests: string[] }[] = [];
      for (let page: number | undefined = 1; page !== undefined && pages.length < 50; ) {
        const before = fake.requests.length;
        const { pulls, nextPage } = await p.listPullRequests({ ...filter, page });
        pages.push({ numbers: pulls.map((x) => x.number), ...(nextPage ? { nextPage } : {}), requests: fake.requests.slice(before) });
        page = nextPage;
      }
      return pages;
    };
    const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

    const all = await walk({ state: 'all', limit: 100 });
    assert.deepEqual(all.map((x) => x.numbers), [range(201, 300), range(101, 200), range(1, 100), []]);
    assert.deepEqual(all.map((x) => x.nextPage), [2, 3, 4, undefined], 'a full page may have more: the fourth is empty and last');
    assert.deepEqual(all[1]!.requests, ['GET /repos/acme/paged/pulls', 'POST /graphql idpListedPulls']);
    assert.deepEqual(all[3]!.requests, ['GET /repos/acme/paged/pulls'], 'nothing to read for an empty page');

    // GitHub lists merged PRs among the closed ones: a page of 10 closed holds about 5 merged, and still leads on.
    const merged = await walk({ state: 'merged', limit: 10 });
    assert.deepEqual(merged.flatMap((x) => x.numbers).sort((a, b) => a - b), range(1, 15).map((i) => i * 20), 'every merged PR once');
    assert.deepEqual(merged[0]!.numbers, [220, 240, 260, 280, 300]);
    assert.equal(merged[0]!.nextPage, 2);
    const closed = await walk({ state: 'closed', limit: 10 });
    assert.deepEqual(closed.flatMap((x) => x.numbers).sort((a, b) => a - b), range(0, 14).map((i) => i * 20 + 10), 'every closed (not merged) PR once');
    assert.ok([...merged, ...closed].every((x) => x.requests.length <= 2), 'two requests a page at most');
  });
});

describe('GitHub provider: commit statuses (idp/policy)', () => {
  it('sets a status on a commit, replaced when set again, read back by checks(); a long description is cut to 140 characters', async () => {
    const repo = await fake.createRepo('acme/statuses', FILES);
    const p = provider('acme/statuses');
    const { head, pr } = await openedPr(p, 'idp/release/st', { 's.txt': 's\n' });
    const before = fake.requests.length;
    await p.setCommitStatus(head, { context: 'idp/policy', state: 'pending', description: 'Waiting for 1 more approval', targetUrl: 'https://idp.example/releases/1' });
    assert.deepEqual(fake.requests.slice(before), [`POST /repos/acme/statuses/statuses/${head}`]);
    assert.deepEqual(await p.checks(pr.number), { state: 'pending', checks: [{ name: 'idp/policy', state: 'pending', url: 'https://idp.example/releases/1' }] });

    const long = `The release policy holds: ${'approved by a very long list of reviewers, '.repeat(5)}`;
    await p.setCommitStatus(head, { context: 'idp/policy', state: 'success', description: long });
    fake.setStatus('acme/statuses', head, 'ci/build', 'success');
    const green = await p.checks(pr.number);
    assert.equal(green.state, 'success');
    assert.deepEqual(green.checks.map((c) => [c.name, c.state]), [['idp/policy', 'success'], ['ci/build', 'success']]);
    const stored = repo.statuses.get(head)!.filter((s) => s.context === 'idp/policy');
    assert.equal(stored.length, 2, 'GitHub keeps both; the combined status shows the latest');
    assert.equal([...stored[1]!.description!].length, 140);
    assert.ok(stored[1]!.description!.startsWith('The release policy holds: approved by') && stored[1]!.description!.endsWith('…'));
    assert.equal(stored[1]!.creator?.login, 'idp-bot', 'set as idp\'s service identity');

    await p.setCommitStatus(head, { context: 'idp/policy', state: 'failure', description: 'Rejected: alice requested changes.' });
    assert.equal((await p.checks(pr.number)).state, 'failure');
  });

  it('an unknown commit is refused; a token without the permission is told which one it needs', async () => {
    await fake.createRepo('acme/status-refused', FILES);
    const p = provider('acme/status-refused');
    const head = (await p.branchSha('main'))!;
    await assert.rejects(p.setCommitStatus('f'.repeat(40), { context: 'idp/policy', state: 'pending', description: 'x' }), (e: Error) => e instanceof InvalidRequestError && /No commit found/.test(e.message));
    fake.fail({ method: 'POST', path: /\/statuses\//, status: 403, body: { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest' } });
    const err = await p.setCommitStatus(head, { context: 'idp/policy', state: 'pending', description: 'x' }).catch((e: unknown) => e);
    assert.ok(err instanceof IdpError && err.code === 'forbidden' && /Commit statuses: write/.test(err.message) && !err.message.includes(SERVICE_TOKEN), String(err));
  });
});
