/**
 * The paws.yaml schema. Its core (containers, service, resources) follows Score
 * (https://score.dev) so a paws file can be exported to Score tooling; those parts
 * are loose objects, because Score allows fields paws does not need to know.
 * What paws adds (metadata.owner, deploy, environments) is strict, so a typo like
 * `lifecyle:` is an error instead of a silently ignored key.
 *
 * Cross-field rules (existing `from:` targets, cycles, TTL syntax, environment
 * names) live in rules.ts: they need the whole document and better messages
 * than a schema can give.
 */
import { z } from 'zod';
import { parseSecretRef, SECRET_REF, secretVersionProblem } from '../secrets/ref.js';

export { SECRET_REF };

export const PAWS_API_VERSION = 'paws.dev/v1';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const SECRET_VALUE_MESSAGE =
  'secret values never go in paws.yaml; use a reference like vault://kv/app/env#key';

/** YAML turns `PORT: 8080` into a number; say how to keep it a string. */
const stringValue = z.string({
  error: (iss) => (iss.input === undefined ? undefined : 'expected a string; quote the value, e.g. "8080" or "true"'),
});
const variables = z.record(z.string(), stringValue);

const SecretRefSchema = z
  .strictObject(
    {
      ref: z
        .string()
        .regex(SECRET_REF, { error: SECRET_VALUE_MESSAGE })
        // A managed scheme's reference must have its store's shape; the reference (not a value) is safe to show.
        .superRefine((ref, ctx) => {
          const parsed = SECRET_REF.test(ref) ? parseSecretRef(ref) : null;
          if (parsed && 'problem' in parsed) ctx.addIssue({ code: 'custom', message: `${ref}: ${parsed.problem}` });
        })
        .describe(
          'Reference to the secret in a secret store. Managed by idp: aws-sm://<secret-name>[#<json-key>], ' +
            'vault://<mount>/<path>#<key>, sops://<file>#<key>; any other scheme (env://, gcp-sm://...) is kept as written',
        ),
      version: z
        .string({ error: (iss) => (iss.input === undefined ? undefined : 'expected a string; quote the version, e.g. "3"') })
        .optional()
        .describe(
          "The store's version the environment uses: AWS VersionId, Vault KV v2 version number, sops commit of the secrets repository; unset: the store's current one",
        ),
    },
    {
      // Never echo the value: it may be the secret itself. A reference is safe to show.
      error: (iss) =>
        typeof iss.input === 'string' && SECRET_REF.test(iss.input)
          ? `write the reference as { ref: "${iss.input}" }`
          : iss.input === undefined
            ? undefined
            : SECRET_VALUE_MESSAGE,
    },
  )
  // The version must be one of the reference's store (never quoted back: it could be a value in the wrong field).
  .superRefine((s, ctx) => {
    const problem = s.version !== undefined && SECRET_REF.test(s.ref) ? secretVersionProblem(s.ref, s.version) : undefined;
    if (problem) ctx.addIssue({ code: 'custom', path: ['version'], message: problem });
  })
  .describe('A secret reference and its pinned version, written on one line: { ref: "...", version: "..." }; the value itself never appears in paws.yaml');

const ContainerSchema = z
  .looseObject({
    image: z.string().min(1).describe('Container image, e.g. ghcr.io/acme/checkout:1.4.2'),
    command: z.array(z.string()).optional(),
    args: z.array(z.string()).optional(),
    variables: variables.optional().describe('Environment variables; ${resources.<name>.<output>} placeholders allowed'),
  })
  .describe('A Score container');

const ServiceSchema = z
  .looseObject({
    ports: z
      .record(
        z.string(),
        z.looseObject({
          port: z.number().int().min(1).max(65535),
          protocol: z.string().optional(),
          targetPort: z.number().int().min(1).max(65535).optional(),
        }),
      )
      .optional(),
  })
  .describe('Score service: the ports the workload exposes');

const ResourceSchema = z
  .looseObject({
    type: z.string().min(1).describe('Resource type, e.g. postgres, redis, dns'),
    class: z.string().optional(),
    id: z.string().optional(),
    params: z.record(z.string(), z.unknown()).optional(),
  })
  .describe('A Score resource the workload depends on');

