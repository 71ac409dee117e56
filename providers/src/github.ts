/**
 * GitHub (github.com and GitHub Enterprise Server) through octokit: REST for
 * pull-request writes, GraphQL where one request replaces several REST calls
 * (reading a file with the commit it belongs to, a PR with its reviews and
 * comments, committing a whole change set onto a new branch).
 *
 * Nothing is cloned: a change set becomes one commit through
 * `createCommitOnBranch`, so the cost does not grow with the repository.
 *
 * Faults: octokit's retry plugin retries 5xx and network errors with backoff;
 * the throttling plugin honours Retry-After / x-ratelimit-reset on 403/429
 * (primary and secondary rate limits) and spaces writes as GitHub asks.
 * Whatever is left becomes an IdpError: 401/403/404 non-retryable and naming
 * the token, permission or repository at fault; 5xx a retryable ProviderError.
 * Tokens never appear in messages or logs.
 */
import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { createAppAuth } from '@octokit/auth-app';
import { RequestError } from '@octokit/request-error';
import { GraphqlResponseError } from '@octokit/graphql';
import Bottleneck from 'bottleneck';
import type { FileDiff, PullRequest, PullRequestState, Review, ReviewEvent } from '@idp/core';
import { ConflictError, IdpError, InvalidRequestError, NotFoundError, ProviderError } from '@idp/core/errors';
import { listWindow, type ChecksSummary, type CheckRun, type CommitRequest, type CommitStatus, type DirectoryEntry, type FileAtRef, type GitProvider, type ListFilter, type OpenPullRequest, type PullRequestPage, type RepoSnapshot } from './provider.js';
import { assertBranchName } from './local-git.js';
import { TtlCache } from './ttl-cache.js';
import { approvalsOf, summarizeChecks } from './reviews.js';

const Client = Octokit.plugin(retry, throttling);
type ClientInstance = InstanceType<typeof Client>;

export type GitHubAuth =
  | { token: string }
  | { appId: string | number; privateKey: string; installationId: string | number };

export interface GitHubProviderOptions {
  /** The remote as the user wrote it (kept for messages). */
  repo: string;
  owner: string;
  name: string;
  /** Web host, e.g. github.com or github.example.com (names the provider id). */
  host: string;
  /** REST base URL: https://api.github.com, or https://<host>/api/v3 for GitHub Enterprise Server. */
  apiUrl: string;
  /** The service identity idp acts as. */
  auth: GitHubAuth;
  /** A person's own token, when the caller has one: reviews need it, other writes then carry their name. */
  userToken?: (user: string) => string | undefined;
  /**
   * Space writes as GitHub's best practices ask (1 s between writes, 3 s between
   * notifying writes). On by default; tests against the fake turn it off.
   */
  paceWrites?: boolean;
  /** Backoff unit for retries of 5xx/network errors (ms per retry², octokit's default 1000). */
  retryBaseMs?: number;
  /** Retries of 5xx/network errors and of rate-limited requests. */
  retries?: number;
}

const REVIEW_FIELDS = 'nodes { author { login } state body commit { oid } submittedAt } pageInfo { hasNextPage endCursor }';
const COMMENT_FIELDS = 'nodes { author { login } body createdAt } pageInfo { hasNextPage endCursor }';

/**
 * The fields idp reads of a pull request, in one GraphQL selection. Reviews and
 * comments come 100 at a time (GitHub's most); a PR with more is completed by
 * `complete()`, so a review past the first 100 (an approval, or a later change
 * request replacing one) is never missed.
 */
const PR_FIELDS = `
  number url title body state headRefName headRefOid baseRefName baseRefOid createdAt updatedAt mergedAt closedAt
  author { login } mergedBy { login } mergeCommit { oid }
  labels(first: 100) { nodes { name } }
  reviews(first: 100) { ${REVIEW_FIELDS} }
  comments(first: 100) { ${COMMENT_FIELDS} }
  timelineItems(itemTypes: [CLOSED_EVENT], last: 1) { nodes { ... on ClosedEvent { actor { login } } } }
`;

interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}
type GqlReview = { author: { login: string } | null; state: string; body: string; commit: { oid: string } | null; submittedAt: string | null };
type GqlComment = { author: { login: string } | null; body: string; createdAt: string };

interface GqlPull {
  number: number;
  url: string;
  title: string;
  body: string;
  state: 'OPEN' | 'CLOSED' | 'MERGED';
  headRefName: string;
  headRefOid: string;
  baseRefName: string;
  baseRefOid: string;
  createdAt: string;
  updatedAt: string;
  mergedAt: string | null;
  closedAt: string | null;
  author: { login: string } | null;
  mergedBy: { login: string } | null;
  mergeCommit: { oid: string } | null;
  labels: { nodes: { name: string }[] };
  reviews: { nodes: GqlReview[]; pageInfo: PageInfo };
  comments: { nodes: GqlComment[]; pageInfo: PageInfo };
  timelineItems: { nodes: ({ actor?: { login: string } | null } | null)[] };
}

const REVIEW_EVENT: Record<ReviewEvent, 'APPROVE' | 'REQUEST_CHANGES' | 'COMMENT'> = {
  approve: 'APPROVE',
  request_changes: 'REQUEST_CHANGES',
  comment: 'COMMENT',
};

export class GitHubProvider implements GitProvider {
  readonly kind = 'github' as const;
  readonly repo: string;
  readonly id: string;
  private readonly owner: string;
  private readonly name: string;
  private readonly service: ClientInstance;
  private readonly userClients = new Map<string, ClientInstance>();
  private repoInfo: { id: string; defaultBranch: string; at: number } | undefined;
  /** Team members by approver entry (null: no such team). */
  private readonly teams = new TtlCache<string[] | null>(TEAM_TTL_MS);
  /** Forge logins by user token (a token names one account); a pending read is shared, a failure is not kept. */
  private readonly logins = new Map<string, Promise<string>>();
  /** Whether a login may write here, by login (lower case). */
  private readonly writers = new TtlCache<boolean>(WRITE_TTL_MS);

  constructor(private readonly opts: GitHubProviderOptions) {
    this.repo = opts.repo;
    this.owner = opts.owner;
    this.name = opts.name;
    this.id = `github:${opts.host}/${opts.owner}/${opts.name}`.toLowerCase();
    this.service = this.client(opts.auth);
  }

  actingAs(user: string, token: string): GitProvider {
    const others = this.opts.userToken;
    return new GitHubProvider({ ...this.opts, userToken: (u) => (u === user ? token : others?.(u)) });
  }

