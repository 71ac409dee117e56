import type { z } from 'zod/v3';
import { proposedOutput } from '../../propose.js';

/** A release action's outputs: the PR and workflow, and which release it is. */
export const releaseOutput = (zod: typeof z) =>
  zod.object({
    ...proposedOutput(zod),
    version: zod.string().optional().describe('The release, v<number> in the environment\'s ledger (absent in a dry run)'),
    image: zod.string().optional().describe('The image the environment runs once the PR is merged'),
    previousImage: zod.string().optional().describe('What the environment runs now'),
  });
