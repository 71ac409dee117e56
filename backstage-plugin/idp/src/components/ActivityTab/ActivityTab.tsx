/**
 * The Activity tab: idp's workflows and PRs for the component, newest first, from ONE `GET /activity` — when, what,
 * who, where it is, its PR and its run in the Temporal Web UI — kept live by following the running workflows.
 */
import { EmptyState, Progress, WarningPanel } from '@backstage/core-components';
import { Badge, Cell, Column, Link, Row, TableBody, TableHeader, TableRoot, Text } from '@backstage/ui';
import type { ActivityList, ActivityWorkflow } from '@idp/core';
import { useComponentData } from '../../hooks/useComponentData';
import { NoRepository } from '../shared/NoRepository';
import { PrLink } from '../shared/PrLink';

const KIND: Record<string, string> = {
  'env-clone': 'Clone to',
  'env-create': 'Create',
  'env-destroy': 'Destroy',
  'env-extend': 'Extend',
  'env-vars': 'Variables',
  'env-secrets': 'Secret in',
  release: 'Release to',
};

/** Where a workflow is: its phase while it runs or once it ended normally, else how it ended (failed, terminated…). */
export function activityState(w: Pick<ActivityWorkflow, 'status' | 'phase'>): string {
  return w.status === 'running' || w.status === 'completed' ? w.phase : w.status;
}

const COLOR: Record<string, 'success' | 'warning' | 'danger' | undefined> = { merged: 'success', open: 'warning', queued: 'warning', proposing: 'warning' };

export function when(iso: string | undefined): string {
  if (!iso) return '—';
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
  const fmt = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  if (Math.abs(s) < 60) return fmt.format(-s, 'second');
  if (Math.abs(s) < 3600) return fmt.format(-Math.floor(s / 60), 'minute');
  if (Math.abs(s) < 86400) return fmt.format(-Math.floor(s / 3600), 'hour');
  return fmt.format(-Math.floor(s / 86400), 'day');
}

interface ActivityRow {
  key: string;
  testId: string;
  at: string;
  what: string;
  who: string;
  state: string;
  pr?: { number: number; url: string };
  temporalUrl?: string;
}

/** Workflows and the PRs none follows, newest first. A workflow id reused by a later run keeps its test id on the newest. */
function rows(list: ActivityList): ActivityRow[] {
  const seen = new Set<string>();
  const all: ActivityRow[] = [
    ...list.workflows.map((w) => {
      const first = !seen.has(w.workflowId);
      seen.add(w.workflowId);
      const version = w.release?.number ? ` (v${w.release.number})` : '';
      return {
        key: `${w.workflowId}/${w.runId}`,
        testId: first ? `activity-${w.workflowId}` : `activity-${w.workflowId}-${w.runId}`,
        at: w.startedAt ?? '',
        what: `${KIND[w.kind] ?? w.kind} ${w.environment}${version}`,
        who: w.requestedBy ?? '—',
        state: activityState(w),
        ...(w.pr ? { pr: w.pr } : {}),
        ...(w.temporalUrl ? { temporalUrl: w.temporalUrl } : {}),
      };
    }),
    ...list.pulls.map((p) => ({
      key: `pr/${p.number}`,
      testId: `activity-pr-${p.number}`,
      at: p.createdAt,
      what: `${KIND[p.kind ?? ''] ?? p.kind ?? 'PR'} ${p.environment ?? ''}`.trim(),
      who: p.author,
      state: `PR ${p.state}`,
      pr: p,
    })),
  ];
  return all.sort((a, b) => b.at.localeCompare(a.at));
}

export function ActivityTab() {
  const { repo, data, error } = useComponentData(
    (client, r) => client.activity(r),
    (list: ActivityList) => list.workflows.filter((w) => w.status === 'running').map((w) => ({ workflowId: w.workflowId, phase: w.phase })),
  );

  if (!repo) {
    return <NoRepository />;
  }
  // The API's message, as the CLI prints it (not a stack trace).
  if (!data) return error ? <WarningPanel severity="error" defaultExpanded title="Could not load the activity" message={error.message} /> : <Progress />;
  const list = rows(data);
  if (list.length === 0) {
    return (
      <EmptyState
        missing="data"
        title="No idp activity yet"
        description={
          <>
            idp's workflows and pull requests for {data.component} appear here. Clone or create an environment (Environments tab) or release an image, or run in the component's folder: <code>idp env clone staging preview-1</code>
          </>
        }
      />
    );
  }
  return (
    <>
      {error && <WarningPanel severity="error" defaultExpanded title="Could not refresh the activity" message={error.message} />}
      <TableRoot aria-label={`idp activity of ${data.component}`}>
        <TableHeader>
          <Column isRowHeader>When</Column>
          <Column>What</Column>
          <Column>Who</Column>
          <Column>Status</Column>
          <Column>PR</Column>
          <Column>Workflow</Column>
        </TableHeader>
        <TableBody>
          {list.map((r) => (
            <Row key={r.key} id={r.key} data-testid={r.testId}>
              <Cell>
                <Text title={r.at}>{when(r.at || undefined)}</Text>
              </Cell>
              <Cell>
                <Text>{r.what}</Text>
              </Cell>
              <Cell>
                <Text>{r.who}</Text>
              </Cell>
              <Cell>
                <Badge size="small">
                  <Text color={COLOR[r.state] ?? (r.state.startsWith('PR') ? undefined : 'danger')}>{r.state}</Text>
                </Badge>
              </Cell>
              <Cell>
                <PrLink pr={r.pr} />
              </Cell>
              <Cell>
                {r.temporalUrl ? (
                  <Link href={r.temporalUrl} target="_blank" rel="noopener">
                    Temporal
                  </Link>
                ) : (
                  <Text>—</Text>
                )}
              </Cell>
            </Row>
          ))}
        </TableBody>
      </TableRoot>
    </>
  );
}
