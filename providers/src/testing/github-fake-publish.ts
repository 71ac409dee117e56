/**
 * What publishing a new repository to GitHub needs from the fake (Backstage's `publish:github` and the catalog's
 * GitHub UrlReader): look up the owner (a user or an organization), create the repository (empty, or with a README
 * for `auto_init`), protect its default branch, and read a file back through the contents API (JSON or, with
 * `Accept: application/vnd.github.raw`, the file itself, with an ETag honoured by If-None-Match). The push between
 * creating and protecting goes over git's smart HTTP to the repository's `clone_url` (git-http.ts).
 *
 * Who may do what, as GitHub decides it for these calls: an organization's members create repositories in it and
 * administer them (the fake makes no difference between members and owners); a user creates repositories of their
 * own; pushing takes write access, protecting a branch admin access.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { FakeGit } from './fake-git.js';
import type { CollaboratorRole, FakeRepo, FakeUser } from './github-fake.js';
import { HttpError } from './github-fake.js';
import type { MatchedOperation } from './github-openapi.js';
import { builders, privateUser, publicUser } from './github-fake-json.js';

export interface PublishCtx {
  url: string;
  usersByLogin: Map<string, FakeUser>;
  /** Organization login (lower case) → its members' logins (lower case). */
  orgs: Map<string, Set<string>>;
  findRepo(owner: string, name: string): FakeRepo | undefined;
  addRepo(owner: FakeUser, name: string, git: FakeGit, defaultBranch: string, settings: { description: string | null; visibility: NonNullable<FakeRepo['visibility']> }): FakeRepo;
}

export interface RouteResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Sent instead of `body` (which is still what the description is checked against): a raw media type. */
  raw?: Buffer;
}

const ROLE_ORDER = ['read', 'triage', 'write', 'maintain', 'admin'];

/** The user's role on a repository, or null without access (private repositories are invisible to outsiders). */
export function roleOn(ctx: PublishCtx, repo: FakeRepo, user: FakeUser): string | null {
  if (repo.owner.id === user.id) return 'admin';
  if (ctx.orgs.get(repo.owner.login.toLowerCase())?.has(user.login.toLowerCase())) return 'admin';
  const role: CollaboratorRole | undefined = repo.collaborators.get(user.login.toLowerCase());
  if (role) return typeof role === 'string' ? role : role.base;
  return repo.visibility === 'public' ? 'read' : null;
}

export function atLeast(role: string | null, wanted: string): boolean {
  return role !== null && ROLE_ORDER.indexOf(role) >= ROLE_ORDER.indexOf(wanted);
}

export const PUBLISH_OPERATIONS = new Set([
  'users/get-by-username',
  'repos/create-in-org',
  'repos/create-for-authenticated-user',
  'repos/update-branch-protection',
  'repos/get-content',
]);

export async function publishRoute(ctx: PublishCtx, user: FakeUser, m: MatchedOperation, query: URLSearchParams, body: unknown, headers: IncomingHttpHeaders): Promise<RouteResult> {
  const input = (body ?? {}) as Record<string, unknown>;
  switch (m.operationId) {
    case 'users/get-by-username': {
      const who = byLogin(ctx, m.params.username ?? '');
      if (!who) throw new HttpError(404, 'Not Found');
      return { status: 200, body: who.id === user.id ? privateUser(ctx.url, who) : publicUser(ctx.url, who) };
    }

    case 'repos/create-in-org':
    case 'repos/create-for-authenticated-user': {
      let owner = user;
      if (m.operationId === 'repos/create-in-org') {
        const members = ctx.orgs.get((m.params.org ?? '').toLowerCase());
        if (!members) throw new HttpError(404, 'Not Found');
        if (!members.has(user.login.toLowerCase())) throw new HttpError(403, 'You need admin access to the organization before adding a repository to it.');
        owner = byLogin(ctx, m.params.org ?? '')!;
      }
      const name = String(input.name);
      if (ctx.findRepo(owner.login, name)) {
        throw new HttpError(422, 'Repository creation failed.', { errors: [{ resource: 'Repository', code: 'custom', field: 'name', message: 'name already exists on this account' }] });
      }
      const visibility = input.visibility === 'public' || input.visibility === 'internal' ? input.visibility : input.private === false ? 'public' : 'private';
      // GitHub names the default branch `main` (the owner's default); auto_init commits a README on it.
      const git = input.auto_init === true ? await FakeGit.create({ 'README.md': `# ${name}\n` }) : await FakeGit.createEmpty('main');
      const repo = ctx.addRepo(owner, name, git, 'main', { description: typeof input.description === 'string' && input.description ? input.description : null, visibility });
      return { status: 201, body: fullRepository(ctx.url, repo), headers: { location: `${ctx.url}/repos/${repo.fullName}` } };
    }

    case 'repos/update-branch-protection': {
      const repo = visibleRepo(ctx, user, m);
      if (!atLeast(roleOn(ctx, repo, user), 'admin')) throw new HttpError(404, 'Not Found');
      const branch = m.params.branch ?? '';
      if (!(await repo.git.branchSha(branch))) throw new HttpError(404, 'Branch not found');
      repo.protectedBranches ??= new Map();
      repo.protectedBranches.set(branch, input);
      return { status: 200, body: protectedBranch(`${ctx.url}/repos/${repo.fullName}/branches/${encodeURIComponent(branch)}/protection`, input) };
    }

    case 'repos/get-content': {
      const repo = visibleRepo(ctx, user, m);
      const ref = query.get('ref') ?? repo.defaultBranch;
      const sha = await repo.git.resolve(ref);
      if (!sha) throw new HttpError(404, (await repo.git.branchSha(repo.defaultBranch)) ? `No commit found for the ref ${ref}` : 'This repository is empty.');
      const path = (m.params.path ?? '').replace(/^\/+|\/+$/g, '');
      const entry = await repo.git.entry(sha, path);
      if (!entry) throw new HttpError(404, 'Not Found');
      const R = `${ctx.url}/repos/${repo.fullName}`;
      const H = `${ctx.url}/${repo.fullName}`;
      const item = (p: string, type: string, oid: string, size: number) => ({
        name: p.slice(p.lastIndexOf('/') + 1),
        path: p,
        sha: oid,
        size,
        url: `${R}/contents/${p}?ref=${encodeURIComponent(ref)}`,
        html_url: `${H}/${type === 'dir' ? 'tree' : 'blob'}/${ref}/${p}`,
        git_url: `${R}/git/${type === 'dir' ? 'trees' : 'blobs'}/${oid}`,
        download_url: type === 'dir' ? null : `${H}/raw/${ref}/${p}`,
        type,
        _links: { self: `${R}/contents/${p}?ref=${encodeURIComponent(ref)}`, git: `${R}/git/${type === 'dir' ? 'trees' : 'blobs'}/${oid}`, html: `${H}/${type === 'dir' ? 'tree' : 'blob'}/${ref}/${p}` },
      });
      if (entry.type === 'tree') {
        const list = entry.entries.map((e) => item(path ? `${path}/${e.path}` : e.path, e.type === 'tree' ? 'dir' : 'file', e.oid, 0));
        return { status: 200, body: list };
      }
      // The blob's id is its content's hash: a fitting (weak) ETag, and what GitHub's conditional requests compare.
      const etag = `W/"${entry.oid}"`;
      if (headers['if-none-match'] === etag) return { status: 304, headers: { etag } };
      const file = { ...item(path, 'file', entry.oid, entry.size), content: Buffer.from(entry.text).toString('base64'), encoding: 'base64' };
      const raw = /application\/vnd\.github(\.v3)?\.raw/.test(String(headers.accept ?? ''));
      return { status: 200, body: file, headers: { etag, ...(raw ? { 'content-type': 'text/plain; charset=utf-8' } : {}) }, ...(raw ? { raw: Buffer.from(entry.text) } : {}) };
    }
  }
  throw new Error(`not a publish operation: ${m.operationId}`);
}

