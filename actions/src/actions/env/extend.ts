import { defineAction } from '../../definition.js';
import { componentInput, envName, propose, proposedOutput, TTL } from '../../propose.js';
import { examples } from './extend.examples.js';

export const envExtendAction = defineAction({
  name: 'env:extend',
  title: 'Extend an environment\'s time to live',
  description:
    'Pushes a short-lived environment\'s expiry back by ttl (counted from now if it has already expired) in a PR opened by the acting user and followed by idp\'s workflow (as `idp env extend`). Outputs the PR\'s URL and the workflow id.',
  input: (z) =>
    z.object({
      ...componentInput(z),
      name: envName(z, 'The environment, e.g. preview-7'),
      ttl: z.string().regex(new RegExp(TTL), 'ttl: a number and a unit, like 30m, 72h or 7d').describe('How much longer, e.g. 48h: added to the current expiry'),
    }),
  output: (z) => z.object(proposedOutput(z)),
  attributes: { readOnly: false, destructive: false, idempotent: true },
  examples,
  run: (ctx, input) => propose(ctx, input, `Extend ${input.name} by ${input.ttl}`, (client, where, dryRun) => client.extendEnvironment(input.name, { ...where, ttl: input.ttl, dryRun })),
});
