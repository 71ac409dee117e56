/**
 * A UrlReader for the local forge: `file:///…/payments.git/catalog-info.yaml` reads catalog-info.yaml from the
 * default branch (HEAD) of the bare repository payments.git, so the stock `catalog:register` (and the catalog's
 * refreshes) read a new service's entity from its repository exactly as they read one from GitHub. Only
 * repositories under IDP_REPO_ROOTS are read; any other file:// URL is not found (no reading of the server's disk).
 */
import { Readable } from 'node:stream';
import { matchesGlob } from 'node:path';
import type { UrlReaderService, UrlReaderServiceReadTreeOptions, UrlReaderServiceReadUrlOptions, UrlReaderServiceSearchOptions } from '@backstage/backend-plugin-api';
import { createServiceFactory } from '@backstage/backend-plugin-api';
import { ReadUrlResponseFactory, urlReaderFactoriesServiceRef, type ReadTreeResponseFactory, type ReaderFactory } from '@backstage/backend-defaults/urlReader';
import { NotFoundError, NotModifiedError } from '@backstage/errors';
import { archive, commitOf, listFiles, objectAt, readBlob } from './git.js';
import { locateInRepo, localForgeSettings } from './repos.js';

const GLOB = /[*?[\]{}]/;

export class LocalForgeUrlReader implements UrlReaderService {
  constructor(
    private readonly roots: string[],
    private readonly trees: ReadTreeResponseFactory,
  ) {}

  static factory: ReaderFactory = ({ config, treeResponseFactory }) => {
    const reader = new LocalForgeUrlReader(localForgeSettings(config).roots, treeResponseFactory);
    return [{ reader, predicate: (url) => url.protocol === 'file:' }];
  };

  /** The repository, its HEAD commit and the path inside it a URL names; NotFoundError when it names none. */
  private async locate(url: string) {
    const found = locateInRepo(new URL(url), this.roots);
    const commit = found && (await commitOf(found.gitdir));
    if (!found || !commit) throw new NotFoundError(`${url} is not in a repository of the local forge`);
    return { ...found, commit };
  }

  async readUrl(url: string, options?: UrlReaderServiceReadUrlOptions) {
    const { gitdir, path, commit } = await this.locate(url);
    const blob = path ? await objectAt(gitdir, commit, path) : undefined;
    if (blob?.type !== 'blob') throw new NotFoundError(`${url} does not exist on the default branch`);
    if (options?.etag === blob.oid) throw new NotModifiedError();
    return ReadUrlResponseFactory.fromReadable(Readable.from(await readBlob(gitdir, blob.oid)), { etag: blob.oid });
  }

  async readTree(url: string, options?: UrlReaderServiceReadTreeOptions) {
    const { gitdir, path, commit } = await this.locate(url);
    if (options?.etag === commit) throw new NotModifiedError();
    const tree = path ? await objectAt(gitdir, commit, path) : { oid: commit, type: 'commit' };
    if (!tree || tree.type === 'blob') throw new NotFoundError(`${url} is not a folder on the default branch`);
    return this.trees.fromTarArchive({ stream: archive(gitdir, tree.oid), etag: commit, stripFirstDirectory: false, ...(options?.filter ? { filter: options.filter } : {}) });
  }

  async search(url: string, options?: UrlReaderServiceSearchOptions) {
    const { gitdir, repoUrl, path, commit } = await this.locate(url);
    if (options?.etag === commit) throw new NotModifiedError();
    const files = GLOB.test(path) ? (await listFiles(gitdir, commit)).filter((f) => matchesGlob(f.path, path)) : [await objectAt(gitdir, commit, path)].flatMap((o) => (o?.type === 'blob' ? [{ path, oid: o.oid }] : []));
    return { etag: commit, files: files.map((f) => ({ url: `${repoUrl}/${encodeURI(f.path)}`, content: () => readBlob(gitdir, f.oid) })) };
  }
}

/** Adds the reader to every plugin's UrlReader (the catalog's, the scaffolder's). */
export const localForgeUrlReaderFactory = createServiceFactory({
  service: urlReaderFactoriesServiceRef,
  deps: {},
  async factory() {
    return LocalForgeUrlReader.factory;
  },
});
