/**
 * The GitLab REST API (v4) endpoints idp uses, written down once: path, the
 * request parameters GitLab documents, and the response shapes it documents,
 * each with the docs page it comes from. The fake (gitlab-fake.ts) checks
 * every request it receives and every response it sends against these: an
 * undocumented parameter is answered 400 like Grape does, and any mismatch is
 * recorded as a violation that the tests assert stays empty.
 *
 * Objects are strict on purpose: a field the docs do not list cannot creep
 * into the fake (and from there into what the provider relies on).
 */
import { z } from 'zod';

const DOCS = 'https://docs.gitlab.com/api';

// ---- shared pieces ---------------------------------------------------------

const sha = z.string().regex(/^[0-9a-f]{40}$/);
const isoTime = z.iso.datetime({ offset: true });
const intString = z.string().regex(/^\d+$/);
const boolString = z.enum(['true', 'false']);
const pagination = { page: intString.optional(), per_page: intString.optional() };

/** Users as GitLab embeds them (author, merged_by, ...). https://docs.gitlab.com/api/users/ (basic user) */
export const user = z.strictObject({
  id: z.number().int(),
  username: z.string(),
  public_email: z.string().nullable().optional(),
  name: z.string(),
  state: z.enum(['active', 'blocked', 'deactivated']),
  locked: z.boolean().optional(),
  avatar_url: z.string().nullable(),
  web_url: z.string(),
});

/**
 * Error bodies: Grape validation errors `{ "error": "title is missing" }`, API
 * errors `{ "message": "404 Project Not Found" }`, model validation errors
 * `{ "message": { "source_branch": ["does not exist"] } }` and conflict lists
 * `{ "message": ["Another open merge request already exists ..."] }`.
 * https://docs.gitlab.com/api/rest/troubleshooting/#status-codes
 */
export const errorBody = z.union([
  z.strictObject({ error: z.string() }),
  z.strictObject({ message: z.union([z.string(), z.array(z.string()), z.record(z.string(), z.array(z.string()))]) }),
]);

/** https://docs.gitlab.com/api/commits/#get-a-single-commit */
const commitFields = {
  id: sha,
  short_id: z.string(),
  created_at: isoTime,
  parent_ids: z.array(sha),
  title: z.string(),
  message: z.string(),
  author_name: z.string(),
  author_email: z.string(),
  authored_date: isoTime,
  committer_name: z.string(),
  committer_email: z.string(),
  committed_date: isoTime,
  trailers: z.record(z.string(), z.string()).optional(),
  extended_trailers: z.record(z.string(), z.array(z.string())).optional(),
  web_url: z.string(),
};
export const commit = z.strictObject(commitFields);
export const commitDetail = z.strictObject({
  ...commitFields,
  stats: z.strictObject({ additions: z.number().int(), deletions: z.number().int(), total: z.number().int() }).optional(),
  status: z.string().nullable(),
  project_id: z.number().int(),
  last_pipeline: z.strictObject({ id: z.number().int(), ref: z.string(), sha, status: z.string() }).nullable(),
});

/** https://docs.gitlab.com/api/commits/#get-the-diff-of-a-commit and https://docs.gitlab.com/api/merge_requests/#list-merge-request-diffs */
export const diff = z.strictObject({
  old_path: z.string(),
  new_path: z.string(),
  a_mode: z.string(),
  b_mode: z.string(),
  diff: z.string(),
  new_file: z.boolean(),
  renamed_file: z.boolean(),
  deleted_file: z.boolean(),
  generated_file: z.boolean().nullable().optional(),
});

