/**
 * The Releases tab, as `idp releases` lists them: each environment's ledger from ONE `GET /releases` — what it runs now,
 * every release newest first (version, what kind, image, PR, who requested and approved, outcome) — with Create release,
 * Promote and Roll back as dialogs, an open release's Approve and Merge, and, for the release picked, its policy and
 * what it still waits for (`idp releases show`). Kept live by following the releases in flight.
 */
import { Progress, StatusAborted, StatusError, StatusOK, StatusPending, StatusWarning, WarningPanel } from '@backstage/core-components';
import { Alert, Button, Cell, Column, Flex, Row, TableBody, TableHeader, TableRoot, Text } from '@backstage/ui';
import type { EnvironmentReleases, ReleaseList, ReleaseRecord, RepoRef } from '@idp/core';
import { useState } from 'react';
import { useComponentData } from '../../hooks/useComponentData';
import { NoRepository } from '../shared/NoRepository';
import { PrLink } from '../shared/PrLink';
import { ReleaseActions, type Said } from './ReleaseActions';
import { ReleaseDetailPanel } from './ReleaseDetailPanel';
import { CreateReleaseDialog, PromoteDialog, RollbackDialog } from './ReleaseDialogs';

/** The outcome as Backstage's status chips show a state: merged ok, open waiting, queued pending, the rest ended badly. */
const OUTCOME_STATUS: Record<ReleaseRecord['outcome'], typeof StatusOK> = {
  merged: StatusOK,
  open: StatusWarning,
  queued: StatusPending,
  rejected: StatusError,
  timed_out: StatusError,
  cancelled: StatusAborted,
  failed: StatusError,
};

function Outcome({ outcome }: { outcome: ReleaseRecord['outcome'] }) {
  const Status = OUTCOME_STATUS[outcome];
  return <Status>{outcome.replace('_', ' ')}</Status>;
}

/** What a release did, in words: "create", "promote from staging", "rollback to v2". */
export function releaseKind(r: ReleaseRecord): string {
  if (r.kind === 'promote') return `promote from ${r.from ?? '?'}`;
  if (r.kind === 'rollback') return `rollback to v${r.rollbackTo ?? '?'}`;
  return 'create';
}

/** Releases in flight (queued behind another, or open for review): their workflows are followed live. */
const inFlight = (list: ReleaseList) =>
  list.environments.flatMap((e) => e.releases.filter((r) => r.outcome === 'queued' || r.outcome === 'open').map((r) => ({ workflowId: r.workflowId, phase: r.outcome as 'queued' | 'open' })));

export function ReleasesTab() {
  const { repo, data, error, refresh } = useComponentData((client, r) => client.listReleases(r), inFlight);
  const [picked, setPicked] = useState<{ env: string; number: number }>();

  if (!repo) {
    return <NoRepository />;
  }
  if (!data) return error ? <WarningPanel severity="error" defaultExpanded title="Could not load the releases" message={error.message} /> : <Progress />;
  const envs = data.environments.map((e) => e.env);
  const any = data.environments.some((e) => e.releases.length > 0);
  return (
    <Flex direction="column" gap="4">
      <Flex justify="between" align="center">
        <Text color="secondary">
          {any ? `Releases of ${data.component}, per environment, newest first` : `No releases of ${data.component} yet. Create one here, or in its folder: idp releases create --env ${envs[0] ?? 'staging'} --image <image:tag>`}
        </Text>
        <Flex gap="2">
          {envs.length > 1 && <PromoteDialog envs={envs} repo={repo} onChange={refresh} />}
          {envs.length > 0 && <CreateReleaseDialog envs={envs} repo={repo} onChange={refresh} />}
        </Flex>
      </Flex>
      {error && <WarningPanel severity="error" defaultExpanded title="Could not refresh the releases" message={error.message} />}
      {data.environments.map((e) => (
        <EnvironmentLedger key={e.env} ledger={e} envs={envs} repo={repo} onChange={refresh} picked={picked?.env === e.env ? picked.number : undefined} onPick={(number) => setPicked(picked?.env === e.env && picked.number === number ? undefined : { env: e.env, number })} version={data} />
      ))}
    </Flex>
  );
}

