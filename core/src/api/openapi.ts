/**
 * The OpenAPI 3.1 document of the Platform API, built from the zod schemas in
 * contract.ts. Served at GET /api/idp/openapi.json by every server.
 */
import { z } from 'zod';
import * as c from './contract.js';
import { API_BASE_PATH } from './paths.js';

const json = (schema: z.ZodType, io: 'input' | 'output' = 'output') =>
  z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' });

const repoQuery = [
  { name: 'repo', in: 'query', required: true, schema: { type: 'string' }, description: 'Git remote of the component' },
  { name: 'path', in: 'query', required: false, schema: { type: 'string', default: 'paws.yaml' } },
];
const envParam = { name: 'env', in: 'path', required: true, schema: { type: 'string' } };
const keyParam = { name: 'key', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$' }, description: 'The secret\'s name, as the workload sees it (an environment variable name), e.g. STRIPE_KEY' };
const numberParam = { name: 'number', in: 'path', required: true, schema: { type: 'integer' } };

/** Query parameters from a zod object (beyond repo and path, which repoQuery documents). */
const queryParams = (schema: z.ZodObject) =>
  Object.entries(schema.shape)
    .filter(([name]) => name !== 'repo' && name !== 'path')
    .map(([name, field]) => {
      const { description, $schema: _, ...rest } = json(field as z.ZodType, 'input') as { description?: string; $schema?: string };
      return { name, in: 'query', required: false, schema: rest, ...(description ? { description } : {}) };
    });

const ok = (schema: z.ZodType, description = 'OK') => ({ description, content: { 'application/json': { schema: json(schema) } } });
const errors = {
  '400': ok(c.ErrorResponse, 'Invalid request (code invalid_request)'),
  '404': ok(c.ErrorResponse, 'Component, environment or PR not found'),
  '409': ok(c.ErrorResponse, 'Conflict (already exists, or something else holds it)'),
  '422': ok(c.ErrorResponse, 'paws.yaml is not valid (code invalid_paws)'),
  '502': ok(c.ErrorResponse, 'The git provider failed'),
  '503': {
    ...ok(c.ErrorResponse, 'Temporal is unreachable, or (code unavailable, with Retry-After) the request could not be recorded for now: nothing was queued or started; send it again, with the same Idempotency-Key, after Retry-After seconds'),
    headers: { 'Retry-After': { description: 'Seconds to wait before retrying (code unavailable)', schema: { type: 'integer', minimum: 0 } } },
  },
};
const sourceErrors = { ...errors, '502': ok(c.ErrorResponse, 'The log or metric source failed (unreachable, refused the query): the message names the source and what to fix (code provider_error)') };
/** Requests that start a workflow: the same key again is the same request, recorded once. */
const idempotencyKey = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{8,128}$' },
  description: 'One per request (e.g. a UUID), the same on every retry of it: a request sent twice is recorded once',
};
const body = (schema: z.ZodType) => ({ required: true, content: { 'application/json': { schema: json(schema, 'input') } } });
const started = { '200': ok(c.ChangePlan, 'dryRun: what would be proposed; nothing was written'), '202': ok(c.WorkflowStatus, 'Workflow started or joined; the PR is open'), ...errors };

