import { renderTab } from '../../testing/render';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ReleaseDetail, ReleaseList, ReleaseRecord, WorkflowStatus } from '@idp/core';
import { type Answer, type Handler } from '../../testing/api';
import { deferred, REPO } from '../EnvironmentsTab/fixtures';
import { ReleasesTab } from './ReleasesTab';

const LIST_CALL = 'GET /releases?repo=%2Fsrv%2Fdemo%2Fcheckout.git&path=paws.yaml';
const pr = (n: number, state: 'open' | 'merged' = 'open') => ({ number: n, url: `http://127.0.0.1:7007/api/idp/pulls/${n}?repo=x`, state, head: `idp/release/${n}`, headSha: 'h' });
const rec = (over: Partial<ReleaseRecord> & { number: number; env: string }): ReleaseRecord => ({
  kind: 'create',
  image: `ghcr.io/acme/checkout:1.${over.number}.0`,
  workflowId: `release:checkout:${over.env}:v${over.number}@1a2b3c4d5e`,
  requestedBy: 'user:development/guest',
  requestedAt: '2026-11-26T10:00:00Z',
  approvers: [],
  outcome: 'merged',
  pr: pr(over.number, 'merged'),
  ...over,
});
const ledger = (envs: Record<string, ReleaseRecord[]>): ReleaseList => ({
  component: 'checkout',
  repo: REPO.repo,
  environments: Object.entries(envs).map(([env, releases]) => ({ env, releases, current: releases.find((r) => r.outcome === 'merged') })),
});
const status = (over: Partial<WorkflowStatus>): WorkflowStatus => ({ workflowId: 'w', kind: 'release', component: 'checkout', environment: 'production', status: 'running', phase: 'open', ...over });

const render = async (routes: Record<string, Handler>) => (await renderTab(<ReleasesTab />, routes)).api;

