/** Errors for environments that are missing or already there, shared by the edit and the operations. */
import { ConflictError, NotFoundError } from '../errors.js';
import type { EnvironmentSpec, PawsSpec } from './schema.js';

export function environmentOrThrow(spec: PawsSpec, name: string, file: string): EnvironmentSpec {
  const envs = spec.environments ?? {};
  if (Object.hasOwn(envs, name)) return envs[name]!;
  const names = Object.keys(envs);
  throw new NotFoundError(
    `Environment "${name}" does not exist in ${file}; ${names.length ? `existing: ${names.join(', ')}` : 'it has no environments yet'}.`,
    { environment: name, existing: names },
  );
}

export function alreadyExists(name: string, file: string): ConflictError {
  return new ConflictError(`Environment "${name}" already exists in ${file}; choose another name, or destroy it first.`, { environment: name });
}
