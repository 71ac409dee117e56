/**
 * The environment's secrets, as `idp secrets --env <env>` lists them, from ONE `GET /environments/:env/secrets`: each
 * key's store, reference, pinned version, whether it exists there (and its version), when it last changed, where it
 * comes from — never a value (the API never reads one) — the store a new key goes to and why, and the open secret
 * change (one at a time per environment), followed live. Set secret / Set reference / Unset as dialogs; Check asks
 * the stores whether every reference resolves (`idp secrets check`).
 */
import { Progress, StatusError, StatusOK, StatusWarning, WarningPanel } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { Alert, Button, Cell, Column, Flex, Row, TableBody, TableHeader, TableRoot, Text } from '@backstage/ui';
import type { RepoRef, SecretList, SecretView } from '@idp/core';
import { useState } from 'react';
import { idpApiRef } from '../../api';
import { useEnvironmentData } from '../../hooks/useEnvironmentData';
import { when } from '../ActivityTab/ActivityTab';
import { PrLink } from '../shared/PrLink';
import { shortVersion, sourceText } from './common';
import { SetSecretDialog } from './SetSecretDialog';
import { SetSecretRefDialog } from './SetSecretRefDialog';
import { UnsetSecretDialog } from './UnsetSecretDialog';

/** The open secret change is followed while it runs: its merge changes the list. */
const running = (list: SecretList) => (list.pending?.status === 'running' ? [{ workflowId: list.pending.workflowId, phase: list.pending.phase }] : []);

/** Whether the secret is in its store: exists, missing, "version missing" (the pinned one is gone), or unknown (the store could not say). */
export function Exists({ secret }: { secret: SecretView }) {
  if (secret.exists === undefined) return <StatusWarning>unknown</StatusWarning>;
  if (!secret.exists) return <StatusError>missing</StatusError>;
  if (secret.versionExists === false) return <StatusError>version missing</StatusError>;
  return <StatusOK>exists</StatusOK>;
}

