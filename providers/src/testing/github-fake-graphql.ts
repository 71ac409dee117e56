/**
 * The GitHub fake's GraphQL endpoint: documents are parsed, validated and
 * executed by graphql-js against GitHub's published schema
 * (@octokit/graphql-schema), so an unknown field, a wrong argument or a
 * resolver value of the wrong type fails exactly as GitHub would reject it.
 * Only the fields idp reads are resolved; asking for others yields null or a
 * schema error.
 */
import { buildClientSchema, graphql, GraphQLError, type GraphQLSchema, type IntrospectionQuery } from 'graphql';
import { schema as published } from '@octokit/graphql-schema';
import type { FakeGit } from './fake-git.js';
import { live, nodeId, type FakePull, type FakeRepo, type FakeUser } from './github-fake.js';

let schema: GraphQLSchema | undefined;
function githubSchema(): GraphQLSchema {
  const json = published.json as unknown as { data?: IntrospectionQuery } & IntrospectionQuery;
  schema ??= buildClientSchema(json.data ?? json);
  return schema;
}

interface Ctx {
  url: string;
  findRepo(owner: string, name: string): FakeRepo | undefined;
  repos: Map<string, FakeRepo>;
}

const fail = (message: string, type: string) => new GraphQLError(message, { extensions: { type } });

interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/** An opaque cursor naming one item of a connection (GitHub's are base64 too; clients must not parse them). */
const cursorOf = (key: string | number) => Buffer.from(`cursor:v2:${key}`).toString('base64');

/**
 * One page of a connection, as GitHub serves them: `first` or `last` is
 * required and at most 100; `after`/`before` are cursors of items of this
 * connection; `pageInfo` tells whether items lie beyond the page. Cursors name
 * an item (not an offset), so items added meanwhile do not shift the pages.
 * https://docs.github.com/en/graphql/guides/using-pagination-in-the-graphql-api
 */
