/**
 * The local forge's UrlReader through Backstage's own UrlReaders wrapper (as the catalog gets it): files of a bare
 * repository's default branch by file:// URL; nothing outside IDP_REPO_ROOTS; etags for the catalog's refreshes.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ConfigReader } from '@backstage/config';
import { UrlReaders } from '@backstage/backend-defaults/urlReader';
import type { UrlReaderService } from '@backstage/backend-plugin-api';
import { LocalForgeUrlReader } from './url-reader.js';

const silent = { info() {}, warn() {}, error() {}, debug() {}, child() { return silent; } };

/** A bare repository with `files` committed on main (made with the git CLI from a scratch working copy). */
function bareRepo(at: string, files: Record<string, string>): string {
  const work = `${at}.work`;
  mkdirSync(work, { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(work, path, '..'), { recursive: true });
    writeFileSync(join(work, path), content);
  }
  const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' };
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env, stdio: 'ignore' });
  git(work, 'init', '--quiet', '-b', 'main');
  git(work, 'add', '-A');
  git(work, 'commit', '--quiet', '-m', 'x');
  git(work, 'clone', '--quiet', '--bare', '.', at);
  return at;
}

describe('the local forge UrlReader', () => {
  let root: string;
  let reader: UrlReaderService;
  let url: string;
  let outside: string;
  const previous = process.env.IDP_REPO_ROOTS;

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'idp-url-reader-'));
    url = pathToFileURL(bareRepo(join(root, 'served', 'repos', 'payments.git'), { 'catalog-info.yaml': 'kind: Component\n', 'docs/a.md': 'a', 'docs/b.md': 'b', 'src/x.ts': 'x' })).href;
    outside = pathToFileURL(bareRepo(join(root, 'elsewhere', 'secret.git'), { 'catalog-info.yaml': 'secret' })).href;
    process.env.IDP_REPO_ROOTS = join(root, 'served');
    reader = UrlReaders.create({ config: new ConfigReader({}), logger: silent as never, factories: [LocalForgeUrlReader.factory] });
  });
  after(() => {
    process.env.IDP_REPO_ROOTS = previous;
    if (previous === undefined) delete process.env.IDP_REPO_ROOTS;
    rmSync(root, { recursive: true, force: true });
  });

  it("reads a file of the default branch, with the blob's id as etag (unchanged: NotModified)", async () => {
    const r = await reader.readUrl(`${url}/catalog-info.yaml`);
    assert.equal((await r.buffer()).toString(), 'kind: Component\n');
    assert.match(r.etag ?? '', /^[0-9a-f]{40}$/);
    await assert.rejects(reader.readUrl(`${url}/catalog-info.yaml`, { etag: r.etag! }), { name: 'NotModifiedError' });
  });

  it('answers NotFound for a missing file, a folder, a repository outside the roots and any other file on disk', async () => {
    for (const target of [`${url}/nope.yaml`, `${url}/docs`, `${outside}/catalog-info.yaml`, pathToFileURL('/etc/passwd').href, `${url}/../../../elsewhere/secret.git/catalog-info.yaml`]) {
      await assert.rejects(reader.readUrl(target), { name: 'NotFoundError' }, target);
    }
  });

  it('reads a folder as a tree, and searches by path or glob', async () => {
    const tree = await reader.readTree(`${url}/docs`);
    const files = await tree.files();
    assert.deepEqual(await Promise.all(files.map(async (f) => `${f.path}=${(await f.content()).toString()}`)).then((x) => x.sort()), ['a.md=a', 'b.md=b']);
    const found = await reader.search(`${url}/docs/*.md`);
    assert.deepEqual(found.files.map((f) => f.url).sort(), [`${url}/docs/a.md`, `${url}/docs/b.md`]);
    const one = await reader.search(`${url}/catalog-info.yaml`);
    assert.equal((await one.files[0]!.content()).toString(), 'kind: Component\n');
    assert.deepEqual((await reader.search(`${url}/missing.yaml`)).files, []);
  });
});
