/**
 * The Metrics tab: `idp metrics` in the browser, per environment (`?env=`, as `idp open <env> --metrics` links it) —
 * request rate, error rate, p95 latency, CPU and memory over the last hour, 6 hours, day or week (`?range=`), one
 * `GET /environments/:env/metrics` (about 60 points a series), fetched again every 30 s while the page is visible.
 * No data is said as such: per panel, and for the whole environment with what to check (as the CLI does).
 */
import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { Alert, Flex, Grid, Text, ToggleButton, ToggleButtonGroup } from '@backstage/ui';
import type { EnvironmentView, MetricsView, RepoRef } from '@idp/core';
import { useCallback } from 'react';
import { idpApiRef } from '../../api';
import { type Followed, useRefetchOnWorkflowChange } from '../../hooks/useRefetchOnWorkflowChange';
import { ComponentEnvironments, RefreshError } from '../shared/ComponentEnvironments';
import { EnvironmentPicker, useChosenEnvironment, useTabParams } from '../shared/EnvironmentPicker';
import { RuntimeSummary } from '../shared/RuntimeState';
import { MetricChart } from './MetricChart';

export const RANGES = ['1h', '6h', '24h', '7d'] as const;
type Range = (typeof RANGES)[number];
/** Nothing to follow: the environments' changes are the Environments tab's; the panels refetch idly. */
const nothingRunning = (_: unknown): Followed[] => [];

export function MetricsTab() {
  return (
    <ComponentEnvironments declaredOnly noneBecause=", so nothing runs to measure.">
      {({ list, envs, repo, error }) => <Metrics component={list.component} envs={envs} repo={repo} error={error} />}
    </ComponentEnvironments>
  );
}

function Metrics({ component, envs, repo, error }: { component: string; envs: EnvironmentView[]; repo: RepoRef; error?: Error }) {
  const { env, unknown, choose } = useChosenEnvironment(envs.map((e) => e.name));
  const { params, set } = useTabParams();
  const asked = params.get('range');
  const range: Range = RANGES.find((r) => r === asked) ?? '1h';
  return (
    <Flex direction="column" gap="4">
      <EnvironmentPicker component={component} envs={envs.map((e) => e.name)} env={env} unknown={unknown} onChange={choose}>
        Metrics of {component} in {env}
        <RuntimeSummary runtime={envs.find((e) => e.name === env)?.runtime} />
      </EnvironmentPicker>
      <RefreshError error={error} />
      <ToggleButtonGroup
        aria-label="Range"
        selectionMode="single"
        disallowEmptySelection
        selectedKeys={[range]}
        onSelectionChange={(keys) => {
          const next = String([...keys][0]);
          set({ range: next === '1h' ? undefined : next });
        }}
      >
        {RANGES.map((r) => (
          <ToggleButton key={r} id={r} aria-label={`Last ${r}`}>
            {r}
          </ToggleButton>
        ))}
      </ToggleButtonGroup>
      {/* One per environment and range: another starts blank rather than showing the previous one's panels. */}
      <Panels key={`${env}|${range}`} repo={repo} env={env} range={range} />
    </Flex>
  );
}

function Panels({ repo, env, range }: { repo: RepoRef; env: string; range: Range }) {
  const client = useApi(idpApiRef);
  const load = useCallback(() => client.metrics(repo, env, { since: range }), [client, repo, env, range]);
  // Nothing to follow: the idle refetch (every 30 s, while visible) keeps the panels current.
  const { data, error } = useRefetchOnWorkflowChange<MetricsView>(load, nothingRunning);
  if (!data) return error ? <Alert status="danger" title={`Cannot read ${env}'s metrics`} description={error.message} role="alert" /> : <Progress />;
  const start = Date.parse(data.start) / 1000;
  const end = Date.parse(data.end) / 1000;
  const empty = data.series.every((s) => s.points.every(([, v]) => v === null));
  return (
    <Flex direction="column" gap="3">
      <Text variant="body-small" color="secondary" data-testid="metrics-summary">
        The last {range}, a point every {data.step} s, from {data.source}
      </Text>
      {error && <Alert status="warning" title="Could not refresh the metrics: showing the last answer" description={error.message} />}
      {empty && (
        <Alert
          status="info"
          title={`No data for ${env} in this range`}
          description={`${data.source} has no points for it: is it running, and does it expose the metrics idp.metrics reads?`}
        />
      )}
      <Grid.Root columns={{ initial: '1', sm: '2', lg: '3' }} gap="3">
        {data.series.map((s) => (
          <MetricChart key={s.panel} series={s} start={start} end={end} />
        ))}
      </Grid.Root>
    </Flex>
  );
}
