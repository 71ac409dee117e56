/**
 * Set variable: what `idp variables set KEY=VALUE --env <env>` does — one PR setting it in environments.<env>.variables.
 * A variable is stored in git in the clear: the API refuses one that looks like a secret (by its name or its value)
 * with a message pointing at `idp secrets set`, shown here; the value typed is then emptied rather than kept in the page.
 */
import { useApi } from '@backstage/frontend-plugin-api';
import { Button, Text, TextField } from '@backstage/ui';
import type { RepoRef } from '@idp/core';
import { useState } from 'react';
import { idpApiRef } from '../../api';
import { ActionDialog } from '../shared/ActionDialog';
import { keyError } from './common';

/** The refusal of a secret-looking variable (the API's details.reason). */
const looksLikeSecret = (e: unknown) => (e as { details?: { reason?: string } }).details?.reason === 'looks-like-secret';

/** `current`: a row's key and value (a new value of it); without, the dialog asks for the key. */
export function SetVariableDialog({ env, repo, current, onChange }: { env: string; repo: RepoRef; current?: { key: string; value: string }; onChange: () => void }) {
  const client = useApi(idpApiRef);
  const [key, setKey] = useState(current?.key ?? '');
  const [value, setValue] = useState(current?.value ?? '');
  const start = async () => {
    try {
      return await client.setVariables(env, { ...repo, set: { [key]: value } });
    } catch (e) {
      if (looksLikeSecret(e)) setValue('');
      throw e;
    }
  };
  return (
    <ActionDialog
      trigger={
        current ? (
          <Button size="small" variant="secondary" aria-label={`Set variable ${current.key}`}>
            Set
          </Button>
        ) : (
          <Button variant="primary">Set variable</Button>
        )
      }
      title={current ? `Set ${current.key} in ${env}` : `Set variable in ${env}`}
      verb="Set"
      ready={key !== '' && !keyError(key)}
      start={start}
      onChange={onChange}
    >
      {(started) => (
        <>
          <Text>A PR sets it in {env}'s variables in paws.yaml, in the clear: a secret goes under Secrets instead.</Text>
          {current ? null : <TextField label="Key" description="An environment variable name, e.g. LOG_LEVEL" value={key} onChange={setKey} isReadOnly={started} isRequired autoFocus validationBehavior="aria" validate={() => keyError(key)} />}
          <TextField label="Value" description="An empty value is a value" value={value} onChange={setValue} isReadOnly={started} autoFocus={current !== undefined} />
        </>
      )}
    </ActionDialog>
  );
}
