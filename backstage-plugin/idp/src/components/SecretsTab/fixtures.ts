/** What the Secrets & Variables tab's tests share: the contract's answers for the demo component. */
import type { SecretList, SecretView, WorkflowStatus } from '@idp/core';
import { env, list, REPO } from '../EnvironmentsTab/fixtures';

export { REPO };
export const ENVS = list([env({ name: 'staging', from: 'production' }), env({ name: 'production' }), env({ name: 'review-9', source: 'pending' })]);
export const SHA = '0123456789abcdef0123456789abcdef01234567';

export const secret = (over: Partial<SecretView> & { key: string }): SecretView => ({
  ref: `sops://checkout/staging.enc.yaml#${over.key}`,
  version: SHA,
  store: 'local',
  source: 'own',
  exists: true,
  versionExists: true,
  currentVersion: over.version ?? SHA,
  lastChanged: new Date(Date.now() - 2 * 86400_000).toISOString(),
  ...over,
});

export const secrets = (environment: string, list: SecretView[], over: Partial<SecretList> = {}): SecretList => ({
  component: 'checkout',
  repo: REPO.repo,
  environment,
  secrets: list,
  route: { store: 'local', type: 'sops', why: 'the default store', ref: `sops://checkout/${environment}.enc.yaml#<KEY>` },
  ...over,
});

export const PR = { number: 7, url: 'http://127.0.0.1:7007/api/idp/pulls/7?repo=%2Fsrv%2Fdemo%2Fcheckout.git', state: 'open' as const, head: 'idp/env-secrets/checkout/staging', headSha: 'abc' };

export const secretStatus = (over: Partial<WorkflowStatus> = {}): WorkflowStatus => ({
  workflowId: 'env-secrets:checkout:staging@1a2b3c4d5e',
  kind: 'env-secrets',
  component: 'checkout',
  environment: 'staging',
  status: 'running',
  phase: 'open',
  pr: PR,
  ...over,
});
