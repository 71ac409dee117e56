/**
 * The secret dialogs, opened from the tab as a user does: each sends the request `idp secrets set|unset` sends, shows
 * the PR and the workflow's phase live, and on error shows the API's message and stays open. The canary: a random
 * value typed into Set secret is sent exactly once, in exactly one request body, and is nowhere in the page — not
 * while typed, not after — nor in any URL or console output.
 */
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { deferred, type Answer, type Handler } from '../../testing/api';
import { renderTab } from '../../testing/render';
import { ENVS, PR, REPO, secret, secretStatus, secrets } from './fixtures';
import { SecretsTab } from './SecretsTab';

const STAGING = secrets('staging', [secret({ key: 'STRIPE_KEY' }), secret({ key: 'SENTRY_DSN', source: 'from:production' })]);
const SET_ANSWER = (key: string) => ({ status: 202, body: secretStatus({ phase: 'open', secret: { key, action: 'set', ref: `sops://checkout/staging.enc.yaml#${key}`, version: 'fedcba9876543210fedcba9876543210fedcba98', store: 'local' } }) });

const render = async (routes: Record<string, Handler>) => {
  const { api } = await renderTab(<SecretsTab />, { 'GET /environments': () => ({ body: ENVS }), 'GET /environments/:env/secrets': () => ({ body: STAGING }), ...routes });
  await screen.findByTestId('secret-STRIPE_KEY');
  return api;
};
const writes = (api: { requests: Array<{ method: string; path: string; query: URLSearchParams; body: unknown }> }) =>
  api.requests.filter((r) => r.method !== 'GET').map((r) => ({ method: r.method, path: r.path, ...(r.body !== undefined ? { body: r.body } : { query: Object.fromEntries(r.query) }) }));
const valueInput = (dialog: HTMLElement) => within(dialog).getByLabelText(/^Value/) as HTMLInputElement;

