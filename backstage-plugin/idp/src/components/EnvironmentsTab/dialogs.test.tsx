/**
 * The environment action dialogs, opened from the tab as a user does: each sends the request body the CLI sends,
 * shows the PR link and the workflow's phase live, and on error shows the API's message and stays open.
 */
import { renderTab } from '../../testing/render';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { WorkflowStatus } from '@idp/core';
import { fakeApi, type Answer, type Handler } from '../../testing/api';
import { EnvironmentsTab } from './EnvironmentsTab';
import { deferred, env, list, REPO } from './fixtures';

const PR = { number: 5, url: 'http://127.0.0.1:7007/api/idp/pulls/5?repo=%2Fsrv%2Fdemo%2Fcheckout.git', state: 'open' as const, head: 'idp/env-clone/checkout/review-3', headSha: 'abc' };
const status = (over: Partial<WorkflowStatus>): WorkflowStatus => ({ workflowId: 'env-clone:checkout:review-3@1a2b3c4d5e', kind: 'env-clone', component: 'checkout', environment: 'review-3', status: 'running', phase: 'open', pr: PR, ...over });
const ENVS = list([env({ name: 'staging' }), env({ name: 'preview-7', from: 'staging', ephemeral: true, ttl: '72h', expiresAt: new Date(Date.now() + 50 * 3600_000).toISOString() })]);

const render = async (routes: Record<string, Handler>) => {
  const { api } = await renderTab(<EnvironmentsTab />, { 'GET /environments': () => ({ body: ENVS }), ...routes });
  await screen.findByTestId('env-staging');
  return api;
};
const listCalls = (api: { calls: string[] }) => api.calls.filter((c) => c.startsWith('GET /environments')).length;
const posts = (api: ReturnType<typeof fakeApi>) => api.requests.filter((r) => r.method === 'POST').map((r) => ({ path: r.path, body: r.body }));

