/**
 * The environment's effective variables, as `idp variables --env <env>` lists them, from ONE
 * `GET /environments/:env/variables`: each key, its value and where it comes from (own, from: another environment, or
 * the workload's default). Set variable / Set / Unset as dialogs, the request `idp variables set|unset` sends.
 */
import { Progress, WarningPanel } from '@backstage/core-components';
import { Cell, Column, Flex, Row, TableBody, TableHeader, TableRoot, Text } from '@backstage/ui';
import type { RepoRef, VariableList } from '@idp/core';
import { useEnvironmentData } from '../../hooks/useEnvironmentData';
import type { Followed } from '../../hooks/useRefetchOnWorkflowChange';
import { sourceText } from './common';
import { SetVariableDialog } from './SetVariableDialog';
import { UnsetVariableDialog } from './UnsetVariableDialog';

/** The list says nothing of open changes: a dialog follows its own and refreshes the list; otherwise the idle refetch. */
const nothingRunning = (_: VariableList): Followed[] => [];

export function VariablesSection({ repo, env }: { repo: RepoRef; env: string }) {
  const { data, error, refresh } = useEnvironmentData(repo, env, (client, r, e) => client.listVariables(r, e), nothingRunning);
  if (!data) return error ? <WarningPanel severity="error" defaultExpanded title={`Could not load the variables of ${env}`} message={error.message} /> : <Progress />;
  return (
    <Flex direction="column" gap="3" data-testid="variables">
      <Flex justify="between" align="center">
        <Text as="h2" variant="title-small">
          Variables
        </Text>
        <SetVariableDialog env={env} repo={repo} onChange={refresh} />
      </Flex>
      {error && <WarningPanel severity="error" defaultExpanded title={`Could not refresh the variables of ${env}`} message={error.message} />}
      {data.variables.length === 0 ? (
        <Text>
          {env} has no variables. Set one here, or in the component's folder: <code>idp variables set KEY=VALUE --env {env}</code>
        </Text>
      ) : (
        <TableRoot aria-label={`Variables of ${env}`}>
          <TableHeader>
            <Column isRowHeader>Key</Column>
            <Column>Value</Column>
            <Column>Source</Column>
            <Column>Actions</Column>
          </TableHeader>
          <TableBody>
            {data.variables.map((v) => (
              <Row key={v.key} id={v.key} data-testid={`variable-${v.key}`}>
                <Cell>
                  <Text weight="bold">{v.key}</Text>
                </Cell>
                <Cell>
                  <Text style={{ wordBreak: 'break-all' }}>{v.value}</Text>
                </Cell>
                <Cell>
                  <Text>{sourceText(v.source)}</Text>
                </Cell>
                <Cell>
                  <Flex gap="1">
                    <SetVariableDialog env={env} repo={repo} current={{ key: v.key, value: v.value }} onChange={refresh} />
                    {/* An inherited or workload default is unset where it is set; setting it here overrides it. */}
                    {v.source === 'own' ? <UnsetVariableDialog env={env} keyName={v.key} repo={repo} onChange={refresh} /> : null}
                  </Flex>
                </Cell>
              </Row>
            ))}
          </TableBody>
        </TableRoot>
      )}
    </Flex>
  );
}