export function SecretsSection({ repo, env }: { repo: RepoRef; env: string }) {
  const { data, error, refresh } = useEnvironmentData(repo, env, (client, r, e) => client.listSecrets(r, e), running);
  const check = useCheck(repo, env);
  if (!data) return error ? <WarningPanel severity="error" defaultExpanded title={`Could not load the secrets of ${env}`} message={error.message} /> : <Progress />;
  const route = data.route;
  return (
    <Flex direction="column" gap="3" data-testid="secrets">
      <Flex justify="between" align="center" style={{ flexWrap: 'wrap' }}>
        <Text as="h2" variant="title-small">
          Secrets
        </Text>
        <Flex gap="2">
          <Button variant="secondary" aria-label={`Check secrets of ${env}`} isPending={check.busy} onPress={check.run}>
            Check
          </Button>
          <SetSecretRefDialog env={env} repo={repo} onChange={refresh} />
          <SetSecretDialog env={env} repo={repo} route={route} onChange={refresh} />
        </Flex>
      </Flex>
      <Text color="secondary" data-testid="secret-route">
        {route.store ? `New secrets of ${env} go to store ${route.store} (${route.type ?? '?'}${route.ref ? `, ${route.ref}` : ''}): ${route.why}` : `New secrets of ${env} cannot be written: ${route.why}`}
      </Text>
      {data.pending && (
        <Flex align="center" gap="2" data-testid="secret-pending">
          <Text>Open: {data.pending.secret ? `${data.pending.secret.action} ${data.pending.secret.key}` : 'a secret change'}</Text>
          <PrLink pr={data.pending.pr} />
          <Text color="secondary">· {data.pending.phase} — the next secret change of {env} waits until it is merged or closed.</Text>
        </Flex>
      )}
      {(check.result || check.error) && <CheckVerdict env={env} result={check.result} error={check.error} />}
      {error && <WarningPanel severity="error" defaultExpanded title={`Could not refresh the secrets of ${env}`} message={error.message} />}
      {data.secrets.length === 0 ? (
        <Text>
          {env} has no secrets. Set one here, or in the component's folder: <code>printf %s "$VALUE" | idp secrets set KEY --env {env}</code>
        </Text>
      ) : (
        <TableRoot aria-label={`Secrets of ${env}`}>
          <TableHeader>
            <Column isRowHeader>Key</Column>
            <Column>Store</Column>
            <Column>Reference</Column>
            <Column>Version</Column>
            <Column>Exists</Column>
            <Column>Last changed</Column>
            <Column>Source</Column>
            <Column>Actions</Column>
          </TableHeader>
          <TableBody>
            {data.secrets.map((s) => (
              <Row key={s.key} id={s.key} data-testid={`secret-${s.key}`}>
                <Cell>
                  <Text weight="bold">{s.key}</Text>
                </Cell>
                <Cell>
                  <Text>{s.store}</Text>
                </Cell>
                <Cell>
                  <Text style={{ wordBreak: 'break-all' }}>{s.ref}</Text>
                </Cell>
                <Cell>
                  <Text title={s.version}>{shortVersion(s.version)}</Text>
                  {s.currentVersion !== undefined && s.version !== undefined && s.currentVersion !== s.version && (
                    <Text variant="body-small" color="secondary" title={s.currentVersion}>
                      {' '}(newest {shortVersion(s.currentVersion)})
                    </Text>
                  )}
                </Cell>
                <Cell>
                  <Flex direction="column" gap="0">
                    <Exists secret={s} />
                    {s.problem && (
                      <Text variant="body-small" color="danger">
                        {s.problem}
                      </Text>
                    )}
                  </Flex>
                </Cell>
                <Cell>
                  <Text title={s.lastChanged}>{when(s.lastChanged)}</Text>
                </Cell>
                <Cell>
                  <Text>{sourceText(s.source)}</Text>
                </Cell>
                <Cell>
                  <Flex gap="1" style={{ flexWrap: 'wrap' }}>
                    <SetSecretDialog env={env} repo={repo} route={route} keyName={s.key} onChange={refresh} />
                    <SetSecretRefDialog env={env} repo={repo} current={{ key: s.key, ref: s.ref }} onChange={refresh} />
                    {/* An inherited key is unset where it is set (the API says so too). */}
                    {s.source === 'own' ? <UnsetSecretDialog env={env} keyName={s.key} repo={repo} onChange={refresh} /> : null}
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

/** Check: `idp secrets check --env <env>` — the stores asked whether every reference resolves; values are not read. */
function useCheck(repo: RepoRef, env: string) {
  const client = useApi(idpApiRef);
  const [state, setState] = useState<{ busy?: boolean; result?: SecretList; error?: string }>({});
  const run = async () => {
    setState({ busy: true });
    try {
      setState({ result: await client.listSecrets(repo, env, { check: true }) });
    } catch (e) {
      setState({ error: (e as Error).message });
    }
  };
  return { ...state, run };
}

/** The check's verdict, per key: "resolves", or what its store said. */
function CheckVerdict({ env, result, error }: { env: string; result?: SecretList; error?: string }) {
  if (!result) return <Alert status="danger" icon title={error} role="alert" data-testid="secrets-check" />;
  const problems = new Map((result.check?.problems ?? []).map((p) => [p.key, p.problem]));
  const n = result.secrets.length;
  const title =
    n === 0 ? `${env} has no secrets.` : problems.size === 0 && result.check?.ok ? `All ${n} secret${n === 1 ? '' : 's'} of ${env} resolve in their stores.` : `${problems.size} of ${n} secrets of ${env} do not resolve in their stores.`;
  return (
    <Alert
      status={problems.size || !result.check ? 'danger' : 'success'}
      icon
      title={title}
      data-testid="secrets-check"
      description={
        n ? (
          <ul style={{ margin: 0, paddingLeft: '1.2em' }}>
            {result.secrets.map((s) => (
              <li key={s.key}>
                <strong>{s.key}</strong>: {problems.get(s.key) ?? 'resolves'}
              </li>
            ))}
          </ul>
        ) : undefined
      }
    />
  );
}
