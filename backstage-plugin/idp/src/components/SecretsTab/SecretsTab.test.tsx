/**
 * The Secrets & Variables tab's listing, against the real PlatformClient over a fake API answering the contract's
 * shapes: the environments to choose from, each secret's store, reference, version, existence and source (never a
 * value), where a new key goes, the open change followed live, Check's verdict per key, errors and the empty state.
 */
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { deferred, type Answer, type Handler } from '../../testing/api';
import { renderTab } from '../../testing/render';
import { ENVS, PR, REPO, SHA, secret, secretStatus, secrets } from './fixtures';
import { SecretsTab } from './SecretsTab';

const STAGING = secrets('staging', [
  secret({ key: 'STRIPE_KEY' }),
  secret({ key: 'SENTRY_DSN', ref: 'aws-sm://idp/checkout/production/SENTRY_DSN', store: 'aws', version: 'v-old', currentVersion: 'v-new', versionExists: false, source: 'from:production' }),
  secret({ key: 'LEGACY_TOKEN', ref: 'env://LEGACY_TOKEN', store: 'unmanaged', version: undefined, exists: undefined, versionExists: undefined, currentVersion: undefined, lastChanged: undefined, problem: 'no configured store serves env://' }),
]);

const render = (routes: Record<string, Handler>, url?: string) =>
  renderTab(<SecretsTab />, { 'GET /environments': () => ({ body: ENVS }), ...routes }, url ? { initialRouteEntries: [url] } : {});
const secretCalls = (api: { calls: string[] }) => api.calls.filter((c) => /^GET \/environments\/[^/]+\/secrets/.test(c));

