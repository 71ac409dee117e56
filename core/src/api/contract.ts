/**
 * The Platform API contract: request and response schemas (zod), shared by the
 * standalone server, the Backstage backend plugin (later) and — as types only —
 * the CLI's client. The OpenAPI document (openapi.ts) is generated from these
 * schemas, so the document, the server's validation and the client's types
 * cannot drift apart.
 */
import { z } from 'zod';

export { API_BASE_PATH, DEFAULT_API_URL } from './paths.js';

const envName = z.string().min(1).max(63).describe('Environment name (DNS-1123 label)');

/** Where the component lives: every request names its repository. */
export const RepoRef = z.object({
  repo: z.string().min(1).describe('Git remote of the component (a path or file:// URL for the local forge)'),
  path: z.string().min(1).default('paws.yaml').describe('paws.yaml path inside the repository'),
});

/**
 * Requests that start a workflow may be dry runs: validated, authorized and computed exactly like the real request
 * (same 400/401/403/409), answered 200 with the ChangePlan — and nothing is written (no branch, no workflow).
 */
const dryRun = z.boolean().optional().describe('Validate, authorize and compute the change, start nothing: the answer is a ChangePlan (200)');

export const CloneEnvironmentRequest = RepoRef.extend({
  target: envName,
  ttl: z.string().optional().describe('Time to live, e.g. 72h; the environment is torn down by a PR when it expires'),
  dryRun,
});
export const CreateEnvironmentRequest = RepoRef.extend({
  name: envName,
  ttl: z.string().optional(),
  dryRun,
});
export const DestroyEnvironmentRequest = RepoRef.extend({
  confirm: z.string().optional().describe('Must equal the environment name to destroy a permanent environment'),
  dryRun,
});
export const ExtendEnvironmentRequest = RepoRef.extend({
  ttl: z.string().min(1),
  dryRun,
});
/** POST /environments/:env/variables: one PR that sets and unsets variables of the environment (idp variables set/unset). */
export const SetVariablesRequest = RepoRef.extend({
  set: z.record(z.string(), z.string()).optional().describe('Variables to set, KEY → value (an empty string is a value)'),
  unset: z.array(z.string()).optional().describe("Keys to remove from the environment's own variables"),
  dryRun,
});
/** One variable as the environment runs it, and where its value comes from. */
export const VariableView = z.object({
  key: z.string(),
  value: z.string(),
  source: z.string().describe("own, from:<environment> (inherited through from:) or container:<name> (the workload default)"),
});
/** GET /environments/:env/variables. */
export const VariableList = z.object({
  component: z.string(),
  environment: z.string(),
  variables: z.array(VariableView),
});
export const ReviewRequest = RepoRef.extend({
  event: z.enum(['approve', 'request_changes', 'comment']),
  body: z.string().optional(),
});
export const PullActionRequest = RepoRef.extend({});
/** A check reported by hand on the local forge (no CI runs there); on GitHub/GitLab your CI reports checks. */
export const CheckRequest = RepoRef.extend({
  name: z.string().min(1).max(100).describe('The check, as a release policy names it in requiredChecks, e.g. ci/build'),
  state: z.enum(['pending', 'success', 'failure']),
  description: z.string().max(140).optional(),
});

/** GET /pulls: which PRs, one page of at most `limit` (newest first), never more than 100 per request. */
export const ListPullsQuery = z.object({
  state: z.enum(['open', 'merged', 'closed', 'all']).default('open'),
  limit: z.coerce.number().int().min(1).max(100).default(100).describe('At most this many PRs per page (1-100, default 100)'),
  page: z.coerce.number().int().min(1).max(1000).default(1).describe('Which page, newest first: 1 is the newest `limit` PRs (1-1000, default 1)'),
});

