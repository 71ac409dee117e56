import { renderTab } from '../../testing/render';
import { screen, waitFor, within } from '@testing-library/react';
import type { WorkflowStatus } from '@idp/core';
import { type Answer, type Handler } from '../../testing/api';
import { appSettling, EnvironmentsTab } from './EnvironmentsTab';
import { deferred, env, list } from './fixtures';

const LIST_CALL = 'GET /environments?repo=%2Fsrv%2Fdemo%2Fcheckout.git&path=paws.yaml';

const CLONE_ID = 'env-clone:checkout:review-2@1a2b3c4d5e';
const PR = { number: 4, url: 'http://127.0.0.1:7007/api/idp/pulls/4?repo=%2Fsrv%2Fdemo%2Fcheckout.git', state: 'open' as const, head: 'idp/env-clone/checkout/review-2', headSha: 'abc' };

const cloning = (over: Partial<WorkflowStatus> = {}): WorkflowStatus => ({ workflowId: CLONE_ID, kind: 'env-clone', component: 'checkout', environment: 'review-2', status: 'running', phase: 'open', pr: PR, ...over });
const hoursFromNow = (h: number) => new Date(Date.now() + h * 3600_000).toISOString();

const render = async (routes: Record<string, Handler>) => (await renderTab(<EnvironmentsTab />, routes)).api;

