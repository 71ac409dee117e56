/**
 * The GitHub fake's publishing path with real clients: octokit creates an organization's repository, the git CLI
 * pushes to its clone_url over smart HTTP (answered by the real `git http-backend`) and clones it back, the contents
 * API serves a file raw with an ETag; who may do what is GitHub's. Every request and response matches GitHub's
 * published OpenAPI description.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Octokit } from '@octokit/rest';
import { git, writeFiles } from './repos.js';
import { startGitHubFake, type GitHubFake } from './github-fake.js';

const BOT = 'bot-token';
const CAROL = 'carol-token';

describe('GitHub fake: publishing a new repository', () => {
  let fake: GitHubFake;
  let dir: string;
  const client = (token: string) => new Octokit({ baseUrl: fake.url, auth: token });
  const remote = (cloneUrl: string, token: string) => cloneUrl.replace('://', `://x-access-token:${token}@`);

  before(async () => {
    fake = await startGitHubFake({ users: { [BOT]: 'idp-bot', [CAROL]: 'carol' } });
    fake.addOrg('acme', ['idp-bot']);
    dir = await mkdtemp(join(tmpdir(), 'idp-gh-publish-'));
  });
  after(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
    assert.deepEqual(fake.violations, [], "every request and response matched GitHub's published API description");
  });

  it('creates an empty repository in the organization, takes a git push to its clone_url, and serves the file back', async () => {
    const bot = client(BOT);
    assert.equal((await bot.rest.users.getByUsername({ username: 'acme' })).data.type, 'Organization');
    const created = await bot.rest.repos.createInOrg({ org: 'acme', name: 'svc', description: 'A service', private: true });
    assert.equal(created.status, 201);
    assert.deepEqual([created.data.full_name, created.data.private, created.data.description, created.data.default_branch], ['acme/svc', true, 'A service', 'main']);
    assert.equal(created.data.clone_url, `${fake.url}/acme/svc.git`);

    // The git CLI, as a developer (or isomorphic-git, as the Scaffolder) would push: the token as Basic auth.
    const work = join(dir, 'work');
    await git(['init', '--quiet', '--initial-branch=main', work]);
    await writeFiles(work, { 'catalog-info.yaml': 'kind: Component\n', 'docs/a.md': '# a\n' });
    await git(['add', '--all'], { cwd: work });
    await git(['commit', '--quiet', '-m', 'first'], { cwd: work });
    await git(['push', '--quiet', remote(created.data.clone_url, BOT), 'main'], { cwd: work });
    const sha = await git(['rev-parse', 'HEAD'], { cwd: work });
    assert.equal(await fake.repo('acme/svc').git.branchSha('main'), sha);
    await git(['clone', '--quiet', remote(created.data.clone_url, BOT), join(dir, 'clone')]);
    assert.equal(await readFile(join(dir, 'clone', 'docs/a.md'), 'utf8'), '# a\n');

    // Raw contents (what Backstage's GitHub UrlReader asks for), then the same ETag: 304.
    const raw = await fetch(`${fake.url}/repos/acme/svc/contents/catalog-info.yaml?ref=main`, { headers: { authorization: `token ${BOT}`, accept: 'application/vnd.github.v3.raw' } });
    assert.equal(raw.status, 200);
    assert.equal(await raw.text(), 'kind: Component\n');
    const etag = raw.headers.get('etag')!;
    const again = await fetch(`${fake.url}/repos/acme/svc/contents/catalog-info.yaml?ref=main`, { headers: { authorization: `token ${BOT}`, accept: 'application/vnd.github.v3.raw', 'if-none-match': etag } });
    assert.equal(again.status, 304);
    const nested = await bot.rest.repos.getContent({ owner: 'acme', repo: 'svc', path: 'docs/a.md' });
    assert.equal(Buffer.from((nested.data as { content: string }).content, 'base64').toString('utf8'), '# a\n');

    const protection = await bot.rest.repos.updateBranchProtection({
      owner: 'acme', repo: 'svc', branch: 'main', required_status_checks: { strict: true, contexts: [] }, enforce_admins: true,
      required_pull_request_reviews: { required_approving_review_count: 1 }, restrictions: null,
    });
    assert.equal(protection.data.enforce_admins?.enabled, true);
    assert.ok(fake.repo('acme/svc').protectedBranches?.has('main'));
  });

  it('answers as GitHub: a taken name 422, a non-member 403, no credentials 401, an outsider cannot see the repository', async () => {
    await assert.rejects(client(BOT).rest.repos.createInOrg({ org: 'acme', name: 'svc' }), (e: { status: number }) => e.status === 422);
    await assert.rejects(client(CAROL).rest.repos.createInOrg({ org: 'acme', name: 'other' }), (e: { status: number }) => e.status === 403);
    const anonymous = await fetch(`${fake.url}/acme/svc.git/info/refs?service=git-upload-pack`);
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Basic/);
    await assert.rejects(git(['ls-remote', remote(`${fake.url}/acme/svc.git`, CAROL)]), /Repository not found|404/);
    await assert.rejects(client(CAROL).rest.repos.getContent({ owner: 'acme', repo: 'svc', path: 'catalog-info.yaml' }), (e: { status: number }) => e.status === 404);
    // Carol's own repository (POST /user/repos) is hers to push to.
    const own = await client(CAROL).rest.repos.createForAuthenticatedUser({ name: 'mine' });
    assert.equal(own.data.full_name, 'carol/mine');
    assert.equal(await git(['ls-remote', remote(own.data.clone_url, CAROL)]), '');
  });
});
