/** Destroy <env>: what `idp env destroy <env> --confirm <env>` does; the name must be typed to confirm. */
import { useApi } from '@backstage/frontend-plugin-api';
import { Button, Text, TextField } from '@backstage/ui';
import type { RepoRef } from '@idp/core';
import { useState } from 'react';
import { idpApiRef } from '../../api';
import { ActionDialog } from '../shared/ActionDialog';

export function DestroyDialog({ env, repo, onChange }: { env: string; repo: RepoRef; onChange: () => void }) {
  const client = useApi(idpApiRef);
  const [confirm, setConfirm] = useState('');
  return (
    <ActionDialog
      trigger={
        <Button size="small" variant="tertiary" destructive aria-label={`Destroy ${env}`}>
          Destroy
        </Button>
      }
      title={`Destroy ${env}`}
      verb="Destroy"
      destructive
      ready={confirm === env}
      // As `--confirm <env>`: the server requires it for a permanent environment.
      start={() => client.destroyEnvironment(env, { ...repo, confirm })}
      onChange={onChange}
    >
      {(started) => (
        <>
          <Text>A PR removes {env} from paws.yaml; it is torn down when the PR is merged.</Text>
          <TextField label={`Type ${env} to confirm`} value={confirm} onChange={setConfirm} isReadOnly={started} isRequired autoFocus />
        </>
      )}
    </ActionDialog>
  );
}