/** https://docs.gitlab.com/api/projects/#get-a-single-project (the fields a project member sees; the fake sends this subset) */
export const project = z.strictObject({
  id: z.number().int(),
  description: z.string().nullable(),
  name: z.string(),
  name_with_namespace: z.string(),
  path: z.string(),
  path_with_namespace: z.string(),
  created_at: isoTime,
  default_branch: z.string(),
  ssh_url_to_repo: z.string(),
  http_url_to_repo: z.string(),
  web_url: z.string(),
  visibility: z.enum(['private', 'internal', 'public']),
  empty_repo: z.boolean(),
  archived: z.boolean(),
  last_activity_at: isoTime,
  merge_method: z.enum(['merge', 'rebase_merge', 'ff']),
  squash_option: z.enum(['never', 'always', 'default_on', 'default_off']),
  only_allow_merge_if_pipeline_succeeds: z.boolean(),
  remove_source_branch_after_merge: z.boolean().nullable(),
  namespace: z.strictObject({
    id: z.number().int(),
    name: z.string(),
    path: z.string(),
    kind: z.enum(['group', 'user']),
    full_path: z.string(),
    parent_id: z.number().int().nullable(),
    avatar_url: z.string().nullable(),
    web_url: z.string(),
  }),
});

/** https://docs.gitlab.com/api/branches/#get-single-repository-branch */
export const branch = z.strictObject({
  name: z.string(),
  merged: z.boolean(),
  protected: z.boolean(),
  default: z.boolean(),
  developers_can_push: z.boolean(),
  developers_can_merge: z.boolean(),
  can_push: z.boolean(),
  web_url: z.string(),
  commit,
});

/** https://docs.gitlab.com/api/repository_files/#get-file-from-repository */
export const repositoryFile = z.strictObject({
  file_name: z.string(),
  file_path: z.string(),
  size: z.number().int(),
  encoding: z.literal('base64'),
  content: z.string(),
  content_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  ref: z.string(),
  blob_id: sha,
  commit_id: sha,
  last_commit_id: sha,
  execute_filemode: z.boolean(),
});

/** https://docs.gitlab.com/api/repositories/#list-repository-tree */
export const treeEntry = z.strictObject({
  id: sha,
  name: z.string(),
  type: z.enum(['tree', 'blob', 'commit']),
  path: z.string(),
  mode: z.string(),
});

/** https://docs.gitlab.com/api/merge_requests/#merge-status */
export const DETAILED_MERGE_STATUS = [
  'approvals_syncing', 'checking', 'ci_must_pass', 'ci_still_running', 'commits_status', 'conflict', 'discussions_not_resolved',
  'draft_status', 'jira_association_missing', 'locked_paths', 'locked_lfs_files', 'mergeable', 'merge_request_blocked', 'merge_time',
  'need_rebase', 'not_approved', 'not_open', 'preparing', 'requested_changes', 'security_policy_violations', 'status_checks_must_pass',
  'title_regex', 'unchecked',
] as const;

/** https://docs.gitlab.com/api/merge_requests/#list-project-merge-requests (the list entries) */
const mergeRequestFields = {
  id: z.number().int(),
  iid: z.number().int(),
  project_id: z.number().int(),
  title: z.string(),
  description: z.string().nullable(),
  state: z.enum(['opened', 'closed', 'locked', 'merged']),
  created_at: isoTime,
  updated_at: isoTime,
  merged_by: user.nullable(),
  merge_user: user.nullable(),
  merged_at: isoTime.nullable(),
  merge_after: isoTime.nullable().optional(),
  prepared_at: isoTime.nullable(),
  closed_by: user.nullable(),
  closed_at: isoTime.nullable(),
  target_branch: z.string(),
  source_branch: z.string(),
  user_notes_count: z.number().int(),
  upvotes: z.number().int(),
  downvotes: z.number().int(),
  author: user,
  assignees: z.array(user),
  assignee: user.nullable(),
  reviewers: z.array(user),
  source_project_id: z.number().int(),
  target_project_id: z.number().int(),
  labels: z.array(z.string()),
  draft: z.boolean(),
  imported: z.boolean().optional(),
  imported_from: z.string().optional(),
  work_in_progress: z.boolean(),
  milestone: z.null(),
  merge_when_pipeline_succeeds: z.boolean(),
  merge_status: z.enum(['unchecked', 'checking', 'can_be_merged', 'cannot_be_merged', 'cannot_be_merged_recheck']),
  detailed_merge_status: z.enum(DETAILED_MERGE_STATUS),
  sha: sha.nullable(),
  merge_commit_sha: sha.nullable(),
  squash_commit_sha: sha.nullable(),
  discussion_locked: z.boolean().nullable(),
  should_remove_source_branch: z.boolean().nullable(),
  force_remove_source_branch: z.boolean().nullable(),
  allow_collaboration: z.boolean().optional(),
  allow_maintainer_to_push: z.boolean().optional(),
  reference: z.string(),
  references: z.strictObject({ short: z.string(), relative: z.string(), full: z.string() }),
  web_url: z.string(),
  time_stats: z.strictObject({
    time_estimate: z.number().int(),
    total_time_spent: z.number().int(),
    human_time_estimate: z.string().nullable(),
    human_total_time_spent: z.string().nullable(),
  }),
  squash: z.boolean(),
  squash_on_merge: z.boolean(),
  task_completion_status: z.strictObject({ count: z.number().int(), completed_count: z.number().int() }),
  has_conflicts: z.boolean(),
  blocking_discussions_resolved: z.boolean(),
  approvals_before_merge: z.number().int().nullable().optional(),
};
export const mergeRequestListEntry = z.strictObject(mergeRequestFields);

