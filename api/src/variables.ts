/** GET /environments/:env/variables: what the environment runs with, and where each value comes from. */
import { effectiveVariables, NotFoundError, parsePaws, type VariableList } from '@idp/core';

export function listVariables(text: string, path: string, env: string): VariableList {
  const { spec } = parsePaws(text, path);
  if (!Object.hasOwn(spec.environments ?? {}, env)) {
    throw new NotFoundError(`There is no environment ${env} in ${path} on the default branch; \`idp env list\` shows them.`);
  }
  return {
    component: spec.metadata.name,
    environment: env,
    variables: effectiveVariables(spec, env).map(({ key, value, source }) => ({
      key,
      value,
      source: source === 'own' ? 'own' : 'from' in source ? `from:${source.from}` : `container:${source.container}`,
    })),
  };
}
