import type { ActionExample } from '../../definition.js';

export const examples: ActionExample[] = [
  {
    title: 'Undo the last release',
    description: 'Return production of the component picked in the catalog to the release before the current one.',
    input: { component: 'component:default/checkout', env: 'production' },
  },
  {
    title: 'Return to a given release',
    description: 'Return staging to its release v3.',
    input: { component: 'component:default/checkout', env: 'staging', to: 3 },
  },
];
