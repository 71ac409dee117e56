import { defineAction } from '../../definition.js';
import { componentInput, envName, propose, proposedOutput, TTL } from '../../propose.js';
import { examples } from './create.examples.js';

export const envCreateAction = defineAction({
  name: 'env:create',
  title: 'Create an environment',
  description:
    'Proposes a new, empty environment in the component\'s paws.yaml as a PR opened by the acting user and followed by idp\'s workflow (as `idp env create`). Outputs the PR\'s URL and the workflow id.',
  input: (z) =>
    z.object({
      ...componentInput(z),
      name: envName(z, 'The new environment\'s name, e.g. qa'),
      ttl: z.string().regex(new RegExp(TTL), 'ttl: a number and a unit, like 30m, 72h or 7d').optional().describe('Time to live, e.g. 7d (none: permanent)'),
    }),
  output: (z) => z.object(proposedOutput(z)),
  attributes: { readOnly: false, destructive: false, idempotent: true },
  examples,
  run: (ctx, input) =>
    propose(ctx, input, `Create ${input.name}`, (client, where, dryRun) => client.createEnvironment({ ...where, name: input.name, ...(input.ttl ? { ttl: input.ttl } : {}), dryRun })),
});