/** https://docs.gitlab.com/api/merge_requests/#get-single-mr (also what create, update and merge answer) */
export const mergeRequest = z.strictObject({
  ...mergeRequestFields,
  subscribed: z.boolean(),
  changes_count: z.string().nullable(),
  latest_build_started_at: isoTime.nullable(),
  latest_build_finished_at: isoTime.nullable(),
  first_deployed_to_production_at: isoTime.nullable(),
  pipeline: z.null(),
  head_pipeline: z.null(),
  /** null until GitLab has prepared the MR's first diff (see prepared_at). */
  diff_refs: z.strictObject({ base_sha: sha, head_sha: sha, start_sha: sha }).nullable(),
  merge_error: z.string().nullable(),
  first_contribution: z.boolean(),
  user: z.strictObject({ can_merge: z.boolean() }),
  diverged_commits_count: z.number().int().optional(),
  rebase_in_progress: z.boolean().optional(),
});

/** https://docs.gitlab.com/api/merge_requests/#get-merge-request-diff-versions */
export const diffVersion = z.strictObject({
  id: z.number().int(),
  head_commit_sha: sha,
  base_commit_sha: sha,
  start_commit_sha: sha,
  created_at: isoTime,
  merge_request_id: z.number().int(),
  state: z.enum(['collected', 'overflow', 'without_files', 'empty']),
  real_size: z.string(),
  patch_id_sha: z.string().nullable(),
});

/** https://docs.gitlab.com/api/notes/#list-all-merge-request-notes */
export const note = z.strictObject({
  id: z.number().int(),
  type: z.enum(['DiscussionNote', 'DiffNote']).nullable(),
  body: z.string(),
  attachment: z.null(),
  author: user,
  created_at: isoTime,
  updated_at: isoTime,
  system: z.boolean(),
  noteable_id: z.number().int(),
  noteable_type: z.literal('MergeRequest'),
  project_id: z.number().int(),
  noteable_iid: z.number().int(),
  commit_id: z.string().nullable().optional(),
  resolvable: z.boolean(),
  confidential: z.boolean(),
  internal: z.boolean(),
  imported: z.boolean().optional(),
  imported_from: z.string().optional(),
});

/**
 * MR-level approval state, as GET .../approvals, POST .../approve and POST .../unapprove answer.
 * https://docs.gitlab.com/api/merge_request_approvals/#approve-merge-request
 */
