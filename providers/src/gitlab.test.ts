/**
 * The GitLab provider against the in-process GitLab fake (real gitbeaker over
 * HTTP, real git repositories): the provider contract, then GitLab's faults
 * (5xx, 429, 401/403/404), request counts, and the documented shapes of every
 * request and response exchanged along the way.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createServer } from 'node:net';
import { evaluatePolicy, type ReleasePolicy } from '@idp/core';
import { IdpError, InvalidRequestError, NotFoundError, ProviderError } from '@idp/core/errors';
import { providerContract, type ContractSetup } from './contract.js';
import { GitLabProvider, type GitLabProviderOptions } from './gitlab.js';
import { startGitLabFake, type FakeProject, type GitLabFake } from './testing/gitlab-fake.js';

const SERVICE_TOKEN = 'glpat-service-SECRET-0123456789';
const USER_TOKENS: Record<string, string> = {
  alice: 'glpat-alice-SECRET-aaaaaaaaaa',
  bob: 'glpat-bob-SECRET-bbbbbbbbbb',
  carol: 'glpat-carol-SECRET-cccccccccc',
  /** Can comment (every signed-in user can, on a public or internal project), never approves. */
  eve: 'glpat-eve-SECRET-eeeeeeeeee',
};
const ALL_TOKENS = [SERVICE_TOKEN, ...Object.values(USER_TOKENS)];

let fake: GitLabFake;
let projects = 0;

before(async () => {
  fake = await startGitLabFake({
    users: { [SERVICE_TOKEN]: 'idp-bot', ...Object.fromEntries(Object.entries(USER_TOKENS).map(([u, t]) => [t, u])) },
  });
});

after(async () => {
  const violations = [...fake.violations];
  await fake.close();
  assert.deepEqual(violations, [], 'requests and responses outside GitLab\'s documented shapes');
});

function providerFor(project: { path: string }, extra: Partial<GitLabProviderOptions> = {}): GitLabProvider {
  return new GitLabProvider({
    repo: `${fake.url}/${project.path}.git`,
    baseUrl: fake.url,
    projectPath: project.path,
    token: SERVICE_TOKEN,
    userToken: (user) => USER_TOKENS[user],
    retry: { minDelayMs: 5 },
    ...extra,
  });
}

async function newProject(files: Record<string, string> = { 'paws.yaml': 'kind: Workload\n', 'README.md': '# app\n' }, defaultBranch = 'main'): Promise<FakeProject> {
  return fake.project(`acme/platform/deployments-${++projects}`, files, defaultBranch);
}

const setup: ContractSetup = async ({ files, defaultBranch }) => {
  const project = await newProject(files, defaultBranch);
  return {
    provider: providerFor(project),
    push: (branch, changed, opts) => project.git.push(branch, changed, opts),
    setCheck: async (sha, name, state) => fake.setStatus(project.path, sha, name, state === 'failure' ? 'failed' : state),
    cleanup: async () => {},
  };
};

providerContract('gitlab', setup, { users: ['alice', 'bob', 'carol'] });

/** The error a promise rejects with. */
async function failure(p: Promise<unknown>): Promise<IdpError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof IdpError, `expected an IdpError, got ${String(err)}`);
    for (const token of ALL_TOKENS) assert.ok(!err.message.includes(token) && !JSON.stringify(err.details ?? null).includes(token), 'no token in errors');
    return err;
  }
  assert.fail('expected a failure');
}

const AUTHOR = { name: 'Test', email: 'test@idp.invalid' };

