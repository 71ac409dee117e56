import { defineAction } from '../../definition.js';
import { componentInput, envName, propose, proposedOutput, TTL } from '../../propose.js';
import { examples } from './clone.examples.js';

export const envCloneAction = defineAction({
  name: 'env:clone',
  title: 'Clone an environment',
  description:
    'Proposes a new environment copied from an existing one (e.g. a preview from staging) as a PR against the component\'s paws.yaml, opened by the acting user and followed by idp\'s workflow (the same one `idp env clone` starts). Outputs the PR\'s URL and the workflow id.',
  input: (z) =>
    z.object({
      ...componentInput(z),
      source: envName(z, 'The environment to copy, e.g. staging'),
      name: envName(z, 'The new environment\'s name, e.g. preview-7'),
      ttl: z.string().regex(new RegExp(TTL), 'ttl: a number and a unit, like 30m, 72h or 7d').optional().describe('Time to live, e.g. 72h: a PR tears it down when it expires'),
    }),
  output: (z) => z.object(proposedOutput(z)),
  attributes: { readOnly: false, destructive: false, idempotent: true },
  examples,
  run: (ctx, input) =>
    propose(ctx, input, `Clone ${input.source} to ${input.name}`, (client, where, dryRun) =>
      client.cloneEnvironment(input.source, { ...where, target: input.name, ...(input.ttl ? { ttl: input.ttl } : {}), dryRun }),
    ),
});
