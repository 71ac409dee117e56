/**
 * env-secrets:<component>:<env> — a PR that pins one secret's reference and version in paws.yaml (or removes it).
 * Merging it switches the environment to that version; reverting it goes back. No value is ever here: the Platform
 * API wrote it to the store first, and this workflow's input and history carry only the key, reference and version.
 */
import { proposeAndFollow } from './pr-lifecycle.js';
import type { EnvChangeInput, EnvChangeResult } from './shared.js';

export async function envSecrets(input: EnvChangeInput): Promise<EnvChangeResult> {
  return proposeAndFollow(input, envSecrets);
}