  /**
   * `user`'s GitHub login, read with their own token (GET /user), or null when
   * there is no token for them (no request then). Read once per provider
   * instance and token: an actingAs instance holds one token for its user.
   */
  async forgeLogin(user: string): Promise<string | null> {
    const token = this.opts.userToken?.(user);
    if (!token) return null;
    let login = this.logins.get(token);
    if (!login) {
      const read = this.readLogin(user);
      login = read;
      this.logins.set(token, read);
      // A failure is not an answer: the next call asks again.
      read.catch(() => {
        if (this.logins.get(token) === read) this.logins.delete(token);
      });
    }
    return login;
  }

  private async readLogin(user: string): Promise<string> {
    try {
      return (await this.as(user).rest.users.getAuthenticated()).data.login;
    } catch (err) {
      if (err instanceof RequestError && err.status === 401) {
        const said = (err.response?.data as { message?: string } | undefined)?.message ?? 'Bad credentials';
        throw new IdpError(
          'unauthenticated',
          401,
          `GitHub at ${this.opts.host} rejected ${user}'s own GitHub token (401 ${said}): the forge token is not valid (expired, revoked or mistyped). ` +
            `Sign in again with a valid GitHub token for ${this.opts.host}.`,
          { host: this.opts.host, user },
        );
      }
      throw this.failure(err, `read ${user}'s GitHub login`);
    }
  }

  private get where(): string {
    return `${this.owner}/${this.name} on ${this.opts.host}`;
  }

  // ---- clients ---------------------------------------------------------------

  private client(auth: GitHubAuth): ClientInstance {
    const pace = this.opts.paceWrites ?? true;
    const retries = this.opts.retries ?? 3;
    const warn = (message: string) => process.stderr.write(`idp github ${this.opts.host}: ${message}\n`);
    return new Client({
      baseUrl: this.opts.apiUrl.replace(/\/+$/, ''),
      userAgent: 'idp',
      ...('token' in auth
        ? { auth: auth.token }
        : { authStrategy: createAppAuth, auth: { appId: auth.appId, privateKey: auth.privateKey, installationId: auth.installationId } }),
      // octokit logs request failures at warn/error; we report failures ourselves, without headers.
      log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
      // 429 (and rate-limit 403s) belong to the throttling plugin, which waits as long as GitHub says;
      // 405/409 are answers about the PR (conflict, moved head or base), decided by the caller.
      retry: { retries, retryAfterBaseValue: this.opts.retryBaseMs ?? 1000, doNotRetry: [400, 401, 403, 404, 405, 409, 410, 422, 429, 451] },
      throttle: {
        id: this.id,
        onRateLimit: (after: number, options: { method: string; url: string }, _o: unknown, count: number) => {
          warn(`rate limit reached on ${options.method} ${options.url}; retrying in ${after} s`);
          return count < retries;
        },
        onSecondaryRateLimit: (after: number, options: { method: string; url: string }, _o: unknown, count: number) => {
          warn(`secondary rate limit on ${options.method} ${options.url}; retrying in ${after} s`);
          return count < retries;
        },
        ...(pace
          ? {}
          : {
              write: new Bottleneck.Group({ maxConcurrent: 10, minTime: 0 }),
              notifications: new Bottleneck.Group({ maxConcurrent: 10, minTime: 0 }),
            }),
      },
    });
  }

  /** The client that acts as `user` when their token is known, else the service identity. */
  private as(user: string | undefined): ClientInstance {
    const token = user ? this.opts.userToken?.(user) : undefined;
    if (!token) return this.service;
    let c = this.userClients.get(token);
    if (!c) {
      c = this.client({ token });
      this.userClients.set(token, c);
    }
    return c;
  }

  private async gql<T>(query: string, variables: Record<string, unknown>, what: string, client: ClientInstance = this.service): Promise<T> {
    try {
      return await client.graphql<T>(query, variables);
    } catch (err) {
      throw this.failure(err, what);
    }
  }

  private async rest<T>(what: string, call: () => Promise<{ data: T }>, notFound?: string): Promise<T> {
    try {
      return (await call()).data;
    } catch (err) {
      throw this.failure(err, what, notFound);
    }
  }

  /** One GitHub failure as the IdpError a user can act on (never quoting the token). */
  private failure(err: unknown, what: string, notFound?: string): Error {
    if (err instanceof GraphqlResponseError) {
      const first = (err.errors ?? [])[0] as { type?: string; message?: string } | undefined;
      const message = first?.message ?? err.message;
      switch (first?.type) {
        case 'NOT_FOUND':
          return new NotFoundError(notFound ?? `GitHub could not find what was needed to ${what} in ${this.where}: ${message}`);
        case 'FORBIDDEN':
          return new IdpError('forbidden', 403, `The GitHub token for ${this.opts.host} may not ${what} in ${this.owner}/${this.name}: ${message}`);
        case 'STALE_DATA':
        case 'UNPROCESSABLE':
          return new ConflictError(`GitHub refused to ${what} in ${this.where}: ${message}`);
        default:
          return new ProviderError(`GitHub failed to ${what} in ${this.where}: ${message}`);
      }
    }
    if (err instanceof RequestError) {
      const data = err.response?.data as { message?: string; errors?: unknown[] } | undefined;
      const detail = [data?.message, ...(data?.errors ?? []).map((e) => (typeof e === 'string' ? e : ((e as { message?: string }).message ?? '')))].filter(Boolean).join('; ');
      switch (err.status) {
        case 401:
          return new IdpError(
            'unauthenticated',
            401,
            `GitHub rejected idp's credentials for ${this.opts.host} (401 ${data?.message ?? 'Bad credentials'}): the token is missing, expired or revoked. ` +
              `Set a valid token (IDP_GITHUB_TOKEN, or the GitHub App's credentials) for ${this.opts.host}.`,
          );
        case 403: {
          const needed = err.response?.headers?.['x-accepted-github-permissions'];
          return new IdpError(
            'forbidden',
            403,
            `The GitHub token for ${this.opts.host} may not ${what} in ${this.owner}/${this.name} (403${detail ? `: ${detail}` : ''}). ` +
              (needed ? `GitHub says it needs the permission(s) ${needed}. ` : '') +
              `A fine-grained token or GitHub App needs "Contents: write" and "Pull requests: write" on ${this.owner}/${this.name}; a classic token needs the "repo" scope.`,
          );
        }
        case 404:
          return new NotFoundError(
            notFound ??
              `${this.owner}/${this.name} was not found on ${this.opts.host}, or the token cannot see it (GitHub answers 404 for private repositories a token has no access to). ` +
                `Check the remote and the token's repository access.`,
          );
        case 409:
          return new ConflictError(`GitHub refused to ${what} in ${this.where} (409${detail ? `: ${detail}` : ''}).`);
        case 422:
          return new InvalidRequestError(`GitHub refused to ${what} in ${this.where} (422${detail ? `: ${detail}` : ''}).`);
        default:
          return new ProviderError(`GitHub failed to ${what} in ${this.where} (${err.status}${detail ? `: ${detail}` : ''}); idp retries.`);
      }
    }
    if (err instanceof IdpError) return err;
    return new ProviderError(`GitHub could not be reached to ${what} in ${this.where}: ${err instanceof Error ? err.message : String(err)}`);
  }

