import type { ActionExample } from '../../definition.js';

export const examples: ActionExample[] = [
  {
    title: 'Keep a preview two more days',
    description: 'preview-7 of the component picked in the catalog expires 48 hours later than it would have.',
    input: { component: 'component:default/checkout', name: 'preview-7', ttl: '48h' },
  },
];