describe('SecretsTab', () => {
  it("lists the first environment's secrets — store, reference, version, exists, last changed, source — from one call, and where a new key goes", async () => {
    const { api } = await render({ 'GET /environments/:env/secrets': () => ({ body: STAGING }) });
    const row = await screen.findByTestId('secret-STRIPE_KEY');
    expect(within(row).getByText('local')).toBeInTheDocument();
    expect(within(row).getByText('sops://checkout/staging.enc.yaml#STRIPE_KEY')).toBeInTheDocument();
    // A sops version is a commit: short, the full one on hover.
    expect(within(row).getByText(SHA.slice(0, 7))).toHaveAttribute('title', SHA);
    expect(within(row).getByText('exists')).toBeInTheDocument();
    expect(within(row).getByText('2 days ago')).toBeInTheDocument();
    expect(within(row).getByText('own')).toBeInTheDocument();
    expect(within(row).getByRole('button', { name: 'Unset secret STRIPE_KEY' })).toBeInTheDocument();

    const inherited = screen.getByTestId('secret-SENTRY_DSN');
    expect(within(inherited).getByText('version missing')).toBeInTheDocument();
    expect(within(inherited).getByText('from: production')).toBeInTheDocument();
    expect(within(inherited).getByText(/newest v-new/)).toBeInTheDocument();
    // Unset where it is set (production); a new value or reference here overrides it.
    expect(within(inherited).queryByRole('button', { name: /Unset/ })).toBeNull();
    expect(within(inherited).getByRole('button', { name: 'New value of SENTRY_DSN' })).toBeInTheDocument();

    const unknown = screen.getByTestId('secret-LEGACY_TOKEN');
    expect(within(unknown).getByText('unknown')).toBeInTheDocument();
    expect(within(unknown).getByText('no configured store serves env://')).toBeInTheDocument();

    expect(screen.getByTestId('secret-route')).toHaveTextContent('New secrets of staging go to store local (sops, sops://checkout/staging.enc.yaml#<KEY>): the default store');
    // The environments to choose from: those paws.yaml declares (review-9 is only in an open PR).
    expect(screen.getByRole('button', { name: /Environment/ })).toHaveTextContent('staging');
    expect(secretCalls(api)).toEqual([`GET /environments/staging/secrets?repo=${encodeURIComponent(REPO.repo)}&path=paws.yaml`]);
  });

  const byEnv = { 'GET /environments/:env/secrets': (req: { path: string }) => ({ body: req.path.includes('/production/') ? secrets('production', [secret({ key: 'PROD_ONLY' })]) : STAGING }) };

  it('switches environment with the selector: one call for it, and only its secrets shown', async () => {
    const user = userEvent.setup();
    const { api } = await render(byEnv);
    await screen.findByTestId('secret-STRIPE_KEY');
    await user.click(screen.getByRole('button', { name: /Environment/ }));
    expect(screen.queryByRole('option', { name: 'review-9' })).toBeNull();
    await user.click(await screen.findByRole('option', { name: 'production' }));
    expect(await screen.findByTestId('secret-PROD_ONLY')).toBeInTheDocument();
    expect(screen.queryByTestId('secret-STRIPE_KEY')).toBeNull();
    expect(secretCalls(api).map((c) => c.split('?')[0])).toEqual(['GET /environments/staging/secrets', 'GET /environments/production/secrets']);
  });

  it('opens at ?env= as `idp open production --secrets` links it; an unknown one falls back to the first, saying so', async () => {
    const { api, unmount } = await render(byEnv, '/?env=production');
    expect(await screen.findByTestId('secret-PROD_ONLY')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: /Environment/ })).toHaveTextContent('production');
    expect(secretCalls(api).map((c) => c.split('?')[0])).toEqual(['GET /environments/production/secrets']);
    unmount();
    await render(byEnv, '/?env=nope');
    expect(await screen.findByTestId('secret-STRIPE_KEY')).toBeInTheDocument();
    expect(screen.getByText('checkout has no environment nope in paws.yaml; showing staging.')).toBeInTheDocument();
  });

  it('says how to set one, with the CLI command, when the environment has none', async () => {
    await render({ 'GET /environments/:env/secrets': () => ({ body: secrets('staging', []) }) });
    expect(await screen.findByText(/staging has no secrets/)).toBeInTheDocument();
    expect(screen.getByText('printf %s "$VALUE" | idp secrets set KEY --env staging')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Set secret' })).toBeInTheDocument();
  });

  it("says why no new key can be written when no store is routed", async () => {
    await render({ 'GET /environments/:env/secrets': () => ({ body: secrets('staging', [], { route: { why: 'no rule of idp.secrets matches and there is no default' } }) }) });
    expect(await screen.findByTestId('secret-route')).toHaveTextContent('New secrets of staging cannot be written: no rule of idp.secrets matches and there is no default');
  });

  it("shows the API's message when the secrets cannot be listed", async () => {
    await render({ 'GET /environments/:env/secrets': () => ({ status: 403, body: { error: { code: 'forbidden', message: 'guest may not read the secrets of checkout: ask team-payments.' } } }) });
    expect(await screen.findByText('guest may not read the secrets of checkout: ask team-payments.')).toBeInTheDocument();
  });

  it('shows the open secret change and follows it: its merge refreshes the list', async () => {
    const merged = deferred<Answer>();
    const lists = [secrets('staging', [secret({ key: 'STRIPE_KEY' })], { pending: secretStatus({ secret: { key: 'DB_URL', action: 'set' } }) }), secrets('staging', [secret({ key: 'STRIPE_KEY' }), secret({ key: 'DB_URL' })])];
    const { api } = await render({ 'GET /environments/:env/secrets': () => ({ body: lists.shift() ?? lists[0] }), 'GET /workflows/:id': () => merged.promise });
    const pending = await screen.findByTestId('secret-pending');
    expect(pending).toHaveTextContent('Open: set DB_URL');
    expect(within(pending).getByRole('link', { name: 'PR #7' })).toHaveAttribute('href', PR.url);
    await waitFor(() => expect(api.calls).toContain(`GET /workflows/${encodeURIComponent(secretStatus().workflowId)}?wait=25&phase=open`));
    merged.resolve({ body: secretStatus({ status: 'completed', phase: 'merged' }) });
    expect(await screen.findByTestId('secret-DB_URL')).toBeInTheDocument();
    expect(screen.queryByTestId('secret-pending')).toBeNull();
  });

  it('Check asks the stores (check=true) and gives the verdict per key', async () => {
    const user = userEvent.setup();
    const { api } = await render({
      'GET /environments/:env/secrets': (req) =>
        ({ body: req.query.get('check') === 'true' ? { ...STAGING, check: { ok: false, problems: [{ key: 'SENTRY_DSN', problem: 'version v-old of aws-sm://idp/checkout/production/SENTRY_DSN does not exist' }] } } : STAGING }),
    });
    await screen.findByTestId('secret-STRIPE_KEY');
    await user.click(screen.getByRole('button', { name: 'Check secrets of staging' }));
    const verdict = await screen.findByTestId('secrets-check');
    expect(verdict).toHaveTextContent('1 of 3 secrets of staging do not resolve in their stores.');
    expect(verdict).toHaveTextContent('STRIPE_KEY: resolves');
    expect(verdict).toHaveTextContent('SENTRY_DSN: version v-old of aws-sm://idp/checkout/production/SENTRY_DSN does not exist');
    expect(secretCalls(api).at(-1)).toBe(`GET /environments/staging/secrets?repo=${encodeURIComponent(REPO.repo)}&path=paws.yaml&check=true`);
  });

  it('Check says so when every reference resolves, and shows a refusal', async () => {
    const user = userEvent.setup();
    const answers: Answer[] = [
      { body: { ...STAGING, check: { ok: true, problems: [] } } },
      { status: 503, body: { error: { code: 'unavailable', message: 'The store aws did not answer (throttled); try again.' } } },
    ];
    await render({ 'GET /environments/:env/secrets': (req) => (req.query.get('check') === 'true' ? answers.shift()! : { body: STAGING }) });
    await screen.findByTestId('secret-STRIPE_KEY');
    await user.click(screen.getByRole('button', { name: 'Check secrets of staging' }));
    expect(await screen.findByTestId('secrets-check')).toHaveTextContent('All 3 secrets of staging resolve in their stores.');
    await user.click(screen.getByRole('button', { name: 'Check secrets of staging' }));
    await waitFor(() => expect(screen.getByTestId('secrets-check')).toHaveTextContent('The store aws did not answer (throttled); try again.'));
  });
});
