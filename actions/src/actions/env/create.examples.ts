import type { ActionExample } from '../../definition.js';

export const examples: ActionExample[] = [
  {
    title: 'Permanent environment',
    description: 'Add a qa environment to the component picked in the catalog.',
    input: { component: 'component:default/checkout', name: 'qa' },
  },
  {
    title: 'Short-lived environment',
    description: 'Add load-test, removed by a PR after 7 days.',
    input: { component: 'component:default/checkout', name: 'load-test', ttl: '7d' },
  },
];
