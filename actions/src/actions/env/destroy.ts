import { defineAction } from '../../definition.js';
import { componentInput, envName, propose, proposedOutput } from '../../propose.js';
import { examples } from './destroy.examples.js';

export const envDestroyAction = defineAction({
  name: 'env:destroy',
  title: 'Destroy an environment',
  description:
    'Proposes removing an environment from the component\'s paws.yaml as a PR opened by the acting user and followed by idp\'s workflow (as `idp env destroy`). A permanent environment needs confirm equal to its name. Outputs the PR\'s URL and the workflow id.',
  input: (z) =>
    z.object({
      ...componentInput(z),
      name: envName(z, 'The environment to remove, e.g. preview-7'),
      confirm: z.string().optional().describe('Must equal name to remove a permanent (non-expiring) environment'),
    }),
  output: (z) => z.object(proposedOutput(z)),
  attributes: { readOnly: false, destructive: true, idempotent: true },
  examples,
  run: (ctx, input) =>
    propose(ctx, input, `Destroy ${input.name}`, (client, where, dryRun) => client.destroyEnvironment(input.name, { ...where, ...(input.confirm ? { confirm: input.confirm } : {}), dryRun })),
});