export const PullRequestSchema = z.object({
  number: z.number().int(),
  url: z.string(),
  title: z.string(),
  body: z.string(),
  head: z.string(),
  base: z.string(),
  headSha: z.string(),
  baseSha: z.string(),
  state: z.enum(['open', 'merged', 'closed']),
  author: z.string(),
  labels: z.array(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
  mergedAt: z.string().optional(),
  mergedBy: z.string().optional(),
  mergeSha: z.string().optional(),
  closedAt: z.string().optional(),
  closedBy: z.string().optional(),
  reviews: z.array(
    z.object({
      by: z.string(),
      state: z.enum(['approved', 'changes_requested', 'commented', 'dismissed']),
      body: z.string().optional(),
      commitSha: z.string(),
      at: z.string(),
    }),
  ),
  comments: z.array(z.object({ by: z.string(), body: z.string(), at: z.string() })),
});

/** A review's answer: the PR, and on a release PR why the review does not count, when it does not. */
export const ReviewResult = PullRequestSchema.extend({
  note: z.string().optional().describe('Release PRs: why this review does not count under the release policy (e.g. four eyes), when it does not'),
});

export const FileDiffSchema = z.object({
  path: z.string(),
  status: z.enum(['added', 'modified', 'deleted']),
  patch: z.string().describe('Unified diff against the commit the PR started from'),
});
export const PullDiff = z.object({ files: z.array(FileDiffSchema) });
/** GET /pulls's answer: one page, sorted by number; `nextPage` when there may be more. */
export const PullList = z.object({
  pulls: z.array(PullRequestSchema),
  nextPage: z.number().int().min(2).optional().describe('The page to ask for next (there may be more PRs); absent on the last page'),
});

export const PrSummary = z.object({
  number: z.number().int(),
  url: z.string(),
  state: z.enum(['open', 'merged', 'closed']),
  head: z.string(),
  headSha: z.string(),
});

export const WorkflowPhase = z.enum(['queued', 'proposing', 'open', 'merged', 'closed', 'failed']);

/**
 * How a release ended (or where it is): queued behind another release to the
 * same environment, open for review, merged, rejected by an approver, timed out
 * waiting for approval, cancelled (its PR closed by a person), or failed.
 */
export const ReleaseOutcome = z.enum(['queued', 'open', 'merged', 'rejected', 'timed_out', 'cancelled', 'failed']);

/** One entry of an environment's release ledger (`idp releases`). */
export const ReleaseRecord = z.object({
  number: z.number().int().describe('v<number>: numbered per environment, in the order requested'),
  env: z.string(),
  kind: z.enum(['create', 'promote', 'rollback']),
  image: z.string().describe('What the environment runs once this release is merged'),
  previousImage: z.string().optional().describe('What it ran when the release was requested'),
  from: z.string().optional().describe('promote: the environment whose version was copied'),
  rollbackTo: z.number().int().optional().describe('rollback: the release returned to'),
  workflowId: z.string(),
  pr: PrSummary.optional(),
  requestedBy: z.string(),
  requestedAt: z.string(),
  approvers: z.array(z.string()).describe('Approvals that counted under the policy'),
  endedAt: z.string().optional(),
  outcome: ReleaseOutcome,
  reason: z.string().optional().describe('Why it was rejected, timed out, cancelled or failed'),
  outsidePolicy: z
    .string()
    .optional()
    .describe('Merged although its release policy did not hold on the merged head (e.g. in the forge\'s UI): what was missing. It still counts as merged (it is deployed).'),
});

export const EnvironmentReleases = z.object({
  env: z.string(),
  /** The latest merged release: what the environment runs according to idp. */
  current: ReleaseRecord.optional(),
  /** Newest first. */
  releases: z.array(ReleaseRecord),
  /** A release workflow of this environment that keeps failing: "stuck: retrying <activity> (attempt N): <error>". */
  stuck: z.string().optional(),
});

export const ReleaseList = z.object({
  component: z.string(),
  repo: z.string(),
  environments: z.array(EnvironmentReleases),
});

export const CreateReleaseRequest = RepoRef.extend({
  env: envName,
  image: z.string().min(1).describe('The image to release, with a tag or digest, e.g. ghcr.io/acme/checkout:1.4.3'),
  dryRun,
});
export const PromoteReleaseRequest = RepoRef.extend({
  from: envName.describe('The environment whose current version is copied'),
  to: envName,
  dryRun,
});
export const RollbackReleaseRequest = RepoRef.extend({
  env: envName,
  to: z.number().int().min(1).optional().describe('Release number to return to (default: the merged release before the current one)'),
  dryRun,
});

/**
 * A secret change as its workflow carries it: the key and the reference (with its pinned version) the PR writes into
 * paws.yaml, or none (unset). Never a value: the value went to the store before the workflow started.
 */
export const SecretChange = z.object({
  key: z.string(),
  action: z.enum(['set', 'unset']),
  ref: z.string().optional().describe('set: the reference written into paws.yaml'),
  version: z.string().optional().describe('set: the version pinned (AWS VersionId, Vault KV v2 version, the sops secrets repository commit)'),
  store: z.string().optional().describe('The configured store the reference is in (in the answer to the request that wrote it)'),
});

/** What every environment operation answers: the workflow and its PR. */
export const WorkflowStatus = z.object({
  workflowId: z.string(),
  kind: z.enum(['env-clone', 'env-create', 'env-destroy', 'env-extend', 'env-vars', 'env-secrets', 'env-ttl', 'release', 'releases']),
  component: z.string(),
  environment: z.string(),
  status: z.enum(['running', 'completed', 'failed', 'cancelled', 'terminated', 'timed_out', 'continued_as_new']),
  phase: WorkflowPhase,
  pr: PrSummary.optional(),
  /** True when this request joined a workflow already running for the same change. */
  joined: z.boolean().optional(),
  expiresAt: z.string().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  /** Why idp cannot bring its open PR up to date with the base (the PR then cannot be merged through idp). */
  stuck: z.string().optional(),
  startedAt: z.string().optional(),
  closedAt: z.string().optional(),
  /** Releases: the ledger entry, as the workflow last published it. */
  release: ReleaseRecord.optional(),
  /** env-secrets: the key and reference the PR sets (or removes). */
  secret: SecretChange.optional(),
});

/** GET /activity: how many of the newest workflows (and of idp's PRs without one) to answer. */
export const ActivityQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50).describe('At most this many workflows, and this many PRs without one (1-100, default 50)'),
});

