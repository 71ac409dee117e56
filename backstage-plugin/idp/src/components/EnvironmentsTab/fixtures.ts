/** What the Environments tab's tests share: the component, its repository, environment lists, and deferred answers. */
import type { EnvironmentList, EnvironmentView } from '@idp/core';

export { entity } from '../../testing/render';
export const REPO = { repo: '/srv/demo/checkout.git', path: 'paws.yaml' };

export const env = (over: Partial<EnvironmentView> & { name: string }): EnvironmentView => ({ ephemeral: false, source: 'paws.yaml', variables: {}, secrets: [], pulls: [], workflows: [], ...over });
export const list = (environments: EnvironmentView[]): EnvironmentList => ({ component: 'checkout', repo: REPO.repo, provider: 'local', defaultBranch: 'main', environments });

export { deferred } from '../../testing/api';