describe('EnvironmentsTab', () => {
  it('shows progress while the environments load, from one call', async () => {
    const api = await render({ 'GET /environments': () => new Promise<Answer>(() => {}) });
    expect(await screen.findByTestId('progress')).toBeInTheDocument();
    expect(api.calls).toEqual([LIST_CALL]);
  });

  it('says how to create one when there is none', async () => {
    await render({ 'GET /environments': () => ({ body: list([]) }) });
    expect(await screen.findByText('No environments yet')).toBeInTheDocument();
    expect(screen.getAllByText(/idp env create review-1/)[0]).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Create environment' })).toBeInTheDocument();
  });

  it('shows the API error message', async () => {
    const api = await render({ 'GET /environments': () => ({ status: 403, body: { error: { code: 'forbidden', message: 'You may not read checkout.' } } }) });
    expect((await screen.findAllByText(/You may not read checkout\./))[0]).toBeInTheDocument();
    expect(api.calls).toEqual([LIST_CALL]);
  });

  it('lists every environment: source, expiry with a warning under 24 h, status, PRs and the actions each allows', async () => {
    await render({
      'GET /environments': () => ({
        body: list([
          env({ name: 'staging', image: 'ghcr.io/acme/checkout:1.4.2' }),
          env({ name: 'preview-7', from: 'staging', ephemeral: true, ttl: '72h', expiresAt: hoursFromNow(2.9) }),
          env({ name: 'demo', ephemeral: true, ttl: '7d', expiresAt: hoursFromNow(72.2) }),
          env({ name: 'old', ephemeral: true, ttl: '1h', expiresAt: hoursFromNow(-2.2) }),
          env({ name: 'review-2', from: 'staging', source: 'pending', pulls: [{ ...PR, workflowId: CLONE_ID, kind: 'env-clone' }], workflows: [cloning()] }),
        ]),
      }),
      // The running clone is long-polled: no answer in this test.
      'GET /workflows/:id': () => new Promise<Answer>(() => {}),
    });
    const staging = await screen.findByTestId('env-staging');
    expect(within(staging).getByText('paws.yaml')).toBeInTheDocument();
    expect(within(staging).getByText('never')).toBeInTheDocument();
    expect(within(staging).getByText('checkout:1.4.2')).toHaveAttribute('title', 'ghcr.io/acme/checkout:1.4.2');
    expect(within(staging).getByRole('button', { name: 'Clone staging' })).toBeInTheDocument();
    expect(within(staging).getByRole('button', { name: 'Destroy staging' })).toBeInTheDocument();
    // Permanent: nothing to extend.
    expect(within(staging).queryByRole('button', { name: 'Extend staging' })).toBeNull();

    const preview = screen.getByTestId('env-preview-7');
    expect(within(preview).getByText('from staging')).toBeInTheDocument();
    expect(within(preview).getByText('⚠ in 3 h · expires soon')).toBeInTheDocument();
    expect(within(preview).getByRole('button', { name: 'Extend preview-7' })).toBeInTheDocument();
    // More than a day left: no warning.
    expect(within(screen.getByTestId('env-demo')).getByText('in 3 d')).toBeInTheDocument();
    expect(within(screen.getByTestId('env-old')).getByText('⚠ expired 2 h ago · teardown pending')).toBeInTheDocument();

    const review = screen.getByTestId('env-review-2');
    expect(within(review).getByText('pending')).toBeInTheDocument();
    expect(within(review).getByText('cloning · PR open')).toBeInTheDocument();
    const pr = within(review).getByRole('link', { name: 'PR #4' });
    expect(pr).toHaveAttribute('href', PR.url);
    expect(pr).toHaveAttribute('target', '_blank');
    expect(pr.getAttribute('rel')).toMatch(/noopener/);
    // Only in a PR: nothing to act on until it is merged.
    expect(within(review).queryByRole('button', { name: 'Clone review-2' })).toBeNull();
  });

  it('long-polls a running workflow and refetches the list once its phase changes', async () => {
    const polls: Array<ReturnType<typeof deferred<Answer>>> = [];
    const lists = [
      list([env({ name: 'staging' }), env({ name: 'review-2', source: 'pending', pulls: [PR], workflows: [cloning({ phase: 'proposing', pr: undefined })] })]),
      list([env({ name: 'staging' }), env({ name: 'review-2', source: 'pending', pulls: [PR], workflows: [cloning()] })]),
      list([env({ name: 'staging' }), env({ name: 'review-2', from: 'staging' })]),
    ];
    const api = await render({
      'GET /environments': () => ({ body: lists.shift() }),
      'GET /workflows/:id': () => {
        polls.push(deferred<Answer>());
        return polls.at(-1)!.promise;
      },
    });
    expect(await within(await screen.findByTestId('env-review-2')).findByText('cloning · opening PR')).toBeInTheDocument();
    await waitFor(() => expect(polls).toHaveLength(1));
    expect(api.calls[1]).toBe(`GET /workflows/${encodeURIComponent(CLONE_ID)}?wait=25&phase=proposing`);

    // The PR opened: the list is fetched again and shows it; the workflow is followed from its new phase.
    polls[0]!.resolve({ body: cloning() });
    expect(await within(screen.getByTestId('env-review-2')).findByText('cloning · PR open')).toBeInTheDocument();
    await waitFor(() => expect(polls).toHaveLength(2));
    expect(api.calls.at(-1)).toBe(`GET /workflows/${encodeURIComponent(CLONE_ID)}?wait=25&phase=open`);

    // Merged: review-2 is now in paws.yaml, nothing runs, nothing more is polled.
    polls[1]!.resolve({ body: cloning({ status: 'completed', phase: 'merged' }) });
    expect(await within(screen.getByTestId('env-review-2')).findByText('paws.yaml')).toBeInTheDocument();
    expect(within(screen.getByTestId('env-review-2')).getByRole('button', { name: 'Clone review-2' })).toBeInTheDocument();
    expect(api.calls.filter((c) => c === LIST_CALL)).toHaveLength(3);
    expect(polls).toHaveLength(2);
  });

  it('a refetch ends the long polls it no longer needs, and leaving the tab ends the rest', async () => {
    const other = 'env-create:checkout:review-3@1a2b3c4d5e';
    const creating = cloning({ workflowId: other, kind: 'env-create', environment: 'review-3', phase: 'proposing', pr: undefined });
    let answerClone: ((a: Answer) => void) | undefined;
    const rendered = await renderTab(<EnvironmentsTab />, {
      'GET /environments': () => ({ body: list([env({ name: 'review-2', source: 'pending', workflows: [cloning({ phase: 'proposing', pr: undefined })] }), env({ name: 'review-3', source: 'pending', workflows: [creating] })]) }),
      'GET /workflows/:id': ({ path }) => (path.includes('env-clone') && !answerClone ? new Promise<Answer>((r) => (answerClone = r)) : new Promise<Answer>(() => {})),
    });
    const polls = () => rendered.api.requests.filter((r) => r.path.startsWith('/workflows/'));
    await waitFor(() => expect(polls()).toHaveLength(2));
    const [first, second] = polls();
    // The clone moves on: the list is fetched again, and the create's poll of the old generation is released.
    answerClone!({ body: cloning() });
    await waitFor(() => expect(polls()).toHaveLength(4));
    expect(first!.path).toContain('env-clone');
    expect(second!.path).toContain('env-create');
    expect(second!.signal?.aborted).toBe(true);
    rendered.unmount();
    expect(polls().every((r) => r.signal?.aborted)).toBe(true);
  });
  it('shows what runs for each environment: running with "Open app" to its URL, starting, crashed with why, nothing where no runtime reports', async () => {
    await render({
      'GET /environments': () => ({
        body: list([
          env({ name: 'staging', runtime: { state: 'running', url: 'http://127.0.0.1:41234', image: 'ghcr.io/acme/checkout:1.4.2', since: '2026-11-26T10:00:00Z' } }),
          env({ name: 'production', runtime: { state: 'crashed', reason: 'web.1 exited with code 1: Error: STRIPE_KEY is not set' } }),
          env({ name: 'preview-7', runtime: { state: 'starting' } }),
          env({ name: 'demo' }),
        ]),
      }),
    });
    const staging = await screen.findByTestId('runtime-staging');
    expect(within(staging).getByText('running')).toHaveAttribute('title', 'since 2026-11-26T10:00:00Z');
    const open = within(staging).getByRole('link', { name: 'Open app of staging' });
    expect(open).toHaveAttribute('href', 'http://127.0.0.1:41234');
    expect(open).toHaveAttribute('target', '_blank');
    expect(open).toHaveTextContent('Open app');
    const production = screen.getByTestId('runtime-production');
    expect(within(production).getByText('crashed')).toBeInTheDocument();
    expect(within(production).getByText('web.1 exited with code 1: Error: STRIPE_KEY is not set')).toBeInTheDocument();
    expect(within(production).queryByRole('link')).toBeNull();
    expect(within(screen.getByTestId('runtime-preview-7')).getByText('starting…')).toBeInTheDocument();
    expect(screen.queryByTestId('runtime-demo')).toBeNull();
  });

  it('while an app is starting (no workflow to follow), the list is fetched again within seconds, not 30 s', async () => {
    const lists = [
      list([env({ name: 'staging', runtime: { state: 'running', url: 'http://127.0.0.1:41234' } }), env({ name: 'preview-1' })]),
      list([env({ name: 'staging', runtime: { state: 'running', url: 'http://127.0.0.1:41234' } }), env({ name: 'preview-1', runtime: { state: 'starting' } })]),
      list([env({ name: 'staging', runtime: { state: 'running', url: 'http://127.0.0.1:41234' } }), env({ name: 'preview-1', runtime: { state: 'running', url: 'http://127.0.0.1:41235' } })]),
    ];
    const api = await render({ 'GET /environments': () => ({ body: lists.length > 1 ? lists.shift() : lists[0] }) });
    await screen.findByTestId('env-preview-1');
    // SETTLING_REFETCH_MS (2 s) apart: two refetches well inside the idle pace's 30 s.
    const link = await screen.findByRole('link', { name: 'Open app of preview-1' }, { timeout: 10_000 });
    expect(link).toHaveAttribute('href', 'http://127.0.0.1:41235');
    expect(api.calls.filter((c) => c === LIST_CALL)).toHaveLength(3);
  }, 20_000);

  it('an app that is neither starting nor waiting to be picked up is fetched again at the idle pace', () => {
    expect(appSettling(list([env({ name: 'staging', runtime: { state: 'running' } }), env({ name: 'production', runtime: { state: 'crashed' } })]))).toBe(false);
    // No runtime reports at all (a platform without one): nothing to wait for.
    expect(appSettling(list([env({ name: 'staging' }), env({ name: 'production' })]))).toBe(false);
    // Only in a PR: nothing runs for it yet, and nothing should.
    expect(appSettling(list([env({ name: 'staging', runtime: { state: 'running' } }), env({ name: 'review-2', source: 'pending' })]))).toBe(false);
    expect(appSettling(list([env({ name: 'staging', runtime: { state: 'running' } }), env({ name: 'preview-1' })]))).toBe(true);
  });
});
