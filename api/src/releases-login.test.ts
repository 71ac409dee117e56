/**
 * Whose login on the forge a release's requester is (requesterLoginOn): the providers are the real GitHub and GitLab
 * clients, talking to the forge fakes over HTTP. A forge token the caller sent proves a login and wins; without one,
 * the login the identity provider vouches for (Backstage's User entity annotations) is used; with neither, 401.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IdpError } from '@idp/core';
import { GitHubProvider, GitLabProvider } from '@idp/providers';
import { startGitHubFake, startGitLabFake, type GitHubFake, type GitLabFake } from '@idp/providers/testing';
import { requesterLoginOn } from './releases.js';

describe('the release requester\'s forge login', () => {
  let gh: GitHubFake;
  let gl: GitLabFake;
  let github: GitHubProvider;
  let gitlab: GitLabProvider;

  before(async () => {
    gh = await startGitHubFake({ users: { ghs_service: 'idp-bot', ghp_alice: 'alice-real' } });
    gl = await startGitLabFake({ users: { 'glpat-service': 'idp-bot', 'glpat-alice': 'alice-lab' } });
    github = new GitHubProvider({ repo: 'https://github.test/acme/shop.git', owner: 'acme', name: 'shop', host: 'github.test', apiUrl: gh.url, auth: { token: 'ghs_service' }, paceWrites: false });
    gitlab = new GitLabProvider({ repo: 'https://gitlab.test/acme/shop.git', baseUrl: gl.url, projectPath: 'acme/shop', host: 'gitlab.test', token: 'glpat-service' });
  });
  after(async () => {
    await gh?.close();
    await gl?.close();
  });

  const alice = { id: 'user:default/alice', forgeLogins: { github: 'alice-gh', gitlab: 'alice-gl' } };

  it('a forge token proves the login and wins over the one the identity vouches for', async () => {
    assert.equal(await requesterLoginOn(github, alice, 'ghp_alice'), 'alice-real');
    assert.equal(await requesterLoginOn(gitlab, alice, 'glpat-alice'), 'alice-lab');
  });

  it('without a token, the vouched login of that forge\'s kind', async () => {
    assert.equal(await requesterLoginOn(github, alice), 'alice-gh');
    assert.equal(await requesterLoginOn(gitlab, alice), 'alice-gl');
  });

  it('with neither, 401 saying what to do with the CLI and in Backstage; a login for the other forge does not count', async () => {
    const refused = (forge: string, annotation: string, cli: RegExp) => (e: unknown) => {
      assert.ok(e instanceof IdpError);
      assert.equal(e.status, 401);
      assert.equal(e.code, 'unauthenticated');
      assert.match(e.message, new RegExp(`needs your ${forge} identity, so idp can tell your approvals from others'`));
      assert.match(e.message, cli);
      assert.match(e.message, new RegExp(`a Backstage admin can add the annotation ${annotation.replace('.', '\\.')}: <your ${forge} login> to your User entity`));
      return true;
    };
    await assert.rejects(requesterLoginOn(github, { id: 'dev@example.com' }), refused('GitHub', 'github.com/user-login', /Set GH_TOKEN/));
    await assert.rejects(requesterLoginOn(github, { id: 'user:default/carol', forgeLogins: { gitlab: 'carol-gl' } }), refused('GitHub', 'github.com/user-login', /Set GH_TOKEN/));
    await assert.rejects(requesterLoginOn(gitlab, { id: 'user:default/carol', forgeLogins: { github: 'carol-gh' } }), refused('GitLab', 'gitlab.com/user-login', /Set GITLAB_TOKEN/));
  });

  it('the local forge needs none: its users are idp\'s own', async () => {
    assert.equal(await requesterLoginOn({ kind: 'local', repo: '/srv/git/shop.git' }, { id: 'dev@example.com' }), undefined);
  });
});