function EnvironmentLedger(props: { ledger: EnvironmentReleases; envs: string[]; repo: RepoRef; onChange: () => void; picked?: number; onPick: (n: number) => void; version: unknown }) {
  const { ledger, repo, onChange } = props;
  const merged = ledger.releases.filter((r) => r.outcome === 'merged').map((r) => r.number);
  // What the last Approve/Merge in this table said (the API's note or refusal), shown under the table.
  const [said, setSaid] = useState<Said>();
  return (
    <Flex direction="column" gap="2" data-testid={`releases-${ledger.env}`}>
      <Flex justify="between" align="center">
        <Flex direction="column" gap="0">
          <Text as="h3" variant="title-x-small">
            {ledger.env}
          </Text>
          <Text color="secondary">{ledger.current ? `Runs v${ledger.current.number}: ${ledger.current.image}` : 'No release merged through idp yet'}</Text>
        </Flex>
        <Flex gap="1">
          {props.envs.length > 1 && ledger.current && <PromoteDialog envs={props.envs} from={ledger.env} repo={repo} onChange={onChange} />}
          {merged.length > 1 && <RollbackDialog env={ledger.env} merged={merged} repo={repo} onChange={onChange} />}
        </Flex>
      </Flex>
      {ledger.stuck && <WarningPanel severity="warning" title={`Releases to ${ledger.env} are stuck`} message={ledger.stuck} />}
      {ledger.releases.length > 0 && (
        <TableRoot aria-label={`Releases of ${ledger.env}`}>
          <TableHeader>
            <Column isRowHeader>Version</Column>
            <Column>Kind</Column>
            <Column>Image</Column>
            <Column>PR</Column>
            <Column>Requested by</Column>
            <Column>Approved by</Column>
            <Column>Outcome</Column>
            <Column>When</Column>
            <Column>Actions</Column>
          </TableHeader>
          <TableBody>
            {ledger.releases.map((r) => (
              <Row key={r.number} id={r.number} data-testid={`release-${r.env}-v${r.number}`}>
                <Cell>
                  <Text weight="bold">v{r.number}</Text>
                </Cell>
                <Cell>
                  <Text>{releaseKind(r)}</Text>
                </Cell>
                <Cell>
                  <Text title={r.image}>{r.image.split('/').pop()}</Text>
                </Cell>
                <Cell>
                  <PrLink pr={r.pr} />
                </Cell>
                <Cell>
                  <Text style={{ overflowWrap: 'anywhere' }}>{r.requestedBy}</Text>
                </Cell>
                <Cell>
                  <Text style={{ overflowWrap: 'anywhere' }}>{r.approvers.length ? `approved by ${r.approvers.join(', ')}` : '—'}</Text>
                </Cell>
                <Cell>
                  <Flex direction="column" gap="0">
                    <Outcome outcome={r.outcome} />
                    {r.reason && <Text variant="body-small" color="secondary">{r.reason}</Text>}
                    {r.outsidePolicy && <Text variant="body-small" color="warning">outside its policy: {r.outsidePolicy}</Text>}
                  </Flex>
                </Cell>
                <Cell>
                  <Text title={r.requestedAt}>{new Date(r.requestedAt).toLocaleString()}</Text>
                </Cell>
                <Cell>
                  <Flex direction="column" gap="1">
                    <ReleaseActions release={r} repo={repo} onChange={onChange} actions={['approve', 'merge']} onSaid={setSaid} />
                    <Button size="small" variant="tertiary" aria-label={`Details of v${r.number} of ${r.env}`} onPress={() => props.onPick(r.number)}>
                      {props.picked === r.number ? 'Hide details' : 'Details'}
                    </Button>
                  </Flex>
                </Cell>
              </Row>
            ))}
          </TableBody>
        </TableRoot>
      )}
      {said && <Alert status={said.status} description={said.text} role={said.status === 'danger' ? 'alert' : undefined} />}
      {props.picked !== undefined && <ReleaseDetailPanel repo={repo} env={ledger.env} number={props.picked} version={props.version} onChange={onChange} />}
    </Flex>
  );
}
