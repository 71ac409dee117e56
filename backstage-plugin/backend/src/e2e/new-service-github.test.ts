/**
 * The new-service golden path's GitHub branch, end to end: the embedded stack's real Scaffolder runs the stock
 * publish:github (octokit, and isomorphic-git pushing over smart HTTP) and the stock catalog:register, whose location
 * the catalog reads with Backstage's own GitHub UrlReader. GitHub cannot run here, so it is idp's GitHub fake — HTTP
 * to the real clients, every request and response checked against GitHub's OpenAPI description, the push received by
 * the real `git http-backend` — configured as a GitHub Enterprise host under `integrations.github`, as a platform
 * team's own GitHub would be.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { parsePaws } from '@idp/core';
import { startGitHubFake, type GitHubFake } from '@idp/providers/testing';
import { eventually } from '@idp/worker/testing';
import { startEmbedded, type EmbeddedStack } from '../testing/embedded.js';
import { runTemplate } from '../testing/tasks.js';

const OWNER = 'group:default/team-payments';
/** The token Backstage's GitHub integration holds (a platform's service account, member of the acme organization). */
const INTEGRATION_TOKEN = 'ghp_integration_token_for_tests';
// Asynchronous: the fake answers git's HTTP requests from this process.
const git = async (...args: string[]) =>
  (await promisify(execFile)('git', args, { encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0' } })).stdout;


describe('the new-service template publishing to GitHub (a GitHub Enterprise host: the fake)', () => {
  let github: GitHubFake;
  let host: string;
  let stack: EmbeddedStack;
  let alice: string;
  let scratch: string;

  const api = async (path: string, init: { method?: string; body?: unknown } = {}) => {
    const res = await fetch(`${stack.baseUrl}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${alice}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
      ...(init.body ? { body: JSON.stringify(init.body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };

  /** Starts a task from the catalog's template as alice and follows it to its end. */
  const runTask = (values: Record<string, unknown>) => runTemplate(stack.baseUrl, alice, 'new-service', values);

  before(async () => {
    github = await startGitHubFake({ users: { [INTEGRATION_TOKEN]: 'idp-bot' } });
    github.addOrg('acme', ['idp-bot']);
    host = new URL(github.url).host;
    scratch = mkdtempSync(join(tmpdir(), 'idp-gh-e2e-'));
    stack = await startEmbedded({
      env: { APP_CONFIG_integrations_github: JSON.stringify([{ host, apiBaseUrl: github.url, token: INTEGRATION_TOKEN }]) },
    });
    alice = await stack.tokenFor('alice');
    await eventually(async () => (await api('/api/catalog/entities/by-name/template/default/new-service')).status === 200, 30_000, 'template:default/new-service in the catalog');
  });
  after(async () => {
    await stack?.stop();
    await github?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('creates acme/payments-gh on GitHub with the skeleton pushed by git, protects main, and registers the Component read from GitHub', async () => {
    const task = await runTask({ name: 'payments-gh', owner: OWNER, description: 'Takes payments on GitHub', forge: 'github', repoUrl: `${host}?owner=acme&repo=payments-gh` });
    assert.equal(task.status, 'completed', task.log);
    const cloneUrl = `${github.url}/acme/payments-gh.git`;
    assert.equal(task.output.repoUrl, cloneUrl);
    assert.equal(task.output.entityRef, 'component:default/payments-gh');
    assert.deepEqual((task.output.links as { url?: string; entityRef?: string }[]).map((l) => l.url ?? l.entityRef), [cloneUrl, 'component:default/payments-gh']);

    // GitHub was asked what publish:github asks by default, in order, and nothing outside GitHub's description.
    assert.deepEqual(
      github.requests.filter((r) => !r.includes('/contents/')),
      [
        'GET /users/acme',
        'POST /orgs/acme/repos',
        'GET /acme/payments-gh.git/info/refs', // isomorphic-git, first without credentials: 401, then with the token
        'GET /acme/payments-gh.git/info/refs',
        'POST /acme/payments-gh.git/git-receive-pack',
        'PUT /repos/acme/payments-gh/branches/main/protection',
      ],
    );
    assert.deepEqual(github.violations, []);

    // The repository: private, described, one commit on main (received by git itself), with its default branch protected.
    const repo = github.repo('acme/payments-gh');
    assert.deepEqual([repo.visibility, repo.description], ['private', 'Takes payments on GitHub']);
    assert.equal(await git('--git-dir', repo.git.gitdir, 'log', '--format=%an <%ae>|%s', 'main'), 'Alice <alice@example.com>|payments-gh, from the new-service template\n');
    await git('--git-dir', repo.git.gitdir, 'fsck', '--strict');
    assert.deepEqual((repo.protectedBranches?.get('main') as { enforce_admins?: boolean } | undefined)?.enforce_admins, true);

    // A developer's clone over HTTP (git CLI, the token as Basic auth) has the skeleton rendered for payments-gh.
    const clone = join(scratch, 'payments-gh');
    await git('clone', '--quiet', cloneUrl.replace('://', `://x-access-token:${INTEGRATION_TOKEN}@`), clone);
    assert.deepEqual(readdirSync(clone).filter((f) => f !== '.git').sort(), ['README.md', 'catalog-info.yaml', 'paws.yaml']);
    const paws = parsePaws(readFileSync(join(clone, 'paws.yaml'), 'utf8')).spec;
    assert.deepEqual([paws.metadata.name, paws.metadata.owner], ['payments-gh', 'team-payments']);
    assert.deepEqual(Object.keys(paws.environments ?? {}), ['staging', 'production']);
    const info = parse(readFileSync(join(clone, 'catalog-info.yaml'), 'utf8')) as { metadata: { annotations: Record<string, string> }; spec: { owner: string } };
    assert.deepEqual(info.metadata.annotations, { 'github.com/project-slug': 'acme/payments-gh' });
    assert.equal(info.spec.owner, OWNER);

    // In the catalog, read from GitHub through Backstage's GitHub UrlReader (the contents API, raw).
    const registered = await eventually(async () => {
      const r = await api('/api/catalog/entities/by-name/component/default/payments-gh');
      return r.status === 200 && r.body;
    }, 30_000, 'component:default/payments-gh in the catalog');
    const annotations = (registered.metadata as { annotations: Record<string, string> }).annotations;
    assert.equal((registered.spec as { owner: string }).owner, OWNER);
    assert.equal(annotations['github.com/project-slug'], 'acme/payments-gh');
    // catalog:register resolves /catalog-info.yaml against repoContentsUrl (…/blob/main) with Backstage's GitHub rules: …/tree/main/….
    assert.equal(annotations['backstage.io/managed-by-location'], `url:${github.url}/acme/payments-gh/tree/main/catalog-info.yaml`);
    assert.ok(github.requests.includes('GET /repos/acme/payments-gh/contents/catalog-info.yaml'), github.requests.join('\n'));
    assert.deepEqual(github.violations, []);
    // The integration's token went to GitHub only: not into the task's log nor the stack's output.
    assert.ok(!`${task.log}\n${stack.output()}`.includes(INTEGRATION_TOKEN));
  });

  it('refuses a repository that exists: publish:github fails with GitHub\'s answer, nothing is pushed or registered', async () => {
    const before = await github.repo('acme/payments-gh').git.branchSha('main');
    const task = await runTask({ name: 'payments-gh', owner: 'group:default/team-search', forge: 'github', repoUrl: `${host}?owner=acme&repo=payments-gh` });
    assert.equal(task.status, 'failed', task.log);
    assert.match(task.log, /Failed to create the Organization repository acme\/payments-gh, Repository creation failed/);
    assert.equal(await github.repo('acme/payments-gh').git.branchSha('main'), before);
    assert.equal(((await api('/api/catalog/entities/by-name/component/default/payments-gh')).body.spec as { owner: string }).owner, OWNER);
    assert.deepEqual(github.violations, []);
  });
});
