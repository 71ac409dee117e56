/** One repository however its remote or its source-location is spelled. */
import { parseSourceLocation, repoIdentity, sameRepo, sourceLocationSpellings } from '@idp/providers';

describe('repository identity', () => {
  it('treats the usual spellings of one forge repository as the same', () => {
    const ids = ['git@github.com:acme/checkout.git', 'https://github.com/Acme/checkout/', 'ssh://git@github.com/acme/checkout.git', 'github.com/acme/checkout', 'acme/checkout'].map((r) => repoIdentity(r)!);
    for (const id of ids) expect(sameRepo(ids[0]!, id)).toBe(true);
    expect(sameRepo(ids[0]!, repoIdentity('git@gitlab.com:acme/checkout.git')!)).toBe(false);
    expect(sameRepo(ids[0]!, repoIdentity('git@github.com:acme/checkout-ui.git')!)).toBe(false);
  });

  it('knows a local repository by its path, as a path or a file URL, case and all', () => {
    expect(sameRepo(repoIdentity('/srv/git/checkout.git')!, repoIdentity('file:///srv/git/checkout.git/')!)).toBe(true);
    expect(sameRepo(repoIdentity('/srv/git/checkout.git')!, repoIdentity('/srv/git/Checkout.git')!)).toBe(false);
    expect(repoIdentity('not a remote')).toBeUndefined();
    // Normalized without node:path (the module is browser-safe): dots and repeated slashes resolve as path.posix does.
    expect(repoIdentity('/srv//git/./x/../checkout.git/')).toEqual({ kind: 'file', path: '/srv/git/checkout.git' });
    expect(repoIdentity('/../')).toEqual({ kind: 'file', path: '/' });
  });

  it('reads a source-location back into the repository and the folder it points at', () => {
    expect(parseSourceLocation('url:https://github.com/acme/mono/tree/main/services/cart/')).toEqual({ repo: { kind: 'network', host: 'github.com', path: 'acme/mono' }, subpath: 'services/cart' });
    expect(parseSourceLocation('url:https://gitlab.com/group/sub/app/-/tree/master/')).toEqual({ repo: { kind: 'network', host: 'gitlab.com', path: 'group/sub/app' }, subpath: '' });
    expect(parseSourceLocation('url:file:///srv/git/checkout.git/')).toEqual({ repo: { kind: 'file', path: '/srv/git/checkout.git' }, subpath: '' });
    expect(parseSourceLocation('url:not a url')).toBeUndefined();
  });

  it('spells the source-locations a filter query asks for, from the root down to the working folder', () => {
    const spelled = sourceLocationSpellings(repoIdentity('git@github.com:acme/mono.git')!, 'services/cart');
    expect(spelled).toEqual(expect.arrayContaining(['url:https://github.com/acme/mono/', 'url:https://github.com/acme/mono/tree/main/', 'url:https://github.com/acme/mono/tree/main/services/cart/']));
    expect(spelled.every((v) => !v.includes('/-/tree/'))).toBe(true);
    expect(sourceLocationSpellings(repoIdentity('/srv/git/x.git')!, '')).toContain('url:file:///srv/git/x.git/');
  });
});
