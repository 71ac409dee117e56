/** env-destroy:<component>:<env> — PR removing the environment; once merged, its TTL timer stops. */
import { proposeAndFollow } from './pr-lifecycle.js';
import { stopTtlTimer } from './ttl-timer.js';
import type { EnvChangeInput, EnvChangeResult } from './shared.js';

export async function envDestroy(input: EnvChangeInput): Promise<EnvChangeResult> {
  const result = await proposeAndFollow(input, envDestroy);
  if (result.outcome === 'merged') await stopTtlTimer(input);
  return result;
}
