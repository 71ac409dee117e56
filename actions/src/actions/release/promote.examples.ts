import type { ActionExample } from '../../definition.js';

export const examples: ActionExample[] = [
  {
    title: 'Staging to production',
    description: 'Release to production what staging of the component picked in the catalog runs now.',
    input: { component: 'component:default/checkout', from: 'staging', to: 'production' },
  },
];
