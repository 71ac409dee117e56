/**
 * Which git provider serves a repository: a path or file:// URL is the local
 * forge; a network remote is GitHub or GitLab, chosen by host (forges.ts).
 */
import { existsSync, realpathSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IdpError, InvalidRequestError } from '@idp/core/errors';
import { LocalForge, noSuchRepository } from './local.js';
import type { GitProvider } from './provider.js';
import { forgeFor, forgesFromEnv, parseNetworkRemote, type ForgeHost } from './forges.js';
import { GitHubProvider } from './github.js';
import { GitLabProvider } from './gitlab.js';

export type { CommitRequest, FileAtRef, FileChange, GitProvider, OpenPullRequest, ProviderLookup } from './provider.js';
export { LocalForge, type LocalForgeOptions } from './local.js';
export { GitHubProvider } from './github.js';
export { GitLabProvider } from './gitlab.js';
export { forgesFromEnv, parseNetworkRemote, type ForgeHost, type NetworkRemote } from './forges.js';
export {
  ancestors,
  describeRepo,
  entityRepoRef,
  parseSourceLocation,
  repoIdentity,
  sameRepo,
  sourceLocationRepo,
  sourceLocationSpellings,
  type RepoIdentity,
} from './repo-identity.js';
export { repoKey } from './repo-key.js';
export { assertDeployAccess } from './deploy-access.js';
export { releaseVerdict, type Requester } from './release-verdict.js';

/** One instance per (absolute repository path, web base URL), and per forge repository. */
const cache = new Map<string, GitProvider>();
let envForges: Map<string, ForgeHost> | undefined;
const forgeCache = new WeakMap<ForgeHost, Map<string, GitProvider>>();

export interface ProviderOptions {
  webBaseUrl?: string;
  /** When set, local repositories outside these folders are refused (a shared server must not serve any path on its disk). */
  allowedRoots?: string[];
  /** Forge hosts and their credentials (default: from the environment, see forges.ts). */
  forges?: Map<string, ForgeHost>;
  /** Extra options for forge clients (tests: no write pacing, fast retries). */
  forgeClient?: { paceWrites?: boolean; retryBaseMs?: number };
  /** Teams of the local forge (IDP_TEAMS): release approvers that name a team. */
  teams?: Record<string, string[]>;
}

export function providerFor(remote: string, opts: ProviderOptions = {}): GitProvider {
  const path = localPath(remote);
  if (path === null) return forgeProvider(remote, opts);
  const real = existsSync(path) ? realpathSync(path) : path;
  // Outside the served folders reads exactly as absent: no oracle of which paths exist.
  if (opts.allowedRoots?.length && !opts.allowedRoots.some((root) => real === root || real.startsWith(root.endsWith(sep) ? root : root + sep))) {
    throw noSuchRepository(remote);
  }
  const key = `${real}\0${opts.webBaseUrl ?? ''}\0${opts.teams ? JSON.stringify(opts.teams) : ''}`;
  let forge = cache.get(key);
  if (!forge) {
    forge = new LocalForge({ repo: remote, ...(opts.webBaseUrl === undefined ? {} : { webBaseUrl: opts.webBaseUrl }), ...(opts.teams ? { teams: opts.teams } : {}) });
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

function forgeProvider(remote: string, opts: ProviderOptions): GitProvider {
  const parsed = parseNetworkRemote(remote);
  if (!parsed) {
    throw new InvalidRequestError(`${remote} is not a repository idp can use: give a GitHub/GitLab remote (https://github.com/acme/app.git, git@gitlab.com:group/app.git) or the path of a bare git repository.`);
  }
  const forge = forgeFor(opts.forges ?? (envForges ??= forgesFromEnv()), parsed, remote);
  // One provider per repository and forge configuration (a new configuration, e.g. rotated credentials, gets new clients).
  const perForge = forgeCache.get(forge) ?? new Map<string, GitProvider>();
  forgeCache.set(forge, perForge);
  const key = parsed.path.toLowerCase();
  const cached = perForge.get(key);
  if (cached) return cached;
  let provider: GitProvider;
  if (forge.kind === 'github') {
    const [owner, name, ...extra] = parsed.path.split('/');
    if (!owner || !name || extra.length > 0) throw new InvalidRequestError(`${remote} does not name a GitHub repository as owner/name.`);
    if (!forge.github) throw missingCredentials(forge, 'IDP_GITHUB_TOKEN (or a GitHub App: IDP_GITHUB_APP_ID, IDP_GITHUB_APP_INSTALLATION_ID, IDP_GITHUB_APP_PRIVATE_KEY_FILE)');
    provider = new GitHubProvider({ repo: remote, owner, name, host: forge.host, apiUrl: forge.apiUrl, auth: forge.github, ...opts.forgeClient });
  } else {
    if (!forge.gitlabToken) throw missingCredentials(forge, 'IDP_GITLAB_TOKEN');
    provider = new GitLabProvider({
      repo: remote,
      baseUrl: forge.apiUrl,
      host: forge.host,
      projectPath: parsed.path,
      token: forge.gitlabToken,
      ...(opts.forgeClient?.retryBaseMs !== undefined ? { retry: { minDelayMs: opts.forgeClient.retryBaseMs } } : {}),
    });
  }
  perForge.set(key, provider);
  return provider;
}

function missingCredentials(forge: ForgeHost, what: string): IdpError {
  return new IdpError(
    'unauthenticated',
    401,
    `No credentials for ${forge.host}: the server needs ${forge.host === 'github.com' || forge.host === 'gitlab.com' ? what : `a token for it in IDP_FORGES (tokenEnv)`} to open pull requests there.`,
    { host: forge.host },
  );
}
