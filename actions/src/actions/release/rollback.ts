import { defineAction } from '../../definition.js';
import { componentInput, envName, propose } from '../../propose.js';
import { examples } from './rollback.examples.js';
import { releaseOutput } from './output.js';

export const releaseRollbackAction = defineAction({
  name: 'release:rollback',
  title: 'Roll back a release',
  description:
    'Requests a release of an earlier merged version of an environment again (default: the one before the current one), under the rollback policy, as the acting user (as `idp releases rollback`). Outputs the PR\'s URL, the workflow id and the release version.',
  input: (z) =>
    z.object({
      ...componentInput(z),
      env: envName(z, 'The environment to roll back, e.g. production'),
      to: z.number().int().min(1).optional().describe('The release number to return to (v<to>); default: the merged release before the current one'),
    }),
  output: releaseOutput,
  attributes: { readOnly: false, destructive: true, idempotent: false },
  examples,
  run: (ctx, input) =>
    propose(ctx, input, `Roll back ${input.env}${input.to ? ` to v${input.to}` : ''}`, (client, where, dryRun) =>
      client.rollbackRelease({ ...where, env: input.env, ...(input.to !== undefined ? { to: input.to } : {}), dryRun }),
    ),
});
