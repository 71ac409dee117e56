/** What the Environments tab's tests share: the component, its repository, environment lists, and deferred answers. */
import type { EnvironmentList, EnvironmentView } from '@idp/core';

export const entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'checkout', annotations: { 'backstage.io/source-location': 'url:file:///srv/demo/checkout.git/' } },
  spec: { type: 'service', owner: 'team-payments', lifecycle: 'production' },
};
export const REPO = { repo: '/srv/demo/checkout.git', path: 'paws.yaml' };

export const env = (over: Partial<EnvironmentView> & { name: string }): EnvironmentView => ({ ephemeral: false, source: 'paws.yaml', variables: {}, secrets: [], pulls: [], workflows: [], ...over });
export const list = (environments: EnvironmentView[]): EnvironmentList => ({ component: 'checkout', repo: REPO.repo, provider: 'local', defaultBranch: 'main', environments });

/** A promise the test settles when it chooses: what the server answers, and when. */
export function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

