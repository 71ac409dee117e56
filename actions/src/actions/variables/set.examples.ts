import type { ActionExample } from '../../definition.js';

export const examples: ActionExample[] = [
  {
    title: 'Turn on a feature in staging',
    description: 'One PR setting FEATURE_X=on and LOG_LEVEL=debug in staging of the component picked in the catalog.',
    input: { component: 'component:default/checkout', env: 'staging', set: { FEATURE_X: 'on', LOG_LEVEL: 'debug' } },
  },
  {
    title: 'Remove a variable',
    description: 'One PR removing FEATURE_X from staging.',
    input: { component: 'component:default/checkout', env: 'staging', unset: ['FEATURE_X'] },
  },
];
