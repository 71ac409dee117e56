/**
 * The Variables half of the tab, against the real PlatformClient over a fake API answering the contract's shapes:
 * the effective variables and their sources, the request `idp variables set|unset` sends from each dialog, the PR and
 * its phase live, the API's refusal of a secret-looking variable shown (and the typed value not kept), the empty state.
 */
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { VariableList, WorkflowStatus } from '@idp/core';
import { type Answer, type Handler } from '../../testing/api';
import { renderTab } from '../../testing/render';
import { ENVS, PR, REPO, secrets } from './fixtures';
import { SecretsTab } from './SecretsTab';

const vars = (environment: string, variables: VariableList['variables']): VariableList => ({ component: 'checkout', environment, variables });
const STAGING = vars('staging', [
  { key: 'LOG_LEVEL', value: 'debug', source: 'own' },
  { key: 'REGION', value: 'eu-west-1', source: 'from:production' },
  { key: 'PORT', value: '8080', source: 'container:web' },
]);
const started = (over: Partial<WorkflowStatus> = {}): WorkflowStatus => ({ workflowId: 'env-vars:checkout:staging@1a2b3c4d5e', kind: 'env-vars', component: 'checkout', environment: 'staging', status: 'running', phase: 'open', pr: PR, ...over });

const render = async (routes: Record<string, Handler>) => {
  const { api } = await renderTab(<SecretsTab />, {
    'GET /environments': () => ({ body: ENVS }),
    'GET /environments/:env/secrets': () => ({ body: secrets('staging', []) }),
    'GET /environments/:env/variables': () => ({ body: STAGING }),
    ...routes,
  });
  return api;
};
const posts = (api: { requests: Array<{ method: string; path: string; body: unknown }> }) => api.requests.filter((r) => r.method === 'POST').map((r) => ({ path: r.path, body: r.body }));