/** One run of an idp workflow of the component: what `idp activity` and the Activity tab show. */
export const ActivityWorkflow = WorkflowStatus.extend({
  /** A workflow id is reused by a later change of the same kind to the same environment: the run tells them apart. */
  runId: z.string(),
  requestedBy: z.string().optional().describe('Who asked for it, when the workflow recorded it'),
  temporalUrl: z.string().optional().describe('This run in the Temporal Web UI; absent when the server knows no UI address (IDP_TEMPORAL_WEB_URL, idp.temporal.webUrl)'),
});

/** An idp PR of the component that no listed workflow follows (its workflow is older than Temporal keeps, or past the limit). */
export const ActivityPull = PrSummary.extend({
  title: z.string(),
  author: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  workflowId: z.string().optional().describe('The workflow its branch belongs to'),
  kind: z.string().optional(),
  environment: z.string().optional(),
});

export const ActivityList = z.object({
  component: z.string(),
  repo: z.string(),
  /** Running and recently closed, newest first (by start). The long-lived release queues and TTL timers are left out. */
  workflows: z.array(ActivityWorkflow),
  /** Newest first. */
  pulls: z.array(ActivityPull),
});

/** A dry run's answer: what the request would propose, and the workflow it would start or join. Nothing was written. */
export const ChangePlan = z.object({
  dryRun: z.literal(true),
  /** Environment changes: the workflow id the request would start or join. Releases: the environment's release queue. */
  workflowId: z.string(),
  kind: z.enum(['env-clone', 'env-create', 'env-destroy', 'env-extend', 'env-vars', 'env-secrets', 'release']),
  component: z.string(),
  environment: z.string(),
  /** Releases: create, promote or rollback, the image it would deploy and what the environment runs now. */
  release: z.object({ kind: z.enum(['create', 'promote', 'rollback']), image: z.string(), previousImage: z.string().optional(), from: z.string().optional(), rollbackTo: z.number().int().optional() }).optional(),
  /** env-secrets: the key and reference the PR would set (a value: the reference it would be written to, without a version — the store assigns it when it writes; nothing was written to the store). */
  secret: SecretChange.optional(),
  /** The PR's diff as it would be opened now (against the default branch's current head). */
  files: z.array(FileDiffSchema),
});

