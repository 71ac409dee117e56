/** Choosing GitHub or GitLab from a working copy's remote, with per-host configuration. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IdpError, InvalidRequestError } from '@idp/core/errors';
import { forgesFromEnv, parseNetworkRemote } from './forges.js';
import { providerFor } from './index.js';

describe('forge selection', () => {
  it('parses the remote spellings developers have', () => {
    assert.deepEqual(parseNetworkRemote('https://github.com/acme/app.git'), { host: 'github.com', path: 'acme/app' });
    assert.deepEqual(parseNetworkRemote('git@github.com:acme/app.git'), { host: 'github.com', path: 'acme/app' });
    assert.deepEqual(parseNetworkRemote('ssh://git@gitlab.example.com:2222/group/sub/app.git'), { host: 'gitlab.example.com', path: 'group/sub/app' });
    assert.deepEqual(parseNetworkRemote('https://oauth2:secret@GitLab.com/group/app'), { host: 'gitlab.com', path: 'group/app' });
    assert.deepEqual(parseNetworkRemote('github.com/acme/deployments'), { host: 'github.com', path: 'acme/deployments' });
    assert.equal(parseNetworkRemote('https://github.com/acme'), null);
  });

  it('github.com and gitlab.com need only a token in the environment', () => {
    const forges = forgesFromEnv({ IDP_GITHUB_TOKEN: 'ghp_x', IDP_GITLAB_TOKEN: 'glpat_x' });
    const gh = providerFor('git@github.com:Acme/App.git', { forges });
    assert.equal(gh.kind, 'github');
    assert.equal(gh.id, 'github:github.com/acme/app');
    assert.equal(providerFor('https://github.com/acme/app', { forges }), gh, 'every spelling of a remote is one provider');
    const gl = providerFor('https://gitlab.com/group/sub/app.git', { forges });
    assert.equal(gl.kind, 'gitlab');
    assert.equal(gl.id, 'gitlab:gitlab.com/group/sub/app');
  });

  it('self-managed hosts come from IDP_FORGES, with secrets named by variable', () => {
    const forges = forgesFromEnv({
      IDP_FORGES: JSON.stringify({
        'github.acme.internal': { kind: 'github', tokenEnv: 'GHE_TOKEN' },
        'git.acme.internal': { kind: 'gitlab', apiUrl: 'https://git.acme.internal:8443', tokenEnv: 'ACME_GL' },
      }),
      GHE_TOKEN: 'ghp_enterprise',
      ACME_GL: 'glpat_acme',
    });
    assert.equal(forges.get('github.acme.internal')?.apiUrl, 'https://github.acme.internal/api/v3');
    assert.equal(providerFor('git@github.acme.internal:team/app.git', { forges }).kind, 'github');
    assert.equal(providerFor('https://git.acme.internal/team/app.git', { forges }).kind, 'gitlab');
  });

  it('says what to configure for an unknown host or a missing token, never echoing a token', () => {
    const forges = forgesFromEnv({ IDP_FORGES: JSON.stringify({ 'github.acme.internal': { kind: 'github', token: 'ghp_inline_secret' } }) });
    assert.throws(() => providerFor('https://code.acme.internal/team/app.git', { forges }), (e: Error) => e instanceof InvalidRequestError && /IDP_FORGES/.test(e.message));
    assert.throws(
      () => providerFor('https://github.com/acme/other', { forges }),
      (e: Error) => e instanceof IdpError && e.code === 'unauthenticated' && /IDP_GITHUB_TOKEN/.test(e.message),
    );
    assert.throws(
      () => providerFor('https://gitlab.example.org/team/app', { forges }),
      (e: Error) => e instanceof IdpError && e.code === 'unauthenticated' && /IDP_FORGES/.test(e.message) && !/secret/.test(e.message),
    );
    assert.throws(() => forgesFromEnv({ IDP_FORGES: '{"x.example": {"kind": "bitbucket"}}' }), (e: Error) => e instanceof InvalidRequestError && /kind/.test(e.message));
  });
});