function connection<T>(what: string, items: T[], key: (item: T) => string | number, args: PageArgs) {
  const { first, last, after, before } = args;
  if (first == null && last == null) {
    throw fail(`You must provide a \`first\` or \`last\` value to properly paginate the \`${what}\` connection.`, 'MISSING_PAGINATION_BOUNDARIES');
  }
  for (const [name, n] of [['first', first], ['last', last]] as const) {
    if (n != null && n > 100) throw fail(`Requesting ${n} records on the \`${what}\` connection exceeds the \`${name}\` limit of 100 records.`, 'EXCESSIVE_PAGINATION');
    if (n != null && n < 0) throw fail(`\`${name}\` on the \`${what}\` connection cannot be less than zero.`, 'INVALID_ARGUMENTS');
  }
  const at = (cursor: string) => {
    const i = items.findIndex((item) => cursorOf(key(item)) === cursor);
    if (i < 0) throw fail(`\`${cursor}\` does not appear to be a valid cursor.`, 'INVALID_CURSOR_ARGUMENTS');
    return i;
  };
  let from = after ? at(after) + 1 : 0;
  let to = before ? at(before) : items.length;
  if (first != null) to = Math.min(to, from + first);
  if (last != null) from = Math.max(from, to - last);
  const page = items.slice(from, to);
  const edges = page.map((node) => ({ cursor: cursorOf(key(node)), node }));
  return {
    nodes: page,
    edges,
    totalCount: items.length,
    pageInfo: {
      hasNextPage: to < items.length,
      hasPreviousPage: from > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

export async function executeGraphql(ctx: Ctx, viewer: FakeUser, body: unknown): Promise<unknown> {
  const { query, variables } = (body ?? {}) as { query?: string; variables?: Record<string, unknown> };
  const result = await graphql({
    schema: githubSchema(),
    source: query ?? '',
    variableValues: variables ?? {},
    rootValue: root(ctx, viewer),
  });
  // GitHub puts the error type at the top level of each error, not under extensions.
  const errors = result.errors?.map((e) => ({ ...e.toJSON(), ...(e.extensions?.type ? { type: e.extensions.type } : {}) }));
  return errors ? { data: result.data ?? null, errors } : { data: result.data };
}

function repoById(ctx: Ctx, id: string): FakeRepo {
  const repo = [...ctx.repos.values()].find((r) => nodeId('R', r.id) === id);
  if (!repo) throw fail(`Could not resolve to a node with the global id of '${id}'`, 'NOT_FOUND');
  return repo;
}

function root(ctx: Ctx, viewer: FakeUser) {
  return {
    viewer: () => actor(viewer),
    // https://docs.github.com/graphql/reference/queries#nodes: at most 100 ids, answered in order. The fake resolves
    // pull request ids only (all idp looks up this way); GitHub answers an unknown id with an error naming it.
    nodes: async ({ ids }: { ids: string[] }) => {
      if (ids.length > 100) throw fail(`You may not request more than 100 nodes at once (${ids.length} given).`, 'EXCESSIVE_PAGINATION');
      return Promise.all(
        ids.map(async (id) => {
          for (const repo of ctx.repos.values()) {
            const p = [...repo.pulls.values()].find((x) => nodeId('PR', x.id) === id);
            if (p) return pull(ctx, repo, await live(repo, p));
          }
          throw fail(`Could not resolve to a node with the global id of '${id}'`, 'NOT_FOUND');
        }),
      );
    },
    repository: ({ owner, name }: { owner: string; name: string }) => {
      const repo = ctx.findRepo(owner, name);
      if (!repo) throw fail(`Could not resolve to a Repository with the name '${owner}/${name}'.`, 'NOT_FOUND');
      return repository(ctx, repo);
    },

    createRef: async ({ input }: { input: { repositoryId: string; name: string; oid: string } }) => {
      const repo = repoById(ctx, input.repositoryId);
      return repo.lock(async () => {
        const branch = input.name.replace(/^refs\/heads\//, '');
        if (!input.name.startsWith('refs/heads/')) throw fail(`Only branches are supported by this fake: ${input.name}`, 'UNPROCESSABLE');
        if (await repo.git.branchSha(branch)) throw fail(`A ref named "${input.name}" already exists in the repository.`, 'UNPROCESSABLE');
        if (!(await repo.git.commit(input.oid))) throw fail(`Object ${input.oid} does not exist`, 'UNPROCESSABLE');
        await repo.git.setBranch(branch, input.oid, null);
        return { clientMutationId: null, ref: ref(repo, branch, input.oid) };
      });
    },

    createCommitOnBranch: async ({ input }: { input: CreateCommitInput }) => {
      const [owner = '', name = ''] = (input.branch.repositoryNameWithOwner ?? '').split('/');
      const repo = ctx.findRepo(owner, name);
      if (!repo) throw fail(`Could not resolve to a Repository with the name '${input.branch.repositoryNameWithOwner}'.`, 'NOT_FOUND');
      const branch = input.branch.branchName ?? '';
      return repo.lock(async () => {
        const head = await repo.git.branchSha(branch);
        if (!head) throw fail(`A ref named "refs/heads/${branch}" does not exist in the repository.`, 'NOT_FOUND');
        if (head !== input.expectedHeadOid) {
          throw fail(`Expected branch to point to "${input.expectedHeadOid}" but it did not. Pull and try again.`, 'STALE_DATA');
        }
        const changes = [
          ...(input.fileChanges?.deletions ?? []).map((d) => ({ path: d.path, content: null })),
          ...(input.fileChanges?.additions ?? []).map((a) => ({ path: a.path, content: Buffer.from(a.contents, 'base64').toString('utf8') })),
        ];
        for (const d of input.fileChanges?.deletions ?? []) {
          if ((await repo.git.entry(head, d.path))?.type !== 'blob') {
            throw fail(`A path was requested for deletion which does not exist as of commit oid \`${head}\``, 'UNPROCESSABLE');
          }
        }
        const message = input.message.body ? `${input.message.headline}\n\n${input.message.body}` : input.message.headline;
        // Commits made through the API are authored by the token's user, like GitHub's (signed) API commits.
        const sha = await repo.git.writeCommit(head, changes, message, { name: viewer.login, email: `${viewer.id}+${viewer.login}@users.noreply.github.com` });
        await repo.git.setBranch(branch, sha, head);
        return { clientMutationId: null, commit: await commit(repo, sha), ref: ref(repo, branch, sha) };
      });
    },

    updateRefs: async ({ input }: { input: { repositoryId: string; refUpdates: { name: string; afterOid: string; beforeOid?: string | null; force?: boolean }[] } }) => {
      const repo = repoById(ctx, input.repositoryId);
      return repo.lock(async () => {
        // All or nothing, like GitHub: check every update first.
        for (const u of input.refUpdates) {
          const branch = u.name.replace(/^refs\/heads\//, '');
          const current = await repo.git.branchSha(branch);
          if (u.beforeOid && u.beforeOid !== (current ?? '0'.repeat(40))) {
            throw fail(`The ref ${u.name} was not updated: expected it to point to ${u.beforeOid} but it points to ${current ?? 'nothing'}.`, 'STALE_DATA');
          }
          if (current && !u.force && !(await repo.git.isAncestor(current, u.afterOid))) {
            throw fail(`The ref ${u.name} was not updated: not a fast-forward (set force).`, 'UNPROCESSABLE');
          }
        }
        for (const u of input.refUpdates) {
          const branch = u.name.replace(/^refs\/heads\//, '');
          if (/^0{40}$/.test(u.afterOid)) await repo.git.deleteBranch(branch);
          else await repo.git.setBranch(branch, u.afterOid);
        }
        return { clientMutationId: null };
      });
    },
  };
}

interface CreateCommitInput {
  branch: { repositoryNameWithOwner?: string; branchName?: string; id?: string };
  expectedHeadOid: string;
  message: { headline: string; body?: string };
  fileChanges?: { additions?: { path: string; contents: string }[]; deletions?: { path: string }[] };
}

const actor = (u: FakeUser) => ({ __typename: 'User', login: u.login, id: nodeId('U', u.id), databaseId: u.id });

function ref(repo: FakeRepo, branch: string, oid: string) {
  return {
    id: nodeId('REF', `${repo.id}:${branch}`),
    name: branch,
    prefix: 'refs/heads/',
    target: () => commit(repo, oid),
  };
}

async function commit(repo: FakeRepo, oid: string) {
  const c = await repo.git.commit(oid);
  if (!c) return null;
  return {
    __typename: 'Commit',
    id: nodeId('C', oid),
    oid,
    abbreviatedOid: oid.slice(0, 7),
    message: c.message,
    committedDate: new Date(c.author.timestamp * 1000).toISOString(),
    url: `${repo.fullName}/commit/${oid}`,
    tree: () => tree(repo.git, c.tree, ''),
    parents: (args: PageArgs) => connection('parents', c.parents.map((p) => ({ __typename: 'Commit', oid: p, id: nodeId('C', p) })), (p) => p.oid, args),
    changedFilesIfAvailable: async () => (c.parents[0] ? (await repo.git.changedFiles(c.parents[0], oid)).length : null),
    file: ({ path }: { path: string }) => treeEntry(repo.git, oid, path),
  };
}

async function tree(git: FakeGit, oid: string, prefix: string) {
  const entry = await git.entry(oid, '');
  const entries = entry?.type === 'tree' ? entry.entries : [];
  return {
    __typename: 'Tree',
    oid,
    id: nodeId('T', oid),
    entries: entries.map((e) => ({
      name: e.path,
      path: prefix + e.path,
      oid: e.oid,
      type: e.type,
      mode: parseInt(e.mode, 8),
    })),
  };
}

async function treeEntry(git: FakeGit, commitOid: string, path: string) {
  const clean = path.replace(/^\/+|\/+$/g, '');
  const entry = await git.entry(commitOid, clean);
  if (!entry) return null;
  const name = clean.slice(clean.lastIndexOf('/') + 1);
  return {
    name,
    path: clean,
    oid: entry.oid,
    type: entry.type,
    mode: entry.type === 'blob' ? parseInt(entry.mode, 8) : 0o40000,
    object:
      entry.type === 'blob'
        ? { __typename: 'Blob', oid: entry.oid, id: nodeId('B', entry.oid), text: entry.text, isBinary: false, byteSize: entry.size, isTruncated: false }
        : () => tree(git, entry.oid, `${clean}/`),
  };
}

function repository(ctx: Ctx, repo: FakeRepo) {
  return {
    id: nodeId('R', repo.id),
    databaseId: repo.id,
    name: repo.name,
    nameWithOwner: repo.fullName,
    url: `${ctx.url}/${repo.fullName}`,
    defaultBranchRef: async () => {
      const oid = await repo.git.branchSha(repo.defaultBranch);
      return oid ? ref(repo, repo.defaultBranch, oid) : null;
    },
    ref: async ({ qualifiedName }: { qualifiedName: string }) => {
      const branch = qualifiedName.replace(/^refs\/heads\//, '');
      const oid = await repo.git.branchSha(branch);
      return oid ? ref(repo, branch, oid) : null;
    },
    object: async ({ expression, oid }: { expression?: string; oid?: string }) => {
      const sha = await repo.git.resolve(expression ?? oid ?? '');
      return sha ? commit(repo, sha) : null;
    },
    pullRequest: async ({ number }: { number: number }) => {
      const p = repo.pulls.get(number);
      if (!p) throw fail(`Could not resolve to a PullRequest with the number of ${number}.`, 'NOT_FOUND');
      return pull(ctx, repo, await live(repo, p));
    },
    pullRequests: async (args: PageArgs & { headRefName?: string; baseRefName?: string; states?: string[]; orderBy?: { field: string; direction: string } }) => {
      let list = [...repo.pulls.values()];
      list = await Promise.all(list.map((p) => live(repo, p)));
      if (args.headRefName) list = list.filter((p) => p.head === args.headRefName);
      if (args.baseRefName) list = list.filter((p) => p.base === args.baseRefName);
      if (args.states?.length) list = list.filter((p) => args.states!.includes(stateOf(p)));
      // Numbers grow with creation time, so CREATED_AT order is number order.
      list.sort((a, b) => a.number - b.number);
      if (args.orderBy?.direction === 'DESC') list.reverse();
      return connection('pullRequests', list.map((p) => pull(ctx, repo, p)), (p) => p.id, args);
    },
  };
}

const stateOf = (p: FakePull) => (p.merged ? 'MERGED' : p.state === 'open' ? 'OPEN' : 'CLOSED');

function pull(ctx: Ctx, repo: FakeRepo, p: FakePull) {
  return {
    __typename: 'PullRequest',
    id: nodeId('PR', p.id),
    number: p.number,
    url: `${ctx.url}/${repo.fullName}/pull/${p.number}`,
    title: p.title,
    body: p.body,
    state: stateOf(p),
    merged: p.merged,
    headRefName: p.head,
    headRefOid: p.headSha,
    baseRefName: p.base,
    baseRefOid: p.baseSha,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
    mergedAt: p.mergedAt ?? null,
    closedAt: p.closedAt ?? null,
    author: actor(p.user),
    mergedBy: p.mergedBy ? actor(p.mergedBy) : null,
    mergeCommit: p.mergeSha ? { __typename: 'Commit', oid: p.mergeSha, id: nodeId('C', p.mergeSha) } : null,
    labels: (args: PageArgs) => connection('labels', p.labels.map((name) => ({ name, id: nodeId('LA', name), color: 'ededed' })), (l) => l.id, args),
    reviews: (args: PageArgs) =>
      connection(
        'reviews',
        p.reviews.map((r) => ({
          id: nodeId('PRR', r.id),
          author: actor(r.user),
          state: r.state,
          body: r.body,
          commit: { __typename: 'Commit', oid: r.commitId, id: nodeId('C', r.commitId) },
          submittedAt: r.submittedAt,
        })),
        (r) => r.id,
        args,
      ),
    comments: (args: PageArgs) =>
      connection('comments', p.comments.map((c) => ({ id: nodeId('IC', c.id), author: actor(c.user), body: c.body, createdAt: c.createdAt })), (c) => c.id, args),
    timelineItems: ({ itemTypes, ...args }: PageArgs & { itemTypes?: string[] }) =>
      connection(
        'timelineItems',
        p.closedAt && !p.merged && (!itemTypes || itemTypes.includes('CLOSED_EVENT'))
          ? [{ __typename: 'ClosedEvent', id: nodeId('CE', p.id), actor: p.closedBy ? actor(p.closedBy) : null, createdAt: p.closedAt }]
          : [],
        (e) => e.id,
        args,
      ),
    // GitHub computes this in the background; the fake computes it on read.
    mergeable: async () => {
      if (p.state !== 'open') return 'UNKNOWN';
      const base = await repo.git.branchSha(p.base);
      if (!base) return 'UNKNOWN';
      const r = await repo.git.merge(base, p.headSha, 'dry run', { name: 'GitHub', email: 'noreply@github.com' }, { dryRun: true });
      return 'conflict' in r ? 'CONFLICTING' : 'MERGEABLE';
    },
  };
}
