import { renderInTestApp, TestApiProvider } from '@backstage/frontend-test-utils';
import { discoveryApiRef, fetchApiRef } from '@backstage/frontend-plugin-api';
import { screen, within } from '@testing-library/react';
import { CliPage, type CliIndex } from './CliPage';

const BASE = 'https://backstage.example.com/api/idp';
const SHA = 'a'.repeat(64);

/** The backend's answers to GET /cli/index.json, as cli-downloads.ts gives them (JSON, errors in the API's shape). */
function backend(answer: { status?: number; body: unknown }) {
  const calls: string[] = [];
  const fetchApi = {
    fetch: async (input: RequestInfo | URL) => {
      calls.push(String(input));
      return new Response(JSON.stringify(answer.body), { status: answer.status ?? 200, headers: { 'content-type': 'application/json' } });
    },
  };
  const discovery = { getBaseUrl: async (id: string) => (id === 'idp' ? BASE : `https://elsewhere/${id}`), getExternalBaseUrl: async () => BASE };
  return { calls, apis: [[fetchApiRef, fetchApi], [discoveryApiRef, discovery]] as const };
}

const index = (over: Partial<CliIndex> = {}): CliIndex => ({
  version: '0.1.0',
  building: false,
  platforms: [
    { platform: 'linux-x64', file: 'idp-linux-x64', built: true, size: 123_400_000, sha256: SHA },
    { platform: 'linux-arm64', file: 'idp-linux-arm64', built: false },
    { platform: 'darwin-arm64', file: 'idp-darwin-arm64', built: true, size: 98_700_000, sha256: 'b'.repeat(64) },
    { platform: 'darwin-x64', file: 'idp-darwin-x64', built: false },
  ],
  ...over,
});

const render = (b: ReturnType<typeof backend>) =>
  renderInTestApp(
    <TestApiProvider apis={b.apis as any}>
      <CliPage />
    </TestApiProvider>,
  );

describe('CliPage', () => {
  it('shows the curl line for the discovered backend, the install folder, and each built binary with its size and SHA-256', async () => {
    const b = backend({ body: index() });
    await render(b);
    expect(await screen.findByText(`curl -fsSL ${BASE}/cli/install.sh | sh`)).toBeInTheDocument();
    expect(screen.getByText('~/.idp/bin/idp')).toBeInTheDocument();
    expect(screen.getByText('$IDP_INSTALL_DIR')).toBeInTheDocument();
    const row = within(await screen.findByTestId('cli-linux-x64'));
    expect(row.getByRole('link', { name: 'idp-linux-x64' })).toHaveAttribute('href', `${BASE}/cli/idp-linux-x64`);
    expect(row.getByText('123.4 MB')).toBeInTheDocument();
    expect(row.getByText(SHA)).toBeInTheDocument();
    expect(within(screen.getByTestId('cli-darwin-arm64')).getByRole('link', { name: 'idp-darwin-arm64' })).toHaveAttribute('href', `${BASE}/cli/idp-darwin-arm64`);
    expect(screen.getByText('Binaries (idp 0.1.0)')).toBeInTheDocument();
    expect(b.calls).toEqual([`${BASE}/cli/index.json`]);
  });

  it('says which platforms are not built yet, with no link, and how to build them', async () => {
    await render(backend({ body: index() }));
    const missing = within(await screen.findByTestId('cli-linux-arm64'));
    expect(missing.getByText('not built yet')).toBeInTheDocument();
    expect(missing.queryByRole('link')).toBeNull();
    expect(within(screen.getByTestId('cli-darwin-x64')).getByText('not built yet')).toBeInTheDocument();
    expect(screen.getByText('npm run build:cli')).toBeInTheDocument();
  });

  it('says the binaries are being built while a build runs', async () => {
    await render(backend({ body: index({ building: true, version: null, platforms: index().platforms.map((p) => ({ platform: p.platform, file: p.file, built: false })) }) }));
    expect(await screen.findByText(/Building the binaries…/)).toBeInTheDocument();
    expect(within(screen.getByTestId('cli-linux-x64')).getByText('building…')).toBeInTheDocument();
    expect(screen.queryByText('npm run build:cli')).toBeNull();
  });

  it('shows the backend\'s error message (an idp backend older than the page), and still the curl line', async () => {
    const message = 'No such download: index.json. The binaries are idp-<linux|darwin>-<x64|arm64>.';
    await render(backend({ status: 404, body: { error: { code: 'not_found', message } } }));
    expect((await screen.findAllByText(message, { exact: false }))[0]).toBeInTheDocument();
    expect(screen.getByText(`curl -fsSL ${BASE}/cli/install.sh | sh`)).toBeInTheDocument();
    expect(screen.queryByTestId('cli-linux-x64')).toBeNull();
  });
});