/** Logins are case-insensitive on GitHub. */
function byLogin(ctx: PublishCtx, login: string): FakeUser | undefined {
  return [...ctx.usersByLogin.values()].find((u) => u.login.toLowerCase() === login.toLowerCase());
}

/** The repository in the request's path, as the user sees it: a private one they cannot read does not exist. */
function visibleRepo(ctx: PublishCtx, user: FakeUser, m: MatchedOperation): FakeRepo {
  const repo = ctx.findRepo(m.params.owner ?? '', m.params.repo ?? '');
  if (!repo || !roleOn(ctx, repo, user)) throw new HttpError(404, 'Not Found');
  return repo;
}

/** GitHub's full-repository: the repository plus what only its own endpoints tell (settings, counts). */
function fullRepository(api: string, repo: FakeRepo) {
  return {
    ...builders(api, repo).repository(),
    has_discussions: false,
    network_count: 0,
    subscribers_count: 0,
    allow_merge_commit: true,
    allow_squash_merge: true,
    allow_rebase_merge: true,
    allow_auto_merge: false,
    delete_branch_on_merge: false,
    permissions: { admin: true, maintain: true, push: true, triage: true, pull: true },
  };
}

/** The protection as GitHub echoes it back (protected-branch), from the settings it was given. */
function protectedBranch(url: string, input: Record<string, unknown>) {
  const checks = input.required_status_checks as { strict?: boolean; contexts?: string[] } | null;
  const reviews = input.required_pull_request_reviews as Record<string, unknown> | null;
  const enabled = (key: string) => ({ enabled: input[key] === true });
  return {
    url,
    ...(checks ? { required_status_checks: { url: `${url}/required_status_checks`, strict: checks.strict ?? false, contexts: checks.contexts ?? [], contexts_url: `${url}/required_status_checks/contexts`, checks: (checks.contexts ?? []).map((context) => ({ context, app_id: null })) } } : {}),
    ...(reviews
      ? {
          required_pull_request_reviews: {
            url: `${url}/required_pull_request_reviews`,
            dismiss_stale_reviews: reviews.dismiss_stale_reviews === true,
            require_code_owner_reviews: reviews.require_code_owner_reviews === true,
            ...(typeof reviews.required_approving_review_count === 'number' ? { required_approving_review_count: reviews.required_approving_review_count } : {}),
            require_last_push_approval: reviews.require_last_push_approval === true,
          },
        }
      : {}),
    enforce_admins: { url: `${url}/enforce_admins`, enabled: input.enforce_admins === true },
    required_linear_history: enabled('required_linear_history'),
    allow_force_pushes: enabled('allow_force_pushes'),
    allow_deletions: enabled('allow_deletions'),
    block_creations: enabled('block_creations'),
    required_conversation_resolution: enabled('required_conversation_resolution'),
    lock_branch: enabled('lock_branch'),
    allow_fork_syncing: enabled('allow_fork_syncing'),
  };
}
