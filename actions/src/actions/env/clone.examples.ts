import type { ActionExample } from '../../definition.js';

export const examples: ActionExample[] = [
  {
    title: 'Preview environment',
    description: 'Clone staging of the component picked in the catalog into preview-7, torn down after 72 hours.',
    input: { component: 'component:default/checkout', source: 'staging', name: 'preview-7', ttl: '72h' },
  },
  {
    title: 'By repository',
    description: 'Clone staging into qa of the paws.yaml in a repository\'s services/checkout folder.',
    input: { repo: 'https://github.com/acme/shop', path: 'services/checkout/paws.yaml', source: 'staging', name: 'qa' },
  },
];
