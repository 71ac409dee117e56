/**
 * Platform approval floors: per environment-name pattern, the least a release
 * (or rollback) policy may demand. A component's own paws.yaml is reviewed by
 * the component's team only, so it cannot lower what the platform requires of,
 * say, production. Set by the server (IDP_RELEASE_FLOORS); applied once, where
 * the policy is resolved, so the API's checks, the PR body and the workflow all
 * use the same policy.
 *
 * Combining a floor with the component's policy:
 * - approvals: the larger of the two;
 * - selfApproval: off when the floor turns it off;
 * - requiredChecks: the union;
 * - approvers: when the floor names some, an approver must be on the floor's
 *   list: the component's entries that are also the floor's (by name), or the
 *   floor's list when the component names none of them (the component may
 *   narrow the floor's approvers, never widen them).
 * Several matching patterns combine the same way.
 */
import { z } from 'zod';
import { matchesGlob } from './glob.js';
import type { ReleasePolicy } from './policy.js';

/** The status idp itself publishes on release PRs: requiring it would be circular. */
export const IDP_POLICY_STATUS = 'idp/policy';

const FloorSchema = z
  .object({
    approvals: z.number().int().min(0).optional(),
    selfApproval: z.boolean().optional(),
    requiredChecks: z
      .array(z.string().min(1))
      .refine((c) => !c.includes(IDP_POLICY_STATUS), `${IDP_POLICY_STATUS} is idp's own status for the release policy; it cannot be one of the checks the policy requires`)
      .optional(),
    approvers: z.array(z.string().min(1)).optional(),
  })
  .strict();

/** Environment-name pattern (`*` matches any characters) → floor. */
export const ReleaseFloorsSchema = z.record(z.string().min(1), FloorSchema);
export type ReleaseFloors = z.infer<typeof ReleaseFloorsSchema>;
export type ReleaseFloor = z.infer<typeof FloorSchema>;

/** Unset IDP_RELEASE_FLOORS: four eyes on production. `{}` turns floors off. */
export const DEFAULT_RELEASE_FLOORS: ReleaseFloors = { 'prod*': { approvals: 1, selfApproval: false } };

/** Validate floors read from `source` (a setting's name) as JSON text; throws an Error that says what to write. */
export function parseReleaseFloors(text: string, source = 'IDP_RELEASE_FLOORS'): ReleaseFloors {
  const example = `{"prod*": {"approvals": 1, "selfApproval": false, "requiredChecks": []}}`;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error(`${source} is not valid JSON; write e.g. ${example} (or @/path/to/floors.json; {} for no floors).`);
  }
  const parsed = ReleaseFloorsSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.length ? `${i.path.map(String).join('.')}: ` : ''}${i.message}`);
    throw new Error(`${source} is not valid: ${problems.join('; ')}. Write e.g. ${example}.`);
  }
  return parsed.data;
}

/** `policy` for environment `env` raised to the floors whose pattern matches `env`; `floor` says what the platform set. */
export function applyReleaseFloors(policy: ReleasePolicy, env: string, floors: ReleaseFloors): ReleasePolicy {
  const matching = Object.entries(floors).filter(([pattern]) => matchesGlob(env, pattern));
  if (matching.length === 0) return policy;
  const out: ReleasePolicy = { ...policy, approvers: [...policy.approvers], requiredChecks: [...policy.requiredChecks] };
  const raised = new Set<NonNullable<ReleasePolicy['floor']>['raised'][number]>();
  for (const [, floor] of matching) {
    if (floor.approvals !== undefined && floor.approvals > out.approvals) {
      out.approvals = floor.approvals;
      raised.add('approvals');
    }
    if (floor.selfApproval === false && out.selfApproval) {
      out.selfApproval = false;
      raised.add('selfApproval');
    }
    for (const check of floor.requiredChecks ?? []) {
      if (!out.requiredChecks.includes(check)) {
        out.requiredChecks.push(check);
        raised.add('requiredChecks');
      }
    }
    if (floor.approvers?.length) {
      const allowed = new Set(floor.approvers.map(nameKey));
      const within = out.approvers.filter((a) => allowed.has(nameKey(a)));
      const next = within.length > 0 ? within : [...floor.approvers];
      if (next.length !== out.approvers.length || next.some((a, i) => a !== out.approvers[i])) {
        out.approvers = next;
        raised.add('approvers');
      }
    }
  }
  return { ...out, floor: { patterns: matching.map(([p]) => p), raised: [...raised] } };
}

/** Approver names compare case-insensitively, with or without a leading @ (as in policy.ts). */
function nameKey(name: string): string {
  return name.replace(/^@/, '').toLowerCase();
}
