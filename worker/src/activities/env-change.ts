/** The PR text of an environment change (the edit itself is core's applyEnvChange, shared with the API's dry run). */
import type { EnvChangeInput } from '@idp/workflows/shared';

const VERBS: Record<EnvChangeInput['kind'], string> = {
  'env-clone': 'Clone',
  'env-create': 'Create',
  'env-destroy': 'Destroy',
  'env-extend': 'Extend',
  'env-vars': 'Set variables of',
  'env-secrets': 'Set',
};

export function describeChange(input: EnvChangeInput, workflowId: string, expiresAt?: string): { title: string; body: string; message: string } {
  const secret = input.secret;
  const what =
    input.kind === 'env-clone' ? `environment ${input.source} → ${input.env}` : secret ? `secret ${secret.key} in ${input.env}` : `environment ${input.env}`;
  const title = `${secret && !secret.ref ? 'Unset' : VERBS[input.kind]} ${what}`;
  const effect = {
    'env-clone': `Adds \`${input.env}\` to \`${input.path}\`, inheriting everything from \`${input.source}\`.`,
    'env-create': `Adds \`${input.env}\` to \`${input.path}\` with the workload's defaults.`,
    'env-destroy': `Removes \`${input.env}\` from \`${input.path}\`.`,
    'env-extend': `Moves the expiry of \`${input.env}\` in \`${input.path}\`.`,
    'env-vars': variablesEffect(input),
    'env-secrets': secretEffect(input),
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

/** `Sets LOG_LEVEL, FEATURE_X and unsets OLD_FLAG of staging in paws.yaml.` — names only; the diff shows the values. */
function variablesEffect(input: EnvChangeInput): string {
  const code = (keys: string[]) => keys.map((k) => `\`${k}\``).join(', ');
  const set = Object.keys(input.variables?.set ?? {});
  const unset = input.variables?.unset ?? [];
  const parts = [...(set.length ? [`sets ${code(set)}`] : []), ...(unset.length ? [`unsets ${code(unset)}`] : [])];
  const said = parts.join(' and ');
  return `${said.charAt(0).toUpperCase()}${said.slice(1)} in the variables of \`${input.env}\` in \`${input.path}\`.`;
}

/** What a secret PR does, in words: the reference and version it pins (the value is in the store, never here). */
function secretEffect(input: EnvChangeInput): string {
  const s = input.secret;
  if (!s) return `Changes a secret of \`${input.env}\` in \`${input.path}\`.`;
  const where = `\`environments.${input.env}.secrets.${s.key}\` in \`${input.path}\``;
  if (!s.ref) return `Removes ${where}. The value stays in its store until an operator purges it; reverting this PR brings the reference back.`;
  return [
    `Points ${where} at \`${s.ref}\`${s.version ? `, version \`${s.version}\`` : ''}.`,
    '',
    'The value is in the secret store, not in this PR. Merging switches the environment to this version; reverting the merge goes back to the previous one.',
  ].join('\n');
}
