import type { ActionExample } from '../../definition.js';

export const examples: ActionExample[] = [
  {
    title: 'Keep a preview two more days',
    description: 'preview-7 of the component picked in the catalog now expires 48 hours from now.',
    input: { component: 'component:default/checkout', name: 'preview-7', ttl: '48h' },
  },
];