describe('ReleasesTab', () => {
  it('shows progress while the ledger loads, from one call', async () => {
    const api = await render({ 'GET /releases': () => new Promise<Answer>(() => {}) });
    expect(await screen.findByTestId('progress')).toBeInTheDocument();
    expect(api.calls).toEqual([LIST_CALL]);
  });

  it('with no release yet, says how to create one (here, or idp releases create)', async () => {
    await render({ 'GET /releases': () => ({ body: ledger({ staging: [], production: [] }) }) });
    expect(await screen.findByText(/No releases of checkout yet\..*idp releases create --env staging --image <image:tag>/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Create release' })).toBeInTheDocument();
  });

  it('shows the API error message', async () => {
    await render({ 'GET /releases': () => ({ status: 403, body: { error: { code: 'forbidden', message: 'You may not read checkout.' } } }) });
    expect(await screen.findByText('You may not read checkout.')).toBeInTheDocument();
  });

  it('lists each environment\'s ledger: what it runs, every release with PR, requester, approvers, outcome and why', async () => {
    await render({
      'GET /releases': () => ({
        body: ledger({
          staging: [rec({ number: 2, env: 'staging', outcome: 'rejected', reason: 'bob requested changes', pr: pr(5, 'open') }), rec({ number: 1, env: 'staging', approvers: ['user:default/alice'] })],
          production: [rec({ number: 1, env: 'production', kind: 'promote', from: 'staging', approvers: ['user:default/alice', 'user:default/bob'] })],
        }),
      }),
    });
    expect(within(await screen.findByTestId('releases-staging')).getByText('Runs v1: ghcr.io/acme/checkout:1.1.0')).toBeInTheDocument();
    const rejected = screen.getByTestId('release-staging-v2');
    expect(within(rejected).getByText('rejected')).toBeInTheDocument();
    expect(within(rejected).getByText('bob requested changes')).toBeInTheDocument();
    const promoted = screen.getByTestId('release-production-v1');
    expect(within(promoted).getByText('promote from staging')).toBeInTheDocument();
    expect(within(promoted).getByText('approved by user:default/alice, user:default/bob')).toBeInTheDocument();
    expect(within(promoted).getByRole('link', { name: 'PR #1' })).toHaveAttribute('target', '_blank');
  });

  it('shows a waiting release\'s policy and what it waits for, including an approval that does not count and why', async () => {
    const open = rec({ number: 3, env: 'production', outcome: 'open', pr: pr(7) });
    const detail: ReleaseDetail = {
      release: open,
      workflow: status({ workflowId: open.workflowId }),
      policy: { approvals: 2, approvers: ['team-payments'], requiredChecks: ['ci/build'], selfApproval: false, autoMerge: true, timeout: '72h' },
      verdict: { satisfied: false, approvedBy: ['user:default/alice'], ignored: [{ by: 'user:development/guest', why: 'requested this release (four eyes)' }], changesRequestedBy: [], checks: [{ name: 'ci/build', state: 'pending' }], waitingFor: ['1 more approval from team-payments', 'check ci/build'] },
      diff: [{ path: 'paws.yaml', status: 'modified', patch: '@@ -1 +1 @@\n-    image: ghcr.io/acme/checkout:1.2.0\n+    image: ghcr.io/acme/checkout:1.3.0' }],
    };
    const api = await render({
      'GET /releases': () => ({ body: ledger({ production: [open] }) }),
      'GET /workflows/:id': () => new Promise<Answer>(() => {}),
      'GET /releases/production/3': () => ({ body: detail }),
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Details of v3 of production' }));
    const panel = await screen.findByTestId('release-detail-production-v3');
    expect(within(panel).getByText(/2 approvals from team-payments; checks ci\/build; self-approval does not count/)).toBeInTheDocument();
    expect(within(panel).getByText('Waits for: 1 more approval from team-payments; check ci/build.')).toBeInTheDocument();
    expect(within(panel).getByText('Not counted: user:development/guest: requested this release (four eyes)')).toBeInTheDocument();
    expect(within(panel).getByText('Checks: ci/build pending')).toBeInTheDocument();
    expect(within(panel).getByLabelText('diff of paws.yaml')).toHaveTextContent('+ image: ghcr.io/acme/checkout:1.3.0');
    expect(api.calls).toContain('GET /releases/production/3?repo=%2Fsrv%2Fdemo%2Fcheckout.git&path=paws.yaml');
  });

  it('follows an open release live: its workflow\'s long poll answers merged, the ledger is fetched again and shows it', async () => {
    const open = rec({ number: 3, env: 'production', outcome: 'open', pr: pr(7) });
    const poll = deferred<Answer>();
    let lists = 0;
    const api = await render({
      'GET /releases': () => ({ body: ledger({ production: [++lists === 1 ? open : { ...open, outcome: 'merged', approvers: ['user:default/alice', 'user:default/bob'] }] }) }),
      'GET /workflows/:id': () => poll.promise,
    });
    const row = await screen.findByTestId('release-production-v3');
    expect(within(row).getByText('open')).toBeInTheDocument();
    await waitFor(() => expect(api.calls.filter((c) => c.startsWith('GET /workflows/'))).toHaveLength(1));
    expect(api.calls.find((c) => c.startsWith('GET /workflows/'))).toBe(`GET /workflows/${encodeURIComponent(open.workflowId)}?wait=25&phase=open`);
    poll.resolve({ body: status({ workflowId: open.workflowId, status: 'completed', phase: 'merged' }) });
    await waitFor(() => expect(within(screen.getByTestId('release-production-v3')).getByText('merged')).toBeInTheDocument());
    expect(api.calls.filter((c) => c === LIST_CALL)).toHaveLength(2);
  });

  it('Create release sends what idp releases create sends, and shows the PR at once', async () => {
    const api = await render({
      'GET /releases': () => ({ body: ledger({ staging: [], production: [] }) }),
      'POST /releases': () => ({ status: 202, body: status({ workflowId: 'release:checkout:production:v1@1a2b3c4d5e', phase: 'open', pr: pr(9) }) }),
      'GET /workflows/:id': () => new Promise<Answer>(() => {}),
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Create release' }));
    const dialog = await screen.findByRole('dialog');
    await userEvent.click(within(dialog).getByRole('button', { name: /Environment/ }));
    await userEvent.click(await screen.findByRole('option', { name: 'production' }));
    await userEvent.type(within(dialog).getByRole('textbox', { name: /Image/ }), 'ghcr.io/acme/checkout:2.0.0');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Create release' }));
    expect(await within(dialog).findByRole('link', { name: 'PR #9' })).toBeInTheDocument();
    expect(api.requests.find((r) => r.method === 'POST')?.body).toEqual({ ...REPO, env: 'production', image: 'ghcr.io/acme/checkout:2.0.0' });
  });

  it('Approve says why the policy does not count it; a refused merge shows the API\'s message', async () => {
    const open = rec({ number: 3, env: 'production', outcome: 'open', pr: pr(7) });
    const api = await render({
      'GET /releases': () => ({ body: ledger({ production: [open] }) }),
      'GET /workflows/:id': () => new Promise<Answer>(() => {}),
      'POST /pulls/7/reviews': () => ({ body: { ...pr(7), title: 't', body: '', base: 'main', baseSha: 'b', author: 'x', labels: [], createdAt: '', updatedAt: '', reviews: [], comments: [], note: 'You requested this release: your approval does not count.' } }),
      'POST /pulls/7/merge': () => ({ status: 409, body: { error: { code: 'conflict', message: 'Release v3 to production still waits for: 2 more approvals from team-payments.' } } }),
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Approve v3 of production' }));
    expect(await screen.findByText('You requested this release: your approval does not count.')).toBeInTheDocument();
    expect(api.requests.find((r) => r.path === '/pulls/7/reviews')?.body).toEqual({ ...REPO, event: 'approve' });
    await userEvent.click(screen.getByRole('button', { name: 'Merge v3 of production' }));
    expect(await screen.findByText('Release v3 to production still waits for: 2 more approvals from team-payments.')).toBeInTheDocument();
    expect(api.requests.find((r) => r.path === '/pulls/7/merge')?.body).toEqual(REPO);
  });

  it('Roll back sends what idp releases rollback --to sends', async () => {
    const api = await render({
      'GET /releases': () => ({ body: ledger({ staging: [rec({ number: 2, env: 'staging' }), rec({ number: 1, env: 'staging' })] }) }),
      'POST /releases/rollback': () => ({ status: 202, body: status({ environment: 'staging', phase: 'proposing' }) }),
      'GET /workflows/:id': () => new Promise<Answer>(() => {}),
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Roll back staging' }));
    const dialog = await screen.findByRole('dialog');
    await userEvent.type(within(dialog).getByRole('textbox', { name: /To release/ }), 'v1');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Roll back' }));
    await waitFor(() => expect(api.requests.find((r) => r.method === 'POST')?.body).toEqual({ ...REPO, env: 'staging', to: 1 }));
  });

  it('Promote sends what idp releases promote <from> <to> sends, and shows the PR and phase at once', async () => {
    const api = await render({
      'GET /releases': () => ({ body: ledger({ staging: [rec({ number: 2, env: 'staging' })], production: [] }) }),
      'POST /releases/promote': () => ({ status: 202, body: status({ workflowId: 'release:checkout:production:v1@1a2b3c4d5e', phase: 'proposing', pr: pr(11) }) }),
      'GET /workflows/:id': () => new Promise<Answer>(() => {}),
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Promote staging' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByRole('heading', { name: 'Promote' })).toBeInTheDocument();
    await userEvent.click(within(dialog).getByRole('button', { name: 'Promote' }));
    expect(await within(dialog).findByRole('link', { name: 'PR #11' })).toHaveAttribute('target', '_blank');
    expect(api.requests.find((r) => r.method === 'POST')?.body).toEqual({ ...REPO, from: 'staging', to: 'production' });
  });

  it('a refused action keeps its dialog open with the API\'s message', async () => {
    await render({
      'GET /releases': () => ({ body: ledger({ staging: [rec({ number: 2, env: 'staging' }), rec({ number: 1, env: 'staging' })] }) }),
      'POST /releases/rollback': () => ({ status: 409, body: { error: { code: 'conflict', message: 'staging already runs ghcr.io/acme/checkout:1.1.0.' } } }),
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Roll back staging' }));
    const dialog = await screen.findByRole('dialog');
    await userEvent.type(within(dialog).getByRole('textbox', { name: /To release/ }), '1');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Roll back' }));
    expect(await within(dialog).findByText('staging already runs ghcr.io/acme/checkout:1.1.0.')).toBeInTheDocument();
    expect(screen.getByRole('dialog')).toBe(dialog);
  });

  it('an approval the API refuses shows its message', async () => {
    const open = rec({ number: 3, env: 'production', outcome: 'open', pr: pr(7) });
    await render({
      'GET /releases': () => ({ body: ledger({ production: [open] }) }),
      'GET /workflows/:id': () => new Promise<Answer>(() => {}),
      'POST /pulls/7/reviews': () => ({ status: 403, body: { error: { code: 'forbidden', message: 'You cannot approve your own release.' } } }),
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Approve v3 of production' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('You cannot approve your own release.');
  });

  it('Request changes and Close send what idp pr review --request-changes and idp pr close send', async () => {
    const open = rec({ number: 3, env: 'production', outcome: 'open', pr: pr(7) });
    const pull = { ...pr(7), title: 't', body: '', base: 'main', baseSha: 'b', author: 'x', labels: [], createdAt: '', updatedAt: '', reviews: [], comments: [] };
    const api = await render({
      'GET /releases': () => ({ body: ledger({ production: [open] }) }),
      'GET /workflows/:id': () => new Promise<Answer>(() => {}),
      'POST /pulls/7/reviews': () => ({ body: pull }),
      'POST /pulls/7/close': () => ({ body: { ...pull, state: 'closed' } }),
      'GET /releases/production/3': () => ({ body: { release: open, workflow: status({ workflowId: open.workflowId }), policy: { approvals: 1, approvers: [], requiredChecks: [], selfApproval: false, autoMerge: true, timeout: '72h' }, diff: [] } satisfies ReleaseDetail }),
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Details of v3 of production' }));
    await userEvent.click(await screen.findByRole('button', { name: 'Request changes v3 of production' }));
    expect(await screen.findByText('Requested changes on v3 of production.')).toBeInTheDocument();
    expect(api.requests.find((r) => r.path === '/pulls/7/reviews')?.body).toEqual({ ...REPO, event: 'request_changes' });
    await userEvent.click(screen.getByRole('button', { name: 'Close v3 of production' }));
    expect(await screen.findByText('Closed v3 of production.')).toBeInTheDocument();
    expect(api.requests.find((r) => r.path === '/pulls/7/close')?.body).toEqual(REPO);
  });

  it('a check reported from the details sends what idp pr check <n> <name> --success sends', async () => {
    const open = rec({ number: 3, env: 'production', outcome: 'open', pr: pr(7) });
    const detail: ReleaseDetail = {
      release: open,
      workflow: status({ workflowId: open.workflowId }),
      policy: { approvals: 1, approvers: [], requiredChecks: ['ci/build'], selfApproval: false, autoMerge: true, timeout: '72h' },
      verdict: { satisfied: false, approvedBy: [], ignored: [], changesRequestedBy: [], checks: [], waitingFor: ['check ci/build'] },
      diff: [],
    };
    const pull = { ...pr(7), title: 't', body: '', base: 'main', baseSha: 'b', author: 'x', labels: [], createdAt: '', updatedAt: '', reviews: [], comments: [] };
    const api = await render({
      'GET /releases': () => ({ body: ledger({ production: [open] }) }),
      'GET /workflows/:id': () => new Promise<Answer>(() => {}),
      'GET /releases/production/3': () => ({ body: detail }),
      'POST /pulls/7/checks': () => ({ body: pull }),
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Details of v3 of production' }));
    await userEvent.click(await screen.findByRole('button', { name: 'Report success of ci/build on v3 of production' }));
    expect(await screen.findByText('Reported ci/build: success on v3 of production.')).toBeInTheDocument();
    expect(api.requests.find((r) => r.path === '/pulls/7/checks')?.body).toEqual({ ...REPO, name: 'ci/build', state: 'success' });
  });
});