export const approvals = z.strictObject({
  id: z.number().int(),
  iid: z.number().int(),
  project_id: z.number().int(),
  title: z.string(),
  description: z.string().nullable(),
  state: z.enum(['opened', 'closed', 'locked', 'merged']),
  created_at: isoTime,
  updated_at: isoTime,
  merge_status: z.string(),
  approved: z.boolean(),
  approvals_required: z.number().int(),
  approvals_left: z.number().int(),
  require_password_to_approve: z.boolean(),
  /** `approved_at`: when GitLab recorded the approval (GitLab 18.x+; absent before). */
  approved_by: z.array(z.strictObject({ user, approved_at: isoTime.optional() })),
  suggested_approvers: z.array(user),
  approvers: z.array(user),
  approver_groups: z.array(z.unknown()),
  user_has_approved: z.boolean(),
  user_can_approve: z.boolean(),
  approval_rules_left: z.array(z.unknown()),
  has_approval_rules: z.boolean(),
  merge_request_approvers_available: z.boolean(),
  multiple_approval_rules_available: z.boolean(),
  invalid_approvers_rules: z.array(z.unknown()),
});

/** https://docs.gitlab.com/api/commits/#list-the-statuses-of-a-commit */
export const COMMIT_STATUS = ['created', 'waiting_for_resource', 'preparing', 'pending', 'running', 'success', 'failed', 'canceled', 'skipped', 'manual', 'scheduled'] as const;
export const commitStatus = z.strictObject({
  id: z.number().int(),
  sha,
  ref: z.string().nullable(),
  status: z.enum(COMMIT_STATUS),
  name: z.string(),
  target_url: z.string().nullable(),
  description: z.string().nullable(),
  created_at: isoTime,
  started_at: isoTime.nullable(),
  finished_at: isoTime.nullable(),
  allow_failure: z.boolean(),
  coverage: z.number().nullable(),
  pipeline_id: z.number().int().optional(),
  author: user,
});

/**
 * A reviewer of an MR and their review state (`requested_changes`: GitLab 17.x+).
 * https://docs.gitlab.com/api/merge_requests/#get-single-merge-request-reviewers
 */
export const REVIEWER_STATE = ['unreviewed', 'review_started', 'reviewed', 'requested_changes', 'approved', 'unapproved'] as const;
export const reviewer = z.strictObject({ user, state: z.enum(REVIEWER_STATE), created_at: isoTime });

/**
 * A member of a group, as the members API lists them (a basic user and the membership).
 * https://docs.gitlab.com/api/members/#list-all-members-of-a-group-or-project-including-inherited-and-invited-members
 */
export const member = z.strictObject({
  id: z.number().int(),
  username: z.string(),
  name: z.string(),
  state: z.enum(['active', 'blocked', 'deactivated']),
  locked: z.boolean().optional(),
  avatar_url: z.string().nullable(),
  web_url: z.string(),
  public_email: z.string().nullable().optional(),
  created_at: isoTime,
  created_by: user.optional(),
  /** A date (YYYY-MM-DD), or null when the membership does not expire. */
  expires_at: z.string().nullable(),
  /** Guest 10, Reporter 20, Developer 30, Maintainer 40, Owner 50 (https://docs.gitlab.com/api/members/#roles). */
  access_level: z.number().int(),
  /** Visible to group owners only, for enterprise users of the group. */
  email: z.string().optional(),
  group_saml_identity: z.strictObject({ extern_uid: z.string(), provider: z.string(), saml_provider_id: z.number().int() }).nullable(),
  membership_state: z.enum(['active', 'awaiting']),
  is_using_seat: z.boolean().optional(),
});

/**
 * The token's own user, as GET /user answers a regular user (administrators see
 * a few more fields, optional here; Premium adds the compute-minute limits).
 * https://docs.gitlab.com/api/users/#get-the-current-user
 */