/** `idp releases show`: a release with what gates it now. */
export const ReleaseDetail = z.object({
  release: ReleaseRecord,
  workflow: WorkflowStatus,
  policy: z.object({
    approvals: z.number().int(),
    approvers: z.array(z.string()),
    requiredChecks: z.array(z.string()),
    selfApproval: z.boolean(),
    autoMerge: z.boolean(),
    timeout: z.string(),
    /** Platform floors (IDP_RELEASE_FLOORS) that apply: their environment patterns and the fields they raised. */
    floor: z.object({ patterns: z.array(z.string()), raised: z.array(z.enum(['approvals', 'selfApproval', 'requiredChecks', 'approvers'])) }).optional(),
  }),
  /** Open PRs: the policy evaluated on the PR's current head. */
  verdict: z
    .object({
      satisfied: z.boolean(),
      approvedBy: z.array(z.string()),
      ignored: z.array(z.object({ by: z.string(), why: z.string() })),
      changesRequestedBy: z.array(z.string()),
      checks: z.array(z.object({ name: z.string(), state: z.string() })),
      waitingFor: z.array(z.string()),
    })
    .optional(),
  /** Open releases: when idp gives up waiting for approval and closes the PR. */
  deadline: z.string().optional(),
  diff: z.array(FileDiffSchema),
});

/**
 * What runs for an environment, as the platform's runtime reports it (the embedded stack's local runtime; a real
 * platform's would be its GitOps controller's health). Absent where no runtime reports.
 */
export const EnvironmentRuntime = z.object({
  state: z.enum(['starting', 'running', 'crashed', 'stopped']),
  url: z.string().optional().describe('Where it answers, e.g. http://127.0.0.1:41234'),
  image: z.string().optional().describe('The image it runs'),
  since: z.string().optional().describe('ISO 8601: when it entered this state'),
  reason: z.string().optional().describe('Why it crashed or stopped (never a secret value)'),
});

export const EnvironmentView = z.object({
  name: z.string(),
  from: z.string().optional(),
  ephemeral: z.boolean(),
  ttl: z.string().optional(),
  expiresAt: z.string().optional(),
  /** Releases written into paws.yaml (no deploy:, or deploy.format paws): the image it runs. Absent for kustomize/helm-values targets, which live in other files. */
  image: z.string().optional().describe('The image the environment runs, when releases are written into paws.yaml itself'),
  /** 'paws.yaml': on the default branch; 'pending': only in an open PR. */
  source: z.enum(['paws.yaml', 'pending']),
  variables: z.record(z.string(), z.string()),
  secrets: z.array(z.string()),
  pulls: z.array(PrSummary.extend({ workflowId: z.string().optional(), kind: z.string().optional() })),
  workflows: z.array(WorkflowStatus),
  runtime: EnvironmentRuntime.optional().describe('What runs for it, where a runtime reports (the embedded stack\'s local runtime)'),
});

/**
 * GET /environments/:env/logs: the environment's newest lines (`idp logs`), read from the log source the platform
 * routes it to (idp.logs). Oldest first, as a terminal prints them.
 */
