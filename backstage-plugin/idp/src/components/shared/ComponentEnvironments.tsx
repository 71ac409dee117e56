/**
 * What the per-environment tabs (Environments, Secrets, Logs, Metrics) start with: the component's environments from
 * ONE `GET /environments`, kept live, and what each says before it has any — no repository, loading, the API's
 * message (as the CLI prints it, not a stack trace), no environments yet (with the tab's own reason).
 */
import { EmptyState, Progress, WarningPanel } from '@backstage/core-components';
import type { EnvironmentList, EnvironmentView, RepoRef } from '@idp/core';
import type { PlatformClient } from '@idp/core/client';
import type { ReactElement, ReactNode } from 'react';
import { useComponentData } from '../../hooks/useComponentData';
import type { Followed } from '../../hooks/useRefetchOnWorkflowChange';
import { NoRepository } from './NoRepository';

const listEnvironments = (client: PlatformClient, repo: RepoRef) => client.listEnvironments(repo);
/** Nothing to follow: the environments' own changes are the Environments tab's (the list is refetched idly). */
const nothingRunning = (_: EnvironmentList): Followed[] => [];

export interface LoadedEnvironments {
  list: EnvironmentList;
  /** The environments the tab shows (all of them, or only those paws.yaml declares). */
  envs: EnvironmentView[];
  repo: RepoRef;
  /** The last refetch's error, while the previous list is still shown. */
  error?: Error;
  refresh: () => void;
}

export function ComponentEnvironments(props: {
  /** Only what paws.yaml declares: what runs, and has variables and secrets (one only in an open PR has none yet). */
  declaredOnly?: boolean;
  /** The workflows to follow, and when the app is about to change state (see useComponentData); none by default. */
  running?: (list: EnvironmentList) => Followed[];
  settling?: (list: EnvironmentList) => boolean;
  /** What follows "<component>'s paws.yaml declares no environments" in the empty state, e.g. ", so nothing runs to measure." */
  noneBecause: string;
  /** An action creating one, shown in the empty state ("Create one here"); else it points to the Environments tab. */
  create?: (repo: RepoRef, refresh: () => void) => ReactElement;
  children: (loaded: LoadedEnvironments) => ReactNode;
}) {
  const { declaredOnly = false, running = nothingRunning, settling, noneBecause, create, children } = props;
  const { repo, data, error, refresh } = useComponentData(listEnvironments, running, settling);
  if (!repo) return <NoRepository />;
  if (!data) return error ? <WarningPanel severity="error" defaultExpanded title="Could not load the environments" message={error.message} /> : <Progress />;
  const envs = declaredOnly ? data.environments.filter((e) => e.source === 'paws.yaml') : data.environments;
  if (envs.length === 0) {
    const action = create?.(repo, refresh);
    return (
      <EmptyState
        missing="data"
        title="No environments yet"
        description={
          <>
            {data.component}'s paws.yaml declares no environments{noneBecause} Create one {action ? 'here' : 'on the Environments tab'}, or run in the component's folder: <code>idp env create review-1</code>
          </>
        }
        action={action}
      />
    );
  }
  return <>{children({ list: data, envs, repo, error, refresh })}</>;
}

/** A refetch that failed while the last list is shown. */
export function RefreshError({ error }: { error?: Error }) {
  return error ? <WarningPanel severity="error" defaultExpanded title="Could not refresh the environments" message={error.message} /> : null;
}
