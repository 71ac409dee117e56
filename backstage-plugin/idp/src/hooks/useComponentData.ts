/**
 * What each tab of the component's page starts with: the component's repository (from its catalog entity), its data
 * from ONE Platform API call kept live by following what runs (useRefetchOnWorkflowChange), and `refresh` for an action
 * that just started something (a new load makes the hook fetch again, and follow what the action started).
 */
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import type { RepoRef } from '@idp/core';
import type { PlatformClient } from '@idp/core/client';
import { useCallback, useState } from 'react';
import { idpApiRef } from '../api';
import { entityRepo } from '../entity';
import { type Followed, useRefetchOnWorkflowChange } from './useRefetchOnWorkflowChange';

export function useComponentData<T>(fetch: (client: PlatformClient, repo: RepoRef) => Promise<T>, running: (data: T) => Followed[], settling?: (data: T) => boolean) {
  const { entity } = useEntity();
  const client = useApi(idpApiRef);
  const repo = entityRepo(entity);
  const [version, setVersion] = useState(0);
  const refresh = useCallback(() => setVersion((v) => v + 1), []);
  // `fetch` is a module-level function of each tab: the repository and `version` are what make a new load.
  const load = useCallback(() => fetch(client, repo!), [client, repo?.repo, repo?.path, version]); // eslint-disable-line react-hooks/exhaustive-deps
  const { data, error } = useRefetchOnWorkflowChange(repo ? load : undefined, running, settling);
  return { repo, data, error, refresh };
}
