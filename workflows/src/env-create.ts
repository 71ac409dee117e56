/** env-create:<component>:<name> — PR adding a new environment with the workload's defaults. */
import { proposeAndFollow } from './pr-lifecycle.js';
import { timeMergedEnvironment } from './ttl-timer.js';
import type { EnvChangeInput, EnvChangeResult } from './shared.js';

export async function envCreate(input: EnvChangeInput): Promise<EnvChangeResult> {
  const result = await proposeAndFollow(input, envCreate);
  if (result.outcome === 'merged') return { ...result, expiresAt: await timeMergedEnvironment(input) };
  return result;
}