describe('GitLab provider: identity and calls', () => {
  it('names the project by host and path, lower-cased, keeping a non-default port', () => {
    const p = new GitLabProvider({ repo: 'git@GitLab.Example.com:Acme/Sub/App.git', baseUrl: 'https://GitLab.Example.com:8443/', projectPath: 'Acme/Sub/App', token: 't' });
    assert.equal(p.kind, 'gitlab');
    assert.equal(p.id, 'gitlab:gitlab.example.com:8443/acme/sub/app');
    assert.equal(new GitLabProvider({ repo: 'x', baseUrl: 'https://gitlab.com', projectPath: 'a/b', token: 't' }).id, 'gitlab:gitlab.com/a/b');
  });

  it('commits a multi-file change set onto a new branch in ONE request', async () => {
    const project = await newProject({ 'paws.yaml': 'a: 1\n', 'deploy/staging/values.yaml': 'replicas: 1\n' });
    const p = providerFor(project);
    const base = (await p.branchSha('main'))!;

    // New files (nothing read before): one request.
    fake.resetCalls();
    const created = await p.commitToNewBranch({
      branch: 'idp/new-files',
      baseSha: base,
      message: 'Add preview',
      author: AUTHOR,
      changes: [
        { path: 'deploy/preview/values.yaml', content: 'replicas: 2\n' },
        { path: 'deploy/preview/extra.yaml', content: 'x: 1\n' },
        { path: 'docs/preview.md', content: '# preview\n' },
      ],
    });
    assert.equal(fake.calls, 1, `requests: ${JSON.stringify(fake.requests)}`);
    assert.equal(created.created, true);

    // idp's own pattern: read the file, then commit its new content plus new files: one request for the commit.
    const file = (await p.readFile('paws.yaml', 'main'))!;
    fake.resetCalls();
    const { sha } = await p.commitToNewBranch({
      branch: 'idp/edit',
      baseSha: file.commitSha,
      message: 'Edit',
      author: AUTHOR,
      changes: [
        { path: 'paws.yaml', content: 'a: 2\n' },
        { path: 'deploy/preview-2/values.yaml', content: 'replicas: 3\n' },
      ],
    });
    assert.equal(fake.calls, 1, `requests: ${JSON.stringify(fake.requests)}`);
    assert.equal((await p.readFile('paws.yaml', sha))?.content, 'a: 2\n');
    assert.equal((await p.readFile('deploy/preview-2/values.yaml', sha))?.content, 'replicas: 3\n');

    // A wrong guess (an update and a delete of files never read): GitLab refuses the whole commit,
    // one listing per folder touched settles it, and the commit is sent again.
    fake.resetCalls();
    const fixed = await p.commitToNewBranch({
      branch: 'idp/guess',
      baseSha: base,
      message: 'Guess',
      author: AUTHOR,
      changes: [
        { path: 'deploy/staging/values.yaml', content: 'replicas: 5\n' },
        { path: 'paws.yaml', content: null },
        { path: 'new/file.txt', content: 'n\n' },
      ],
    });
    assert.deepEqual(
      fake.requests.map((r) => `${r.method} ${r.path.replace(/^.*\/repository\//, '')}`),
      ['POST commits', 'GET tree', 'GET tree', 'GET tree', 'POST commits'],
    );
    assert.equal((await p.readFile('deploy/staging/values.yaml', fixed.sha))?.content, 'replicas: 5\n');
    assert.equal(await p.readFile('paws.yaml', fixed.sha), null);
  });

  it('opens a merge request in ONE request, as its author', async () => {
    const project = await newProject();
    const p = providerFor(project);
    await p.commitToNewBranch({ branch: 'idp/mr', baseSha: (await p.branchSha('main'))!, message: 'x', author: AUTHOR, changes: [{ path: 'x.txt', content: 'x\n' }] });
    fake.resetCalls();
    const pr = await p.openPullRequest({ head: 'idp/mr', base: 'main', title: 'MR', body: 'Body', author: 'alice', labels: ['idp', 'env-clone'] });
    assert.equal(fake.calls, 1);
    assert.equal(pr.author, 'alice');
    assert.deepEqual(pr.labels, ['env-clone', 'idp']);
    assert.equal(pr.url, `${fake.url}/${project.path}/-/merge_requests/${pr.number}`);
    assert.equal(pr.baseSha, await p.branchSha('main'));
    // Without a token of their own, a user's MR is opened with the service token.
    await p.commitToNewBranch({ branch: 'idp/bot', baseSha: pr.baseSha, message: 'y', author: AUTHOR, changes: [{ path: 'y.txt', content: 'y\n' }] });
    assert.equal((await p.openPullRequest({ head: 'idp/bot', base: 'main', title: 'Bot', body: '', author: 'dave' })).author, 'idp-bot');
  });

  it('follows GitLab\'s pagination (Link headers) for long lists', async () => {
    const files = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`many/f${String(i).padStart(3, '0')}.txt`, `${i}\n`]));
    const project = await newProject({ ...files, 'README.md': '#\n' });
    const p = providerFor(project);
    fake.resetCalls();
    const listed = await p.listDirectory('many', 'main');
    assert.equal(listed?.length, 150);
    assert.equal(listed?.[149]?.path, 'many/f149.txt');
    assert.equal(fake.calls, 2, '100 per page');
  });

  it('a commit whose base commit is gone is a conflict (re-read the base and retry)', async () => {
    const project = await newProject();
    const p = providerFor(project);
    const err = await failure(p.commitToNewBranch({ branch: 'idp/gone', baseSha: 'deadbeef'.repeat(5), message: 'x', author: AUTHOR, changes: [{ path: 'g.txt', content: 'g' }] }));
    assert.equal(err.code, 'conflict');
    assert.match(err.message, /refused the commit onto idp\/gone.*Re-read the base/);
  });

  it('reads a snapshot in one round trip (three parallel requests)', async () => {
    const project = await newProject();
    const p = providerFor(project);
    fake.resetCalls();
    const snap = await p.snapshot('paws.yaml', 'no-such-branch');
    assert.equal(fake.calls, 3);
    assert.equal(snap.defaultBranch, 'main');
    assert.equal(snap.file?.content, 'kind: Workload\n');
    assert.equal(snap.baseSha, snap.file?.commitSha);
  });
});