export const LogsQuery = RepoRef.extend({
  n: z.coerce.number().int().min(1).max(10_000).default(100).describe('At most this many lines: the newest (default 100)'),
  since: z.string().optional().describe('A duration back from now (30m, 1h, 2d) or an RFC 3339 timestamp'),
  until: z.string().optional().describe('A duration back from now or an RFC 3339 timestamp'),
  grep: z.string().min(1).max(1000).optional().describe('Only lines containing this text (a plain substring, case-sensitive)'),
  process: z.string().regex(/^[a-z0-9][a-z0-9-]*(\.\d+)?$/).optional().describe('web: every web process (web.1, web.2…); web.1: that one'),
});
export const LogLineView = z.object({
  time: z.string().describe('RFC 3339, UTC, with the source\'s precision (up to ns)'),
  process: z.string().describe('The process that wrote it, e.g. web.1 (empty when the source does not say)'),
  message: z.string(),
});
export const LogList = z.object({
  component: z.string(),
  environment: z.string(),
  source: z.string().describe('Which log source answered, e.g. log source "local" (victorialogs at http://127.0.0.1:9428)'),
  lines: z.array(LogLineView),
});
/** GET /environments/:env/logs/tail: NDJSON, one TailEvent a line; `cursor` resumes after the last line seen. */
export const LogTailQuery = RepoRef.extend({
  cursor: z.string().max(4096).optional().describe('Resume after this point (a cursor from an earlier event): no line again, none missed'),
  backlog: z.coerce.number().int().min(0).max(1500).default(10).describe('Recent lines to send before following (ignored with cursor)'),
  grep: LogsQuery.shape.grep,
  process: LogsQuery.shape.process,
});
export const LogTailEvent = z.discriminatedUnion('type', [
  LogLineView.extend({ type: z.literal('line'), cursor: z.string() }),
  z.object({ type: z.literal('heartbeat'), cursor: z.string().describe('Still connected; resume here if the connection drops') }),
  z.object({ type: z.literal('notice'), message: z.string().describe('E.g. the source was unreachable and is back') }),
]);
/** GET /environments/:env/metrics: the five panels of `idp metrics`, one series each. */
export const MetricsQueryParams = RepoRef.extend({
  since: z.string().default('1h').describe('A duration back from now (default 1h) or an RFC 3339 timestamp'),
  until: z.string().optional(),
  step: z.coerce.number().int().min(1).max(86_400).optional().describe('Seconds between points; default: the range in about 60 points'),
  process: LogsQuery.shape.process,
});
export const MetricSeriesView = z.object({
  panel: z.enum(['requests', 'errorRate', 'p95', 'cpu', 'memory']),
  title: z.string(),
  unit: z.enum(['req/s', 'ratio', 's', 'cores', 'bytes']),
  points: z.array(z.tuple([z.number(), z.number().nullable()])).describe('[unix seconds, value]; null where there is no data'),
});
export const MetricsView = z.object({
  component: z.string(),
  environment: z.string(),
  source: z.string(),
  start: z.string(),
  end: z.string(),
  step: z.number(),
  series: z.array(MetricSeriesView),
});

export const EnvironmentList = z.object({
  component: z.string(),
  repo: z.string(),
  provider: z.string(),
  defaultBranch: z.string(),
  environments: z.array(EnvironmentView),
});

/**
 * GET /environments/:env/secrets: one key of the environment as `idp secrets` shows it — where its value lives and
 * what the store says about it, never the value (the API never reads one).
 */
export const SecretView = z.object({
  key: z.string(),
  ref: z.string().describe('The reference paws.yaml pins, e.g. aws-sm://idp/checkout/staging/STRIPE_KEY'),
  version: z.string().optional().describe('The pinned version (AWS VersionId, Vault KV v2 version, sops: the secrets repository commit); absent: none pinned'),
  store: z.string().describe('The configured store that holds the reference, or "unmanaged" when no configured store serves it'),
  source: z.string().describe('"own" (set in this environment), or "from:<env>" (inherited along from:)'),
  exists: z.boolean().optional().describe('The secret exists in its store; absent when the store could not be asked (see problem)'),
  versionExists: z.boolean().optional().describe('The pinned version exists (not deleted or destroyed); absent without a pinned version or an answer'),
  currentVersion: z.string().optional().describe('The store\'s newest version of the secret'),
  lastChanged: z.string().optional().describe('ISO 8601: when the secret last got a new version'),
  problem: z.string().optional().describe('Why the store could not say (no configured store serves the reference, the store failed)'),
});

/** Where a new key of the environment would be written (the platform's routing rules, idp.secrets). */
export const SecretRoute = z.object({
  store: z.string().optional().describe('The store; absent when no rule matches and there is no default'),
  type: z.enum(['aws-sm', 'vault', 'sops']).optional(),
  why: z.string().describe('The rule (or the default) that chose it, or why none did'),
  ref: z.string().optional().describe('The reference a new key gets, with <KEY> for its name, e.g. aws-sm://idp/checkout/staging/<KEY>'),
});

