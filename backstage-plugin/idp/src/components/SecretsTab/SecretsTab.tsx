/**
 * The Secrets & Variables tab, as Heroku's "Config Vars" shows them, per environment (a selector of the component's
 * environments, `?env=` preselecting one as `idp open <env> --secrets` links it): the effective variables and where
 * each comes from (`idp variables --env`), and the secrets' references, stores and versions — never a value
 * (`idp secrets --env`) — with the same changes the CLI makes, as dialogs. Each list is one Platform API call for the
 * chosen environment, kept live; the environments come from `GET /environments`.
 */
import { EmptyState, Progress, WarningPanel } from '@backstage/core-components';
import { Flex } from '@backstage/ui';
import type { EnvironmentList, RepoRef } from '@idp/core';
import { useComponentData } from '../../hooks/useComponentData';
import type { Followed } from '../../hooks/useRefetchOnWorkflowChange';
import { EnvironmentPicker, useChosenEnvironment } from '../shared/EnvironmentPicker';
import { NoRepository } from '../shared/NoRepository';
import { SecretsSection } from './SecretsSection';
import { VariablesSection } from './VariablesSection';

/** Nothing to follow here: the environments' own changes are the Environments tab's (their list is refetched idly). */
const nothingRunning = (_: EnvironmentList): Followed[] => [];

export function SecretsTab() {
  const { repo, data, error } = useComponentData((client, r) => client.listEnvironments(r), nothingRunning);

  if (!repo) return <NoRepository />;
  if (!data) return error ? <WarningPanel severity="error" defaultExpanded title="Could not load the environments" message={error.message} /> : <Progress />;
  // Variables and secrets are set on an environment paws.yaml declares (one only in an open PR has none yet).
  const envs = data.environments.filter((e) => e.source === 'paws.yaml').map((e) => e.name);
  if (envs.length === 0) {
    return (
      <EmptyState
        missing="data"
        title="No environments yet"
        description={
          <>
            {data.component}'s paws.yaml declares no environments: variables and secrets are set per environment. Create one on the Environments tab, or run in the component's folder: <code>idp env create review-1</code>
          </>
        }
      />
    );
  }
  return <Chosen component={data.component} envs={envs} repo={repo} error={error} />;
}

function Chosen({ component, envs, repo, error }: { component: string; envs: string[]; repo: RepoRef; error?: Error }) {
  const { env, unknown, choose } = useChosenEnvironment(envs);
  return (
    <Flex direction="column" gap="5">
      <EnvironmentPicker component={component} envs={envs} env={env} unknown={unknown} onChange={choose}>
        Variables and secrets of {component} in {env}
      </EnvironmentPicker>
      {error && <WarningPanel severity="error" defaultExpanded title="Could not refresh the environments" message={error.message} />}
      {/* One per environment: another environment starts blank, never showing the previous one's answer under its name. */}
      <VariablesSection key={`variables-${env}`} repo={repo} env={env} />
      <SecretsSection key={`secrets-${env}`} repo={repo} env={env} />
    </Flex>
  );
}