  // ---- repository ------------------------------------------------------------

  /** Node id and default branch; they change rarely, so one read serves five minutes. */
  private async info(): Promise<{ id: string; defaultBranch: string }> {
    if (this.repoInfo && Date.now() - this.repoInfo.at < 300_000) return this.repoInfo;
    const r = await this.gql<{ repository: { id: string; defaultBranchRef: { name: string } | null } }>(
      `query idpRepo($owner: String!, $name: String!) { repository(owner: $owner, name: $name) { id defaultBranchRef { name } } }`,
      { owner: this.owner, name: this.name },
      'read the repository',
    );
    if (!r.repository.defaultBranchRef) throw new NotFoundError(`${this.owner}/${this.name} on ${this.opts.host} is empty: push a first commit to its default branch.`);
    this.repoInfo = { id: r.repository.id, defaultBranch: r.repository.defaultBranchRef.name, at: Date.now() };
    return this.repoInfo;
  }

  async defaultBranch(): Promise<string> {
    return (await this.info()).defaultBranch;
  }

  async snapshot(path: string, branch?: string): Promise<RepoSnapshot> {
    type Blob = { oid: string; object: { text: string | null } | null } | null;
    const r = await this.gql<{
      repository: { id: string; defaultBranchRef: { name: string; target: { oid: string; file: Blob } } | null; ref?: { target: { oid: string } } | null };
    }>(
      `query idpSnapshot($owner: String!, $name: String!, $path: String!, $branch: String!, $withBranch: Boolean!) {
        repository(owner: $owner, name: $name) {
          id
          defaultBranchRef { name target { oid ... on Commit { file(path: $path) { oid object { ... on Blob { text } } } } } }
          ref(qualifiedName: $branch) @include(if: $withBranch) { target { oid } }
        }
      }`,
      { owner: this.owner, name: this.name, path: cleanPath(path), branch: `refs/heads/${branch ?? ''}`, withBranch: Boolean(branch) },
      `read ${path}`,
    );
    const head = r.repository.defaultBranchRef;
    if (!head) throw new NotFoundError(`${this.owner}/${this.name} on ${this.opts.host} is empty: push a first commit to its default branch.`);
    this.repoInfo = { id: r.repository.id, defaultBranch: head.name, at: Date.now() };
    const blob = head.target.file;
    return {
      defaultBranch: head.name,
      baseSha: head.target.oid,
      file: blob?.object && typeof blob.object.text === 'string' ? { content: blob.object.text, sha: blob.oid, commitSha: head.target.oid } : null,
      branchSha: r.repository.ref?.target.oid ?? null,
    };
  }

  async branchSha(branch: string): Promise<string | null> {
    const r = await this.gql<{ repository: { ref: { target: { oid: string } } | null } }>(
      `query idpBranch($owner: String!, $name: String!, $ref: String!) { repository(owner: $owner, name: $name) { ref(qualifiedName: $ref) { target { oid } } } }`,
      { owner: this.owner, name: this.name, ref: `refs/heads/${branch}` },
      `read branch ${branch}`,
    );
    return r.repository.ref?.target.oid ?? null;
  }

  async readFile(path: string, ref: string): Promise<FileAtRef | null> {
    const r = await this.gql<{ repository: { object: { oid: string; file: { oid: string; object: { text: string | null; isBinary: boolean | null } | null } | null } | null } }>(
      `query idpReadFile($owner: String!, $name: String!, $ref: String!, $path: String!) {
        repository(owner: $owner, name: $name) {
          object(expression: $ref) { ... on Commit { oid file(path: $path) { oid object { ... on Blob { text isBinary } } } } }
        }
      }`,
      { owner: this.owner, name: this.name, ref, path: cleanPath(path) },
      `read ${path} at ${ref}`,
    );
    const commit = r.repository.object;
    if (!commit?.oid) throw new NotFoundError(`${ref} is neither a branch nor a commit in ${this.where}.`);
    const file = commit.file;
    if (!file?.object || typeof file.object.text !== 'string') return null;
    return { content: file.object.text, sha: file.oid, commitSha: commit.oid };
  }

