import type { ActionExample } from '../../definition.js';

export const examples: ActionExample[] = [
  {
    title: 'Until the preview is merged',
    description: 'Follow the workflow an earlier idp:env:clone step (id clone) started; the step fails if its PR is closed unmerged.',
    input: { workflowId: '${{ steps.clone.output.workflowId }}', timeoutMinutes: 120 },
  },
];
