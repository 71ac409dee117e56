import { renderTab } from '../../testing/render';
import { screen, waitFor, within } from '@testing-library/react';
import type { ActivityList, ActivityWorkflow, WorkflowStatus } from '@idp/core';
import { deferred, type Answer, type Handler } from '../../testing/api';
import { ActivityTab } from './ActivityTab';

const ID = 'env-clone:checkout:preview-1@1a2b3c4d5e';
const PR = { number: 3, url: 'http://127.0.0.1:7007/api/idp/pulls/3?repo=%2Fsrv%2Fdemo%2Fcheckout.git', state: 'open' as const, head: 'idp/env-clone/checkout/preview-1', headSha: 'abc' };
const TEMPORAL = `http://127.0.0.1:8233/namespaces/default/workflows/${encodeURIComponent(ID)}/run-1/history`;

const clone = (over: Partial<ActivityWorkflow> = {}): ActivityWorkflow => ({
  workflowId: ID,
  runId: 'run-1',
  kind: 'env-clone',
  component: 'checkout',
  environment: 'preview-1',
  status: 'running',
  phase: 'open',
  pr: PR,
  startedAt: new Date(Date.now() - 5 * 60_000).toISOString(),
  requestedBy: 'user:default/alice',
  temporalUrl: TEMPORAL,
  ...over,
});
const activity = (workflows: ActivityWorkflow[], pulls: ActivityList['pulls'] = []): ActivityList => ({ component: 'checkout', repo: '/srv/demo/checkout.git', workflows, pulls });

const render = (routes: Record<string, Handler>) => renderTab(<ActivityTab />, routes);

describe('ActivityTab', () => {
  it('shows progress while the activity loads, from one call', async () => {
    const { api } = await render({ 'GET /activity': () => new Promise<Answer>(() => {}) });
    expect(await screen.findByTestId('progress')).toBeInTheDocument();
    expect(api.calls).toEqual(['GET /activity?repo=%2Fsrv%2Fdemo%2Fcheckout.git&path=paws.yaml']);
  });

  it('says what starts activity when there is none', async () => {
    await render({ 'GET /activity': () => ({ body: activity([]) }) });
    expect(await screen.findByText('No idp activity yet')).toBeInTheDocument();
    expect(screen.getAllByText(/idp env clone staging preview-1/)[0]).toBeInTheDocument();
  });

  it('shows the API\'s error message', async () => {
    await render({ 'GET /activity': () => ({ status: 403, body: { error: { code: 'forbidden', message: 'user:default/carol may not read component:default/checkout.' } } }) });
    expect((await screen.findAllByText(/user:default\/carol may not read component:default\/checkout\./))[0]).toBeInTheDocument();
  });

  it('lists workflows and PRs none follows, newest first, with the PR and Temporal links opening in a new tab', async () => {
    const release = clone({
      workflowId: 'release:checkout:staging:v2@1a2b3c4d5e', runId: 'run-2', kind: 'release', environment: 'staging', status: 'completed', phase: 'merged',
      startedAt: new Date(Date.now() - 2 * 3600_000).toISOString(), requestedBy: 'user:default/bob', temporalUrl: undefined,
      pr: { ...PR, number: 2, url: 'http://forge/pulls/2', state: 'merged' },
    });
    const orphan = { number: 1, url: 'http://forge/pulls/1', state: 'closed' as const, head: 'idp/env-create/checkout/old', headSha: 'f', title: 'Create old', author: 'user:default/carol', createdAt: new Date(Date.now() - 3 * 3600_000).toISOString(), updatedAt: '', kind: 'env-create', environment: 'old' };
    // preview-1 was cloned before too (destroyed since): the same workflow id, an earlier run.
    const earlier = clone({ runId: 'run-0', status: 'completed', phase: 'merged', startedAt: new Date(Date.now() - 4 * 86400_000).toISOString(), pr: { ...PR, number: 9, url: 'http://forge/pulls/9', state: 'merged' } });
    await render({ 'GET /activity': () => ({ body: activity([release, clone(), earlier], [orphan]) }) });

    const row = await screen.findByTestId(`activity-${ID}`);
    expect(within(row).getByText('Clone to preview-1')).toBeInTheDocument();
    expect(within(row).getByText('user:default/alice')).toBeInTheDocument();
    expect(within(row).getByText('open')).toBeInTheDocument();
    const pr = within(row).getByRole('link', { name: 'PR #3' });
    expect(pr).toHaveAttribute('href', PR.url);
    expect(pr).toHaveAttribute('target', '_blank');
    expect(pr.getAttribute('rel')).toMatch(/noopener/);
    const temporal = within(row).getByRole('link', { name: 'Temporal' });
    expect(temporal).toHaveAttribute('href', TEMPORAL);
    expect(temporal).toHaveAttribute('target', '_blank');

    const rel = screen.getByTestId('activity-release:checkout:staging:v2@1a2b3c4d5e');
    expect(within(rel).getByText('merged')).toBeInTheDocument();
    expect(within(rel).queryByRole('link', { name: 'Temporal' })).toBeNull();
    const old = screen.getByTestId('activity-pr-1');
    expect(within(old).getByText('PR closed')).toBeInTheDocument();
    expect(within(old).getByRole('link', { name: 'PR #1' })).toHaveAttribute('href', 'http://forge/pulls/1');

    const order = screen.getAllByTestId(/^activity-/).map((r) => r.getAttribute('data-testid'));
    expect(order).toEqual([`activity-${ID}`, 'activity-release:checkout:staging:v2@1a2b3c4d5e', 'activity-pr-1', `activity-${ID}-run-0`]);
    expect(within(screen.getByTestId(`activity-${ID}-run-0`)).getByRole('link', { name: 'PR #9' })).toBeInTheDocument();
  });

  it('long-polls the running workflow and refetches the list once its phase changes', async () => {
    const polls: Array<ReturnType<typeof deferred<Answer>>> = [];
    const lists = [activity([clone()]), activity([clone({ status: 'completed', phase: 'merged', pr: { ...PR, state: 'merged' } })])];
    const { api } = await render({
      'GET /activity': () => ({ body: lists.shift() }),
      'GET /workflows/:id': () => {
        polls.push(deferred<Answer>());
        return polls.at(-1)!.promise;
      },
    });
    const row = await screen.findByTestId(`activity-${ID}`);
    expect(within(row).getByText('open')).toBeInTheDocument();
    await waitFor(() => expect(polls).toHaveLength(1));
    expect(api.calls[1]).toBe(`GET /workflows/${encodeURIComponent(ID)}?wait=25&phase=open`);

    // 25 s pass with nothing new: the same workflow is polled again, the list is not fetched again.
    const still: WorkflowStatus = { ...clone(), status: 'running', phase: 'open' };
    polls[0]!.resolve({ body: still });
    await waitFor(() => expect(polls).toHaveLength(2));
    expect(api.calls.filter((c) => c.startsWith('GET /activity'))).toHaveLength(1);

    // Merged: one refetch of the list, which shows it; nothing is running, so nothing more is polled.
    polls[1]!.resolve({ body: { ...still, status: 'completed', phase: 'merged' } });
    expect(await within(await screen.findByTestId(`activity-${ID}`)).findByText('merged')).toBeInTheDocument();
    expect(api.calls.filter((c) => c.startsWith('GET /activity'))).toHaveLength(2);
    expect(polls).toHaveLength(2);
  });
});
