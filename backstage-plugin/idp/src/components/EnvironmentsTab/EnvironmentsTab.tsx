/**
 * The Environments tab, as Heroku's dashboard lists apps: every environment of the component from ONE
 * `GET /environments` — its source, image (when releases are written into paws.yaml), what runs for it (the runtime's
 * state, "Open app" to its URL, why it crashed), expiry (with a warning as it nears), what is in flight, its open PRs — and the
 * actions `idp env clone|create|extend|destroy` take, as dialogs. Kept live by following the running workflows.
 */
import { Cell, Column, Flex, Link, Row, TableBody, TableHeader, TableRoot, Tag, TagGroup, Text } from '@backstage/ui';
import type { EnvironmentList, EnvironmentView, RepoRef, WorkflowStatus } from '@idp/core';
import { ComponentEnvironments, RefreshError } from '../shared/ComponentEnvironments';
import { RuntimeCell } from '../shared/RuntimeState';
import { CloneDialog } from './CloneDialog';
import { CreateDialog } from './CreateDialog';
import { DestroyDialog } from './DestroyDialog';
import { ExtendDialog } from './ExtendDialog';
import { expiry } from './expiry';

const DOING: Record<WorkflowStatus['kind'], string> = {
  'env-clone': 'cloning',
  'env-create': 'creating',
  'env-destroy': 'destroying',
  'env-extend': 'extending',
  'env-vars': 'changing variables',
  'env-secrets': 'changing a secret',
  'env-ttl': 'expiring',
  release: 'releasing',
  releases: 'releasing',
};
const PHASE: Record<WorkflowStatus['phase'], string> = { queued: 'queued', proposing: 'opening PR', open: 'PR open', merged: 'merged', closed: 'PR closed', failed: 'failed' };

/** What a running workflow is doing, e.g. "cloning · PR open". */
export function workflowState(w: Pick<WorkflowStatus, 'kind' | 'phase'>): string {
  return `${DOING[w.kind] ?? w.kind} · ${PHASE[w.phase] ?? w.phase}`;
}

/**
 * The workflows worth showing and following: an environment's TTL timer (env-ttl) runs all its life in phase `open`;
 * the teardown it starts at expiry is an env-destroy workflow of its own, which is shown.
 */
const inFlight = (env: EnvironmentView) => env.workflows.filter((w) => w.status === 'running' && w.kind !== 'env-ttl');
/** Why the TTL timer cannot tear the environment down (e.g. others are cloned from it), when it says so. */
const ttlStuck = (env: EnvironmentView) => env.workflows.find((w) => w.kind === 'env-ttl' && w.stuck)?.stuck;

/**
 * An app about to change state that no workflow reports: one starting, or a declared environment the runtime has not
 * picked up yet while it reports others (just merged). The list is then fetched every 2 s for a while, not every 30 s.
 */
export function appSettling(list: EnvironmentList): boolean {
  const declared = list.environments.filter((e) => e.source === 'paws.yaml');
  return declared.some((e) => e.runtime?.state === 'starting') || (declared.some((e) => e.runtime) && declared.some((e) => !e.runtime));
}

const running = (list: EnvironmentList) => list.environments.flatMap((e) => inFlight(e).map((w) => ({ workflowId: w.workflowId, phase: w.phase })));

export function EnvironmentsTab() {
  return (
    <ComponentEnvironments running={running} settling={appSettling} noneBecause="." create={(repo, refresh) => <CreateDialog repo={repo} onChange={refresh} />}>
      {({ list, repo, error, refresh }) => <Environments data={list} repo={repo} error={error} refresh={refresh} />}
    </ComponentEnvironments>
  );
}

