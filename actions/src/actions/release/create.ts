import { defineAction } from '../../definition.js';
import { componentInput, envName, propose } from '../../propose.js';
import { examples } from './create.examples.js';
import { releaseOutput } from './output.js';

export const releaseCreateAction = defineAction({
  name: 'release:create',
  title: 'Release an image to an environment',
  description:
    'Requests a release of an image to an environment: a release PR under the environment\'s release policy (approvals, checks, four eyes), requested by the acting user and followed by idp\'s release workflow (as `idp releases create`). Outputs the PR\'s URL, the workflow id and the release version.',
  input: (z) =>
    z.object({
      ...componentInput(z),
      env: envName(z, 'The environment to release to, e.g. staging'),
      image: z.string().min(1).describe('The image with a tag or digest, e.g. ghcr.io/acme/checkout:1.4.3'),
    }),
  output: releaseOutput,
  attributes: { readOnly: false, destructive: true, idempotent: false },
  examples,
  run: (ctx, input) => propose(ctx, input, `Release ${input.image} to ${input.env}`, (client, where, dryRun) => client.createRelease({ ...where, env: input.env, image: input.image, dryRun })),
});