export const SecretList = z.object({
  component: z.string(),
  repo: z.string(),
  environment: z.string(),
  /** The environment's effective secrets (its own and those inherited along from:), in key order. */
  secrets: z.array(SecretView),
  route: SecretRoute,
  /** The environment's open secret change, if any: one at a time per environment (merge or close it before the next). */
  pending: WorkflowStatus.optional(),
  /** With ?check=true: whether every reference resolves in its store (exists, and its pinned version exists). */
  check: z.object({ ok: z.boolean(), problems: z.array(z.object({ key: z.string(), problem: z.string() })) }).optional(),
});

export const ListSecretsQuery = RepoRef.extend({
  check: z.enum(['true', 'false']).optional().describe('Also say whether every reference resolves in its store (values are not read)'),
});

/**
 * POST /environments/:env/secrets/:key: either a value (written to the routed store as a new version; the PR pins
 * the reference and that version) or a reference to a secret that exists already (and optionally its version).
 */
export const SetSecretRequest = RepoRef.extend({
  value: z.string().optional().describe('The secret value, sent once: written to the store, never kept, logged or returned by idp. Give value or ref, not both'),
  ref: z.string().optional().describe('Instead of a value: an existing secret\'s reference, e.g. vault://secret/shared/stripe#key'),
  version: z.string().optional().describe('With ref: the version to pin (default: the store\'s current version)'),
  dryRun,
});

export const UnsetSecretQuery = RepoRef.extend({
  dryRun: z.enum(['true', 'false']).optional().describe('Validate, authorize and compute the change, start nothing: the answer is a ChangePlan (200)'),
});

export const ComponentInfo = z.object({
  component: z.string(),
  owner: z.string().optional(),
  repo: z.string(),
  path: z.string(),
  provider: z.string(),
  defaultBranch: z.string(),
  headSha: z.string(),
  environments: z.array(z.string()),
});

export const Health = z.object({
  status: z.enum(['ok', 'degraded']),
  version: z.string(),
  temporal: z.object({ address: z.string(), namespace: z.string(), taskQueue: z.string(), reachable: z.boolean() }),
  user: z.string().optional(),
  /** What serves the API: `Backstage` (with its version) or `standalone`; clients ask the catalog only when it is Backstage. */
  servedBy: z
    .object({
      name: z.string(),
      version: z.string(),
      /** Backstage only: its app's base URL (app.baseUrl), where `idp open` sends the browser; it may differ from the API's origin. */
      appUrl: z.string().optional(),
    })
    .optional(),
});

/**
 * POST /context/resolve (Backstage only): what a working copy looks like from the CLI, for the server to find its
 * catalog entity (by annotations and the `idp.context` rules of app-config).
 */
export const ResolveContextRequest = z.object({
  /** The working copy's git remotes, as `git remote -v` lists them (origin first). */
  remotes: z.array(z.object({ name: z.string().min(1).max(256), url: z.string().min(1).max(2048) })).max(32),
  /** The folder the CLI runs in, relative to the working copy's root (POSIX, '' for the root). */
  path: z.string().max(1024).optional(),
  /** The nearest paws.yaml: its path in the working copy and its metadata.name. */
  paws: z.object({ path: z.string().min(1).max(1024), name: z.string().max(253).optional() }).optional(),
});

export const ContextMatch = z.object({
  /** The entity ref, e.g. component:default/checkout. */
  entityRef: z.string(),
  title: z.string().optional(),
  /** The owner's entity ref (group:default/team-payments). */
  owner: z.string().optional(),
  via: z.enum(['rule', 'annotation']),
  /** Why it matched, in words (the rule, or the annotation and its value). */
  why: z.string(),
});

export const ResolvedContext = z.object({
  status: z.enum(['matched', 'ambiguous', 'not_found']),
  /** With `matched`. */
  entity: ContextMatch.optional(),
  /** With `ambiguous`: every entity that matched equally well. */
  candidates: z.array(ContextMatch),
  /** What was looked for (annotation values, rules), for `not_found` and for the curious. */
  searched: z.array(z.string()),
  /** Things an operator should know (a rule naming an entity that is not in the catalog…). */
  notes: z.array(z.string()),
});