describe('secret dialogs', () => {
  it('Set secret (canary): the value is masked, sent once in one request body, emptied at once, and nowhere in the page, a URL or the console', async () => {
    const user = userEvent.setup();
    const console_ = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => jest.spyOn(console, m));
    const toMerged = deferred<Answer>();
    const api = await render({ 'POST /environments/:env/secrets/:key': () => SET_ANSWER('NEW_KEY'), 'GET /workflows/:id': () => toMerged.promise });
    const canary = `canary-${crypto.randomUUID()}`;

    await user.click(screen.getByRole('button', { name: 'Set secret' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByRole('heading', { name: 'Set secret in staging' })).toBeInTheDocument();
    expect(dialog).toHaveTextContent('The value is sent once to store local (sops://checkout/staging.enc.yaml#<KEY>) as a new version — the default store');
    await user.type(within(dialog).getByLabelText(/^Key/), 'NEW_KEY');
    const input = valueInput(dialog);
    expect(input).toHaveAttribute('type', 'password');
    expect(input).toHaveAttribute('autocomplete', 'off');
    expect(within(dialog).queryByRole('button', { name: /show/i })).toBeNull();
    expect(within(dialog).getByRole('button', { name: 'Set' })).toBeDisabled();
    await user.type(input, canary);
    // Typed, not echoed: the page's HTML does not have it (an uncontrolled input keeps it out of its attributes).
    expect(input.value).toBe(canary);
    expect(document.body.innerHTML).not.toContain(canary);
    await user.click(within(dialog).getByRole('button', { name: 'Set' }));

    const link = await within(dialog).findByRole('link', { name: 'PR #7' });
    expect(link).toHaveAttribute('href', PR.url);
    expect(link).toHaveAttribute('target', '_blank');
    expect(within(dialog).getByTestId('workflow-phase')).toHaveTextContent('open');
    expect(dialog).toHaveTextContent('Stored NEW_KEY in store local as version fedcba9; staging uses it once the PR is merged. The value is not kept here.');
    expect(input.value).toBe('');
    expect(within(dialog).queryByLabelText(/^Value/)).toBeNull();
    toMerged.resolve({ body: secretStatus({ status: 'completed', phase: 'merged' }) });
    await waitFor(() => expect(within(dialog).getByTestId('workflow-phase')).toHaveTextContent('merged'));

    expect(writes(api)).toEqual([{ method: 'POST', path: '/environments/staging/secrets/NEW_KEY', body: { ...REPO, value: canary } }]);
    const carrying = api.requests.filter((r) => JSON.stringify(r.body ?? null).includes(canary));
    expect(carrying).toHaveLength(1);
    expect(JSON.stringify(carrying[0]!.body).split(canary)).toHaveLength(2);
    expect(api.calls.filter((c) => c.includes(canary))).toEqual([]);
    expect(document.body.innerHTML).not.toContain(canary);
    for (const spy of console_) {
      expect(JSON.stringify(spy.mock.calls.map((args) => args.map(String)))).not.toContain(canary);
      spy.mockRestore();
    }
    // Closed and opened again: blank.
    await user.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    await user.click(screen.getByRole('button', { name: 'Set secret' }));
    expect(valueInput(await screen.findByRole('dialog')).value).toBe('');
    expect(document.body.innerHTML).not.toContain(canary);
  });

  it("Set secret refused: the API's message, the dialog stays open, the value is emptied (typed again, not resent)", async () => {
    const user = userEvent.setup();
    const answers: Answer[] = [
      { status: 409, body: { error: { code: 'conflict', message: 'staging has an open secret change (PR #6): merge or close it before the next.' } } },
      SET_ANSWER('STRIPE_KEY'),
    ];
    const api = await render({ 'POST /environments/:env/secrets/:key': () => answers.shift()!, 'GET /workflows/:id': () => new Promise<Answer>(() => {}) });
    // A row's key: a new value of it.
    await user.click(within(screen.getByTestId('secret-STRIPE_KEY')).getByRole('button', { name: 'New value of STRIPE_KEY' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByRole('heading', { name: 'Set STRIPE_KEY in staging' })).toBeInTheDocument();
    expect(within(dialog).queryByLabelText(/^Key/)).toBeNull();
    await user.type(valueInput(dialog), 'first-try');
    await user.click(within(dialog).getByRole('button', { name: 'Set' }));
    expect(await within(dialog).findByText('staging has an open secret change (PR #6): merge or close it before the next.')).toBeInTheDocument();
    expect(screen.getByRole('dialog')).toBe(dialog);
    expect(valueInput(dialog).value).toBe('');
    expect(within(dialog).getByRole('button', { name: 'Set' })).toBeDisabled();

    await user.type(valueInput(dialog), 'second-try');
    await user.click(within(dialog).getByRole('button', { name: 'Set' }));
    expect(await within(dialog).findByRole('link', { name: 'PR #7' })).toBeInTheDocument();
    expect(within(dialog).queryByText(/open secret change/)).toBeNull();
    expect(writes(api)).toEqual([
      { method: 'POST', path: '/environments/staging/secrets/STRIPE_KEY', body: { ...REPO, value: 'first-try' } },
      { method: 'POST', path: '/environments/staging/secrets/STRIPE_KEY', body: { ...REPO, value: 'second-try' } },
    ]);
  });

  it('Set secret checks the key as the server does (without quoting it) before sending anything', async () => {
    const user = userEvent.setup();
    const api = await render({});
    await user.click(screen.getByRole('button', { name: 'Set secret' }));
    const dialog = await screen.findByRole('dialog');
    await user.type(within(dialog).getByLabelText(/^Key/), 'STRIPE_KEY=sk_live_x');
    await user.type(valueInput(dialog), 'v');
    expect(within(dialog).getByText(/Invalid name: the name contains "="/)).toBeInTheDocument();
    expect(dialog).not.toHaveTextContent('sk_live_x');
    expect(within(dialog).getByRole('button', { name: 'Set' })).toBeDisabled();
    expect(writes(api)).toEqual([]);
  });

  it('Set reference of a row: starts from its reference, sends ref and version as `idp secrets set KEY --ref … --version …`', async () => {
    const user = userEvent.setup();
    const api = await render({ 'POST /environments/:env/secrets/:key': () => SET_ANSWER('STRIPE_KEY'), 'GET /workflows/:id': () => new Promise<Answer>(() => {}) });
    await user.click(within(screen.getByTestId('secret-STRIPE_KEY')).getByRole('button', { name: 'Set reference of STRIPE_KEY' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByRole('heading', { name: 'Set reference of STRIPE_KEY in staging' })).toBeInTheDocument();
    expect(within(dialog).getByLabelText(/^Reference/)).toHaveValue('sops://checkout/staging.enc.yaml#STRIPE_KEY');
    await user.type(within(dialog).getByLabelText(/^Version/), '0123abc');
    await user.click(within(dialog).getByRole('button', { name: 'Set reference' }));
    expect(await within(dialog).findByRole('link', { name: 'PR #7' })).toBeInTheDocument();
    expect(writes(api)).toEqual([{ method: 'POST', path: '/environments/staging/secrets/STRIPE_KEY', body: { ...REPO, ref: 'sops://checkout/staging.enc.yaml#STRIPE_KEY', version: '0123abc' } }]);
  });

  it("Set reference of a new key: no version sent unless given; the API's refusal shown", async () => {
    const user = userEvent.setup();
    const api = await render({
      'POST /environments/:env/secrets/:key': () => ({ status: 400, body: { error: { code: 'invalid_request', message: 'vault://secret/shared/stripe#key does not exist in store vault.' } } }),
    });
    await user.click(screen.getByRole('button', { name: 'Set reference' }));
    const dialog = await screen.findByRole('dialog');
    await user.type(within(dialog).getByLabelText(/^Key/), 'SHARED_STRIPE');
    await user.type(within(dialog).getByLabelText(/^Reference/), 'vault://secret/shared/stripe#key');
    await user.click(within(dialog).getByRole('button', { name: 'Set reference' }));
    expect(await within(dialog).findByText('vault://secret/shared/stripe#key does not exist in store vault.')).toBeInTheDocument();
    expect(writes(api)).toEqual([{ method: 'POST', path: '/environments/staging/secrets/SHARED_STRIPE', body: { ...REPO, ref: 'vault://secret/shared/stripe#key' } }]);
  });

  it('Unset: only for a key set here; needs the key typed; sends what `idp secrets unset KEY --env staging` sends', async () => {
    const user = userEvent.setup();
    const api = await render({ 'DELETE /environments/:env/secrets/:key': () => ({ status: 202, body: secretStatus({ secret: { key: 'STRIPE_KEY', action: 'unset' } }) }), 'GET /workflows/:id': () => new Promise<Answer>(() => {}) });
    expect(within(screen.getByTestId('secret-SENTRY_DSN')).queryByRole('button', { name: /Unset/ })).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Unset secret STRIPE_KEY' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByRole('heading', { name: 'Unset secret STRIPE_KEY in staging' })).toBeInTheDocument();
    const unset = within(dialog).getByRole('button', { name: 'Unset' });
    await user.type(within(dialog).getByLabelText(/Type STRIPE_KEY to confirm/), 'STRIPE');
    expect(unset).toBeDisabled();
    await user.type(within(dialog).getByLabelText(/Type STRIPE_KEY to confirm/), '_KEY');
    await user.click(unset);
    expect(await within(dialog).findByRole('link', { name: 'PR #7' })).toBeInTheDocument();
    expect(writes(api)).toEqual([{ method: 'DELETE', path: '/environments/staging/secrets/STRIPE_KEY', query: REPO }]);
  });
});
