/**
 * REST objects as GitHub shapes them (simple-user, private-user, repository, pull-request,
 * issue-comment, review, label, diff-entry, comparisons, statuses, git
 * objects). The fake validates each against GitHub's OpenAPI description
 * before sending, so a field missing here fails the tests.
 */
import { createTwoFilesPatch } from 'diff';
import type { BaseRole, CollaboratorRole, FakeCheckRun, FakeComment, FakePull, FakeRepo, FakeReview, FakeStatus, FakeUser } from './github-fake.js';
import { gravatar, nodeId } from './github-fake.js';

export function builders(api: string, repo: FakeRepo) {
  const web = api; // the fake serves its "web" pages at the same origin
  const R = `${api}/repos/${repo.fullName}`;
  const H = `${web}/${repo.fullName}`;

  const user = (u: FakeUser) => simpleUser(api, u);

  const repository = () => ({
    id: repo.id,
    node_id: nodeId('R', repo.id),
    name: repo.name,
    full_name: repo.fullName,
    owner: user(repo.owner),
    private: repo.visibility !== 'public',
    html_url: H,
    description: repo.description ?? null,
    fork: false,
    url: R,
    archive_url: `${R}/{archive_format}{/ref}`,
    assignees_url: `${R}/assignees{/user}`,
    blobs_url: `${R}/git/blobs{/sha}`,
    branches_url: `${R}/branches{/branch}`,
    collaborators_url: `${R}/collaborators{/collaborator}`,
    comments_url: `${R}/comments{/number}`,
    commits_url: `${R}/commits{/sha}`,
    compare_url: `${R}/compare/{base}...{head}`,
    contents_url: `${R}/contents/{+path}`,
    contributors_url: `${R}/contributors`,
    deployments_url: `${R}/deployments`,
    downloads_url: `${R}/downloads`,
    events_url: `${R}/events`,
    forks_url: `${R}/forks`,
    git_commits_url: `${R}/git/commits{/sha}`,
    git_refs_url: `${R}/git/refs{/sha}`,
    git_tags_url: `${R}/git/tags{/sha}`,
    git_url: `git://127.0.0.1/${repo.fullName}.git`,
    issue_comment_url: `${R}/issues/comments{/number}`,
    issue_events_url: `${R}/issues/events{/number}`,
    issues_url: `${R}/issues{/number}`,
    keys_url: `${R}/keys{/key_id}`,
    labels_url: `${R}/labels{/name}`,
    languages_url: `${R}/languages`,
    merges_url: `${R}/merges`,
    milestones_url: `${R}/milestones{/number}`,
    notifications_url: `${R}/notifications{?since,all,participating}`,
    pulls_url: `${R}/pulls{/number}`,
    releases_url: `${R}/releases{/id}`,
    ssh_url: `git@127.0.0.1:${repo.fullName}.git`,
    stargazers_url: `${R}/stargazers`,
    statuses_url: `${R}/statuses/{sha}`,
    subscribers_url: `${R}/subscribers`,
    subscription_url: `${R}/subscription`,
    tags_url: `${R}/tags`,
    teams_url: `${R}/teams`,
    trees_url: `${R}/git/trees{/sha}`,
    clone_url: `${H}.git`,
    mirror_url: null,
    hooks_url: `${R}/hooks`,
    svn_url: H,
    homepage: null,
    language: null,
    forks_count: 0,
    forks: 0,
    stargazers_count: 0,
    watchers_count: 0,
    watchers: 0,
    size: 0,
    default_branch: repo.defaultBranch,
    open_issues_count: [...repo.pulls.values()].filter((p) => p.state === 'open').length,
    open_issues: [...repo.pulls.values()].filter((p) => p.state === 'open').length,
    has_issues: true,
    has_projects: false,
    has_wiki: false,
    has_pages: false,
    has_downloads: true,
    archived: false,
    disabled: false,
    visibility: repo.visibility ?? 'private',
    license: null,
    pushed_at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
  });

  const label = (name: string) => ({
    id: labelId(name),
    node_id: nodeId('LA', labelId(name)),
    url: `${R}/labels/${encodeURIComponent(name)}`,
    name,
    description: null,
    color: 'ededed',
    default: false,
  });

  const link = (href: string) => ({ href });

  const pullRequest = (p: FakePull) => ({
    url: `${R}/pulls/${p.number}`,
    id: p.id,
    node_id: nodeId('PR', p.id),
    html_url: `${H}/pull/${p.number}`,
    diff_url: `${H}/pull/${p.number}.diff`,
    patch_url: `${H}/pull/${p.number}.patch`,
    issue_url: `${R}/issues/${p.number}`,
    commits_url: `${R}/pulls/${p.number}/commits`,
    review_comments_url: `${R}/pulls/${p.number}/comments`,
    review_comment_url: `${R}/pulls/comments{/number}`,
    comments_url: `${R}/issues/${p.number}/comments`,
    statuses_url: `${R}/statuses/${p.headSha}`,
    number: p.number,
    state: p.state,
    locked: false,
    title: p.title,
    user: user(p.user),
    body: p.body || null,
    labels: p.labels.map(label),
    milestone: null,
    active_lock_reason: null,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
    closed_at: p.closedAt ?? null,
    merged_at: p.mergedAt ?? null,
    merge_commit_sha: p.mergeSha ?? null,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    head: { label: `${repo.owner.login}:${p.head}`, ref: p.head, sha: p.headSha, user: user(repo.owner), repo: repository() },
    base: { label: `${repo.owner.login}:${p.base}`, ref: p.base, sha: p.baseSha, user: user(repo.owner), repo: repository() },
    _links: {
      self: link(`${R}/pulls/${p.number}`),
      html: link(`${H}/pull/${p.number}`),
      issue: link(`${R}/issues/${p.number}`),
      comments: link(`${R}/issues/${p.number}/comments`),
      review_comments: link(`${R}/pulls/${p.number}/comments`),
      review_comment: link(`${R}/pulls/comments{/number}`),
      commits: link(`${R}/pulls/${p.number}/commits`),
      statuses: link(`${R}/statuses/${p.headSha}`),
    },
    author_association: p.user.id === repo.owner.id ? 'OWNER' : 'COLLABORATOR',
    auto_merge: null,
    draft: false,
    merged: p.merged,
    // GitHub computes mergeability in the background; REST answers null until it has (GraphQL says UNKNOWN).
    mergeable: null,
    rebaseable: null,
    mergeable_state: 'unknown',
    merged_by: p.mergedBy ? user(p.mergedBy) : null,
    comments: p.comments.length,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: 1,
    additions: 0,
    deletions: 0,
    changed_files: 0,
  });

  /** pull-request-simple (what GET /repos/{owner}/{repo}/pulls lists): the full PR without its merge state and counts. */
  const pullRequestSimple = (p: FakePull) => {
    const { merged, mergeable, rebaseable, mergeable_state, merged_by, comments, review_comments, maintainer_can_modify, commits, additions, deletions, changed_files, ...simple } = pullRequest(p);
    // Its labels' description is a string there (not nullable, unlike a full PR's labels).
    return { ...simple, labels: simple.labels.map((l) => ({ ...l, description: l.description ?? '' })) };
  };

  const issueComment = (p: FakePull, c: FakeComment) => ({
    id: c.id,
    node_id: nodeId('IC', c.id),
    url: `${R}/issues/comments/${c.id}`,
    html_url: `${H}/pull/${p.number}#issuecomment-${c.id}`,
    body: c.body,
    user: user(c.user),
    created_at: c.createdAt,
    updated_at: c.createdAt,
    issue_url: `${R}/issues/${p.number}`,
    author_association: 'COLLABORATOR',
  });

  const review = (p: FakePull, r: FakeReview) => ({
    id: r.id,
    node_id: nodeId('PRR', r.id),
    user: user(r.user),
    body: r.body,
    state: r.state,
    html_url: `${H}/pull/${p.number}#pullrequestreview-${r.id}`,
    pull_request_url: `${R}/pulls/${p.number}`,
    _links: { html: link(`${H}/pull/${p.number}#pullrequestreview-${r.id}`), pull_request: link(`${R}/pulls/${p.number}`) },
    submitted_at: r.submittedAt,
    commit_id: r.commitId,
    author_association: 'COLLABORATOR',
  });

  /** GitHub's `patch` is the hunks only (from the first @@), without file headers. */
  const diffEntry = (f: { path: string; before: string | null; after: string | null }, headSha: string) => {
    const full = createTwoFilesPatch(f.path, f.path, f.before ?? '', f.after ?? '');
    const hunks = full.slice(full.indexOf('@@'));
    const lines = hunks.split('\n');
    const additions = lines.filter((l) => l.startsWith('+')).length;
    const deletions = lines.filter((l) => l.startsWith('-')).length;
    return {
      sha: gravatar(f.after ?? f.before ?? '').padEnd(40, '0'),
      filename: f.path,
      status: f.before === null ? 'added' : f.after === null ? 'removed' : 'modified',
      additions,
      deletions,
      changes: additions + deletions,
      blob_url: `${H}/blob/${headSha}/${f.path}`,
      raw_url: `${H}/raw/${headSha}/${f.path}`,
      contents_url: `${R}/contents/${f.path}?ref=${headSha}`,
      patch: hunks.endsWith('\n') ? hunks.slice(0, -1) : hunks,
    };
  };

  const gitPerson = async (sha: string) => {
    const c = await repo.git.commit(sha);
    const date = new Date((c?.author.timestamp ?? 0) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return { name: c?.author.name ?? '', email: c?.author.email ?? '', date };
  };

  const commit = async (sha: string) => {
    const c = (await repo.git.commit(sha))!;
    const person = await gitPerson(sha);
    return {
      url: `${R}/commits/${sha}`,
      sha,
      node_id: nodeId('C', sha),
      html_url: `${H}/commit/${sha}`,
      comments_url: `${R}/commits/${sha}/comments`,
      commit: {
        url: `${R}/git/commits/${sha}`,
        author: person,
        committer: person,
        message: c.message.trimEnd(),
        comment_count: 0,
        tree: { sha: c.tree, url: `${R}/git/trees/${c.tree}` },
        verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
      },
      author: null,
      committer: null,
      parents: c.parents.map((p) => ({ sha: p, url: `${R}/commits/${p}`, html_url: `${H}/commit/${p}` })),
    };
  };

  const comparison = async (c: { base: string; head: string; mergeBase: string; status: string; ahead: number; behind: number }) => ({
    url: `${R}/compare/${c.base}...${c.head}`,
    html_url: `${H}/compare/${c.base}...${c.head}`,
    permalink_url: `${H}/compare/${repo.owner.login}:${c.base}...${repo.owner.login}:${c.head}`,
    diff_url: `${H}/compare/${c.base}...${c.head}.diff`,
    patch_url: `${H}/compare/${c.base}...${c.head}.patch`,
    base_commit: await commit(c.base),
    merge_base_commit: await commit(c.mergeBase),
    status: c.status,
    ahead_by: c.ahead,
    behind_by: c.behind,
    total_commits: c.ahead,
    // Pagination of commits is not modelled; idp reads only the merge base.
    commits: [],
    files: [],
  });

  const combinedStatus = (sha: string, statuses: FakeStatus[]) => ({
    state: statuses.length === 0 ? 'pending' : statuses.some((s) => s.state === 'failure' || s.state === 'error') ? 'failure' : statuses.every((s) => s.state === 'success') ? 'success' : 'pending',
    // The combined status lists each status without its creator (simple-commit-status).
    statuses: statuses.map((s) => {
      const { creator: _, ...simple } = status(sha, s);
      return simple;
    }),
    sha,
    total_count: statuses.length,
    repository: repository(),
    commit_url: `${R}/commits/${sha}`,
    url: `${R}/commits/${sha}/status`,
  });

  /** What POST /statuses/{sha} answers: the status just created, with its creator. */
  const status = (sha: string, s: FakeStatus) => ({
    url: `${R}/statuses/${sha}`,
    avatar_url: null,
    id: s.id,
    node_id: nodeId('SC', s.id),
    state: s.state,
    description: s.description,
    target_url: s.targetUrl,
    context: s.context,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
    creator: s.creator ? user(s.creator) : null,
  });

  /**
   * GET /collaborators/{username}/permission: `permission` is the legacy base
   * role (maintain reads as write, triage as read), `role_name` the role itself,
   * custom roles included.
   */
  const collaboratorPermission = (u: FakeUser, role: CollaboratorRole) => {
    const base = typeof role === 'string' ? role : role.base;
    const at = (r: BaseRole) => BASE_ROLES.indexOf(base) >= BASE_ROLES.indexOf(r);
    return {
      permission: base === 'maintain' ? 'write' : base === 'triage' ? 'read' : base,
      role_name: typeof role === 'string' ? role : role.name,
      user: {
        ...user(u),
        permissions: { pull: at('read'), triage: at('triage'), push: at('write'), maintain: at('maintain'), admin: at('admin') },
        role_name: typeof role === 'string' ? role : role.name,
      },
    };
  };

  const checkRun = (sha: string, r: FakeCheckRun) => ({
    id: r.id,
    node_id: nodeId('CR', r.id),
    head_sha: sha,
    external_id: String(r.id),
    url: `${R}/check-runs/${r.id}`,
    html_url: `${H}/runs/${r.id}`,
    details_url: `${H}/runs/${r.id}`,
    status: r.status,
    conclusion: r.conclusion,
    started_at: r.startedAt,
    completed_at: r.completedAt,
    output: { title: null, summary: null, text: null, annotations_count: 0, annotations_url: `${R}/check-runs/${r.id}/annotations` },
    name: r.name,
    check_suite: { id: r.id + 1 },
    app: null,
    pull_requests: [],
  });

  const gitTree = async (sha: string) => {
    // FakeGit.entry reads a tree oid as it reads a commit's root.
    const entry = await repo.git.entry(sha, '');
    return {
      sha,
      url: `${R}/git/trees/${sha}`,
      truncated: false,
      tree: (entry?.type === 'tree' ? entry.entries : []).map((e) => ({ path: e.path, mode: e.mode, type: e.type, sha: e.oid, url: `${R}/git/${e.type}s/${e.oid}` })),
    };
  };

  const gitCommit = async (sha: string) => {
    const c = (await repo.git.commit(sha))!;
    const person = await gitPerson(sha);
    return {
      sha,
      node_id: nodeId('C', sha),
      url: `${R}/git/commits/${sha}`,
      html_url: `${H}/commit/${sha}`,
      author: person,
      committer: person,
      message: c.message.trimEnd(),
      tree: { sha: c.tree, url: `${R}/git/trees/${c.tree}` },
      parents: c.parents.map((p) => ({ sha: p, url: `${R}/git/commits/${p}`, html_url: `${H}/commit/${p}` })),
      verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
    };
  };

  return { user, repository, label, pullRequest, pullRequestSimple, issueComment, review, diffEntry, comparison, combinedStatus, status, collaboratorPermission, checkRun, gitTree, gitCommit };
}

/** GitHub's simple-user (what team member lists, PR authors, reviewers... embed). */
export function simpleUser(api: string, u: FakeUser) {
  const web = api; // the fake serves its "web" pages at the same origin
  // Bot logins (name[bot]) are percent-encoded in URLs, as GitHub does.
  const l = encodeURIComponent(u.login);
  return {
    login: u.login,
    id: u.id,
    node_id: nodeId('U', u.id),
    avatar_url: `${web}/avatars/${gravatar(u.login)}`,
    gravatar_id: '',
    url: `${api}/users/${l}`,
    html_url: `${web}/${l}`,
    followers_url: `${api}/users/${l}/followers`,
    following_url: `${api}/users/${l}/following{/other_user}`,
    gists_url: `${api}/users/${l}/gists{/gist_id}`,
    starred_url: `${api}/users/${l}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/users/${l}/subscriptions`,
    organizations_url: `${api}/users/${l}/orgs`,
    repos_url: `${api}/users/${l}/repos`,
    events_url: `${api}/users/${l}/events{/privacy}`,
    received_events_url: `${api}/users/${l}/received_events`,
    type: u.type ?? 'User',
    site_admin: false,
  };
}

/** GitHub's public-user: what GET /users/{username} answers about someone else (a user or an organization). */
export function publicUser(api: string, u: FakeUser) {
  return {
    ...simpleUser(api, u),
    user_view_type: 'public',
    name: u.login,
    company: null,
    blog: '',
    location: null,
    email: null,
    hireable: null,
    bio: null,
    twitter_username: null,
    public_repos: 0,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
  };
}

/**
 * GitHub's private-user: what GET /user answers about the token's own account
 * (a public-user has no `two_factor_authentication` and allows no extra
 * fields, so this matches exactly one branch of the documented oneOf).
 */
export function privateUser(api: string, u: FakeUser) {
  return {
    ...publicUser(api, u),
    user_view_type: 'private',
    notification_email: null,
    private_gists: 0,
    total_private_repos: 0,
    owned_private_repos: 0,
    disk_usage: 0,
    collaborators: 0,
    two_factor_authentication: true,
    plan: { collaborators: 0, name: 'free', space: 976562499, private_repos: 10000 },
  };
}

const BASE_ROLES: BaseRole[] = ['read', 'triage', 'write', 'maintain', 'admin'];

function labelId(name: string): number {
  let h = 7;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) % 2_000_000_000;
  return h;
}