export function openApiDocument(version: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'idp Platform API',
      version,
      description: 'Environments, pull requests and workflows of idp. Every change is a pull request followed by a durable Temporal workflow.',
    },
    servers: [{ url: API_BASE_PATH }],
    paths: {
      '/health': { get: { operationId: 'health', responses: { '200': ok(c.Health) } } },
      '/openapi.json': { get: { operationId: 'openapi', responses: { '200': { description: 'This document' } } } },
      '/whoami': { get: { operationId: 'whoami', responses: { '200': { description: 'The caller as this server knows them: the name PRs and reviews record, and the names four-eyes treats as theirs' }, '401': ok(c.ErrorResponse, 'Not signed in (code unauthenticated)') } } },
      '/context/resolve': {
        post: {
          operationId: 'resolveContext',
          description: 'Backstage only (servedBy.name Backstage): the catalog entity a working copy is, by the idp.context rules of app-config, then the source-location / project-slug annotations; or the candidates; or not_found.',
          requestBody: body(c.ResolveContextRequest),
          responses: { '200': ok(c.ResolvedContext), '400': errors['400'] },
        },
      },
      '/component': { get: { operationId: 'getComponent', parameters: repoQuery, responses: { '200': ok(c.ComponentInfo), ...errors } } },
      '/environments': {
        get: { operationId: 'listEnvironments', parameters: repoQuery, responses: { '200': ok(c.EnvironmentList), ...errors } },
        post: { operationId: 'createEnvironment', parameters: [idempotencyKey], requestBody: body(c.CreateEnvironmentRequest), responses: started },
      },
      '/environments/{env}/clone': {
        post: { operationId: 'cloneEnvironment', parameters: [envParam, idempotencyKey], requestBody: body(c.CloneEnvironmentRequest), responses: started },
      },
      '/environments/{env}/destroy': {
        post: { operationId: 'destroyEnvironment', parameters: [envParam, idempotencyKey], requestBody: body(c.DestroyEnvironmentRequest), responses: started },
      },
      '/environments/{env}/variables': {
        get: { operationId: 'listVariables', description: 'The variables the environment runs with, each with where its value comes from (own, from:<env>, container:<name>).', parameters: [envParam, ...repoQuery], responses: { '200': ok(c.VariableList), ...errors } },
        post: { operationId: 'setVariables', description: 'One PR setting and unsetting variables of the environment. A variable that looks like a secret is refused (400): use the secret routes.', parameters: [envParam, idempotencyKey], requestBody: body(c.SetVariablesRequest), responses: started },
      },
      '/environments/{env}/logs': {
        get: {
          operationId: 'listLogs',
          description: 'The newest lines of the environment (`idp logs`), oldest first, from the log source the platform routes it to (idp.logs: VictoriaLogs, Loki, OpenSearch/Elasticsearch). Needs idp.logs.read.',
          parameters: [envParam, ...repoQuery, ...queryParams(c.LogsQuery)],
          responses: { '200': ok(c.LogList), ...sourceErrors },
        },
      },
      '/environments/{env}/logs/tail': {
        get: {
          operationId: 'tailLogs',
          description:
            'Follows the environment\'s lines (`idp logs --tail`, the Logs tab): a stream of newline-delimited JSON, one event a line — `line` (with the cursor to resume after it), `heartbeat` (every ~15 s while quiet, with a cursor) and `notice`. Ends only when the caller disconnects; a client reconnects with the last cursor and gets no line twice and none missed. Errors before the stream starts are JSON as elsewhere. Needs idp.logs.read.',
          parameters: [envParam, ...repoQuery, ...queryParams(c.LogTailQuery)],
          responses: { '200': { description: 'One LogTailEvent per line', content: { 'application/x-ndjson': { schema: json(c.LogTailEvent) } } }, ...sourceErrors },
        },
      },
      '/environments/{env}/metrics': {
        get: {
          operationId: 'getMetrics',
          description: 'Request rate, error rate, p95 latency, CPU and memory of the environment over a range (`idp metrics`), from the metric source the platform routes it to (idp.metrics; Prometheus\'s query API). Needs idp.metrics.read.',
          parameters: [envParam, ...repoQuery, ...queryParams(c.MetricsQueryParams)],
          responses: { '200': ok(c.MetricsView), ...sourceErrors },
        },
      },
      '/environments/{env}/extend': {
        post: { operationId: 'extendEnvironment', parameters: [envParam, idempotencyKey], requestBody: body(c.ExtendEnvironmentRequest), responses: started },
      },
      '/environments/{env}/secrets': {
        get: {
          operationId: 'listSecrets',
          description: 'The environment\'s secrets (its own and those inherited along from:): each key\'s reference, pinned version, store, and whether it exists there — never a value; where a new key would be written (routing); the open secret change. One store call per store where the store allows.',
          parameters: [envParam, ...repoQuery, { name: 'check', in: 'query', required: false, schema: { type: 'string', enum: ['true', 'false'] }, description: 'Also answer `check`: whether every reference resolves in its store (exists, pinned version exists); values are not read' }],
          responses: { '200': ok(c.SecretList), ...errors },
        },
      },
      '/environments/{env}/secrets/{key}': {
        post: {
          operationId: 'setSecret',
          description:
            'Set a secret: with `value`, the value is written to the store routed for the component and environment as a new version (the same Idempotency-Key again writes no second version), then a PR pins its reference and version in paws.yaml; with `ref` (and `version`), the PR points the key at an existing secret. The value is never kept, logged or answered. Refused before anything is written (400/403/409) when the key, the value (empty, over the store\'s size limit), the routing or the reference is wrong, or another secret change of the environment is open.',
          parameters: [envParam, keyParam, idempotencyKey],
          requestBody: body(c.SetSecretRequest),
          responses: started,
        },
        delete: {
          operationId: 'unsetSecret',
          description: 'A PR removing the key\'s reference from the environment; the value stays in its store until an operator purges it.',
          parameters: [envParam, keyParam, ...repoQuery, { name: 'dryRun', in: 'query', required: false, schema: { type: 'string', enum: ['true', 'false'] }, description: 'Validate, authorize and compute the change, start nothing (200 with the plan)' }, idempotencyKey],
          responses: started,
        },
      },
      '/workflows/{workflowId}': {
        get: {
          operationId: 'getWorkflow',
          parameters: [
            { name: 'workflowId', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'wait', in: 'query', required: false, schema: { type: 'integer', minimum: 0, maximum: 60 }, description: 'Long-poll: wait up to this many seconds for the workflow to close' },
            { name: 'phase', in: 'query', required: false, schema: { type: 'string', enum: c.WorkflowPhase.options }, description: 'With wait: also return as soon as the phase is no longer this one (e.g. a queued release opening its PR)' },
          ],
          responses: { '200': ok(c.WorkflowStatus), ...errors },
        },
      },
      '/releases': {
        get: { operationId: 'listReleases', description: 'The release ledger of every environment of the component, newest first.', parameters: repoQuery, responses: { '200': ok(c.ReleaseList), ...errors } },
        post: { operationId: 'createRelease', parameters: [idempotencyKey], description: 'Open a release PR setting the environment to an image; it queues behind a release already in progress for that environment.', requestBody: body(c.CreateReleaseRequest), responses: started },
      },
      '/releases/promote': {
        post: { operationId: 'promoteRelease', parameters: [idempotencyKey], description: 'Release to `to` exactly what `from` runs now.', requestBody: body(c.PromoteReleaseRequest), responses: started },
      },
      '/releases/rollback': {
        post: { operationId: 'rollbackRelease', parameters: [idempotencyKey], description: 'Release a previous version again, under the rollback policy.', requestBody: body(c.RollbackReleaseRequest), responses: started },
      },
      '/releases/{env}/{number}': {
        get: {
          operationId: 'getRelease',
          parameters: [envParam, { name: 'number', in: 'path', required: true, schema: { type: 'integer' }, description: 'Release number (v12 → 12)' }, ...repoQuery],
          responses: { '200': ok(c.ReleaseDetail), ...errors },
        },
      },
      '/activity': {
        get: {
          operationId: 'listActivity',
          description: 'The component\'s idp workflows, running and recently closed, newest first (with requester, PR and, when the server knows the Temporal Web UI, a link to each run), and idp\'s PRs of the component that no listed workflow follows.',
          parameters: [...repoQuery, { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 }, description: 'At most this many workflows, and this many PRs without one' }],
          responses: { '200': ok(c.ActivityList), ...errors },
        },
      },
      '/pulls': {
        get: {
          operationId: 'listPulls',
          description: 'One bounded page of the PRs that match, newest first: page 1 is the newest `limit`, page 2 the `limit` before them; each page sorted by number. `nextPage` is there when more may follow.',
          parameters: [
            ...repoQuery,
            { name: 'state', in: 'query', schema: { type: 'string', enum: ['open', 'merged', 'closed', 'all'], default: 'open' } },
            { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 100 }, description: 'At most this many PRs per page' },
            { name: 'page', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000, default: 1 }, description: 'Which page, newest first (the previous answer\'s nextPage)' },
          ],
          responses: { '200': ok(c.PullList), ...errors },
        },
      },
      '/pulls/{number}': {
        get: {
          operationId: 'getPull',
          description: 'JSON; a browser (Accept: text/html) gets a readable page with the diff, which is where the local forge\'s PR links lead.',
          parameters: [numberParam, ...repoQuery],
          responses: { '200': ok(c.PullRequestSchema), ...errors },
        },
      },
      '/pulls/{number}/diff': { get: { operationId: 'getPullDiff', parameters: [numberParam, ...repoQuery], responses: { '200': ok(c.PullDiff), ...errors } } },
      '/pulls/{number}/reviews': {
        post: { operationId: 'reviewPull', parameters: [numberParam], requestBody: body(c.ReviewRequest), responses: { '200': ok(c.ReviewResult), ...errors } },
      },
      '/pulls/{number}/checks': {
        post: {
          operationId: 'reportCheck',
          description: 'Local forge only (no CI runs there): report a check on the PR\'s head, as CI would. On GitHub/GitLab (403) your CI reports checks; `idp/policy` is idp\'s own (403).',
          parameters: [numberParam],
          requestBody: body(c.CheckRequest),
          responses: { '200': ok(c.PullRequestSchema), '403': ok(c.ErrorResponse, 'Not the local forge, or the check is idp\'s own (code forbidden)'), ...errors },
        },
      },
      '/pulls/{number}/merge': {
        post: { operationId: 'mergePull', parameters: [numberParam], requestBody: body(c.PullActionRequest), responses: { '200': ok(c.PullRequestSchema), ...errors } },
      },
      '/pulls/{number}/close': {
        post: { operationId: 'closePull', parameters: [numberParam], requestBody: body(c.PullActionRequest), responses: { '200': ok(c.PullRequestSchema), ...errors } },
      },
    },
  };
}
