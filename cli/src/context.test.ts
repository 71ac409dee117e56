import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_API_URL } from '@idp/core/client';
import { resolveApi, resolveComponent, resolveContext, resolveUser } from './context.js';
import { UsageError } from './exit-codes.js';
import { normalizeRemote, repoName } from './git.js';
import { gitEnv, gitRepo, sh, tempDir, writePaws } from './testing/io.js';

/** A temp "home" with a bare-looking origin path and a working copy; git ignores the machine's config. */
function setup() {
  const home = tempDir();
  const env = gitEnv(home);
  return { home, env };
}

async function usageError(p: Promise<unknown>): Promise<UsageError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof UsageError, `expected a UsageError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a UsageError');
}

describe('component context', () => {
  it('uses the nearest paws.yaml walking up from the cwd, and origin of its working copy', async () => {
    const { home, env } = setup();
    const wc = gitRepo(path.join(home, 'checkout'), path.join(home, 'remotes', 'checkout.git'));
    writePaws(wc, 'checkout');
    const deep = path.join(wc, 'src', 'lib');
    mkdirSync(deep, { recursive: true });
    const ctx = await resolveComponent({}, env, deep);
    assert.equal(ctx.component, 'checkout');
    assert.equal(ctx.componentSource, 'from ../../paws.yaml metadata.name');
    assert.equal(ctx.repo, path.join(home, 'remotes', 'checkout.git'));
    assert.equal(ctx.repoSource, `from git remote origin of ${wc}`);
    assert.equal(ctx.path, 'paws.yaml');
    assert.equal(ctx.root, wc);

    const here = await resolveComponent({}, env, wc);
    assert.equal(here.componentSource, 'from ./paws.yaml metadata.name');
  });

  it('reads flow-style metadata and gives the paws.yaml path relative to the repository root', async () => {
    const { home, env } = setup();
    const wc = gitRepo(path.join(home, 'mono'), 'git@github.com:acme/mono.git');
    writePaws(path.join(wc, 'services', 'cart'), 'cart', 'flow');
    const ctx = await resolveComponent({}, env, path.join(wc, 'services', 'cart'));
    assert.equal(ctx.component, 'cart');
    assert.equal(ctx.path, 'services/cart/paws.yaml');
    assert.equal(ctx.repo, 'git@github.com:acme/mono.git');
  });

  it('makes a relative origin absolute, against the working copy root', async () => {
    const { home, env } = setup();
    const wc = gitRepo(path.join(home, 'work', 'checkout'), '../remotes/checkout.git');
    writePaws(wc, 'checkout');
    const ctx = await resolveComponent({}, env, wc);
    assert.equal(ctx.repo, path.join(home, 'work', 'remotes', 'checkout.git'));
  });

  it('--component beats IDP_COMPONENT beats the nearest paws.yaml', async () => {
    const { home, env } = setup();
    const wc = gitRepo(path.join(home, 'mono'), '/srv/git/mono.git');
    writePaws(path.join(wc, 'services', 'cart'), 'cart');
    writePaws(path.join(wc, 'services', 'checkout'), 'checkout');
    writePaws(path.join(wc, 'services', 'search'), 'search');
    const inCart = path.join(wc, 'services', 'cart');

    const byPaws = await resolveComponent({}, env, inCart);
    assert.equal(byPaws.component, 'cart');

    const byEnv = await resolveComponent({}, { ...env, IDP_COMPONENT: 'checkout' }, inCart);
    assert.equal(byEnv.component, 'checkout');
    assert.equal(byEnv.path, 'services/checkout/paws.yaml');
    assert.match(byEnv.componentSource, /^from IDP_COMPONENT, matching \.\.\/checkout\/paws\.yaml$/);

    const byFlag = await resolveComponent({ component: 'search' }, { ...env, IDP_COMPONENT: 'checkout' }, inCart);
    assert.equal(byFlag.component, 'search');
    assert.equal(byFlag.path, 'services/search/paws.yaml');
    assert.match(byFlag.componentSource, /^from --component/);

    const sameAsHere = await resolveComponent({ component: 'cart' }, env, inCart);
    assert.equal(sameAsHere.path, 'services/cart/paws.yaml');
  });

  it('falls back to the name of the origin remote when the working copy has no paws.yaml', async () => {
    const { home, env } = setup();
    const wc = gitRepo(path.join(home, 'clone'), 'https://github.com/acme/payments.git');
    const ctx = await resolveComponent({}, env, wc);
    assert.equal(ctx.component, 'payments');
    assert.match(ctx.componentSource, /name of git remote origin/);
    assert.equal(ctx.path, 'paws.yaml');
    assert.equal(ctx.repo, 'https://github.com/acme/payments.git');
  });

  it('uses the only paws.yaml of the working copy when none is above the cwd', async () => {
    const { home, env } = setup();
    const wc = gitRepo(path.join(home, 'svc'), '/srv/git/svc.git');
    writePaws(path.join(wc, 'deploy'), 'svc');
    const ctx = await resolveComponent({}, env, wc);
    assert.equal(ctx.component, 'svc');
    assert.equal(ctx.path, 'deploy/paws.yaml');
  });

  it('lists the candidates instead of guessing in a monorepo root', async () => {
    const { home, env } = setup();
    const wc = gitRepo(path.join(home, 'mono'), '/srv/git/mono.git');
    writePaws(path.join(wc, 'services', 'cart'), 'cart');
    writePaws(path.join(wc, 'services', 'checkout'), 'checkout');
    // Ignored files are not candidates.
    writeFileSync(path.join(wc, '.gitignore'), 'node_modules/\n');
    writePaws(path.join(wc, 'node_modules', 'x'), 'vendored');
    const err = await usageError(resolveComponent({}, env, path.join(wc, 'services')));
    assert.match(err.message, /Several components in .*mono, and none above/);
    assert.match(err.message, /cart\s+\.\/cart\/paws\.yaml/);
    assert.match(err.message, /checkout\s+\.\/checkout\/paws\.yaml/);
    assert.doesNotMatch(err.message, /vendored/);
    assert.match(err.message, /--component/);
  });

  it('refuses a component name that several paws.yaml files claim, or none', async () => {
    const { home, env } = setup();
    const wc = gitRepo(path.join(home, 'mono'), '/srv/git/mono.git');
    writePaws(path.join(wc, 'a'), 'twin');
    writePaws(path.join(wc, 'b'), 'twin');
    writePaws(path.join(wc, 'c'), 'other');
    const twice = await usageError(resolveComponent({ component: 'twin' }, env, wc));
    assert.match(twice.message, /Several paws\.yaml files .* name component "twin"/);
    assert.match(twice.message, /a\/paws\.yaml/);
    assert.match(twice.message, /b\/paws\.yaml/);
    assert.doesNotMatch(twice.message, /c\/paws\.yaml/);

    const none = await usageError(resolveComponent({ component: 'ghost' }, env, path.join(wc, 'c')));
    assert.match(none.message, /No paws\.yaml in .* names component "ghost"/);
    assert.match(none.message, /other/);
  });

  it('does not walk above the working copy root', async () => {
    const { home, env } = setup();
    writePaws(home, 'outer');
    const wc = gitRepo(path.join(home, 'inner'), '/srv/git/inner.git');
    const ctx = await resolveComponent({}, env, wc);
    assert.equal(ctx.component, 'inner'); // origin's name, not the paws.yaml above the repository
  });

  it('explains what is missing when there is no context', async () => {
    const { home, env } = setup();
    const empty = path.join(home, 'nothing');
    mkdirSync(empty);
    const err = await usageError(resolveComponent({}, env, empty));
    assert.match(err.message, /No component here: found no paws\.yaml in .*nothing or its parents, and it is not inside a git working copy/);
    assert.match(err.message, /cd into the service's folder/);
    assert.match(err.message, /--repo/);

    const named = await usageError(resolveComponent({ component: 'checkout' }, env, empty));
    assert.match(named.message, /--component names component "checkout", but .* is not inside a git working copy/);
    assert.match(named.message, /--component or IDP_COMPONENT alone is not enough/);

    writePaws(empty, 'stray');
    const stray = await usageError(resolveComponent({}, env, empty));
    assert.match(stray.message, /Found .*paws\.yaml, but it is not inside a git working copy/);
  });

  it('needs an origin remote', async () => {
    const { home, env } = setup();
    const wc = gitRepo(path.join(home, 'local-only'));
    writePaws(wc, 'x');
    const err = await usageError(resolveComponent({}, env, wc));
    assert.match(err.message, /has no "origin" remote/);
    assert.match(err.message, /git remote add origin/);
  });

  it('--repo / IDP_REPO skip local discovery', async () => {
    const { home, env } = setup();
    const byFlag = await resolveComponent({ repo: '/srv/git/checkout.git' }, env, home);
    assert.deepEqual(
      { c: byFlag.component, r: byFlag.repo, p: byFlag.path },
      { c: 'checkout', r: '/srv/git/checkout.git', p: 'paws.yaml' },
    );
    const byEnv = await resolveComponent({ component: 'cart', path: 'services/cart/paws.yaml' }, { ...env, IDP_REPO: '/srv/git/mono.git' }, home);
    assert.deepEqual(
      { c: byEnv.component, r: byEnv.repo, p: byEnv.path, s: byEnv.repoSource },
      { c: 'cart', r: '/srv/git/mono.git', p: 'services/cart/paws.yaml', s: 'from IDP_REPO' },
    );
  });

  it('--path names the paws.yaml inside the working copy', async () => {
    const { home, env } = setup();
    const wc = gitRepo(path.join(home, 'mono'), '/srv/git/mono.git');
    writePaws(path.join(wc, 'a'), 'alpha');
    writePaws(path.join(wc, 'b'), 'beta');
    const ctx = await resolveComponent({ path: 'b/paws.yaml' }, env, wc);
    assert.equal(ctx.component, 'beta');
    assert.equal(ctx.path, 'b/paws.yaml');
  });
});

describe('API, user', () => {
  it('--api > IDP_API_URL > default', () => {
    assert.deepEqual(resolveApi({ api: 'http://a' }, { IDP_API_URL: 'http://b' }), { url: 'http://a', urlSource: 'from --api' });
    assert.equal(resolveApi({}, { IDP_API_URL: 'http://b', IDP_API_TOKEN: 't' }).url, 'http://b');
    assert.equal(resolveApi({}, { IDP_API_TOKEN: 't' }).token, 't');
    assert.deepEqual(resolveApi({}, { IDP_API_TOKEN: 't', IDP_TOKEN: 'u' }), { url: DEFAULT_API_URL, urlSource: 'default; set IDP_API_URL or pass --api to change', token: 'u', tokenSource: 'IDP_TOKEN' });
    const d = resolveApi({}, {});
    assert.equal(d.url, DEFAULT_API_URL);
    assert.match(d.urlSource, /default; set IDP_API_URL/);
  });

  it('IDP_USER > git config user.email', async () => {
    const { home, env } = setup();
    const wc = gitRepo(path.join(home, 'r'));
    assert.deepEqual(await resolveUser(wc, { ...env, IDP_USER: 'bob@example.com' }), { user: 'bob@example.com', source: 'from IDP_USER' });
    assert.deepEqual(await resolveUser(wc, env), { source: 'not set; set IDP_USER or `git config user.email`' });
    sh(wc, ['config', 'user.email', 'alice@example.com']);
    assert.deepEqual(await resolveUser(wc, env), { user: 'alice@example.com', source: 'from git config user.email' });
  });

  it('resolveContext puts it together', async () => {
    const { home, env } = setup();
    const wc = gitRepo(path.join(home, 'checkout'), '/srv/git/checkout.git');
    writePaws(wc, 'checkout');
    const ctx = await resolveContext({ api: 'http://api' }, { ...env, IDP_USER: 'u@x' }, wc);
    assert.equal(ctx.component.component, 'checkout');
    assert.equal(ctx.api.url, 'http://api');
    assert.equal(ctx.user.user, 'u@x');
  });
});

describe('git helpers', () => {
  it('normalizeRemote keeps URLs and scp-like remotes, resolves relative paths', () => {
    assert.equal(normalizeRemote('https://h/x.git', '/r'), 'https://h/x.git');
    assert.equal(normalizeRemote('file:///srv/x.git', '/r'), 'file:///srv/x.git');
    assert.equal(normalizeRemote('git@github.com:acme/x.git', '/r'), 'git@github.com:acme/x.git');
    assert.equal(normalizeRemote('/srv/x.git', '/r'), '/srv/x.git');
    assert.equal(normalizeRemote('../x.git', '/w/r'), '/w/x.git');
  });

  it('repoName', () => {
    assert.equal(repoName('/tmp/x/checkout.git'), 'checkout');
    assert.equal(repoName('git@github.com:acme/checkout.git'), 'checkout');
    assert.equal(repoName('https://github.com/acme/checkout/'), 'checkout');
    assert.equal(repoName('checkout'), 'checkout');
  });
});

describe('the developer\'s own forge token', () => {
  it('is IDP_FORGE_TOKEN, else the token gh/glab use for the remote\'s host, else none', async () => {
    const { forgeTokenFor } = await import('./commands/shared/common.js');
    assert.equal(forgeTokenFor('git@github.com:acme/app.git', { GH_TOKEN: 'gh1', GITHUB_TOKEN: 'gh2' }), 'gh1');
    assert.equal(forgeTokenFor('https://github.com/acme/app.git', { GITHUB_TOKEN: 'gh2' }), 'gh2');
    assert.equal(forgeTokenFor('https://gitlab.example.com/g/app.git', { GITLAB_TOKEN: 'gl', GH_TOKEN: 'gh' }), 'gl');
    assert.equal(forgeTokenFor('/srv/git/app.git', { GH_TOKEN: 'gh' }), undefined, 'the local forge has no accounts');
    assert.equal(forgeTokenFor('https://code.acme.internal/app.git', { IDP_FORGE_TOKEN: 'any' }), 'any');
  });
});
