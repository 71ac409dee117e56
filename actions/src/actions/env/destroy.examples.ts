import type { ActionExample } from '../../definition.js';

export const examples: ActionExample[] = [
  {
    title: 'Remove a preview',
    description: 'Tear down preview-7 of the component picked in the catalog before it expires.',
    input: { component: 'component:default/checkout', name: 'preview-7' },
  },
  {
    title: 'Remove a permanent environment',
    description: 'Permanent environments are removed only when confirm repeats their name.',
    input: { component: 'component:default/checkout', name: 'qa', confirm: 'qa' },
  },
];
