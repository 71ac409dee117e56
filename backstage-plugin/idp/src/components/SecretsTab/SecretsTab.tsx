/**
 * The Secrets & Variables tab, as Heroku's "Config Vars" shows them, per environment (a selector of the component's
 * environments, `?env=` preselecting one as `idp open <env> --secrets` links it): the effective variables and where
 * each comes from (`idp variables --env`), and the secrets' references, stores and versions — never a value
 * (`idp secrets --env`) — with the same changes the CLI makes, as dialogs. Each list is one Platform API call for the
 * chosen environment, kept live; the environments come from `GET /environments`.
 */
import { Flex } from '@backstage/ui';
import type { RepoRef } from '@idp/core';
import { ComponentEnvironments, RefreshError } from '../shared/ComponentEnvironments';
import { EnvironmentPicker, useChosenEnvironment } from '../shared/EnvironmentPicker';
import { SecretsSection } from './SecretsSection';
import { VariablesSection } from './VariablesSection';

export function SecretsTab() {
  // Variables and secrets are set on an environment paws.yaml declares (one only in an open PR has none yet).
  return (
    <ComponentEnvironments declaredOnly noneBecause=": variables and secrets are set per environment.">
      {({ list, envs, repo, error }) => <Chosen component={list.component} envs={envs.map((e) => e.name)} repo={repo} error={error} />}
    </ComponentEnvironments>
  );
}

function Chosen({ component, envs, repo, error }: { component: string; envs: string[]; repo: RepoRef; error?: Error }) {
  const { env, unknown, choose } = useChosenEnvironment(envs);
  return (
    <Flex direction="column" gap="5">
      <EnvironmentPicker component={component} envs={envs} env={env} unknown={unknown} onChange={choose}>
        Variables and secrets of {component} in {env}
      </EnvironmentPicker>
      <RefreshError error={error} />
      {/* One per environment: another environment starts blank, never showing the previous one's answer under its name. */}
      <VariablesSection key={`variables-${env}`} repo={repo} env={env} />
      <SecretsSection key={`secrets-${env}`} repo={repo} env={env} />
    </Flex>
  );
}
