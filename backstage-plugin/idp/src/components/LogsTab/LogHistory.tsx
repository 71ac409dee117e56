/**
 * History: the newest `n` lines of a range (`idp logs --env <env> -n 200 --since 1h --grep error`), one
 * `GET /environments/:env/logs`, shown in Backstage's LogViewer — a fixed set of lines is what it is made for: it is
 * virtualised (10,000 lines stay fast), searchable, and its lines can be linked and copied. The caller mounts one per
 * query (a `key`), so another query starts blank.
 */
import { EmptyState, LogViewer, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { Alert, Text } from '@backstage/ui';
import type { LogList, RepoRef } from '@idp/core';
import { useEffect, useState } from 'react';
import { idpApiRef } from '../../api';
import { formatLine } from './format';

export interface HistoryQuery {
  n: number;
  since?: string;
  until?: string;
  grep?: string;
  process?: string;
}

export function LogHistory({ repo, env, query }: { repo: RepoRef; env: string; query: HistoryQuery }) {
  const client = useApi(idpApiRef);
  const [state, setState] = useState<{ list?: LogList; error?: Error }>({});
  useEffect(() => {
    const abort = new AbortController();
    client.logs(repo, env, query, abort.signal).then(
      (list) => setState({ list }),
      (error: Error) => !abort.signal.aborted && setState({ error }),
    );
    return () => abort.abort();
    // One query per mount (the caller keys it).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client]);

  if (state.error) return <Alert status="danger" title={`Cannot read ${env}'s logs`} description={state.error.message} role="alert" />;
  const list = state.list;
  if (!list) return <Progress />;
  const range = [query.since && `since ${query.since}`, query.until && `until ${query.until}`].filter(Boolean).join(' ');
  if (!list.lines.length) {
    return (
      <EmptyState
        missing="data"
        title="No lines"
        description={`No lines${query.grep ? ` containing "${query.grep}"` : ''}${query.process ? ` of process ${query.process}` : ''} from ${env}${range ? ` ${range}` : ''} (${list.source}).`}
      />
    );
  }
  return (
    <>
      <Text variant="body-small" color="secondary" data-testid="history-summary">
        {list.lines.length === query.n ? `The newest ${list.lines.length} lines` : `All ${list.lines.length} line${list.lines.length === 1 ? '' : 's'}`} of {env}
        {range ? ` ${range}` : ''}, oldest first, from {list.source}
      </Text>
      {/* LogViewer sizes itself to its container. */}
      <div style={{ height: '60vh' }} data-testid="history-lines">
        <LogViewer text={list.lines.map(formatLine).join('\n')} />
      </div>
    </>
  );
}