export const ErrorResponse = z.object({
  error: z.object({
    code: z
      .string()
      .describe('invalid_request, invalid_paws, not_found, conflict, unauthenticated, forbidden, provider_error, unavailable (503 with Retry-After: nothing was recorded; send the same request again, same Idempotency-Key), internal'),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});

export type RepoRef = z.input<typeof RepoRef>;
export type CloneEnvironmentRequest = z.input<typeof CloneEnvironmentRequest>;
export type CreateEnvironmentRequest = z.input<typeof CreateEnvironmentRequest>;
export type DestroyEnvironmentRequest = z.input<typeof DestroyEnvironmentRequest>;
export type ExtendEnvironmentRequest = z.input<typeof ExtendEnvironmentRequest>;
export type SetVariablesRequest = z.input<typeof SetVariablesRequest>;
export type VariableView = z.infer<typeof VariableView>;
export type VariableList = z.infer<typeof VariableList>;
export type ReviewRequest = z.input<typeof ReviewRequest>;
export type CheckRequest = z.input<typeof CheckRequest>;
export type ReviewResult = z.infer<typeof ReviewResult>;
export type PrSummary = z.infer<typeof PrSummary>;
export type PullDiff = z.infer<typeof PullDiff>;
export type PullList = z.infer<typeof PullList>;
export type WorkflowStatus = z.infer<typeof WorkflowStatus>;
export type ChangePlan = z.infer<typeof ChangePlan>;
export type EnvironmentView = z.infer<typeof EnvironmentView>;
export type EnvironmentRuntime = z.infer<typeof EnvironmentRuntime>;
export type EnvironmentList = z.infer<typeof EnvironmentList>;
export type ComponentInfo = z.infer<typeof ComponentInfo>;
export type SecretChange = z.infer<typeof SecretChange>;
export type SecretView = z.infer<typeof SecretView>;
export type SecretRoute = z.infer<typeof SecretRoute>;
export type SecretList = z.infer<typeof SecretList>;
export type SetSecretRequest = z.input<typeof SetSecretRequest>;
export type Health = z.infer<typeof Health>;
export type ResolveContextRequest = z.input<typeof ResolveContextRequest>;
export type ContextMatch = z.infer<typeof ContextMatch>;
export type ResolvedContext = z.infer<typeof ResolvedContext>;
export type ReleaseOutcome = z.infer<typeof ReleaseOutcome>;
export type ReleaseRecord = z.infer<typeof ReleaseRecord>;
export type EnvironmentReleases = z.infer<typeof EnvironmentReleases>;
export type ReleaseList = z.infer<typeof ReleaseList>;
export type ReleaseDetail = z.infer<typeof ReleaseDetail>;
export type ActivityWorkflow = z.infer<typeof ActivityWorkflow>;
export type ActivityPull = z.infer<typeof ActivityPull>;
export type ActivityList = z.infer<typeof ActivityList>;
export type CreateReleaseRequest = z.input<typeof CreateReleaseRequest>;
export type PromoteReleaseRequest = z.input<typeof PromoteReleaseRequest>;
export type RollbackReleaseRequest = z.input<typeof RollbackReleaseRequest>;
/** Query types as a caller writes them: every parameter but repo optional, numbers as numbers. */
type QueryInput<S extends z.ZodType> = Partial<Omit<z.output<S>, 'repo'>> & { repo: string };
export type LogsQuery = QueryInput<typeof LogsQuery>;
export type LogLineView = z.infer<typeof LogLineView>;
export type LogList = z.infer<typeof LogList>;
export type LogTailQuery = QueryInput<typeof LogTailQuery>;
export type LogTailEvent = z.infer<typeof LogTailEvent>;
export type MetricsQueryParams = QueryInput<typeof MetricsQueryParams>;
export type MetricSeriesView = z.infer<typeof MetricSeriesView>;
export type MetricsView = z.infer<typeof MetricsView>;
