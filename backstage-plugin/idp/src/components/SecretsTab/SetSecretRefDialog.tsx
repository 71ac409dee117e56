/**
 * Set reference: what `idp secrets set KEY --ref <ref> [--version <v>] --env <env>` does — point the key at a secret
 * that exists already in a configured store (a shared one, or an earlier version of its own), no value. The API
 * checks the reference exists and pins the given version, or the store's current one.
 */
import { useApi } from '@backstage/frontend-plugin-api';
import { Button, Text, TextField } from '@backstage/ui';
import type { RepoRef } from '@idp/core';
import { useState } from 'react';
import { idpApiRef } from '../../api';
import { ActionDialog } from '../shared/ActionDialog';
import { keyError } from './common';

/** `current`: a row's key and its reference now (the field starts with it: pinning another version is the common case). */
export function SetSecretRefDialog({ env, repo, current, onChange }: { env: string; repo: RepoRef; current?: { key: string; ref: string }; onChange: () => void }) {
  const client = useApi(idpApiRef);
  const [key, setKey] = useState(current?.key ?? '');
  const [ref, setRef] = useState(current?.ref ?? '');
  const [version, setVersion] = useState('');
  return (
    <ActionDialog
      trigger={
        current ? (
          <Button size="small" variant="secondary" aria-label={`Set reference of ${current.key}`}>
            Set reference
          </Button>
        ) : (
          <Button variant="secondary">Set reference</Button>
        )
      }
      title={current ? `Set reference of ${current.key} in ${env}` : `Set reference in ${env}`}
      verb="Set reference"
      ready={key !== '' && !keyError(key) && ref.trim() !== ''}
      // As the CLI: the version only when one is given (else the API pins the store's current one).
      start={() => client.setSecret(env, key, { ...repo, ref: ref.trim(), ...(version.trim() ? { version: version.trim() } : {}) })}
      onChange={onChange}
    >
      {(started) => (
        <>
          <Text>A PR points {key || 'the key'} of {env} at a secret that already exists in a configured store; no value is sent.</Text>
          {current ? null : <TextField label="Key" description="An environment variable name, e.g. STRIPE_KEY" value={key} onChange={setKey} isReadOnly={started} isRequired autoFocus validationBehavior="aria" validate={() => keyError(key)} />}
          <TextField label="Reference" description="e.g. vault://secret/shared/stripe#key, aws-sm://shared/stripe" value={ref} onChange={setRef} isReadOnly={started} isRequired autoFocus={current !== undefined} />
          <TextField label="Version" description="Optional: the version to pin (default: the store's current one)" value={version} onChange={setVersion} isReadOnly={started} />
        </>
      )}
    </ActionDialog>
  );
}
