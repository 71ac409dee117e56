/**
 * useComponentData for one environment of the component (the Secrets & Variables tab's lists are per environment):
 * ONE Platform API call for that environment, kept live by following what runs, fetched again on `refresh`. The
 * caller mounts one per environment (`key={env}`), so another environment starts blank rather than showing the
 * previous one's answer under its name.
 */
import { useApi } from '@backstage/frontend-plugin-api';
import type { RepoRef } from '@idp/core';
import type { PlatformClient } from '@idp/core/client';
import { useCallback, useState } from 'react';
import { idpApiRef } from '../api';
import { type Followed, useRefetchOnWorkflowChange } from './useRefetchOnWorkflowChange';

export function useEnvironmentData<T>(repo: RepoRef, env: string, fetch: (client: PlatformClient, repo: RepoRef, env: string) => Promise<T>, running: (data: T) => Followed[]) {
  const client = useApi(idpApiRef);
  const [version, setVersion] = useState(0);
  const refresh = useCallback(() => setVersion((v) => v + 1), []);
  // `fetch` is a module-level function: the repository, the environment and `version` are what make a new load.
  const load = useCallback(() => fetch(client, repo, env), [client, repo.repo, repo.path, env, version]); // eslint-disable-line react-hooks/exhaustive-deps
  const { data, error } = useRefetchOnWorkflowChange(load, running);
  return { data, error, refresh };
}