export const currentUser = z.strictObject({
  id: z.number().int(),
  username: z.string(),
  email: z.string(),
  name: z.string(),
  state: z.enum(['active', 'blocked', 'deactivated']),
  locked: z.boolean(),
  avatar_url: z.string().nullable(),
  web_url: z.string(),
  created_at: isoTime,
  bio: z.string(),
  location: z.string().nullable(),
  public_email: z.string().nullable(),
  skype: z.string().optional(),
  linkedin: z.string(),
  twitter: z.string(),
  discord: z.string(),
  github: z.string(),
  website_url: z.string(),
  organization: z.string(),
  job_title: z.string(),
  pronouns: z.string().nullable(),
  bot: z.boolean(),
  work_information: z.string().nullable(),
  followers: z.number().int(),
  following: z.number().int(),
  local_time: z.string().nullable(),
  last_sign_in_at: isoTime.nullable(),
  confirmed_at: isoTime.nullable(),
  theme_id: z.number().int(),
  /** A date (YYYY-MM-DD). */
  last_activity_on: z.string().nullable(),
  color_scheme_id: z.number().int(),
  projects_limit: z.number().int(),
  current_sign_in_at: isoTime.nullable(),
  identities: z.array(z.strictObject({ provider: z.string(), extern_uid: z.string(), saml_provider_id: z.number().int().nullable().optional() })),
  can_create_group: z.boolean(),
  can_create_project: z.boolean(),
  two_factor_enabled: z.boolean(),
  external: z.boolean(),
  private_profile: z.boolean(),
  commit_email: z.string(),
  shared_runners_minutes_limit: z.number().int().nullable().optional(),
  extra_shared_runners_minutes_limit: z.number().int().nullable().optional(),
  is_admin: z.boolean().optional(),
  current_sign_in_ip: z.string().nullable().optional(),
  last_sign_in_ip: z.string().nullable().optional(),
  namespace_id: z.number().int().optional(),
  created_by: user.nullable().optional(),
  email_reset_offered_at: isoTime.nullable().optional(),
  note: z.string().nullable().optional(),
});

// ---- endpoints -------------------------------------------------------------

export interface Endpoint {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Under /api/v4; `:name` segments are one URL-encoded path segment each. */
  path: string;
  docs: string;
  query: z.ZodType;
  body?: z.ZodType;
  /** Success status → body schema (null: no body). */
  responses: Record<number, z.ZodType | null>;
}

const noQuery = z.strictObject({});
/** What a JSON body with no documented parameters may be: gitbeaker sends `{}`. */
const emptyBody = z.strictObject({});

/** https://docs.gitlab.com/api/commits/#create-a-commit-with-multiple-files-and-actions */
export const commitAction = z.strictObject({
  action: z.enum(['create', 'delete', 'move', 'update', 'chmod']),
  file_path: z.string().min(1),
  previous_path: z.string().optional(),
  content: z.string().optional(),
  encoding: z.enum(['text', 'base64']).optional(),
  last_commit_id: z.string().optional(),
  execute_filemode: z.boolean().optional(),
});

