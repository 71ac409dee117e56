/** Unset <KEY>: what `idp secrets unset KEY --env <env>` does — a PR removing the reference; the key must be typed to confirm. */
import { useApi } from '@backstage/frontend-plugin-api';
import { Button, Text, TextField } from '@backstage/ui';
import type { RepoRef } from '@idp/core';
import { useState } from 'react';
import { idpApiRef } from '../../api';
import { ActionDialog } from '../shared/ActionDialog';

export function UnsetSecretDialog({ env, keyName, repo, onChange }: { env: string; keyName: string; repo: RepoRef; onChange: () => void }) {
  const client = useApi(idpApiRef);
  const [confirm, setConfirm] = useState('');
  return (
    <ActionDialog
      trigger={
        <Button size="small" variant="tertiary" destructive aria-label={`Unset secret ${keyName}`}>
          Unset
        </Button>
      }
      title={`Unset secret ${keyName} in ${env}`}
      verb="Unset"
      destructive
      ready={confirm === keyName}
      start={() => client.unsetSecret(env, keyName, repo)}
      onChange={onChange}
    >
      {(started) => (
        <>
          <Text>A PR removes {keyName} from {env} in paws.yaml. Its value stays in its store until an operator purges it.</Text>
          <TextField label={`Type ${keyName} to confirm`} value={confirm} onChange={setConfirm} isReadOnly={started} isRequired autoFocus />
        </>
      )}
    </ActionDialog>
  );
}
