import { defineAction } from '../../definition.js';
import { componentInput, envName, propose, proposedOutput } from '../../propose.js';
import { examples } from './set-ref.examples.js';

/** A secret's name as the workload sees it (an environment variable name), as the API checks it. */
const SECRET_KEY = '^[A-Za-z_][A-Za-z0-9_]{0,127}$';

export const secretSetRefAction = defineAction({
  name: 'secret:set-ref',
  title: 'Point a secret at an existing reference',
  description:
    'Sets a secret of an environment to a reference of a secret that already exists in one of the platform\'s secret stores (as `idp secrets set <key> --ref <ref> [--version <v>]`): the API checks it exists there (and the version, if given; else the current version is pinned), then a PR opened by the acting user pins the reference and version in paws.yaml. Takes a reference, never a value: a template must not carry secret values. Outputs the PR\'s URL and the workflow id.',
  input: (z) =>
    z.object({
      ...componentInput(z),
      env: envName(z, 'The environment, e.g. staging'),
      key: z.string().regex(new RegExp(SECRET_KEY), 'key: an environment variable name (letters, digits, _), e.g. STRIPE_KEY').describe('The secret\'s name, as the workload sees it'),
      ref: z.string().regex(/^[a-z][a-z0-9+.-]*:\/\/\S+$/, 'ref: a secret reference, scheme://location, e.g. vault://secret/shared/stripe#key').describe('The existing secret: aws-sm://<name>[#<json-key>], vault://<mount>/<path>#<key> or sops://<file>#<key>'),
      version: z.string().min(1).optional().describe('The version to pin (default: the store\'s current version)'),
    }),
  output: (z) => z.object(proposedOutput(z)),
  attributes: { readOnly: false, destructive: false, idempotent: true },
  examples,
  run: (ctx, input) =>
    propose(ctx, input, `Point ${input.key} of ${input.env} at ${input.ref}`, (client, where, dryRun) =>
      client.setSecret(input.env, input.key, { ...where, ref: input.ref, ...(input.version !== undefined ? { version: input.version } : {}), dryRun }),
    ),
});
