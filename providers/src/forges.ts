/**
 * Which forge serves a network remote, and with what credentials: per host.
 *
 * github.com and gitlab.com work with a token in the environment. Any other
 * host (GitHub Enterprise Server, self-managed GitLab) is described in
 * IDP_FORGES — JSON, or `@/path/to/forges.json` — keyed by host:
 *
 *   { "github.acme.internal": { "kind": "github", "apiUrl": "https://github.acme.internal/api/v3", "tokenEnv": "GHE_TOKEN" },
 *     "git.acme.internal":    { "kind": "gitlab", "tokenEnv": "ACME_GITLAB_TOKEN", "webhookSecretEnv": "ACME_GITLAB_HOOK" } }
 *
 * Secrets are named by environment variable (`tokenEnv`, `privateKeyFile`,
 * `webhookSecretEnv`) so the file itself holds none.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { IdpError, InvalidRequestError } from '@idp/core/errors';
import type { GitHubAuth } from './github.js';
import type { NetworkRemote } from './repo-identity.js';

export interface ForgeHost {
  kind: 'github' | 'gitlab';
  host: string;
  /** GitHub: REST base (https://api.github.com, https://<host>/api/v3). GitLab: the instance URL (https://<host>). */
  apiUrl: string;
  /** Service credentials, or undefined when none are configured (requests then fail with a clear message). */
  github?: GitHubAuth;
  gitlabToken?: string;
  webhookSecret?: string;
}

const HostEntry = z
  .object({
    kind: z.enum(['github', 'gitlab']),
    apiUrl: z.string().url().optional(),
    token: z.string().min(1).optional(),
    tokenEnv: z.string().min(1).optional(),
    appId: z.union([z.string(), z.number()]).optional(),
    installationId: z.union([z.string(), z.number()]).optional(),
    privateKeyFile: z.string().optional(),
    privateKeyEnv: z.string().optional(),
    webhookSecretEnv: z.string().optional(),
  })
  .strict();

/** Forge hosts from the environment; github.com and gitlab.com are always known. */
export function forgesFromEnv(env: NodeJS.ProcessEnv = process.env): Map<string, ForgeHost> {
  const hosts = new Map<string, ForgeHost>();
  const githubToken = env.IDP_GITHUB_TOKEN || env.GITHUB_TOKEN || env.GH_TOKEN;
  const app = githubApp(env.IDP_GITHUB_APP_ID, env.IDP_GITHUB_APP_INSTALLATION_ID, env.IDP_GITHUB_APP_PRIVATE_KEY, env.IDP_GITHUB_APP_PRIVATE_KEY_FILE);
  hosts.set('github.com', {
    kind: 'github',
    host: 'github.com',
    apiUrl: 'https://api.github.com',
    ...(app ? { github: app } : githubToken ? { github: { token: githubToken } } : {}),
    ...(env.IDP_GITHUB_WEBHOOK_SECRET ? { webhookSecret: env.IDP_GITHUB_WEBHOOK_SECRET } : {}),
  });
  const gitlabToken = env.IDP_GITLAB_TOKEN || env.GITLAB_TOKEN;
  hosts.set('gitlab.com', {
    kind: 'gitlab',
    host: 'gitlab.com',
    apiUrl: 'https://gitlab.com',
    ...(gitlabToken ? { gitlabToken } : {}),
    ...(env.IDP_GITLAB_WEBHOOK_SECRET ? { webhookSecret: env.IDP_GITLAB_WEBHOOK_SECRET } : {}),
  });

  const raw = env.IDP_FORGES?.trim();
  if (!raw) return hosts;
  // IDP_FORGES may hold inline tokens: no error below quotes its text (JSON.parse's messages do, and so may zod's).
  const file = raw.startsWith('@') ? raw.slice(1) : undefined;
  let text: string;
  try {
    text = file === undefined ? raw : readFileSync(file, 'utf8');
  } catch (err) {
    throw new InvalidRequestError(`IDP_FORGES names the file ${file}, which cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidRequestError(
      `IDP_FORGES${file ? ` (${file})` : ''} is not valid JSON; write e.g. {"git.acme.internal": {"kind": "gitlab", "tokenEnv": "ACME_GITLAB_TOKEN"}} (a token is best named by tokenEnv, not written inline).`,
    );
  }
  const result = z.record(z.string(), HostEntry).safeParse(parsed);
  if (!result.success) throw new InvalidRequestError(`IDP_FORGES is not valid: ${result.error.issues.map(describeIssue).join('; ')}.`);
  for (const [hostName, e] of Object.entries(result.data)) {
    const host = hostName.toLowerCase();
    const token = e.token ?? (e.tokenEnv ? env[e.tokenEnv] : undefined);
    const key = e.privateKeyEnv ? env[e.privateKeyEnv] : undefined;
    const entryApp = githubApp(e.appId?.toString(), e.installationId?.toString(), key, e.privateKeyFile);
    const secret = e.webhookSecretEnv ? env[e.webhookSecretEnv] : undefined;
    hosts.set(host, {
      kind: e.kind,
      host,
      apiUrl: e.apiUrl ?? (e.kind === 'github' ? (host === 'github.com' ? 'https://api.github.com' : `https://${host}/api/v3`) : `https://${host}`),
      ...(e.kind === 'github' ? (entryApp ? { github: entryApp } : token ? { github: { token } } : {}) : token ? { gitlabToken: token } : {}),
      ...(secret ? { webhookSecret: secret } : {}),
    });
  }
  return hosts;
}

