/** Extend <env>: what `idp env extend <env> --ttl 24h` does (more time from its current expiry, or from now once expired). */
import { useApi } from '@backstage/frontend-plugin-api';
import { Button, Text } from '@backstage/ui';
import type { RepoRef } from '@idp/core';
import { useState } from 'react';
import { idpApiRef } from '../../api';
import { ActionDialog } from '../shared/ActionDialog';
import { TtlField } from './CloneDialog';

export function ExtendDialog({ env, expiresAt, repo, onChange }: { env: string; expiresAt?: string; repo: RepoRef; onChange: () => void }) {
  const client = useApi(idpApiRef);
  const [ttl, setTtl] = useState('');
  return (
    <ActionDialog
      trigger={
        <Button size="small" variant="secondary" aria-label={`Extend ${env}`}>
          Extend
        </Button>
      }
      title={`Extend ${env}`}
      verb="Extend"
      ready={ttl.trim() !== ''}
      start={() => client.extendEnvironment(env, { ...repo, ttl: ttl.trim() })}
      onChange={onChange}
    >
      {(started) => (
        <>
          {expiresAt && <Text>It expires at {new Date(expiresAt).toLocaleString()}; the time is added from then (from now once it has expired).</Text>}
          <TtlField value={ttl} onChange={setTtl} readOnly={started} optional={false} autoFocus />
        </>
      )}
    </ActionDialog>
  );
}
