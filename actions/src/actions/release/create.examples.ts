import type { ActionExample } from '../../definition.js';

export const examples: ActionExample[] = [
  {
    title: 'Release to staging',
    description: 'Open the release PR that sets staging of the component picked in the catalog to checkout 1.4.3.',
    input: { component: 'component:default/checkout', env: 'staging', image: 'ghcr.io/acme/checkout:1.4.3' },
  },
];
