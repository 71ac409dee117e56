import { renderInTestApp, TestApiProvider } from '@backstage/frontend-test-utils';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { idpApiRef } from '../../api';
import { fakeApi } from '../../testing/api';
import { PullRequestView, pullFromLocation } from './PullRequestPage';

const ref = { repo: '/srv/demo/checkout.git', path: 'paws.yaml' };
const pull = (over: object = {}) => ({
  number: 4,
  url: 'http://127.0.0.1:7007/api/idp/pulls/4?repo=%2Fsrv%2Fdemo%2Fcheckout.git',
  title: 'Release v2 of production: ghcr.io/acme/checkout:2.0.0',
  body: 'Requested by **guest**.',
  head: 'idp/release/checkout/production/v2',
  base: 'main',
  headSha: 'h2',
  baseSha: 'b1',
  state: 'open',
  author: 'user:development/guest',
  labels: [],
  createdAt: '2026-11-26T10:00:00Z',
  updatedAt: '2026-11-26T10:00:00Z',
  reviews: [{ by: 'user:default/bob', state: 'approved', commitSha: 'h1', at: '2026-11-26T10:01:00Z' }],
  comments: [],
  ...over,
});
const diff = { files: [{ path: 'paws.yaml', status: 'modified', patch: '@@ -1 +1 @@\n-    image: ghcr.io/acme/checkout:1.4.2\n+    image: ghcr.io/acme/checkout:2.0.0' }] };

const render = (api: ReturnType<typeof fakeApi>) =>
  renderInTestApp(
    <TestApiProvider apis={[[idpApiRef, api.client]]}>
      <PullRequestView n={4} repoRef={ref} />
    </TestApiProvider>,
  );

describe('PullRequestPage', () => {
  it('reads the PR from its URL: number from the path, repository and paws.yaml from the query', () => {
    expect(pullFromLocation('/idp/pulls/4', '?repo=%2Fsrv%2Fdemo%2Fcheckout.git&path=svc%2Fpaws.yaml')).toEqual({ n: 4, ref: { repo: '/srv/demo/checkout.git', path: 'svc/paws.yaml' } });
    expect(pullFromLocation('/idp/pulls/4', '')).toBeUndefined();
    expect(pullFromLocation('/idp/pulls/x', '?repo=r')).toBeUndefined();
  });

  it('shows the PR, its reviews (an approval of an older head marked as not counting) and its diff', async () => {
    const api = fakeApi({ 'GET /pulls/4': () => ({ body: pull() }), 'GET /pulls/4/diff': () => ({ body: diff }) });
    await render(api);
    expect(await screen.findByText(/PR #4: Release v2 of production/)).toBeInTheDocument();
    expect(screen.getByText(/user:default\/bob: approved \(on an older head: does not count\)/)).toBeInTheDocument();
    expect(screen.getByText('+    image: ghcr.io/acme/checkout:2.0.0', { normalizer: (s) => s })).toBeInTheDocument();
    expect(api.calls.sort()).toEqual(['GET /pulls/4/diff?repo=%2Fsrv%2Fdemo%2Fcheckout.git&path=paws.yaml', 'GET /pulls/4?repo=%2Fsrv%2Fdemo%2Fcheckout.git&path=paws.yaml']);
  });

  it('approves as `idp pr review --approve` does, and shows why the release policy does not count it', async () => {
    const api = fakeApi({
      'GET /pulls/4': () => ({ body: pull() }),
      'GET /pulls/4/diff': () => ({ body: diff }),
      'POST /pulls/4/reviews': ({ body }) => ({ body: { ...pull({ reviews: [{ by: 'user:development/guest', state: 'approved', commitSha: 'h2', at: 'now' }] }), note: 'You requested this release: your own approval does not count (four eyes).' }, status: body.event === 'approve' ? 200 : 400 }),
    });
    await render(api);
    await userEvent.click(await screen.findByRole('button', { name: 'Approve PR #4' }));
    expect(await screen.findByText(/your own approval does not count/)).toBeInTheDocument();
    const review = api.requests.find((r) => r.method === 'POST');
    expect(review?.path).toBe('/pulls/4/reviews');
    expect(review?.body).toEqual({ ...ref, event: 'approve' });
  });

  it('a refused merge shows the API\'s message and leaves the PR open', async () => {
    const api = fakeApi({
      'GET /pulls/4': () => ({ body: pull() }),
      'GET /pulls/4/diff': () => ({ body: diff }),
      'POST /pulls/4/merge': () => ({ status: 409, body: { error: { code: 'conflict', message: 'PR #4 waits for 1 more approval from team-payments and check ci/build.' } } }),
    });
    await render(api);
    await userEvent.click(await screen.findByRole('button', { name: 'Merge PR #4' }));
    expect(await screen.findByText('PR #4 waits for 1 more approval from team-payments and check ci/build.')).toBeInTheDocument();
    expect(screen.getByText('open')).toBeInTheDocument();
    await waitFor(() => expect(screen.getByRole('button', { name: 'Merge PR #4' })).toBeEnabled());
  });

  it('says what went wrong when the PR cannot be read', async () => {
    const api = fakeApi({ 'GET /pulls/4': () => ({ status: 404, body: { error: { code: 'not_found', message: 'PR #4 does not exist in /srv/demo/checkout.git.' } } }), 'GET /pulls/4/diff': () => ({ body: diff }) });
    await render(api);
    expect(await screen.findByText('PR #4 does not exist in /srv/demo/checkout.git.')).toBeInTheDocument();
  });
});
