/** Inheritance through `from:`, shared by release policies and paws images. */
import type { EnvironmentSpec, PawsSpec } from '../paws/schema.js';

/** `env` and the environments it is cloned from, nearest first; stops at a missing name or a cycle (a validated spec has neither). */
export function fromChain(spec: PawsSpec, env: string): EnvironmentSpec[] {
  const envs = spec.environments ?? {};
  const seen: string[] = [];
  for (let n: string | undefined = env; n !== undefined && Object.hasOwn(envs, n) && !seen.includes(n); n = envs[n]!.from) seen.push(n);
  return seen.map((n) => envs[n]!);
}
