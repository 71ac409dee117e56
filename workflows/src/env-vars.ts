/** env-vars:<component>:<env> — one PR setting and unsetting the environment's variables in paws.yaml. */
import { proposeAndFollow } from './pr-lifecycle.js';
import type { EnvChangeInput, EnvChangeResult } from './shared.js';

export async function envVars(input: EnvChangeInput): Promise<EnvChangeResult> {
  return proposeAndFollow(input, envVars);
}