const DeploySchema = z
  .strictObject({
    format: z
      .enum(['kustomize', 'helm-values', 'paws'])
      .describe('How releases are written: a kustomization, a Helm values file, or environments.<env>.image in this paws.yaml'),
    repo: z.string().min(1).optional().describe("Deployment repository, e.g. github.com/acme/deployments; default: the component's own repository"),
    path: z
      .string()
      .min(1)
      .optional()
      .describe('Directory or file inside the repository; {env} is replaced by the environment name (kustomize and helm-values only)'),
    container: z.string().min(1).optional().describe('Container whose image is released; default: the first one in containers'),
  })
  .describe('Where releases are written; without deploy, into this paws.yaml');

/** The release policy fields; `rollback` repeats them as overrides for rollbacks. */
const releasePolicyFields = {
  approvals: z.number().int().min(0).optional().describe('Approvals a release to this environment needs (default 1)'),
  approvers: z.array(z.string()).optional().describe('Users or teams allowed to approve (default: anyone)'),
  requiredChecks: z.array(z.string()).optional().describe('Status checks that must pass, e.g. ci/build'),
  selfApproval: z.boolean().optional().describe("Whether the author's own approval counts (default false)"),
  autoMerge: z.boolean().optional().describe('Merge as soon as the policy holds (default true)'),
  timeout: z.string().optional().describe('Close the release unmerged after this long, e.g. 72h or 7d (default 7d)'),
};

const ReleaseSchema = z
  .strictObject({
    ...releasePolicyFields,
    rollback: z.strictObject(releasePolicyFields).optional().describe("Overrides for rollbacks: the policy's rollback path"),
  })
  .describe('Release policy; each field is inherited through from: unless set here');

const LifecycleSchema = z
  .strictObject({
    ttl: z
      .string({ error: (iss) => (iss.input === undefined ? undefined : 'expected a TTL string like 72h') })
      .optional()
      .describe('Time to live, e.g. 72h or 7d'),
    expiresAt: z
      .string({ error: (iss) => (iss.input === undefined ? undefined : 'expected a timestamp like "2026-11-27T10:00:00Z"') })
      .optional()
      .describe('When the environment is torn down (ISO-8601, UTC)'),
  })
  .describe('Present on ephemeral environments only; an environment without lifecycle is permanent');

export const EnvironmentSpecSchema = z.strictObject(
  {
    from: z.string().optional().describe('Environment this one starts from (inherits variables, secrets, image and release policy)'),
    image: z
      .string({ error: (iss) => (iss.input === undefined ? undefined : 'expected an image like ghcr.io/acme/checkout:1.4.3') })
      .optional()
      .describe('Image this environment runs, when releases are written into paws.yaml (deploy.format paws)'),
    variables: variables.optional(),
    secrets: z.record(z.string(), SecretRefSchema).optional(),
    release: ReleaseSchema.optional(),
    lifecycle: LifecycleSchema.optional(),
  },
  { error: (iss) => (iss.input === undefined ? undefined : 'an environment must be a mapping; write {} for one with no settings') },
);

export const PawsSpecSchema = z
  .strictObject(
    {
      apiVersion: z.literal(PAWS_API_VERSION, { error: `must be "${PAWS_API_VERSION}"` }),
      kind: z.literal('Workload', { error: 'must be "Workload"' }),
      metadata: z.looseObject({
        name: z
          .string()
          .max(63)
          .regex(DNS1123_LABEL, {
            error: "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit",
          })
          .describe('Component name'),
        owner: z.string().optional().describe('Owning team'),
      }),
      containers: z.record(z.string(), ContainerSchema),
      service: ServiceSchema.optional(),
      resources: z.record(z.string(), ResourceSchema).optional(),
      deploy: DeploySchema.optional(),
      // `environments:` with only commented-out entries is null in YAML; that means "none".
      environments: z.record(z.string(), EnvironmentSpecSchema).nullable().optional(),
    },
    { error: (iss) => (iss.code === 'invalid_type' ? 'paws.yaml must be a mapping with apiVersion, kind, metadata and containers' : undefined) },
  )
  .describe('paws.yaml: a Score-compatible workload with environments');

export type PawsSpec = z.infer<typeof PawsSpecSchema>;
export type EnvironmentSpec = z.infer<typeof EnvironmentSpecSchema>;
export type Lifecycle = NonNullable<EnvironmentSpec['lifecycle']>;
export type ReleaseSpec = NonNullable<EnvironmentSpec['release']>;
export type DeploySpec = NonNullable<PawsSpec['deploy']>;

/** JSON Schema of paws.yaml, for editors (yaml-language-server) and other tooling. */
export function pawsJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(PawsSpecSchema, { io: 'input' }),
    $id: 'https://paws.dev/schemas/v1/paws.json',
    title: 'paws.yaml',
  };
}
