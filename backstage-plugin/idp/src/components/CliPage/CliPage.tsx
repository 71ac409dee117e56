/**
 * Download CLI (`/idp/cli`): the one-line install from this Backstage, where it installs and how to put it on PATH,
 * then each platform's binary with its size and SHA-256 — from ONE `GET /api/idp/cli/index.json` (unauthenticated,
 * like the downloads). While a build runs (npm start builds the binaries in the background) the page says so and
 * looks again every 30 s while it is visible.
 */
import { CodeSnippet, Content, ContentHeader, InfoCard, Progress, ResponseErrorPanel } from '@backstage/core-components';
import { discoveryApiRef, fetchApiRef, useApi } from '@backstage/frontend-plugin-api';
import { Alert, Cell, Column, Link, Row, TableBody, TableHeader, TableRoot, Text } from '@backstage/ui';
import { useCallback, useEffect, useState } from 'react';

/** GET /cli/index.json (backstage-plugin/idp-backend/src/cli-downloads.ts). */
export interface CliIndex {
  version: string | null;
  building: boolean;
  platforms: { platform: string; file: string; built: boolean; size?: number; sha256?: string }[];
}

const LABELS: Record<string, string> = {
  'linux-x64': 'Linux x86-64',
  'linux-arm64': 'Linux ARM64',
  'darwin-arm64': 'macOS Apple silicon (ARM64)',
  'darwin-x64': 'macOS Intel (x86-64)',
};
const label = (platform: string) => LABELS[platform] ?? platform;
const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const REFRESH_MS = 30_000;

export function CliPage() {
  const discovery = useApi(discoveryApiRef);
  const { fetch } = useApi(fetchApiRef);
  const [base, setBase] = useState<string>();
  const [index, setIndex] = useState<CliIndex>();
  const [error, setError] = useState<Error>();

  useEffect(() => {
    discovery.getBaseUrl('idp').then(setBase, (e: Error) => setError(e));
  }, [discovery]);

  const load = useCallback(async () => {
    if (!base) return;
    try {
      const res = await fetch(`${base}/cli/index.json`);
      const body = await res.json().catch(() => undefined);
      if (!res.ok) throw new Error(body?.error?.message ?? `GET ${base}/cli/index.json answered ${res.status}`);
      setIndex(body as CliIndex);
      setError(undefined);
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    }
  }, [base, fetch]);

  useEffect(() => {
    void load();
  }, [load]);

  // Only while a build runs, and only while the page is visible: the list changes by itself then, and not otherwise.
  const building = index?.building === true;
  useEffect(() => {
    if (!building) return undefined;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void load();
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [building, load]);

  if (!base) return error ? <ResponseErrorPanel error={error} /> : <Progress />;
  return (
    <Content>
      <ContentHeader title="Download the idp CLI" description="The same commands as these pages, in a terminal: idp env clone, idp releases promote, idp open…" />
      <InfoCard title="Install">
        <Text as="p">In a terminal (Linux or macOS):</Text>
        <CodeSnippet language="bash" text={`curl -fsSL ${base}/cli/install.sh | sh`} showCopyCodeButton />
        <Text as="p">
          It picks the binary for your OS and CPU, checks its SHA-256 and installs it to <code>~/.idp/bin/idp</code> (or <code>$IDP_INSTALL_DIR</code>), already
          pointed at this Backstage. If that folder is not on your <code>PATH</code>, add it (e.g. in ~/.profile, ~/.bashrc or ~/.zshrc):
        </Text>
        <CodeSnippet language="bash" text={'export PATH="$HOME/.idp/bin:$PATH"'} showCopyCodeButton />
        <Text as="p">
          Then <code>idp login</code>, and in your component's folder <code>idp env list</code>; <code>idp open</code> comes back here.
        </Text>
      </InfoCard>
      <InfoCard title={`Binaries${index?.version ? ` (idp ${index.version})` : ''}`}>
        {error && <ResponseErrorPanel error={error} />}
        {!index && !error && <Progress />}
        {index && (
          <>
            {index.building && <Alert status="info" title="Building the binaries… (npm start builds them in the background; this page updates when they are ready)" />}
            <TableRoot aria-label="idp CLI binaries">
              <TableHeader>
                <Column isRowHeader>Platform</Column>
                <Column>Download</Column>
                <Column>Size</Column>
                <Column>SHA-256</Column>
              </TableHeader>
              <TableBody>
                {index.platforms.map((p) => (
                  <Row key={p.platform} id={p.platform} data-testid={`cli-${p.platform}`}>
                    <Cell>
                      <Text>{label(p.platform)}</Text>
                    </Cell>
                    <Cell>
                      {p.built ? (
                        <Link href={`${base}/cli/${p.file}`} download={p.file}>
                          {p.file}
                        </Link>
                      ) : (
                        <Text color="secondary">{index.building ? 'building…' : 'not built yet'}</Text>
                      )}
                    </Cell>
                    <Cell>
                      <Text>{p.size === undefined ? '—' : megabytes(p.size)}</Text>
                    </Cell>
                    <Cell>
                      <Text>
                        {/* 64 hex digits: wrapped, not cut off, so the whole checksum can be read and copied. */}
                        <code style={{ wordBreak: 'break-all', fontSize: '0.85em' }}>{p.sha256 ?? '—'}</code>
                      </Text>
                    </Cell>
                  </Row>
                ))}
              </TableBody>
            </TableRoot>
            {!index.building && index.platforms.some((p) => !p.built) && (
              <Text as="p">
                Missing ones are built with <code>npm run build:cli</code> in the idp repository (npm start does it in the background). Meanwhile, the npm CLI works:{' '}
                <code>npx idp</code>.
              </Text>
            )}
          </>
        )}
      </InfoCard>
    </Content>
  );
}
