/**
 * Which git provider serves a repository. Today only the local forge exists;
 * GitHub and GitLab remotes are recognized so the error says what to do.
 */
import { existsSync, realpathSync } from 'node:fs';
import { delimiter, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IdpError, InvalidRequestError } from '@idp/core/errors';
import { LocalForge } from './local.js';
import type { GitProvider } from './provider.js';

export type { CommitRequest, FileAtRef, FileChange, GitProvider, OpenPullRequest } from './provider.js';
export { LocalForge, type LocalForgeOptions } from './local.js';

/** One instance per (absolute repository path, web base URL). */
const cache = new Map<string, LocalForge>();

export interface ProviderOptions {
  webBaseUrl?: string;
  /** When set, local repositories outside these folders are refused (a shared server must not serve any path on its disk). */
  allowedRoots?: string[];
}

export function providerFor(remote: string, opts: ProviderOptions = {}): GitProvider {
  const path = localPath(remote);
  if (path === null) {
    const host = remoteHost(remote);
    const which = /gitlab/i.test(host) ? 'GitLab' : /github/i.test(host) ? 'GitHub' : 'GitHub/GitLab';
    throw new InvalidRequestError(
      `${remote} is a ${which} remote, but GitHub/GitLab providers are not available yet. ` +
        `The local forge needs the path or file:// URL of a bare git repository (e.g. /srv/git/checkout.git or file:///srv/git/checkout.git).`,
      { remote, host },
    );
  }
  const real = existsSync(path) ? realpathSync(path) : path;
  if (opts.allowedRoots?.length && !opts.allowedRoots.some((root) => real === root || real.startsWith(root.endsWith(sep) ? root : root + sep))) {
    throw new IdpError('forbidden', 403, `${remote} is outside the folders this server serves (IDP_REPO_ROOTS=${opts.allowedRoots.join(delimiter)}).`);
  }
  const key = `${real}\0${opts.webBaseUrl ?? ''}`;
  let forge = cache.get(key);
  if (!forge) {
    forge = new LocalForge({ repo: remote, ...(opts.webBaseUrl === undefined ? {} : { webBaseUrl: opts.webBaseUrl }) });
    cache.set(key, forge);
  }
  return forge;
}

/**
 * The absolute path a local remote names, or null for a network remote:
 * `https://…`, `ssh://…`, scp-like `git@host:owner/repo`, or a host-prefixed
 * name such as `github.com/acme/deployments` (as written in paws.yaml).
 */
function localPath(remote: string): string | null {
  if (remote.startsWith('file:')) {
    try {
      return fileURLToPath(remote);
    } catch {
      throw new InvalidRequestError(`${remote} is not a usable file:// URL; use file:///absolute/path/to/repo.git or a plain path.`);
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(remote)) return null;
  if (/^[^/\\]+@[^/:]+:/.test(remote) || /^[^/\\:]{2,}:(?!\/\/)/.test(remote)) return null;
  // host/owner/repo with a dotted host, when no such local path exists
  const [first = '', ...rest] = remote.split('/');
  const looksLikeHost = /^[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$/i.test(first);
  if (looksLikeHost && rest.filter(Boolean).length >= 2 && !existsSync(resolve(remote))) return null;
  return resolve(remote);
}

function remoteHost(remote: string): string {
  const url = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?([^/:]+)/i.exec(remote);
  if (url?.[1]) return url[1];
  const scp = /^(?:[^@/]+@)?([^/:]+):/.exec(remote);
  if (scp?.[1]) return scp[1];
  return remote.split('/')[0] ?? remote;
}
