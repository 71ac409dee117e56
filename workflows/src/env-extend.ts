/** env-extend:<component>:<env> — PR moving lifecycle.expiresAt; once merged, the TTL timer moves too. */
import { proposeAndFollow } from './pr-lifecycle.js';
import { timeMergedEnvironment } from './ttl-timer.js';
import type { EnvChangeInput, EnvChangeResult } from './shared.js';

export async function envExtend(input: EnvChangeInput): Promise<EnvChangeResult> {
  const result = await proposeAndFollow(input, envExtend);
  if (result.outcome === 'merged') return { ...result, expiresAt: await timeMergedEnvironment(input) };
  return result;
}
