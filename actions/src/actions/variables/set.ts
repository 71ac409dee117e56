import { defineAction } from '../../definition.js';
import { componentInput, envName, propose, proposedOutput } from '../../propose.js';
import { examples } from './set.examples.js';

export const variablesSetAction = defineAction({
  name: 'variables:set',
  title: 'Set or unset environment variables',
  description:
    'Sets (and unsets) variables of an environment in one PR against paws.yaml, opened by the acting user and followed by idp\'s workflow (as `idp variables set` / `unset`). A variable that looks like a secret is refused: secrets go to a secret store, with `idp:secret:set-ref` pointing at them. Outputs the PR\'s URL and the workflow id.',
  input: (z) =>
    z.object({
      ...componentInput(z),
      env: envName(z, 'The environment, e.g. staging'),
      set: z.record(z.string(), z.string()).optional().describe('Variables to set, KEY → value'),
      unset: z.array(z.string()).optional().describe('Keys to remove from the environment\'s own variables'),
    }),
  output: (z) => z.object(proposedOutput(z)),
  attributes: { readOnly: false, destructive: false, idempotent: true },
  examples,
  run: (ctx, input) =>
    propose(ctx, input, `Change the variables of ${input.env}`, (client, where, dryRun) =>
      client.setVariables(input.env, { ...where, ...(input.set ? { set: input.set } : {}), ...(input.unset ? { unset: input.unset } : {}), dryRun }),
    ),
});