/** Where and what kind of problem, never the value found there (it may be a token). */
function describeIssue(i: z.core.$ZodIssue): string {
  const where = i.path.map(String).join('.') || 'IDP_FORGES';
  switch (i.code) {
    case 'invalid_type':
      return `${where}: expected ${i.expected}`;
    case 'invalid_value':
      return `${where}: expected one of ${i.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'unrecognized_keys':
      return `${where}: ${i.keys.length} unknown field(s); the known ones are ${Object.keys(HostEntry.shape).join(', ')}`;
    case 'invalid_format':
      return `${where}: not a valid ${i.format}`;
    case 'too_small':
      return `${where}: must not be empty`;
    default:
      return `${where}: invalid value`;
  }
}

function githubApp(appId?: string, installationId?: string, key?: string, keyFile?: string): GitHubAuth | undefined {
  if (!appId) return undefined;
  const privateKey = key ?? (keyFile ? readFileSync(keyFile, 'utf8') : undefined);
  if (!privateKey || !installationId) {
    throw new InvalidRequestError('A GitHub App needs its app id, installation id and private key (IDP_GITHUB_APP_ID, IDP_GITHUB_APP_INSTALLATION_ID, IDP_GITHUB_APP_PRIVATE_KEY or _FILE).');
  }
  return { appId, installationId, privateKey };
}

// Pure parsing lives with the other repository-identity rules (browser-safe, see repo-identity.ts).
export { parseNetworkRemote, type NetworkRemote } from './repo-identity.js';

/** The configured forge for a host, guessing GitHub/GitLab from the name for hosts not in IDP_FORGES. */
export function forgeFor(hosts: Map<string, ForgeHost>, remote: NetworkRemote, original: string): ForgeHost {
  const known = hosts.get(remote.host);
  if (known) return known;
  const guess = /gitlab/i.test(remote.host) ? 'gitlab' : /github/i.test(remote.host) ? 'github' : null;
  if (!guess) {
    throw new InvalidRequestError(
      `idp does not know which forge serves ${remote.host} (remote ${original}). Describe it in IDP_FORGES, e.g. ` +
        `{"${remote.host}": {"kind": "gitlab", "tokenEnv": "MY_GITLAB_TOKEN"}} (kind github or gitlab).`,
      { host: remote.host },
    );
  }
  throw new IdpError(
    'unauthenticated',
    401,
    `${remote.host} looks like a ${guess === 'github' ? 'GitHub Enterprise' : 'GitLab'} host but has no credentials: add it to IDP_FORGES with a token, e.g. ` +
      `{"${remote.host}": {"kind": "${guess}", "tokenEnv": "${guess === 'github' ? 'GHE_TOKEN' : 'GITLAB_TOKEN'}"}}.`,
    { host: remote.host },
  );
}