describe('GitLab provider: faults', () => {
  let project: FakeProject;
  let p: GitLabProvider;
  before(async () => {
    project = await newProject();
    p = providerFor(project);
  });

  it('retries a 502 (and a 500/503) with backoff, then succeeds', async () => {
    fake.fail({ method: 'GET', path: /\/repository\/branches\/main$/, status: 502 });
    fake.fail({ method: 'GET', path: /\/repository\/branches\/main$/, status: 500 });
    fake.fail({ method: 'GET', path: /\/repository\/branches\/main$/, status: 503 });
    fake.resetCalls();
    assert.match((await p.branchSha('main')) ?? '', /^[0-9a-f]{40}$/);
    assert.equal(fake.calls, 4);
  });

  it('retries a failed commit POST, which then commits once', async () => {
    fake.fail({ method: 'POST', path: /\/repository\/commits$/, status: 502 });
    const base = (await p.branchSha('main'))!;
    fake.resetCalls();
    const { created, sha } = await p.commitToNewBranch({ branch: 'idp/retried', baseSha: base, message: 'r', author: AUTHOR, changes: [{ path: 'r.txt', content: 'r\n' }] });
    assert.equal(created, true);
    assert.equal(fake.calls, 2);
    assert.equal(await p.branchSha('idp/retried'), sha);
  });

  it('gives up after the retries with a retryable ProviderError', async () => {
    fake.fail({ path: /\/merge_requests$/, status: 500, times: 5 });
    fake.resetCalls();
    const err = await failure(p.listPullRequests());
    assert.ok(err instanceof ProviderError, String(err));
    assert.equal(err.code, 'provider_error');
    assert.match(err.message, /500 after 5 attempts/);
    assert.equal(fake.calls, 5, 'the first attempt and 4 retries');
  });

  it('waits as long as a 429 Retry-After says, then succeeds', async () => {
    fake.fail({ path: /\/repository\/files\//, status: 429, headers: { 'retry-after': '1' } });
    const started = Date.now();
    assert.equal((await p.readFile('paws.yaml', 'main'))?.content, 'kind: Workload\n');
    const waited = Date.now() - started;
    assert.ok(waited >= 950 && waited < 3000, `waited ${waited} ms`);
  });

  it('honours RateLimit-Reset when a 429 has no Retry-After', async () => {
    const reset = Math.ceil(Date.now() / 1000) + 1;
    fake.fail({ path: /\/repository\/files\//, status: 429, headers: { 'ratelimit-reset': String(reset) } });
    const started = Date.now();
    await p.readFile('paws.yaml', 'main');
    assert.ok(Date.now() >= reset * 1000 - 50, `returned ${reset * 1000 - Date.now()} ms before the reset`);
    assert.ok(Date.now() - started < 3000);
  });

  it('fails at once (ProviderError) when a 429 asks to wait too long', async () => {
    fake.fail({ path: /\/repository\/files\//, status: 429, headers: { 'retry-after': '3600' } });
    const started = Date.now();
    const err = await failure(p.readFile('paws.yaml', 'main'));
    assert.ok(err instanceof ProviderError);
    assert.match(err.message, /rate limiting.*3600 s/);
    assert.ok(Date.now() - started < 1000);
  });

  it('401: unauthenticated, naming the token (never showing it)', async () => {
    const wrong = providerFor(project, { token: 'glpat-WRONG-SECRET-zzzzzzzz' });
    const err = await failure(wrong.defaultBranch());
    assert.equal(err.code, 'unauthenticated');
    assert.match(err.message, /rejected the service GitLab token \(401 Unauthorized\).*invalid, expired or revoked/);
    assert.ok(!err.message.includes('glpat-WRONG-SECRET-zzzzzzzz'));

    fake.fail({ path: /\/notes$/, status: 401 });
    const pr = await openMr(p, 'idp/auth');
    const asUser = await failure(p.comment(pr, 'hi', 'bob'));
    assert.equal(asUser.code, 'unauthenticated');
    assert.match(asUser.message, /bob's GitLab token/);
  });

  it('403: forbidden, naming the api scope and the project', async () => {
    fake.fail({ method: 'POST', path: /\/repository\/commits$/, status: 403 });
    const err = await failure(p.commitToNewBranch({ branch: 'idp/denied', baseSha: (await p.branchSha('main'))!, message: 'x', author: AUTHOR, changes: [{ path: 'd.txt', content: 'd' }] }));
    assert.equal(err.code, 'forbidden');
    assert.equal(err.status, 403);
    assert.match(err.message, /api scope/);
    assert.ok(err.message.includes(project.path));
  });

  it('404 on the project: NotFoundError naming the project and telling to check the remote and token access', async () => {
    const missing = providerFor({ path: 'acme/no-such-project' });
    const err = await failure(missing.readFile('paws.yaml', 'main'));
    assert.ok(err instanceof NotFoundError);
    assert.match(err.message, /acme\/no-such-project/);
    assert.match(err.message, /Check the remote/);
    assert.match(err.message, /can see the project/);
  });

  it('a GitLab that does not answer: ProviderError after the retries', async () => {
    const port = await closedPort();
    const down = new GitLabProvider({ repo: 'x', baseUrl: `http://127.0.0.1:${port}`, projectPath: 'a/b', token: SERVICE_TOKEN, retry: { retries: 2, minDelayMs: 5 } });
    const err = await failure(down.defaultBranch());
    assert.ok(err instanceof ProviderError);
    assert.match(err.message, /did not answer.*3 attempts.*ECONNREFUSED/);
  });

  it('a review needs the reviewer\'s own token', async () => {
    const pr = await openMr(p, 'idp/review-token');
    const err = await failure(p.review(pr, { event: 'approve', by: 'dave' }));
    assert.equal(err.code, 'forbidden');
    assert.match(err.message, /needs dave's own GitLab token/);
    assert.deepEqual(await p.approvals(pr), []);
  });
});

describe('GitLab provider: GitLab settings', () => {
  // GitLab's approvals API holds one approval per user: re-approving replaces bob's old one (no history is kept).
  it('counts approvals of the current head only, also where GitLab keeps approvals across pushes', async () => {
    const project = await newProject();
    project.settings.resetApprovalsOnPush = false;
    const p = providerFor(project);
    const pr = await openMr(p, 'idp/keep');
    await p.review(pr, { event: 'approve', by: 'bob' });
    await p.review(pr, { event: 'approve', by: 'carol', body: 'ok' });
    assert.deepEqual((await p.approvals(pr)).sort(), ['bob', 'carol']);
    const moved = await project.git.push('idp/keep', { 'k.txt': 'moved\n' });
    assert.deepEqual(await p.approvals(pr), [], 'GitLab still lists them; they are of the old head');
    await p.review(pr, { event: 'approve', by: 'bob' });
    assert.deepEqual(await p.approvals(pr), ['bob'], 're-approving pins the approval to the new head');
    const reviews = (await p.getPullRequest(pr)).reviews;
    assert.deepEqual(reviews.map((r) => [r.by, r.state, r.commitSha === moved, r.body ?? null]), [
      ['carol', 'approved', false, 'ok'],
      ['bob', 'approved', true, null],
    ]);
  });

  it('a fast-forward project: the merged head is the base\'s new tip', async () => {
    const project = await newProject();
    project.settings.mergeMethod = 'ff';
    const p = providerFor(project);
    const pr = await openMr(p, 'idp/ff');
    const head = (await p.getPullRequest(pr)).headSha;
    const merged = await p.merge(pr, { by: 'bob', expectedHeadSha: head });
    assert.equal(merged.mergeSha, head);
    assert.equal(await p.branchSha('main'), head);
  });

  it('an MR GitLab has not prepared yet (diff_refs null): baseSha is the target tip', async () => {
    const slow = await startGitLabFake({ users: { [SERVICE_TOKEN]: 'idp-bot' }, asyncPrepare: true });
    try {
      const project = await slow.project('acme/slow', { 'a.txt': 'a\n' });
      const p = new GitLabProvider({ repo: 'x', baseUrl: slow.url, projectPath: project.path, token: SERVICE_TOKEN, retry: { minDelayMs: 5 } });
      const base = (await p.branchSha('main'))!;
      await p.commitToNewBranch({ branch: 'idp/slow', baseSha: base, message: 's', author: AUTHOR, changes: [{ path: 's.txt', content: 's\n' }] });
      const pr = await p.openPullRequest({ head: 'idp/slow', base: 'main', title: 'Slow', body: '', author: 'idp-bot' });
      assert.equal(pr.baseSha, base);
      assert.equal((await p.getPullRequest(pr.number)).baseSha, base);
      assert.equal(await p.mergeable(pr.number), true);
      assert.deepEqual(slow.violations, []);
    } finally {
      await slow.close();
    }
  });
});

describe('GitLab fake: documented shapes', () => {
  it('saw no request or response outside GitLab\'s documented shapes over the whole run', () => {
    assert.deepEqual(fake.violations, []);
  });

  it('authenticates PRIVATE-TOKEN and Authorization: Bearer; an unknown token is 401 like GitLab', async () => {
    const project = await newProject();
    const url = `${fake.url}/api/v4/projects/${encodeURIComponent(project.path)}`;
    assert.equal((await fetch(url, { headers: { authorization: `Bearer ${SERVICE_TOKEN}` } })).status, 200);
    assert.equal((await fetch(url, { headers: { 'private-token': SERVICE_TOKEN } })).status, 200);
    const denied = await fetch(url, { headers: { 'private-token': 'nope' } });
    assert.equal(denied.status, 401);
    assert.deepEqual(await denied.json(), { message: '401 Unauthorized' });
  });

  it('answers an undocumented parameter 400 and records it', async () => {
    const project = await newProject();
    const before = fake.violations.length;
    const res = await fetch(`${fake.url}/api/v4/projects/${encodeURIComponent(project.path)}/repository/files/paws.yaml?ref=main&nonsense=1`, {
      headers: { 'private-token': SERVICE_TOKEN },
    });
    assert.equal(res.status, 400);
    assert.equal(fake.violations.length, before + 1);
    assert.match(fake.violations.at(-1)!, /getApiV4ProjectsIdRepositoryFilesFilePath .*query parameter nonsense is not declared/);
    fake.violations.splice(before);
  });
});

async function openMr(p: GitLabProvider, branch: string): Promise<number> {
  const base = (await p.branchSha('main'))!;
  await p.commitToNewBranch({ branch, baseSha: base, message: branch, author: AUTHOR, changes: [{ path: `${branch}.txt`, content: `${branch}\n` }] });
  return (await p.openPullRequest({ head: branch, base: 'main', title: branch, body: '', author: 'alice' })).number;
}

/** A local port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

describe('GitLab provider: groups (release approvers)', () => {
  /** Group member reads since the last resetCalls(), as decoded group paths. */
  const groupReads = () => fake.requests.filter((r) => r.path.includes('/groups/')).map((r) => decodeURIComponent(r.path.replace(/^\/api\/v4\/groups\/|\/members\/all$/g, '')));

  it('answers the members of a group by full path (acme/payments, @acme/payments, or a top-level payments), inherited ones included', async () => {
    fake.addGroup('acme', ['owner-olga']);
    fake.addGroup('acme/payments', ['bob', 'alice'], { awaiting: ['invited-ivan'] });
    fake.addGroup('payments', ['carol']);
    const p = providerFor(await newProject());
    fake.resetCalls();
    assert.deepEqual(await p.teamMembers('acme/payments'), ['alice', 'bob', 'owner-olga'], 'members of acme/payments and of acme; not awaiting invitations');
    assert.deepEqual(await p.teamMembers('@acme/payments'), ['alice', 'bob', 'owner-olga']);
    assert.deepEqual(await p.teamMembers('@Acme/Payments/'), ['alice', 'bob', 'owner-olga']);
    assert.deepEqual(await p.teamMembers('payments'), ['carol'], 'a bare name is a top-level group');
    assert.deepEqual(groupReads(), ['acme/payments', 'payments']);
  });

  it('an entry that is no group (a user) is null', async () => {
    const p = providerFor(await newProject());
    assert.equal(await p.teamMembers('alice'), null);
    assert.equal(await p.teamMembers('@acme/no-such-group'), null);
    fake.resetCalls();
    assert.equal(await p.teamMembers('../etc'), null, 'not a group path: no request');
    assert.equal(fake.calls, 0);
  });

  it('keeps answers (null included) for a while: a second call makes no request', async () => {
    fake.addGroup('finance/release-managers', ['alice']);
    const p = providerFor(await newProject());
    fake.resetCalls();
    const [a, b] = await Promise.all([p.teamMembers('finance/release-managers'), p.teamMembers('@finance/release-managers')]);
    assert.deepEqual([a, b], [['alice'], ['alice']]);
    assert.equal(await p.teamMembers('dave'), null);
    assert.deepEqual(groupReads(), ['finance/release-managers', 'dave'], 'concurrent calls for one group share one read');

    fake.addGroup('finance/release-managers', ['alice', 'bob']);
    fake.resetCalls();
    assert.deepEqual(await p.teamMembers('finance/release-managers'), ['alice']);
    assert.equal(await p.teamMembers('dave'), null);
    assert.equal(fake.calls, 0, `answered from the cache, not ${JSON.stringify(fake.requests)}`);
    (await p.teamMembers('finance/release-managers'))!.push('mallory');
    assert.deepEqual(await p.teamMembers('finance/release-managers'), ['alice'], 'callers get a copy');
    assert.deepEqual(await providerFor(await newProject()).teamMembers('finance/release-managers'), ['alice', 'bob'], 'per provider instance');
  });

  it('reads every page of a large group', async () => {
    const many = Array.from({ length: 230 }, (_, i) => `user-${String(i).padStart(3, '0')}`);
    fake.addGroup('big', many);
    const p = providerFor(await newProject());
    fake.resetCalls();
    assert.deepEqual(await p.teamMembers('big'), many);
    assert.equal(fake.calls, 3, '100 per page');
  });

  it('a failure is an error, not an answer: the next call asks again', async () => {
    fake.addGroup('ops', ['carol']);
    const p = providerFor(await newProject(), { retry: { retries: 0 } });
    fake.fail({ method: 'GET', path: /\/groups\/ops\/members\/all$/, status: 503 });
    const err = await failure(p.teamMembers('ops'));
    assert.ok(err instanceof ProviderError, String(err));
    assert.deepEqual(await p.teamMembers('ops'), ['carol']);
  });
});

describe('GitLab provider: forge usernames (four eyes)', () => {
  const userReads = () => fake.requests.filter((r) => r.method === 'GET' && r.path === '/api/v4/user');

  it('reads the username with the user\'s own token (GET /user), also for an idp user named by email', async () => {
    const p = providerFor(await newProject());
    fake.resetCalls();
    assert.equal(await p.actingAs('alice@example.com', USER_TOKENS.alice!).forgeLogin!('alice@example.com'), 'alice');
    assert.equal(await p.forgeLogin('bob'), 'bob', 'a token from userToken counts too');
    assert.equal(userReads().length, 2);
    assert.equal(fake.calls, 2, 'nothing else asked');
  });

  it('null without a token for the user, and no request', async () => {
    const p = providerFor(await newProject());
    fake.resetCalls();
    assert.equal(await p.forgeLogin('mallory'), null);
    assert.equal(await p.actingAs('bob', USER_TOKENS.bob!).forgeLogin!('mallory@example.com'), null, 'actingAs gives a token to its user only');
    assert.equal(await providerFor(await newProject(), { userToken: undefined }).forgeLogin('alice'), null);
    assert.equal(fake.calls, 0);
  });

  it('reads once per provider instance (concurrent calls share the read)', async () => {
    const project = await newProject();
    const acting = providerFor(project).actingAs('carol@example.com', USER_TOKENS.carol!);
    fake.resetCalls();
    assert.deepEqual(await Promise.all([acting.forgeLogin!('carol@example.com'), acting.forgeLogin!('carol@example.com')]), ['carol', 'carol']);
    assert.equal(await acting.forgeLogin!('carol@example.com'), 'carol');
    assert.equal(userReads().length, 1, 'one read');
    assert.equal(await providerFor(project).actingAs('carol@example.com', USER_TOKENS.carol!).forgeLogin!('carol@example.com'), 'carol');
    assert.equal(userReads().length, 2, 'per provider instance');
  });

  it('a token GitLab rejects is unauthenticated, saying the forge token is not valid (never quoting it); not kept', async () => {
    const acting = providerFor(await newProject()).actingAs('erin@example.com', 'glpat-erin-SECRET-revoked');
    fake.resetCalls();
    const err = await failure(acting.forgeLogin!('erin@example.com'));
    assert.equal(err.code, 'unauthenticated');
    assert.equal(err.status, 401);
    assert.match(err.message, /erin@example\.com's GitLab token/);
    assert.match(err.message, /forge token is not valid/);
    assert.ok(!err.message.includes('glpat-erin-SECRET-revoked') && !JSON.stringify(err.details ?? null).includes('glpat-erin-SECRET-revoked'), 'no token in the error');
    assert.equal(userReads().length, 1, '401 is not retried');
    fake.fail({ method: 'GET', path: /^\/api\/v4\/user$/, status: 503 });
    const down = providerFor(await newProject(), { retry: { retries: 0 } }).actingAs('alice@example.com', USER_TOKENS.alice!);
    assert.ok((await failure(down.forgeLogin!('alice@example.com'))) instanceof ProviderError);
    assert.equal(await down.forgeLogin!('alice@example.com'), 'alice', 'a failure is not an answer: the next call asks again');
  });
});

/** One approval from anyone but the author (alice opens the MRs below). */
const ONE_APPROVAL: ReleasePolicy = { approvals: 1, approvers: [], requiredChecks: [], selfApproval: false, autoMerge: true, timeout: '7d', timeoutMs: 604_800_000 };
const verdictOf = (pr: { headSha: string; reviews: Parameters<typeof evaluatePolicy>[1]['reviews'] }) =>
  evaluatePolicy(ONE_APPROVAL, { author: 'alice', headSha: pr.headSha, reviews: pr.reviews, checks: [] });

describe('GitLab provider: verdicts come only from GitLab (issue 9, finding 2)', () => {
  it("a commenter's note ending in the hidden approve marker is a comment, not an approval", async () => {
    const project = await newProject();
    const p = providerFor(project);
    const pr = await openMr(p, 'idp/forged-approval');
    const head = (await p.getPullRequest(pr)).headSha;
    await p.comment(pr, `LGTM\n\n<!-- idp:review approved ${head} -->`, 'eve');
    const after = await p.getPullRequest(pr);
    assert.deepEqual(after.reviews, []);
    assert.deepEqual(after.comments.map((c) => c.by), ['eve']);
    assert.deepEqual(await p.approvals(pr), []);
    assert.equal(verdictOf(after).satisfied, false);
  });

  it('a note with the changes_requested marker does not reject', async () => {
    const project = await newProject();
    const p = providerFor(project);
    const pr = await openMr(p, 'idp/forged-rejection');
    const head = (await p.getPullRequest(pr)).headSha;
    await p.review(pr, { event: 'approve', by: 'bob' });
    await p.comment(pr, `<!-- idp:review changes_requested ${head} -->`, 'eve');
    await p.comment(pr, `no\n\n<!-- idp:review changes_requested ${head} -->`, 'carol');
    const after = await p.getPullRequest(pr);
    assert.deepEqual(after.reviews.map((r) => [r.by, r.state]), [['bob', 'approved']]);
    assert.deepEqual(await p.approvals(pr), ['bob']);
    const verdict = verdictOf(after);
    assert.deepEqual([verdict.satisfied, verdict.changesRequestedBy], [true, []]);
  });

  it('an approval GitLab lists, given before a push, does not count after it (not even re-pinned by its approver\'s note)', async () => {
    const project = await newProject();
    project.settings.resetApprovalsOnPush = false;
    const p = providerFor(project);
    const pr = await openMr(p, 'idp/stale-approval');
    await p.review(pr, { event: 'approve', by: 'bob' });
    const moved = await project.git.push('idp/stale-approval', { 'late.txt': 'pushed after the approval\n' });
    await p.comment(pr, `still fine\n\n<!-- idp:review approved ${moved} -->`, 'bob');
    const after = await p.getPullRequest(pr);
    assert.equal(after.headSha, moved);
    assert.deepEqual(after.reviews.map((r) => [r.by, r.state, r.commitSha === moved]), [['bob', 'approved', false]]);
    assert.deepEqual(await p.approvals(pr), []);
    assert.equal(verdictOf(after).satisfied, false);
  });

  it("a reviewer's requested_changes state (GitLab's reviewers API) rejects, over their approval, until they approve again", async () => {
    const project = await newProject();
    const p = providerFor(project);
    const pr = await openMr(p, 'idp/requested-changes');
    await p.review(pr, { event: 'approve', by: 'bob' });
    await p.review(pr, { event: 'approve', by: 'carol' });
    fake.setReviewerState(project.path, pr, 'carol', 'requested_changes');
    const blocked = await p.getPullRequest(pr);
    assert.deepEqual(blocked.reviews.map((r) => [r.by, r.state, r.commitSha === blocked.headSha]), [['bob', 'approved', true], ['carol', 'changes_requested', true]]);
    assert.deepEqual(await p.approvals(pr), ['bob']);
    const verdict = verdictOf(blocked);
    assert.deepEqual([verdict.satisfied, verdict.changesRequestedBy], [false, ['carol']]);
    // Approving again is carol's new review: GitLab sets her state to approved.
    await p.review(pr, { event: 'approve', by: 'carol' });
    assert.deepEqual((await p.approvals(pr)).sort(), ['bob', 'carol']);
    assert.equal(verdictOf(await p.getPullRequest(pr)).satisfied, true);
  });

  it('request_changes through idp withdraws the approval and says, in its note, that only GitLab\'s "Request changes" blocks', async () => {
    const project = await newProject();
    const p = providerFor(project);
    const pr = await openMr(p, 'idp/idp-request-changes');
    await p.review(pr, { event: 'approve', by: 'bob' });
    const after = await p.review(pr, { event: 'request_changes', by: 'bob', body: 'wrong image tag' });
    assert.deepEqual(after.reviews, []);
    assert.deepEqual(await p.approvals(pr), []);
    assert.equal(after.comments.length, 1);
    assert.match(after.comments[0]!.body, /^wrong image tag\n\n.*does not block the merge request.*Request changes/s);
  });

  it('before GitLab 18.x (no approved_at): pinned by the approver\'s own system note; a user note imitating one is nothing', async () => {
    const legacy = await startGitLabFake({ users: { [SERVICE_TOKEN]: 'idp-bot', ...Object.fromEntries(Object.entries(USER_TOKENS).map(([u, t]) => [t, u])) }, approvalTimes: false });
    try {
      const project = await legacy.project('acme/legacy', { 'a.txt': 'a\n' });
      project.settings.resetApprovalsOnPush = false;
      const p = new GitLabProvider({ repo: 'x', baseUrl: legacy.url, projectPath: project.path, token: SERVICE_TOKEN, userToken: (u) => USER_TOKENS[u], retry: { minDelayMs: 5 } });
      const pr = await openMr(p, 'idp/legacy');
      await p.review(pr, { event: 'approve', by: 'bob' });
      assert.deepEqual(await p.approvals(pr), ['bob']);
      const moved = await project.git.push('idp/legacy', { 'b.txt': 'b\n' });
      // bob's approval is still listed (approvals kept across pushes); eve's note mimics GitLab's approval note for bob's name.
      await p.comment(pr, 'approved this merge request', 'bob');
      await p.comment(pr, 'approved this merge request', 'eve');
      const after = await p.getPullRequest(pr);
      assert.equal(after.headSha, moved);
      assert.deepEqual(after.reviews.map((r) => [r.by, r.commitSha === moved]), [['bob', false]]);
      assert.deepEqual(await p.approvals(pr), []);
      assert.deepEqual(legacy.violations, []);
    } finally {
      await legacy.close();
    }
  });
});

describe('GitLab provider: write access (canWrite)', () => {
  it('Developer (30) or above in the project, inherited from its groups included; Reporter, strangers and unknown users cannot', async () => {
    const project = await newProject();
    const p = providerFor(project);
    fake.addMember(project.path, 'bob', 30);
    fake.addMember(project.path, 'carol', 20);
    fake.addGroup('acme/platform', ['dave']);
    assert.equal(await p.canWrite('bob'), true);
    assert.equal(await p.canWrite('@Dave'), true, 'a member of a group above the project');
    assert.equal(await p.canWrite('carol'), false, 'Reporter');
    assert.equal(await p.canWrite('eve'), false, 'not a member');
    assert.equal(await p.canWrite('nobody-such'), false, 'no such user');
  });

  it('keeps answers for a minute (no request the second time); an approver\'s id comes with the approval', async () => {
    const project = await newProject();
    const p = providerFor(project);
    fake.addMember(project.path, 'bob', 40);
    const pr = await openMr(p, 'idp/can-write');
    await p.review(pr, { event: 'approve', by: 'bob' });
    await p.getPullRequest(pr);
    fake.resetCalls();
    assert.equal(await p.canWrite('bob'), true);
    assert.equal(fake.calls, 1, 'no user look-up: the id came with the approval');
    assert.match(fake.requests[0]!.path, /\/members\/all\/\d+$/);
    fake.resetCalls();
    assert.equal(await p.canWrite('bob'), true);
    assert.equal(fake.calls, 0);
  });

  it('a failure is an error, not an answer', async () => {
    const project = await newProject();
    const p = providerFor(project);
    fake.addMember(project.path, 'bob', 30);
    fake.fail({ method: 'GET', path: /\/users$/, status: 503, times: 5 });
    await failure(p.canWrite('bob'));
    assert.equal(await p.canWrite('bob'), true);
  });
});

describe('GitLab provider: commit statuses (idp/policy)', () => {
  it('sets, replaces and repeats a status (idempotent); checks() reads it back', async () => {
    const project = await newProject();
    const p = providerFor(project);
    const pr = await openMr(p, 'idp/status');
    const head = (await p.getPullRequest(pr)).headSha;
    const set = (state: 'pending' | 'success' | 'failure', description: string) =>
      p.setCommitStatus(head, { context: 'idp/policy', state, description, targetUrl: 'https://idp.example.com/releases/1' });
    await set('pending', 'waiting for 1 approval');
    // GitLab refuses pending → pending (400 "Cannot transition status"); read back, it already says so.
    fake.resetCalls();
    await set('pending', 'waiting for 1 approval');
    assert.deepEqual(fake.requests.map((r) => `${r.method} ${r.path.replace(/^.*\/(statuses)\/.*$/, '$1').replace(/^.*\/commits\/.*\/statuses$/, 'commit statuses')}`), ['POST statuses', 'GET commit statuses']);
    assert.deepEqual(await p.checks(pr), { state: 'pending', checks: [{ name: 'idp/policy', state: 'pending', url: 'https://idp.example.com/releases/1' }] });
    await set('failure', 'the release policy does not hold');
    assert.equal((await p.checks(pr)).state, 'failure');
    await set('success', 'the release policy holds');
    await set('success', 'the release policy holds');
    assert.deepEqual((await p.checks(pr)).checks.map((c) => [c.name, c.state]), [['idp/policy', 'success']]);
    await assert.rejects(p.setCommitStatus('main', { context: 'idp/policy', state: 'success', description: 'x' }), InvalidRequestError);
  });
});

describe('GitLab provider: bounded listing', () => {
  it('the newest `limit` that match, from one page of the list, sorted by number', async () => {
    const project = await newProject();
    const p = providerFor(project);
    const numbers: number[] = [];
    for (const b of ['idp/l1', 'other/l2', 'idp/l3', 'idp/l4', 'other/l5']) numbers.push(await openMr(p, b));
    fake.resetCalls();
    const { pulls: newest } = await p.listPullRequests({ limit: 2 });
    assert.deepEqual(newest.map((x) => x.head), ['idp/l4', 'other/l5']);
    const lists = fake.requests.filter((r) => r.path.endsWith('/merge_requests'));
    assert.equal(lists.length, 1, 'one list request');
    fake.resetCalls();
    const second = await p.listPullRequests({ limit: 2, page: 2 });
    assert.deepEqual([second.pulls.map((x) => x.head), second.nextPage], [['other/l2', 'idp/l3'], 3]);
    assert.equal(fake.requests.filter((r) => r.path.endsWith('/merge_requests')).length, 1, 'page 2 is GitLab\'s page 2: one list request');
    assert.deepEqual((await p.listPullRequests({ headPrefix: 'idp/', limit: 2 })).pulls.map((x) => x.head), ['idp/l3', 'idp/l4']);
    assert.equal((await p.listPullRequests({ limit: 1000 })).pulls.length, 5, 'the ceiling is LIST_LIMIT, above what exists');
    assert.deepEqual(numbers, [...numbers].sort((a, b) => a - b));
  });
});