describe('variables', () => {
  it('lists the effective variables — value and source (own / from: production / workload default: web) — from one call', async () => {
    const api = await render({});
    const own = await screen.findByTestId('variable-LOG_LEVEL');
    expect(within(own).getByText('debug')).toBeInTheDocument();
    expect(within(own).getByText('own')).toBeInTheDocument();
    expect(within(own).getByRole('button', { name: 'Unset variable LOG_LEVEL' })).toBeInTheDocument();
    expect(within(screen.getByTestId('variable-REGION')).getByText('from: production')).toBeInTheDocument();
    expect(within(screen.getByTestId('variable-PORT')).getByText('workload default: web')).toBeInTheDocument();
    // Inherited and workload defaults are unset where they are set; here they can be overridden.
    expect(within(screen.getByTestId('variable-REGION')).queryByRole('button', { name: /Unset/ })).toBeNull();
    expect(within(screen.getByTestId('variable-PORT')).getByRole('button', { name: 'Set variable PORT' })).toBeInTheDocument();
    expect(api.calls.filter((c) => c.includes('/variables'))).toEqual([`GET /environments/staging/variables?repo=${encodeURIComponent(REPO.repo)}&path=paws.yaml`]);
  });

  it('says how to set one, with the CLI command, when the environment has none', async () => {
    await render({ 'GET /environments/:env/variables': () => ({ body: vars('staging', []) }) });
    expect(await screen.findByText(/staging has no variables/)).toBeInTheDocument();
    expect(screen.getByText('idp variables set KEY=VALUE --env staging')).toBeInTheDocument();
  });

  it("shows the API's message when the variables cannot be listed", async () => {
    await render({ 'GET /environments/:env/variables': () => ({ status: 404, body: { error: { code: 'not_found', message: 'Environment "staging" not found in paws.yaml.' } } }) });
    expect(await screen.findByText('Environment "staging" not found in paws.yaml.')).toBeInTheDocument();
  });

  it('Set variable: sends what `idp variables set FEATURE_X=on --env staging` sends, shows the PR and its phase, refreshes the list when merged', async () => {
    const user = userEvent.setup();
    let merged: (a: Answer) => void = () => undefined;
    const api = await render({
      'POST /environments/:env/variables': () => ({ status: 202, body: started() }),
      'GET /workflows/:id': () => new Promise<Answer>((r) => (merged = r)),
    });
    await screen.findByTestId('variable-LOG_LEVEL');
    await user.click(screen.getByRole('button', { name: 'Set variable' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByRole('heading', { name: 'Set variable in staging' })).toBeInTheDocument();
    await user.type(within(dialog).getByLabelText(/^Key/), 'FEATURE_X');
    await user.type(within(dialog).getByLabelText(/^Value/), 'on');
    const lists = api.calls.filter((c) => c.startsWith('GET /environments/staging/variables')).length;
    await user.click(within(dialog).getByRole('button', { name: 'Set' }));
    expect(await within(dialog).findByRole('link', { name: 'PR #7' })).toHaveAttribute('href', PR.url);
    expect(within(dialog).getByTestId('workflow-phase')).toHaveTextContent('open');
    expect(posts(api)).toEqual([{ path: '/environments/staging/variables', body: { ...REPO, set: { FEATURE_X: 'on' } } }]);
    await waitFor(() => expect(api.calls.some((c) => c.startsWith('GET /workflows/'))).toBe(true));
    merged({ body: started({ status: 'completed', phase: 'merged' }) });
    await waitFor(() => expect(within(dialog).getByTestId('workflow-phase')).toHaveTextContent('merged'));
    await waitFor(() => expect(api.calls.filter((c) => c.startsWith('GET /environments/staging/variables')).length).toBeGreaterThan(lists + 1));
  });

  it("a row's Set starts from its value and sends only that key", async () => {
    const user = userEvent.setup();
    const api = await render({ 'POST /environments/:env/variables': () => ({ status: 202, body: started() }), 'GET /workflows/:id': () => new Promise<Answer>(() => {}) });
    await user.click(await screen.findByRole('button', { name: 'Set variable LOG_LEVEL' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByRole('heading', { name: 'Set LOG_LEVEL in staging' })).toBeInTheDocument();
    const value = within(dialog).getByLabelText(/^Value/);
    expect(value).toHaveValue('debug');
    await user.clear(value);
    await user.type(value, 'info');
    await user.click(within(dialog).getByRole('button', { name: 'Set' }));
    expect(await within(dialog).findByRole('link', { name: 'PR #7' })).toBeInTheDocument();
    expect(posts(api)).toEqual([{ path: '/environments/staging/variables', body: { ...REPO, set: { LOG_LEVEL: 'info' } } }]);
  });

  it("a secret-looking variable: the API's refusal pointing at secrets is shown, the dialog stays open, the typed value is not kept", async () => {
    const user = userEvent.setup();
    const message = 'STRIPE_API looks like a secret (its value looks like a Stripe secret key), and variables are stored in git in the clear. Store it as a secret instead: printf %s "$STRIPE_API" | idp secrets set STRIPE_API --env staging. Nothing was written.';
    const api = await render({ 'POST /environments/:env/variables': () => ({ status: 400, body: { error: { code: 'invalid_request', message, details: { key: 'STRIPE_API', reason: 'looks-like-secret' } } } }) });
    await screen.findByTestId('variable-LOG_LEVEL');
    await user.click(screen.getByRole('button', { name: 'Set variable' }));
    const dialog = await screen.findByRole('dialog');
    const canary = `sk_live_${crypto.randomUUID().replace(/-/g, '')}`;
    await user.type(within(dialog).getByLabelText(/^Key/), 'STRIPE_API');
    await user.type(within(dialog).getByLabelText(/^Value/), canary);
    await user.click(within(dialog).getByRole('button', { name: 'Set' }));
    expect(await within(dialog).findByText(message)).toBeInTheDocument();
    expect(screen.getByRole('dialog')).toBe(dialog);
    expect(within(dialog).getByLabelText(/^Value/)).toHaveValue('');
    expect(document.body.innerHTML).not.toContain(canary);
    expect(posts(api)).toEqual([{ path: '/environments/staging/variables', body: { ...REPO, set: { STRIPE_API: canary } } }]);
  });

  it('Unset variable: sends what `idp variables unset LOG_LEVEL --env staging` sends', async () => {
    const user = userEvent.setup();
    const api = await render({ 'POST /environments/:env/variables': () => ({ status: 202, body: started() }), 'GET /workflows/:id': () => new Promise<Answer>(() => {}) });
    await user.click(await screen.findByRole('button', { name: 'Unset variable LOG_LEVEL' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByRole('heading', { name: 'Unset variable LOG_LEVEL in staging' })).toBeInTheDocument();
    await user.click(within(dialog).getByRole('button', { name: 'Unset' }));
    expect(await within(dialog).findByRole('link', { name: 'PR #7' })).toBeInTheDocument();
    expect(posts(api)).toEqual([{ path: '/environments/staging/variables', body: { ...REPO, unset: ['LOG_LEVEL'] } }]);
  });
});
