/**
 * Applying an environment change to paws.yaml text — the same core functions
 * the Platform API runs as a dry run before it starts anything, so a request
 * that would fail is refused before a workflow or a branch exists.
 */
import {
  cloneEnvironment,
  createEnvironment,
  destroyEnvironment,
  extendEnvironment,
  parsePaws,
  InvalidRequestError,
} from '@idp/core';
import { isDeepStrictEqual } from 'node:util';
import type { EnvChangeInput } from '@idp/workflows/shared';

export type EnvChangeRequest = Pick<EnvChangeInput, 'kind' | 'path' | 'env' | 'source' | 'ttl' | 'confirm' | 'requestedAt'>;

export function applyEnvChange(text: string, req: EnvChangeRequest): { text: string; component: string; expiresAt?: string } {
  const now = new Date(req.requestedAt);
  const file = req.path;
  let result: { text: string; env?: { lifecycle?: { expiresAt?: string } } };
  switch (req.kind) {
    case 'env-clone':
      if (!req.source) throw new InvalidRequestError('A clone needs a source environment.');
      result = cloneEnvironment(text, { source: req.source, target: req.env, ttl: req.ttl, now, file });
      break;
    case 'env-create':
      result = createEnvironment(text, { name: req.env, ttl: req.ttl, now, file });
      break;
    case 'env-destroy':
      result = destroyEnvironment(text, { name: req.env, confirm: req.confirm, file });
      break;
    case 'env-extend':
      if (!req.ttl) throw new InvalidRequestError('extend needs --ttl, e.g. --ttl 24h.');
      result = extendEnvironment(text, { name: req.env, ttl: req.ttl, now, file });
      break;
  }
  const component = parsePaws(text, file).spec.metadata.name;
  return { text: result.text, component, expiresAt: result.env?.lifecycle?.expiresAt };
}

/** Expiry of `env` as written in a paws.yaml (the PR branch's, after a crash-retry). */
export function expiresAtIn(text: string, file: string, env: string): string | undefined {
  return parsePaws(text, file).spec.environments?.[env]?.lifecycle?.expiresAt;
}

/** Whether two paws.yaml texts say the same about `env` (both lack it, or both define it alike). */
export function sameEnvironment(a: string, b: string, file: string, env: string): boolean {
  const of = (text: string) => parsePaws(text, file).spec.environments?.[env];
  return isDeepStrictEqual(of(a), of(b));
}

const VERBS: Record<EnvChangeInput['kind'], string> = {
  'env-clone': 'Clone',
  'env-create': 'Create',
  'env-destroy': 'Destroy',
  'env-extend': 'Extend',
};

export function describeChange(input: EnvChangeInput, workflowId: string, expiresAt?: string): { title: string; body: string; message: string } {
  const what =
    input.kind === 'env-clone' ? `environment ${input.source} → ${input.env}` : `environment ${input.env}`;
  const title = `${VERBS[input.kind]} ${what}`;
  const effect = {
    'env-clone': `Adds \`${input.env}\` to \`${input.path}\`, inheriting everything from \`${input.source}\`.`,
    'env-create': `Adds \`${input.env}\` to \`${input.path}\` with the workload's defaults.`,
    'env-destroy': `Removes \`${input.env}\` from \`${input.path}\`.`,
    'env-extend': `Moves the expiry of \`${input.env}\` in \`${input.path}\`.`,
  }[input.kind];
  const lines = [
    effect,
    '',
    ...(input.reason ? [`Reason: ${input.reason}.`, ''] : []),
    ...(expiresAt ? [`Expires at ${expiresAt}${input.ttl ? ` (TTL ${input.ttl})` : ''}; after that a teardown PR is opened. Extend with \`idp env extend ${input.env} --ttl 24h\`.`, ''] : []),
    `Requested by ${input.requestedBy} at ${input.requestedAt}.`,
    'Merge to apply; close to cancel.',
    '',
    `<!-- idp workflow: ${workflowId} -->`,
  ];
  return { title, body: lines.join('\n'), message: `${title}\n\nidp workflow: ${workflowId}\nRequested-by: ${input.requestedBy}` };
}
