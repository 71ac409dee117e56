import { defineAction } from '../../definition.js';
import { componentInput, envName, propose } from '../../propose.js';
import { examples } from './promote.examples.js';
import { releaseOutput } from './output.js';

export const releasePromoteAction = defineAction({
  name: 'release:promote',
  title: 'Promote a release',
  description:
    'Requests a release of exactly what one environment runs to another (e.g. staging to production), under the target\'s release policy, as the acting user (as `idp releases promote`). Outputs the PR\'s URL, the workflow id and the release version.',
  input: (z) =>
    z.object({
      ...componentInput(z),
      from: envName(z, 'The environment whose version is copied, e.g. staging'),
      to: envName(z, 'The environment released to, e.g. production'),
    }),
  output: releaseOutput,
  attributes: { readOnly: false, destructive: true, idempotent: false },
  examples,
  run: (ctx, input) => propose(ctx, input, `Promote ${input.from} to ${input.to}`, (client, where, dryRun) => client.promoteRelease({ ...where, from: input.from, to: input.to, dryRun })),
});
