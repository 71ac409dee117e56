import type { ActionExample } from '../../definition.js';

export const examples: ActionExample[] = [
  {
    title: 'Point a key at a shared secret',
    description: 'STRIPE_KEY of staging becomes the existing Vault secret secret/shared/stripe (key "key"), pinned at its current version.',
    input: { component: 'component:default/checkout', env: 'staging', key: 'STRIPE_KEY', ref: 'vault://secret/shared/stripe#key' },
  },
  {
    title: 'Pin a given version',
    description: 'DB_PASSWORD of production points at an AWS Secrets Manager secret, pinned at one of its version ids.',
    input: { component: 'component:default/checkout', env: 'production', key: 'DB_PASSWORD', ref: 'aws-sm://shared/checkout-db', version: 'a1b2c3d4-5678-90ab-cdef-1234567890ab' },
  },
];