export const ENDPOINTS: Endpoint[] = [
  {
    name: 'getProject',
    method: 'GET',
    path: '/projects/:id',
    docs: `${DOCS}/projects/#get-a-single-project`,
    query: z.strictObject({ statistics: boolString.optional(), license: boolString.optional(), with_custom_attributes: boolString.optional() }),
    responses: { 200: project },
  },
  {
    name: 'getBranch',
    method: 'GET',
    path: '/projects/:id/repository/branches/:branch',
    docs: `${DOCS}/branches/#get-single-repository-branch`,
    query: noQuery,
    responses: { 200: branch },
  },
  {
    name: 'deleteBranch',
    method: 'DELETE',
    path: '/projects/:id/repository/branches/:branch',
    docs: `${DOCS}/branches/#delete-repository-branch`,
    query: noQuery,
    body: emptyBody,
    responses: { 204: null },
  },
  {
    name: 'getFile',
    method: 'GET',
    path: '/projects/:id/repository/files/:file_path',
    docs: `${DOCS}/repository_files/#get-file-from-repository`,
    query: z.strictObject({ ref: z.string().min(1) }),
    responses: { 200: repositoryFile },
  },
  {
    name: 'listTree',
    method: 'GET',
    path: '/projects/:id/repository/tree',
    docs: `${DOCS}/repositories/#list-repository-tree`,
    query: z.strictObject({
      path: z.string().optional(),
      ref: z.string().optional(),
      recursive: boolString.optional(),
      pagination: z.enum(['keyset', 'none', 'legacy']).optional(),
      page_token: z.string().optional(),
      ...pagination,
    }),
    responses: { 200: z.array(treeEntry) },
  },
  {
    name: 'createCommit',
    method: 'POST',
    path: '/projects/:id/repository/commits',
    docs: `${DOCS}/commits/#create-a-commit-with-multiple-files-and-actions`,
    query: noQuery,
    body: z.strictObject({
      branch: z.string().min(1),
      commit_message: z.string().min(1),
      start_branch: z.string().optional(),
      start_sha: sha.optional(),
      start_project: z.union([z.number().int(), z.string()]).optional(),
      actions: z.array(commitAction),
      author_email: z.string().optional(),
      author_name: z.string().optional(),
      stats: z.boolean().optional(),
      force: z.boolean().optional(),
    }),
    responses: { 201: commitDetail },
  },
  {
    name: 'getCommit',
    method: 'GET',
    path: '/projects/:id/repository/commits/:sha',
    docs: `${DOCS}/commits/#get-a-single-commit`,
    query: z.strictObject({ stats: boolString.optional() }),
    responses: { 200: commitDetail },
  },
  {
    name: 'getCommitDiff',
    method: 'GET',
    path: '/projects/:id/repository/commits/:sha/diff',
    docs: `${DOCS}/commits/#get-the-diff-of-a-commit`,
    query: z.strictObject({ unidiff: boolString.optional(), ...pagination }),
    responses: { 200: z.array(diff) },
  },
  {
    name: 'listCommitStatuses',
    method: 'GET',
    path: '/projects/:id/repository/commits/:sha/statuses',
    docs: `${DOCS}/commits/#list-the-statuses-of-a-commit`,
    query: z.strictObject({
      ref: z.string().optional(),
      stage: z.string().optional(),
      name: z.string().optional(),
      pipeline_id: intString.optional(),
      all: boolString.optional(),
      order_by: z.enum(['id', 'pipeline_id']).optional(),
      sort: z.enum(['asc', 'desc']).optional(),
      ...pagination,
    }),
    responses: { 200: z.array(commitStatus) },
  },
  {
    name: 'createCommitStatus',
    method: 'POST',
    path: '/projects/:id/statuses/:sha',
    docs: `${DOCS}/commits/#set-the-pipeline-status-of-a-commit`,
    query: noQuery,
    body: z.strictObject({
      state: z.enum(['pending', 'running', 'success', 'failed', 'canceled', 'skipped']),
      ref: z.string().optional(),
      name: z.string().optional(),
      context: z.string().optional(),
      target_url: z.string().optional(),
      description: z.string().optional(),
      coverage: z.number().optional(),
      pipeline_id: z.number().int().optional(),
    }),
    responses: { 201: commitStatus },
  },
  {
    name: 'createMergeRequest',
    method: 'POST',
    path: '/projects/:id/merge_requests',
    docs: `${DOCS}/merge_requests/#create-mr`,
    query: noQuery,
    body: z.strictObject({
      source_branch: z.string().min(1),
      target_branch: z.string().min(1),
      title: z.string().min(1),
      description: z.string().optional(),
      labels: z.string().optional(),
      assignee_id: z.number().int().optional(),
      assignee_ids: z.array(z.number().int()).optional(),
      reviewer_ids: z.array(z.number().int()).optional(),
      milestone_id: z.number().int().optional(),
      remove_source_branch: z.boolean().optional(),
      squash: z.boolean().optional(),
      allow_collaboration: z.boolean().optional(),
      target_project_id: z.number().int().optional(),
    }),
    responses: { 201: mergeRequest },
  },
  {
    name: 'listMergeRequests',
    method: 'GET',
    path: '/projects/:id/merge_requests',
    docs: `${DOCS}/merge_requests/#list-project-merge-requests`,
    query: z.strictObject({
      state: z.enum(['opened', 'closed', 'locked', 'merged', 'all']).optional(),
      order_by: z.enum(['created_at', 'updated_at', 'merged_at', 'title']).optional(),
      sort: z.enum(['asc', 'desc']).optional(),
      source_branch: z.string().optional(),
      target_branch: z.string().optional(),
      labels: z.string().optional(),
      iids: z.array(intString).optional(),
      view: z.enum(['simple']).optional(),
      with_labels_details: boolString.optional(),
      ...pagination,
    }),
    responses: { 200: z.array(mergeRequestListEntry) },
  },
  {
    name: 'getMergeRequest',
    method: 'GET',
    path: '/projects/:id/merge_requests/:iid',
    docs: `${DOCS}/merge_requests/#get-single-mr`,
    query: z.strictObject({
      render_html: boolString.optional(),
      include_diverged_commits_count: boolString.optional(),
      include_rebase_in_progress: boolString.optional(),
    }),
    responses: { 200: mergeRequest },
  },
  {
    name: 'updateMergeRequest',
    method: 'PUT',
    path: '/projects/:id/merge_requests/:iid',
    docs: `${DOCS}/merge_requests/#update-mr`,
    query: noQuery,
    body: z.strictObject({
      state_event: z.enum(['close', 'reopen']).optional(),
      add_labels: z.string().optional(),
      remove_labels: z.string().optional(),
      labels: z.string().optional(),
      title: z.string().optional(),
      description: z.string().optional(),
      target_branch: z.string().optional(),
      discussion_locked: z.boolean().optional(),
      squash: z.boolean().optional(),
      remove_source_branch: z.boolean().optional(),
    }),
    responses: { 200: mergeRequest },
  },
  {
    name: 'mergeMergeRequest',
    method: 'PUT',
    path: '/projects/:id/merge_requests/:iid/merge',
    docs: `${DOCS}/merge_requests/#merge-a-merge-request`,
    query: noQuery,
    body: z.strictObject({
      merge_commit_message: z.string().optional(),
      squash_commit_message: z.string().optional(),
      squash: z.boolean().optional(),
      should_remove_source_branch: z.boolean().optional(),
      merge_when_pipeline_succeeds: z.boolean().optional(),
      auto_merge: z.boolean().optional(),
      sha: sha.optional(),
    }),
    responses: { 200: mergeRequest },
  },
  {
    name: 'listMergeRequestDiffs',
    method: 'GET',
    path: '/projects/:id/merge_requests/:iid/diffs',
    docs: `${DOCS}/merge_requests/#list-merge-request-diffs`,
    query: z.strictObject({ unidiff: boolString.optional(), ...pagination }),
    responses: { 200: z.array(diff) },
  },
  {
    name: 'listMergeRequestVersions',
    method: 'GET',
    path: '/projects/:id/merge_requests/:iid/versions',
    docs: `${DOCS}/merge_requests/#get-merge-request-diff-versions`,
    query: z.strictObject({ ...pagination }),
    responses: { 200: z.array(diffVersion) },
  },
  {
    name: 'listMergeRequestNotes',
    method: 'GET',
    path: '/projects/:id/merge_requests/:iid/notes',
    docs: `${DOCS}/notes/#list-all-merge-request-notes`,
    query: z.strictObject({ sort: z.enum(['asc', 'desc']).optional(), order_by: z.enum(['created_at', 'updated_at']).optional(), ...pagination }),
    responses: { 200: z.array(note) },
  },
  {
    name: 'createMergeRequestNote',
    method: 'POST',
    path: '/projects/:id/merge_requests/:iid/notes',
    docs: `${DOCS}/notes/#create-new-merge-request-note`,
    query: noQuery,
    body: z.strictObject({ body: z.string(), internal: z.boolean().optional(), created_at: z.string().optional(), merge_request_diff_head_sha: z.string().optional() }),
    responses: { 201: note },
  },
  {
    name: 'getMergeRequestApprovals',
    method: 'GET',
    path: '/projects/:id/merge_requests/:iid/approvals',
    docs: `${DOCS}/merge_request_approvals/#get-configuration-1`,
    query: noQuery,
    responses: { 200: approvals },
  },
  {
    name: 'approveMergeRequest',
    method: 'POST',
    path: '/projects/:id/merge_requests/:iid/approve',
    docs: `${DOCS}/merge_request_approvals/#approve-merge-request`,
    query: noQuery,
    body: z.strictObject({ sha: sha.optional(), approval_password: z.string().optional() }),
    responses: { 201: approvals },
  },
  {
    name: 'unapproveMergeRequest',
    method: 'POST',
    path: '/projects/:id/merge_requests/:iid/unapprove',
    docs: `${DOCS}/merge_request_approvals/#unapprove-merge-request`,
    query: noQuery,
    body: emptyBody,
    responses: { 201: approvals },
  },
  {
    name: 'listMergeRequestReviewers',
    method: 'GET',
    path: '/projects/:id/merge_requests/:iid/reviewers',
    docs: `${DOCS}/merge_requests/#get-single-merge-request-reviewers`,
    query: noQuery,
    responses: { 200: z.array(reviewer) },
  },
  {
    name: 'getCurrentUser',
    method: 'GET',
    path: '/user',
    docs: `${DOCS}/users/#get-the-current-user`,
    /** `sudo`: administrators only (the ID or username of the user to act as). */
    query: z.strictObject({ sudo: z.string().optional() }),
    responses: { 200: currentUser },
  },
  {
    name: 'listAllGroupMembers',
    method: 'GET',
    path: '/groups/:id/members/all',
    docs: `${DOCS}/members/#list-all-members-of-a-group-or-project-including-inherited-and-invited-members`,
    query: z.strictObject({
      query: z.string().optional(),
      user_ids: z.array(intString).optional(),
      show_seat_info: boolString.optional(),
      state: z.enum(['awaiting', 'active']).optional(),
      ...pagination,
    }),
    responses: { 200: z.array(member) },
  },
  {
    name: 'getProjectMember',
    method: 'GET',
    path: '/projects/:id/members/all/:user_id',
    docs: `${DOCS}/members/#get-a-member-of-a-group-or-project-including-inherited-and-invited-members`,
    query: noQuery,
    responses: { 200: member },
  },
  {
    name: 'listUsers',
    method: 'GET',
    path: '/users',
    docs: `${DOCS}/users/#list-users`,
    query: z.strictObject({
      username: z.string().optional(),
      search: z.string().optional(),
      active: boolString.optional(),
      blocked: boolString.optional(),
      humans: boolString.optional(),
      exclude_internal: boolString.optional(),
      ...pagination,
    }),
    responses: { 200: z.array(user) },
  },
];

/** Pagination headers GitLab sends with every list. https://docs.gitlab.com/api/rest/#pagination */
export const PAGINATION_HEADERS = ['x-page', 'x-per-page', 'x-total', 'x-total-pages', 'x-next-page', 'x-prev-page'] as const;

export interface MatchedEndpoint {
  endpoint: Endpoint;
  /** Decoded path parameters. */
  params: Record<string, string>;
}

/** The endpoint a request is for (path relative to /api/v4, still URL-encoded), or null. */
export function matchEndpoint(method: string, path: string): MatchedEndpoint | null {
  const segments = path.split('/').filter(Boolean);
  for (const endpoint of ENDPOINTS) {
    if (endpoint.method !== method) continue;
    const parts = endpoint.path.split('/').filter(Boolean);
    if (parts.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const segment = segments[i]!;
      if (part.startsWith(':')) {
        try {
          params[part.slice(1)] = decodeURIComponent(segment);
        } catch {
          ok = false;
        }
      } else if (part !== segment) {
        ok = false;
      }
      if (!ok) break;
    }
    if (ok) return { endpoint, params };
  }
  return null;
}

/** A readable one-line account of a zod failure. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}