  async listDirectory(path: string, ref: string): Promise<DirectoryEntry[] | null> {
    const folder = cleanPath(path);
    type Entries = { entries: { name: string; path: string; type: string }[] } | null;
    const r = await this.gql<{ repository: { object: { oid: string; tree?: Entries; file?: { object: Entries } | null } | null } }>(
      folder
        ? `query idpListDir($owner: String!, $name: String!, $ref: String!, $path: String!) {
            repository(owner: $owner, name: $name) { object(expression: $ref) { ... on Commit { oid file(path: $path) { object { ... on Tree { entries { name path type } } } } } } }
          }`
        : `query idpListRoot($owner: String!, $name: String!, $ref: String!) {
            repository(owner: $owner, name: $name) { object(expression: $ref) { ... on Commit { oid tree { entries { name path type } } } } }
          }`,
      { owner: this.owner, name: this.name, ref, ...(folder ? { path: folder } : {}) },
      `list ${path || '/'} at ${ref}`,
    );
    const commit = r.repository.object;
    if (!commit?.oid) throw new NotFoundError(`${ref} is neither a branch nor a commit in ${this.where}.`);
    const entries = folder ? commit.file?.object?.entries : commit.tree?.entries;
    if (!entries) return null;
    return entries
      .map((e): DirectoryEntry => ({ name: e.name, path: e.path, type: e.type === 'tree' ? 'dir' : 'file' }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  // ---- commits -----------------------------------------------------------------

  async commitToNewBranch(req: CommitRequest): Promise<{ sha: string; created: boolean }> {
    assertBranchName(req.branch);
    const { id: repositoryId, defaultBranch } = await this.info();
    if (req.branch === defaultBranch) {
      throw new InvalidRequestError(`Refusing to commit onto ${req.branch}: it is the default branch; changes go through another branch and a pull request.`);
    }
    // One request: create the branch at the base, then commit the whole change set onto it.
    // If the branch already exists, createRef fails and the commit's expectedHeadOid decides.
    let result: { createRef: { ref: { name: string } } | null; createCommitOnBranch: { commit: { oid: string } } | null } | undefined;
    let failure: unknown;
    try {
      result = await this.service.graphql(
        `mutation idpCommitToNewBranch($repositoryId: ID!, $ref: String!, $base: GitObjectID!, $commit: CreateCommitOnBranchInput!) {
          createRef(input: { repositoryId: $repositoryId, name: $ref, oid: $base }) { ref { name } }
          createCommitOnBranch(input: $commit) { commit { oid } }
        }`,
        {
          repositoryId,
          ref: `refs/heads/${req.branch}`,
          base: req.baseSha,
          commit: commitInput(`${this.owner}/${this.name}`, req.branch, req.baseSha, req),
        },
      );
    } catch (err) {
      if (!(err instanceof GraphqlResponseError)) throw this.failure(err, `create branch ${req.branch}`);
      failure = err;
      result = err.data as typeof result;
    }
    const sha = result?.createCommitOnBranch?.commit.oid;
    if (sha) return { sha, created: true };
    // The branch existed at another commit: an earlier attempt of the same change is fine (idempotent), anything else is a conflict.
    const existing = await this.branchSha(req.branch);
    if (existing && (await this.sameChange(existing, req))) return { sha: existing, created: false };
    if (existing) {
      throw new ConflictError(
        `Branch ${req.branch} already exists in ${this.where} with different content (head ${existing.slice(0, 12)}). Delete the branch or use another name.`,
        { branch: req.branch, sha: existing },
      );
    }
    throw this.failure(failure, `commit onto ${req.branch}`);
  }

  /** Whether commit `sha` is exactly `req` applied on `req.baseSha` (one parent, same files changed, same content). */
  private async sameChange(sha: string, req: CommitRequest): Promise<boolean> {
    const aliases = req.changes.map((c, i) => `f${i}: file(path: ${JSON.stringify(cleanPath(c.path))}) { object { ... on Blob { text } } }`).join(' ');
    type At = { parents: { nodes: { oid: string }[] }; changedFilesIfAvailable: number | null } & Record<string, { object: { text?: string } | null } | null>;
    const r = await this.gql<{ repository: { head: At | null; base: At | null } }>(
      `query idpSameChange($owner: String!, $name: String!, $head: GitObjectID!, $base: GitObjectID!) {
        repository(owner: $owner, name: $name) {
          head: object(oid: $head) { ... on Commit { parents(first: 2) { nodes { oid } } changedFilesIfAvailable ${aliases} } }
          base: object(oid: $base) { ... on Commit { parents(first: 1) { nodes { oid } } changedFilesIfAvailable ${aliases} } }
        }
      }`,
      { owner: this.owner, name: this.name, head: sha, base: req.baseSha },
      `compare branch ${req.branch}`,
    );
    const { head, base } = r.repository;
    if (!head || !base) return false;
    if (head.parents.nodes.length !== 1 || head.parents.nodes[0]?.oid !== req.baseSha) return false;
    let effective = 0;
    for (const [i, c] of req.changes.entries()) {
      const at = (x: At) => x[`f${i}`]?.object?.text ?? null;
      if (at(head) !== c.content) return false;
      if (at(base) !== c.content) effective += 1;
    }
    return head.changedFilesIfAvailable === null || head.changedFilesIfAvailable === effective;
  }

  async updateBranch(req: CommitRequest & { expectedSha: string }): Promise<{ sha: string }> {
    assertBranchName(req.branch);
    const { id: repositoryId, defaultBranch } = await this.info();
    if (req.branch === defaultBranch) throw new InvalidRequestError(`Refusing to rewrite ${req.branch}: it is the default branch.`);
    const base = await this.gql<{ repository: { object: { tree: { oid: string } } | null } }>(
      `query idpBaseTree($owner: String!, $name: String!, $base: GitObjectID!) { repository(owner: $owner, name: $name) { object(oid: $base) { ... on Commit { tree { oid } } } } }`,
      { owner: this.owner, name: this.name, base: req.baseSha },
      `read ${req.baseSha.slice(0, 12)}`,
    );
    if (!base.repository.object) throw new NotFoundError(`${req.baseSha} is not a commit in ${this.where}.`);
    // The Git Data API writes the tree and the commit without moving any ref...
    const tree = await this.rest('write a tree', () =>
      this.service.rest.git.createTree({
        owner: this.owner,
        repo: this.name,
        base_tree: base.repository.object!.tree.oid,
        tree: req.changes.map((c) =>
          c.content === null ? { path: cleanPath(c.path), mode: '100644' as const, type: 'blob' as const, sha: null } : { path: cleanPath(c.path), mode: '100644' as const, type: 'blob' as const, content: c.content },
        ),
      }),
    );
    const commit = await this.rest('write a commit', () =>
      this.service.rest.git.createCommit({ owner: this.owner, repo: this.name, message: req.message, tree: tree.sha, parents: [req.baseSha], author: { name: req.author.name, email: req.author.email } }),
    );
    // ...and updateRefs moves the branch only if it is still where we last saw it (compare-and-swap).
    try {
      await this.service.graphql(
        `mutation idpMoveBranch($repositoryId: ID!, $name: GitRefname!, $before: GitObjectID!, $after: GitObjectID!) {
          updateRefs(input: { repositoryId: $repositoryId, refUpdates: [{ name: $name, beforeOid: $before, afterOid: $after, force: true }] }) { clientMutationId }
        }`,
        { repositoryId, name: `refs/heads/${req.branch}`, before: req.expectedSha, after: commit.sha },
      );
    } catch (err) {
      const e = this.failure(err, `move ${req.branch}`);
      if (e instanceof ConflictError) {
        throw new ConflictError(`Branch ${req.branch} moved (someone pushed to it); idp does not overwrite commits it did not make.`, { branch: req.branch, expectedSha: req.expectedSha });
      }
      throw e;
    }
    return { sha: commit.sha };
  }

  async deleteBranch(branch: string): Promise<void> {
    assertBranchName(branch);
    if (branch === (await this.defaultBranch())) throw new InvalidRequestError(`Refusing to delete ${branch}: it is the default branch of ${this.where}.`);
    try {
      await this.service.rest.git.deleteRef({ owner: this.owner, repo: this.name, ref: `heads/${branch}` });
    } catch (err) {
      // 422 "Reference does not exist": already gone, which is what was asked.
      if (err instanceof RequestError && err.status === 422) return;
      throw this.failure(err, `delete branch ${branch}`);
    }
  }

  // ---- pull requests -------------------------------------------------------------

  async openPullRequest(req: OpenPullRequest): Promise<PullRequest> {
    if (req.head === req.base) throw new InvalidRequestError(`A pull request needs two different branches; head and base are both ${req.head}.`);
    let created: Awaited<ReturnType<ClientInstance['rest']['pulls']['create']>>['data'];
    try {
      created = (await this.as(req.author).rest.pulls.create({ owner: this.owner, repo: this.name, head: req.head, base: req.base, title: req.title, body: req.body })).data;
    } catch (err) {
      if (err instanceof RequestError && err.status === 422) {
        const text = JSON.stringify(err.response?.data ?? {});
        if (/already exists/i.test(text)) {
          const existing = await this.findPullRequestByBranch(req.head, 'open');
          throw new ConflictError(`An open pull request for ${req.head} already exists: #${existing?.number ?? '?'}.`, { number: existing?.number });
        }
        if (/"field":"(head|base)"|not found|invalid/i.test(text)) throw new NotFoundError(`Branch ${req.head} or ${req.base} does not exist in ${this.where}.`);
      }
      throw this.failure(err, `open a pull request for ${req.head}`);
    }
    let labels = created.labels.map((l) => l.name);
    if (req.labels?.length) labels = await this.addLabels(created.number, req.labels);
    return {
      number: created.number,
      url: created.html_url,
      title: created.title,
      body: created.body ?? '',
      head: created.head.ref,
      base: created.base.ref,
      headSha: created.head.sha,
      baseSha: created.base.sha,
      state: 'open',
      author: created.user.login,
      labels,
      createdAt: created.created_at,
      updatedAt: created.updated_at,
      reviews: [],
      comments: [],
    };
  }

  async findPullRequestByBranch(branch: string, state: PullRequestState | 'all' = 'all'): Promise<PullRequest | null> {
    const r = await this.gql<{ repository: { pullRequests: { nodes: GqlPull[] } } }>(
      `query idpFindPull($owner: String!, $name: String!, $head: String!, $states: [PullRequestState!]) {
        repository(owner: $owner, name: $name) { pullRequests(headRefName: $head, states: $states, first: 1, orderBy: { field: CREATED_AT, direction: DESC }) { nodes { ${PR_FIELDS} } } }
      }`,
      { owner: this.owner, name: this.name, head: branch, states: state === 'all' ? null : [state.toUpperCase()] },
      `find the pull request of ${branch}`,
    );
    const found = r.repository.pullRequests.nodes[0];
    return found ? this.present(await this.complete(found)) : null;
  }

  async getPullRequest(number: number): Promise<PullRequest> {
    return this.present(await this.pull(number));
  }

  private async pull(number: number): Promise<GqlPull> {
    const r = await this.gql<{ repository: { pullRequest: GqlPull } }>(
      `query idpPull($owner: String!, $name: String!, $number: Int!) { repository(owner: $owner, name: $name) { pullRequest(number: $number) { ${PR_FIELDS} } } }`,
      { owner: this.owner, name: this.name, number },
      `read pull request #${number}`,
    ).catch((err: unknown) => {
      throw err instanceof NotFoundError ? new NotFoundError(`No pull request #${number} in ${this.where}.`) : err;
    });
    return this.complete(r.repository.pullRequest);
  }

  /**
   * `p` with every review and comment: the pages past the first 100 of either,
   * read 100 at a time (both connections in one request while both have more).
   * A PR with fewer costs no request.
   */
  private async complete(p: GqlPull): Promise<GqlPull> {
    const reviews = [...p.reviews.nodes];
    const comments = [...p.comments.nodes];
    let reviewsAfter = p.reviews.pageInfo.hasNextPage ? p.reviews.pageInfo.endCursor : null;
    let commentsAfter = p.comments.pageInfo.hasNextPage ? p.comments.pageInfo.endCursor : null;
    while (reviewsAfter || commentsAfter) {
      type Conn<T> = { nodes: T[]; pageInfo: PageInfo };
      const r = await this.gql<{ repository: { pullRequest: { reviews?: Conn<GqlReview>; comments?: Conn<GqlComment> } } }>(
        `query idpPullPages($owner: String!, $name: String!, $number: Int!, $reviewsAfter: String, $commentsAfter: String, $withReviews: Boolean!, $withComments: Boolean!) {
          repository(owner: $owner, name: $name) { pullRequest(number: $number) {
            reviews(first: 100, after: $reviewsAfter) @include(if: $withReviews) { ${REVIEW_FIELDS} }
            comments(first: 100, after: $commentsAfter) @include(if: $withComments) { ${COMMENT_FIELDS} }
          } }
        }`,
        { owner: this.owner, name: this.name, number: p.number, reviewsAfter, commentsAfter, withReviews: Boolean(reviewsAfter), withComments: Boolean(commentsAfter) },
        `read the reviews and comments of #${p.number}`,
      );
      const { reviews: moreReviews, comments: moreComments } = r.repository.pullRequest;
      if (reviewsAfter) {
        reviews.push(...(moreReviews?.nodes ?? []));
        reviewsAfter = moreReviews?.pageInfo.hasNextPage ? moreReviews.pageInfo.endCursor : null;
      }
      if (commentsAfter) {
        comments.push(...(moreComments?.nodes ?? []));
        commentsAfter = moreComments?.pageInfo.hasNextPage ? moreComments.pageInfo.endCursor : null;
      }
    }
    return { ...p, reviews: { nodes: reviews, pageInfo: { hasNextPage: false, endCursor: null } }, comments: { nodes: comments, pageInfo: { hasNextPage: false, endCursor: null } } };
  }

  /**
   * One page of the PRs that match: GitHub's REST page `page` of `limit`, newest
   * first (GraphQL pages by cursor only, so cannot jump to page N), then one
   * GraphQL read of those PRs' records (reviews, comments, labels) by node id.
   * REST filters open/closed only: 'merged' and 'closed' (not merged) are told
   * apart here, so such a page may hold fewer than `limit` and still have a next.
   * GitHub cannot filter by a head prefix either: it is matched here, over at
   * most LIST_SCAN_PAGES pages of 100 (the newest 500 PRs in that state).
   * No compare call is made per PR: a listed PR's `baseSha` is the base commit
   * GitHub recorded for it (the base tip when it was opened or last pushed), not
   * the fork point. A listing shows which PRs exist; whatever needs the fork
   * point (a review, a release) reads the PR itself (getPullRequest).
   */
  async listPullRequests(filter: ListFilter = {}): Promise<PullRequestPage> {
    const { state, headPrefix: prefix, limit, page: first } = listWindow(filter);
    const perPage = prefix === undefined ? limit : LIST_PAGE;
    const wanted: { node_id: string }[] = [];
    let full = false;
    for (let page = first; page < first + (prefix === undefined ? 1 : LIST_SCAN_PAGES) && wanted.length < limit; page++) {
      // GET /repos/{owner}/{repo}/pulls (https://docs.github.com/rest/pulls/pulls#list-pull-requests)
      const list = await this.rest('list pull requests', () =>
        this.service.rest.pulls.list({ owner: this.owner, repo: this.name, state: state === 'all' || state === 'open' ? state : 'closed', sort: 'created', direction: 'desc', per_page: perPage, page }),
      );
      wanted.push(...list.filter((p) => (state === 'merged' ? p.merged_at : state === 'closed' ? !p.merged_at : true) && (prefix === undefined || p.head.ref.startsWith(prefix))));
      full = list.length === perPage;
      if (!full) break;
    }
    const ids = wanted.slice(0, limit).map((p) => p.node_id);
    const { nodes } = ids.length
      ? await this.gql<{ nodes: (GqlPull | null)[] }>(`query idpListedPulls($ids: [ID!]!) { nodes(ids: $ids) { ... on PullRequest { ${PR_FIELDS} } } }`, { ids }, 'list pull requests')
      : { nodes: [] };
    const pulls = await Promise.all(nodes.filter((p): p is GqlPull => p !== null).map(async (p) => this.present(await this.complete(p), { forkPoint: false })));
    // A full page: there may be more (a prefix listing has one page).
    return { pulls: pulls.sort((a, b) => a.number - b.number), ...(full && prefix === undefined ? { nextPage: first + 1 } : {}) };
  }

  async comment(number: number, body: string, by: string): Promise<void> {
    await this.rest(`comment on #${number}`, () => this.as(by).rest.issues.createComment({ owner: this.owner, repo: this.name, issue_number: number, body }), `No pull request #${number} in ${this.where}.`);
  }

  async addLabels(number: number, labels: string[]): Promise<string[]> {
    const data = await this.rest(`label #${number}`, () => this.service.rest.issues.addLabels({ owner: this.owner, repo: this.name, issue_number: number, labels }), `No pull request #${number} in ${this.where}.`);
    return data.map((l) => l.name);
  }

  /**
   * POST /repos/{owner}/{repo}/statuses/{sha}: GitHub keeps the latest status
   * per context, so setting one again replaces what it says. The description is
   * cut to GitHub's 140 characters (it refuses longer ones).
   */
  async setCommitStatus(sha: string, status: CommitStatus): Promise<void> {
    const chars = [...status.description];
    const description = chars.length > STATUS_DESCRIPTION_MAX ? `${chars.slice(0, STATUS_DESCRIPTION_MAX - 1).join('')}…` : status.description;
    try {
      await this.service.rest.repos.createCommitStatus({
        owner: this.owner,
        repo: this.name,
        sha,
        state: status.state,
        context: status.context,
        description,
        ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
      });
    } catch (err) {
      const message = err instanceof RequestError ? ((err.response?.data as { message?: string } | undefined)?.message ?? '') : '';
      if (err instanceof RequestError && err.status === 403 && !/rate limit/i.test(message)) {
        throw new IdpError(
          'forbidden',
          403,
          `The GitHub token for ${this.opts.host} may not set the ${status.context} commit status in ${this.owner}/${this.name} (403${message ? `: ${message}` : ''}). ` +
            `A GitHub App or fine-grained token needs the repository permission "Commit statuses: write"; a classic token needs the "repo" (or "repo:status") scope.`,
        );
      }
      throw this.failure(err, `set the ${status.context} status on ${sha.slice(0, 12)}`, `No commit ${sha} in ${this.where}.`);
    }
  }

  async checks(number: number): Promise<ChecksSummary> {
    const pull = await this.pull(number);
    const sha = pull.headRefOid;
    const [status, runs] = await Promise.all([
      this.rest('read commit statuses', () => this.service.rest.repos.getCombinedStatusForRef({ owner: this.owner, repo: this.name, ref: sha, per_page: 100 })),
      this.rest('read check runs', () => this.service.rest.checks.listForRef({ owner: this.owner, repo: this.name, ref: sha, per_page: 100 })),
    ]);
    const checks: CheckRun[] = [
      ...status.statuses.map((s): CheckRun => ({ name: s.context, state: s.state === 'success' ? 'success' : s.state === 'pending' ? 'pending' : 'failure', ...(s.target_url ? { url: s.target_url } : {}) })),
      ...runs.check_runs.map(
        (r): CheckRun => ({
          name: r.name,
          state: r.status !== 'completed' ? 'pending' : ['success', 'neutral', 'skipped'].includes(r.conclusion ?? '') ? 'success' : 'failure',
          ...(r.html_url ? { url: r.html_url } : {}),
        }),
      ),
    ];
    return { state: summarizeChecks(checks), checks };
  }

  async review(number: number, review: { event: ReviewEvent; body?: string; by: string }): Promise<PullRequest> {
    if (!this.opts.userToken?.(review.by)) {
      throw new IdpError(
        'forbidden',
        403,
        `Reviewing on GitHub needs ${review.by}'s own GitHub token: idp will not approve as its service account on someone's behalf. Review on GitHub, or sign in with your GitHub token.`,
      );
    }
    const pull = await this.pull(number);
    // commit_id pins the review to the head that was read, so an approval cannot land on a newer push.
    await this.rest(
      `review #${number}`,
      () =>
        this.as(review.by).rest.pulls.createReview({
          owner: this.owner,
          repo: this.name,
          pull_number: number,
          commit_id: pull.headRefOid,
          event: REVIEW_EVENT[review.event],
          ...(review.body ? { body: review.body } : {}),
        }),
      `No pull request #${number} in ${this.where}.`,
    );
    return this.getPullRequest(number);
  }

  async approvals(number: number): Promise<string[]> {
    // Reviews and head only: no fork-point lookup needed.
    const p = await this.pull(number);
    return approvalsOf({ headSha: p.headRefOid, reviews: reviewsOf(p) });
  }

  /**
   * `org/team` or `@org/team`: that organization's team. A bare name is never
   * a team (null: it names a user), even when the owner's organization has a
   * team of that name: otherwise a user whose login is a team's slug would be
   * taken for the team, or the team for the user. One paginated REST read of
   * the members (logins); 404 (no such team, or the org is a user) means the
   * entry names no team: null. Answers, null included, are kept for five
   * minutes: a release re-evaluates its policy on every webhook.
   */
  async teamMembers(name: string): Promise<string[] | null> {
    const entry = name.trim().replace(/^@/, '');
    const [org, slug, ...extra] = entry.split('/');
    // Logins and slugs never hold a slash or a space; such an entry cannot name a team.
    if (!org || !slug || extra.length > 0 || /\s/.test(entry)) return null;
    return copy(await this.teams.get(`${org}/${slug}`.toLowerCase(), () => this.readTeam(org, slug)));
  }

  private async readTeam(org: string, slug: string): Promise<string[] | null> {
    try {
      const members = await this.service.paginate(this.service.rest.teams.listMembersInOrg, { org, team_slug: slug, per_page: 100 });
      return [...new Set(members.map((m) => m.login))].sort();
    } catch (err) {
      if (err instanceof RequestError && err.status === 404) return null;
      const message = err instanceof RequestError ? ((err.response?.data as { message?: string } | undefined)?.message ?? '') : '';
      if (err instanceof RequestError && err.status === 403 && !/rate limit/i.test(message)) {
        throw new IdpError(
          'forbidden',
          403,
          `The GitHub token for ${this.opts.host} may not read the members of team ${org}/${slug} (403${message ? `: ${message}` : ''}), ` +
            `which a release policy of ${this.owner}/${this.name} names as approvers. A GitHub App or fine-grained token needs the organization permission "Members: read"; a classic token needs the "read:org" scope.`,
        );
      }
      throw this.failure(err, `read the members of team ${org}/${slug}`);
    }
  }

  /**
   * Whether `login` may push to this repository (role admin, maintain or write,
   * or a custom role built on write): only such reviewers' approvals count.
   * GET /repos/{owner}/{repo}/collaborators/{username}/permission; 404 (not a
   * collaborator, no such user) is false. Answers are kept for a minute only,
   * so a revoked permission stops counting soon.
   */
  async canWrite(login: string): Promise<boolean> {
    const who = login.trim().replace(/^@/, '');
    // A GitHub login (or an app's `name[bot]`); anything else names nobody who could write.
    if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/.test(who)) return false;
    return this.writers.get(who.toLowerCase(), () => this.readWrite(who));
  }

  private async readWrite(login: string): Promise<boolean> {
    try {
      const { data } = await this.service.rest.repos.getCollaboratorPermissionLevel({ owner: this.owner, repo: this.name, username: login });
      return canPush(data.permission, data.role_name);
    } catch (err) {
      if (err instanceof RequestError && err.status === 404) return false;
      const message = err instanceof RequestError ? ((err.response?.data as { message?: string } | undefined)?.message ?? '') : '';
      if (err instanceof RequestError && err.status === 403 && !/rate limit/i.test(message)) {
        throw new IdpError(
          'forbidden',
          403,
          `The GitHub token for ${this.opts.host} may not read ${login}'s permission on ${this.owner}/${this.name} (403${message ? `: ${message}` : ''}), ` +
            `which idp needs to count only approvals from people who can write to the repository. ` +
            `GitHub shows collaborator permissions only to accounts with push access: a GitHub App or fine-grained token needs the repository permission "Metadata: read" ` +
            `on an account or installation with write access to ${this.owner}/${this.name}; a classic token needs the "repo" scope on such an account.`,
        );
      }
      throw this.failure(err, `read ${login}'s permission`);
    }
  }

  async mergeable(number: number): Promise<boolean | null> {
    const r = await this.gql<{ repository: { pullRequest: { state: string; mergeable: 'MERGEABLE' | 'CONFLICTING' | 'UNKNOWN' } } }>(
      `query idpMergeable($owner: String!, $name: String!, $number: Int!) { repository(owner: $owner, name: $name) { pullRequest(number: $number) { state mergeable } } }`,
      { owner: this.owner, name: this.name, number },
      `read pull request #${number}`,
    );
    const pr = r.repository.pullRequest;
    if (pr.state !== 'OPEN') return false;
    return pr.mergeable === 'MERGEABLE' ? true : pr.mergeable === 'CONFLICTING' ? false : null;
  }

  async diff(number: number): Promise<FileDiff[]> {
    let files;
    try {
      files = await this.service.paginate(this.service.rest.pulls.listFiles, { owner: this.owner, repo: this.name, pull_number: number, per_page: 100 });
    } catch (err) {
      throw this.failure(err, `read the files of #${number}`, `No pull request #${number} in ${this.where}.`);
    }
    return files
      .map((f): FileDiff => {
        const status = f.status === 'added' ? 'added' : f.status === 'removed' ? 'deleted' : 'modified';
        // GitHub's patch is the hunks only; a reviewer reads git's headers too.
        const from = status === 'added' ? '/dev/null' : `a/${f.previous_filename ?? f.filename}`;
        const to = status === 'deleted' ? '/dev/null' : `b/${f.filename}`;
        return { path: f.filename, status, patch: `--- ${from}\n+++ ${to}\n${f.patch ?? ''}${f.patch && !f.patch.endsWith('\n') ? '\n' : ''}` };
      })
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async merge(number: number, opts: { by: string; expectedHeadSha?: string; message?: string }): Promise<PullRequest> {
    const pull = await this.pull(number);
    const state = stateOf(pull);
    if (state === 'merged') return this.present(pull);
    if (state === 'closed') throw new ConflictError(`Pull request #${number} is closed; open a new pull request to merge ${pull.headRefName}.`);
    const [title, ...rest] = (opts.message ?? `Merge pull request #${number} from ${pull.headRefName}`).split('\n');
    const merge = () =>
      this.as(opts.by).rest.pulls.merge({
        owner: this.owner,
        repo: this.name,
        pull_number: number,
        merge_method: 'merge',
        commit_title: title ?? '',
        ...(rest.join('\n').trim() ? { commit_message: rest.join('\n').trim() } : {}),
        // GitHub refuses (409) when the head is no longer the reviewed commit.
        ...(opts.expectedHeadSha ? { sha: opts.expectedHeadSha } : {}),
      });
    for (let attempt = 1; ; attempt++) {
      try {
        await merge();
        break;
      } catch (err) {
        const message = err instanceof RequestError ? ((err.response?.data as { message?: string } | undefined)?.message ?? '') : '';
        // The base moved while GitHub merged (another merge landed): merging again merges onto the new
        // base, keeping that other change. Only a head that changed means something else than reviewed.
        if (err instanceof RequestError && err.status === 409 && /base branch was modified/i.test(message) && attempt < 4) {
          await new Promise((r) => setTimeout(r, 200 * attempt));
          continue;
        }
        if (err instanceof RequestError && err.status === 409) {
          throw new ConflictError(
            `Pull request #${number} changed: its head is no longer the reviewed ${opts.expectedHeadSha?.slice(0, 12) ?? 'commit'}. Review the new commits and merge again.`,
            { expectedHeadSha: opts.expectedHeadSha },
          );
        }
        if (err instanceof RequestError && err.status === 405) {
          throw new ConflictError(
            `Pull request #${number} cannot be merged: it conflicts with ${pull.baseRefName} or is blocked by branch protection (GitHub: ${message || 'not mergeable'}). ` +
              `Update ${pull.headRefName} from ${pull.baseRefName} and resolve the conflicts, then merge again.`,
          );
        }
        throw this.failure(err, `merge #${number}`, `No pull request #${number} in ${this.where}.`);
      }
    }
    return this.getPullRequest(number);
  }

  async close(number: number, by: string): Promise<PullRequest> {
    const pull = await this.pull(number);
    const state = stateOf(pull);
    if (state === 'closed') return this.present(pull);
    if (state === 'merged') throw new ConflictError(`Pull request #${number} is already merged; revert it with a new pull request instead.`);
    await this.rest(`close #${number}`, () => this.as(by).rest.pulls.update({ owner: this.owner, repo: this.name, pull_number: number, state: 'closed' }));
    return this.getPullRequest(number);
  }

  // ---- shapes ------------------------------------------------------------------

  /**
   * GitHub's PR as idp's. `baseSha` is the fork point (merge base of the base
   * branch and the head) for open PRs, which GitHub does not store: one compare
   * call tells it (not for listings: see listPullRequests). Closed and merged
   * PRs keep GitHub's base oid.
   */
  private async present(p: GqlPull, opts: { forkPoint: boolean } = { forkPoint: true }): Promise<PullRequest> {
    const state = stateOf(p);
    let baseSha = p.baseRefOid;
    if (state === 'open' && opts.forkPoint) {
      const cmp = await this.rest(`compare ${p.baseRefName}...${p.headRefName}`, () =>
        this.service.rest.repos.compareCommitsWithBasehead({ owner: this.owner, repo: this.name, basehead: `${p.baseRefName}...${p.headRefOid}`, per_page: 1 }),
      ).catch((err: unknown) => {
        if (err instanceof NotFoundError) return null; // base branch deleted
        throw err;
      });
      if (cmp) baseSha = cmp.merge_base_commit.sha;
    }
    const closedBy = p.timelineItems.nodes.at(-1)?.actor?.login;
    return {
      number: p.number,
      url: p.url,
      title: p.title,
      body: p.body,
      head: p.headRefName,
      base: p.baseRefName,
      headSha: p.headRefOid,
      baseSha,
      state,
      author: p.author?.login ?? 'ghost',
      labels: p.labels.nodes.map((l) => l.name),
      createdAt: p.createdAt,
      updatedAt: p.updatedAt,
      ...(p.mergedAt ? { mergedAt: p.mergedAt } : {}),
      ...(p.mergedBy ? { mergedBy: p.mergedBy.login } : {}),
      ...(p.mergeCommit && state === 'merged' ? { mergeSha: p.mergeCommit.oid } : {}),
      ...(state === 'closed' && p.closedAt ? { closedAt: p.closedAt } : {}),
      ...(state === 'closed' && closedBy ? { closedBy } : {}),
      reviews: reviewsOf(p),
      comments: p.comments.nodes.map((c) => ({ by: c.author?.login ?? 'ghost', body: c.body, at: c.createdAt })),
    };
  }
}

/** How long an answer of teamMembers() is reused. */
const TEAM_TTL_MS = 300_000;
/** How long an answer of canWrite() is reused: short, a revoked permission must stop counting soon. */
const WRITE_TTL_MS = 60_000;
/** PRs per page of a listing by head prefix (GitHub's most), and the most pages it looks through. */
const LIST_PAGE = 100;
const LIST_SCAN_PAGES = 5;
/** GitHub refuses a commit status whose description is longer. */
const STATUS_DESCRIPTION_MAX = 140;

/**
 * Write access from GET .../collaborators/{username}/permission: `permission`
 * is the base role (admin, write — which maintain maps to — read, none);
 * `role_name` the role itself, a custom role's own name included. Both must
 * agree: a built-in role below write never counts, a custom role counts when
 * its base is write or admin.
 */
function canPush(permission: string, roleName: string | undefined): boolean {
  if (!['admin', 'write'].includes(String(permission).toLowerCase())) return false;
  // Older GitHub Enterprise Server versions answer without role_name: the base role alone decides there.
  return !['read', 'triage', 'none'].includes(String(roleName ?? '').toLowerCase());
}

function copy(members: string[] | null): string[] | null {
  return members ? [...members] : null;
}

function stateOf(p: Pick<GqlPull, 'state'>): PullRequestState {
  return p.state === 'MERGED' ? 'merged' : p.state === 'CLOSED' ? 'closed' : 'open';
}

function reviewsOf(p: Pick<GqlPull, 'reviews' | 'updatedAt'>): Review[] {
  return p.reviews.nodes
    .filter((r) => r.state !== 'PENDING')
    .map((r): Review => ({
      by: r.author?.login ?? 'ghost',
      state: r.state === 'APPROVED' ? 'approved' : r.state === 'CHANGES_REQUESTED' ? 'changes_requested' : r.state === 'DISMISSED' ? 'dismissed' : 'commented',
      ...(r.body ? { body: r.body } : {}),
      commitSha: r.commit?.oid ?? '',
      at: r.submittedAt ?? p.updatedAt,
    }));
}

function cleanPath(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}

function commitInput(nameWithOwner: string, branch: string, expectedHeadOid: string, req: CommitRequest) {
  const [headline = '', ...body] = req.message.split('\n');
  return {
    branch: { repositoryNameWithOwner: nameWithOwner, branchName: branch },
    expectedHeadOid,
    message: { headline, ...(body.join('\n').trim() ? { body: body.join('\n').trim() } : {}) },
    fileChanges: {
      additions: req.changes.filter((c) => c.content !== null).map((c) => ({ path: cleanPath(c.path), contents: Buffer.from(c.content!, 'utf8').toString('base64') })),
      deletions: req.changes.filter((c) => c.content === null).map((c) => ({ path: cleanPath(c.path) })),
    },
  };
}
