/**
 * Where a release of `env` is written and under which policy, as the component's
 * paws.yaml says on its default branch, raised to the platform's floors: the one
 * place the policy is resolved (API checks, PR body and workflow share it).
 */
import type { PawsSpec } from '../paws/schema.js';
import type { ReleaseRecord } from '../api/contract.js';
import { deployTargetFor } from './deploy.js';
import { applyReleaseFloors, type ReleaseFloors } from './floors.js';
import { releasePolicyFor } from './policy.js';

export function releasePlan(spec: PawsSpec, input: { env: string; path: string; kind: ReleaseRecord['kind'] }, floors: ReleaseFloors) {
  const target = deployTargetFor(spec, input.env, input.path);
  const policy = applyReleaseFloors(releasePolicyFor(spec, input.env, input.kind === 'rollback' ? 'rollback' : 'release'), input.env, floors);
  return { target, policy };
}