describe('environment dialogs', () => {
  it('Clone: sends what `idp env clone staging review-3 --ttl 72h` sends, shows the PR at once and its phase live, refreshes the list', async () => {
    const user = userEvent.setup();
    const toMerged = deferred<Answer>();
    const api = await render({
      'POST /environments/:env/clone': () => ({ status: 202, body: status({ phase: 'open' }) }),
      'GET /workflows/:id': () => toMerged.promise,
    });
    await user.click(within(screen.getByTestId('env-staging')).getByRole('button', { name: 'Clone staging' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByRole('heading', { name: 'Clone staging' })).toBeInTheDocument();
    await user.type(within(dialog).getByLabelText(/New environment/), 'review-3');
    await user.type(within(dialog).getByLabelText(/Time to live/), '72h');
    const before = listCalls(api);
    await user.click(within(dialog).getByRole('button', { name: 'Clone' }));

    const link = await within(dialog).findByRole('link', { name: 'PR #5' });
    expect(link).toHaveAttribute('href', PR.url);
    expect(link).toHaveAttribute('target', '_blank');
    expect(within(dialog).getByTestId('workflow-phase')).toHaveTextContent('open');
    expect(posts(api)).toEqual([{ path: '/environments/staging/clone', body: { ...REPO, target: 'review-3', ttl: '72h' } }]);
    await waitFor(() => expect(listCalls(api)).toBe(before + 1));
    await waitFor(() => expect(api.calls).toContain(`GET /workflows/${encodeURIComponent(status({}).workflowId)}?wait=25&phase=open`));

    // The long poll answers: merged, shown in the dialog, and the list is fetched again.
    toMerged.resolve({ body: status({ status: 'completed', phase: 'merged', pr: { ...PR, state: 'merged' } }) });
    await waitFor(() => expect(within(dialog).getByTestId('workflow-phase')).toHaveTextContent('merged'));
    await waitFor(() => expect(listCalls(api)).toBe(before + 2));
  });

  it('Clone without a TTL sends none (as the CLI without --ttl); a PR not yet open appears once the workflow opens it', async () => {
    const user = userEvent.setup();
    const toOpen = deferred<Answer>();
    const api = await render({
      'POST /environments/:env/clone': () => ({ status: 202, body: status({ phase: 'proposing', pr: undefined }) }),
      'GET /workflows/:id': (req) => (req.query.get('phase') === 'proposing' ? toOpen.promise : new Promise<Answer>(() => {})),
    });
    await user.click(screen.getByRole('button', { name: 'Clone staging' }));
    const dialog = await screen.findByRole('dialog');
    await user.type(within(dialog).getByLabelText(/New environment/), 'review-3');
    await user.click(within(dialog).getByRole('button', { name: 'Clone' }));
    await waitFor(() => expect(within(dialog).getByTestId('workflow-phase')).toHaveTextContent('proposing'));
    expect(within(dialog).queryByRole('link', { name: /PR #/ })).toBeNull();
    expect(posts(api)).toEqual([{ path: '/environments/staging/clone', body: { ...REPO, target: 'review-3' } }]);

    toOpen.resolve({ body: status({ phase: 'open' }) });
    expect(await within(dialog).findByRole('link', { name: 'PR #5' })).toHaveAttribute('href', PR.url);
    expect(within(dialog).getByTestId('workflow-phase')).toHaveTextContent('open');
  });

  it("shows the API's error in the dialog and keeps it open to correct and retry", async () => {
    const user = userEvent.setup();
    const answers: Answer[] = [
      { status: 409, body: { error: { code: 'conflict', message: 'Environment "review-3" already exists in paws.yaml.' } } },
      { status: 202, body: status({}) },
    ];
    const api = await render({ 'POST /environments/:env/clone': () => answers.shift()!, 'GET /workflows/:id': () => new Promise<Answer>(() => {}) });
    await user.click(screen.getByRole('button', { name: 'Clone staging' }));
    const dialog = await screen.findByRole('dialog');
    await user.type(within(dialog).getByLabelText(/New environment/), 'review-3');
    await user.click(within(dialog).getByRole('button', { name: 'Clone' }));

    expect(await within(dialog).findByText('Environment "review-3" already exists in paws.yaml.')).toBeInTheDocument();
    expect(screen.getByRole('dialog')).toBe(dialog);
    expect(within(dialog).queryByRole('link', { name: /PR #/ })).toBeNull();
    // Still open, inputs kept: the user can try again.
    expect(within(dialog).getByLabelText(/New environment/)).toHaveValue('review-3');
    await user.click(within(dialog).getByRole('button', { name: 'Clone' }));
    expect(await within(dialog).findByRole('link', { name: 'PR #5' })).toBeInTheDocument();
    expect(within(dialog).queryByText(/already exists/)).toBeNull();
    expect(posts(api)).toHaveLength(2);
  });

  it('checks the name as the server does before sending anything', async () => {
    const user = userEvent.setup();
    const api = await render({});
    await user.click(screen.getByRole('button', { name: 'Clone staging' }));
    const dialog = await screen.findByRole('dialog');
    await user.type(within(dialog).getByLabelText(/New environment/), 'Review_3');
    expect(within(dialog).getByText(/Invalid name: "Review_3" is not a DNS-1123 label/)).toBeInTheDocument();
    expect(within(dialog).getByRole('button', { name: 'Clone' })).toBeDisabled();
    expect(posts(api)).toEqual([]);
  });

  it('Create: sends what `idp env create review-1 --ttl 7d` sends and shows its PR', async () => {
    const user = userEvent.setup();
    const api = await render({
      'POST /environments': () => ({ status: 202, body: status({ kind: 'env-create', environment: 'review-1', pr: { ...PR, number: 6, url: 'http://forge/pulls/6' } }) }),
      'GET /workflows/:id': () => new Promise<Answer>(() => {}),
    });
    await user.click(screen.getByRole('button', { name: 'Create environment' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByRole('heading', { name: 'Create environment' })).toBeInTheDocument();
    await user.type(within(dialog).getByLabelText(/Name/), 'review-1');
    await user.type(within(dialog).getByLabelText(/Time to live/), '7d');
    await user.click(within(dialog).getByRole('button', { name: 'Create' }));
    expect(await within(dialog).findByRole('link', { name: 'PR #6' })).toHaveAttribute('href', 'http://forge/pulls/6');
    expect(posts(api)).toEqual([{ path: '/environments', body: { ...REPO, name: 'review-1', ttl: '7d' } }]);
  });

  it('Extend: only for ephemeral environments; sends what `idp env extend preview-7 --ttl 24h` sends', async () => {
    const user = userEvent.setup();
    const api = await render({
      'POST /environments/:env/extend': () => ({ status: 202, body: status({ kind: 'env-extend', environment: 'preview-7' }) }),
      'GET /workflows/:id': () => new Promise<Answer>(() => {}),
    });
    expect(screen.queryByRole('button', { name: 'Extend staging' })).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Extend preview-7' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByRole('heading', { name: 'Extend preview-7' })).toBeInTheDocument();
    expect(within(dialog).getByRole('button', { name: 'Extend' })).toBeDisabled();
    await user.type(within(dialog).getByLabelText(/Time to live/), '24h');
    await user.click(within(dialog).getByRole('button', { name: 'Extend' }));
    expect(await within(dialog).findByRole('link', { name: 'PR #5' })).toBeInTheDocument();
    expect(posts(api)).toEqual([{ path: '/environments/preview-7/extend', body: { ...REPO, ttl: '24h' } }]);
  });

  it("Destroy: needs the name typed, sends it as the CLI's --confirm, and shows a refusal's message", async () => {
    const user = userEvent.setup();
    const api = await render({
      'POST /environments/:env/destroy': () => ({ status: 409, body: { error: { code: 'conflict', message: 'preview-7 cannot be destroyed: review-9 is cloned from it.' } } }),
    });
    await user.click(screen.getByRole('button', { name: 'Destroy preview-7' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByRole('heading', { name: 'Destroy preview-7' })).toBeInTheDocument();
    const destroy = within(dialog).getByRole('button', { name: 'Destroy' });
    expect(destroy).toBeDisabled();
    await user.type(within(dialog).getByLabelText(/Type preview-7 to confirm/), 'preview-');
    expect(destroy).toBeDisabled();
    await user.type(within(dialog).getByLabelText(/Type preview-7 to confirm/), '7');
    expect(destroy).toBeEnabled();
    await user.click(destroy);
    expect(await within(dialog).findByText('preview-7 cannot be destroyed: review-9 is cloned from it.')).toBeInTheDocument();
    expect(screen.getByRole('dialog')).toBe(dialog);
    expect(posts(api)).toEqual([{ path: '/environments/preview-7/destroy', body: { ...REPO, confirm: 'preview-7' } }]);
  });
});
