/** idp releases create --env staging --image ghcr.io/acme/checkout:1.4.3 [--wait] */
import type { CommandInput } from '../../command.js';
import { UsageError } from '../../exit-codes.js';
import { stringFlag } from '../shared/common.js';
import { runReleaseChange } from './change.js';
import { checkImage, requiredEnv, shortImage } from './common.js';

export async function run(input: CommandInput): Promise<void> {
  const env = requiredEnv(input.flags, 'create', 'idp releases create --env staging --image ghcr.io/acme/checkout:1.4.3');
  const image = stringFlag(input.flags, 'image');
  if (!image) {
    throw new UsageError('--image is required: the image to release, with a tag or digest, e.g. --image ghcr.io/acme/checkout:1.4.3.', 'Run `idp releases create --help` for usage.');
  }
  checkImage(image);
  await runReleaseChange(
    {
      env,
      verb: `Releasing ${shortImage(image)} to ${env}`,
      start: (client, ref) => client.createRelease({ ...ref, env, image }),
    },
    input,
  );
}
