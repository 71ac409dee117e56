/** env-clone:<component>:<target> — PR adding `target: { from: source }` to paws.yaml. */
import { proposeAndFollow } from './pr-lifecycle.js';
import { timeMergedEnvironment } from './ttl-timer.js';
import type { EnvChangeInput, EnvChangeResult } from './shared.js';

export async function envClone(input: EnvChangeInput): Promise<EnvChangeResult> {
  const result = await proposeAndFollow(input, envClone);
  if (result.outcome === 'merged') return { ...result, expiresAt: await timeMergedEnvironment(input) };
  return result;
}