function Environments({ data, repo, error, refresh }: { data: EnvironmentList; repo: RepoRef; error?: Error; refresh: () => void }) {
  return (
    <Flex direction="column" gap="3">
      <Flex justify="between" align="center">
        <Text color="secondary">
          {data.environments.length} environment{data.environments.length === 1 ? '' : 's'} in {data.component}'s paws.yaml ({data.defaultBranch}) and its open PRs
        </Text>
        <CreateDialog repo={repo} onChange={refresh} />
      </Flex>
      <RefreshError error={error} />
      <TableRoot aria-label={`Environments of ${data.component}`}>
        <TableHeader>
          <Column isRowHeader>Name</Column>
          <Column>Source</Column>
          <Column>Image</Column>
          <Column>App</Column>
          <Column>Expires</Column>
          <Column>Status</Column>
          <Column>Pull requests</Column>
          <Column>Actions</Column>
        </TableHeader>
        <TableBody>
          {data.environments.map((env) => (
            <EnvironmentRow key={env.name} env={env} repo={repo} onChange={refresh} />
          ))}
        </TableBody>
      </TableRoot>
    </Flex>
  );
}

function EnvironmentRow({ env, repo, onChange }: { env: EnvironmentView; repo: RepoRef; onChange: () => void }) {
  const exp = env.expiresAt ? expiry(env.expiresAt) : undefined;
  const running = inFlight(env);
  const stuck = ttlStuck(env);
  const declared = env.source === 'paws.yaml';
  return (
    <Row id={env.name} data-testid={`env-${env.name}`}>
      <Cell>
        <Flex direction="column" gap="0">
          <Text weight="bold">{env.name}</Text>
          {env.from && <Text variant="body-small" color="secondary">from {env.from}</Text>}
        </Flex>
      </Cell>
      <Cell>
        <TagGroup aria-label={`Source of ${env.name}`}>
          <Tag id="source" size="small">
            {env.source}
          </Tag>
        </TagGroup>
      </Cell>
      <Cell>
        {/* The registry path is long and the same for every row: the name and tag say which build it is. */}
        <Text title={env.image}>{env.image ? env.image.split('/').pop() : '—'}</Text>
      </Cell>
      <Cell>
        <RuntimeCell env={env.name} runtime={env.runtime} />
      </Cell>
      <Cell>
        <Flex direction="column" gap="0">
          {exp ? (
            <Text
              title={`${env.expiresAt}${env.ttl ? ` (ttl ${env.ttl})` : ''}`}
              color={exp.level === 'expired' ? 'danger' : exp.level === 'expiring' ? 'warning' : undefined}
              weight={exp.level === 'ok' ? undefined : 'bold'}
            >
              {exp.level === 'expiring' ? `⚠ ${exp.text} · expires soon` : exp.level === 'expired' ? `⚠ ${exp.text} · teardown pending` : exp.text}
            </Text>
          ) : (
            <Text color="secondary">{env.ephemeral ? '—' : 'never'}</Text>
          )}
          {stuck && (
            <Text variant="body-small" color="danger">
              {stuck}
            </Text>
          )}
        </Flex>
      </Cell>
      <Cell>
        {running.length ? (
          <Flex direction="column" gap="0">
            {running.map((w) => (
              <Text key={w.workflowId} title={w.workflowId} color={w.stuck ? 'danger' : undefined}>
                {workflowState(w)}
                {w.stuck ? ` (stuck: ${w.stuck})` : ''}
              </Text>
            ))}
          </Flex>
        ) : (
          <Text color="secondary">{declared ? 'up to date' : '—'}</Text>
        )}
      </Cell>
      <Cell>
        {env.pulls.length ? (
          <Flex gap="2">
            {env.pulls.map((p) => (
              <Link key={p.url} href={p.url} target="_blank" rel="noopener" title={p.kind}>
                PR #{p.number}
              </Link>
            ))}
          </Flex>
        ) : (
          <Text color="secondary">—</Text>
        )}
      </Cell>
      <Cell>
        {declared ? (
          // Wraps in a narrow table rather than overflowing the row.
          <Flex gap="1" style={{ flexWrap: 'wrap' }}>
            <CloneDialog env={env.name} repo={repo} onChange={onChange} />
            {env.ephemeral && <ExtendDialog env={env.name} expiresAt={env.expiresAt} repo={repo} onChange={onChange} />}
            <DestroyDialog env={env.name} repo={repo} onChange={onChange} />
          </Flex>
        ) : (
          <Text color="secondary">once merged</Text>
        )}
      </Cell>
    </Row>
  );
}
