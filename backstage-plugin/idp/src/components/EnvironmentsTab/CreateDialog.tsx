/** Create environment: what `idp env create <name> [--ttl 72h]` does (a new environment with no settings of its own). */
import { useApi } from '@backstage/frontend-plugin-api';
import { Button } from '@backstage/ui';
import type { RepoRef } from '@idp/core';
import { envNameProblem } from '@idp/core/names';
import { useState } from 'react';
import { idpApiRef } from '../../api';
import { ActionDialog } from '../shared/ActionDialog';
import { NameField, TtlField } from './CloneDialog';

export function CreateDialog({ repo, onChange }: { repo: RepoRef; onChange: () => void }) {
  const client = useApi(idpApiRef);
  const [name, setName] = useState('');
  const [ttl, setTtl] = useState('');
  return (
    <ActionDialog
      trigger={<Button variant="primary">Create environment</Button>}
      title="Create environment"
      verb="Create"
      ready={name !== '' && !envNameProblem(name)}
      start={() => client.createEnvironment({ ...repo, name, ttl: ttl.trim() || undefined })}
      onChange={onChange}
    >
      {(started) => (
        <>
          <NameField label="Name" value={name} onChange={setName} readOnly={started} placeholder="review-1" />
          <TtlField value={ttl} onChange={setTtl} readOnly={started} />
        </>
      )}
    </ActionDialog>
  );
}
