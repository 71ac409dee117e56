/** Clone <env>: what `idp env clone <env> <target> [--ttl 72h]` does. */
import { useApi } from '@backstage/frontend-plugin-api';
import { Button, TextField } from '@backstage/ui';
import type { RepoRef } from '@idp/core';
import { envNameProblem } from '@idp/core/names';
import { useState } from 'react';
import { idpApiRef } from '../../api';
import { ActionDialog } from '../shared/ActionDialog';

export function CloneDialog({ env, repo, onChange }: { env: string; repo: RepoRef; onChange: () => void }) {
  const client = useApi(idpApiRef);
  const [target, setTarget] = useState('');
  const [ttl, setTtl] = useState('');
  return (
    <ActionDialog
      trigger={
        <Button size="small" variant="secondary" aria-label={`Clone ${env}`}>
          Clone
        </Button>
      }
      title={`Clone ${env}`}
      verb="Clone"
      ready={target !== '' && !envNameProblem(target)}
      // The CLI's request: the TTL only when one is given.
      start={() => client.cloneEnvironment(env, { ...repo, target, ttl: ttl.trim() || undefined })}
      onChange={onChange}
    >
      {(started) => (
        <>
          <NameField label="New environment" value={target} onChange={setTarget} readOnly={started} placeholder="preview-1" />
          <TtlField value={ttl} onChange={setTtl} readOnly={started} />
        </>
      )}
    </ActionDialog>
  );
}

/** An environment name, checked as the server checks it (DNS-1123 label, not reserved) while it is typed. */
export function NameField(props: { label: string; value: string; onChange: (v: string) => void; readOnly: boolean; placeholder?: string }) {
  const problem = props.value ? envNameProblem(props.value) : null;
  return (
    <TextField
      label={props.label}
      value={props.value}
      onChange={props.onChange}
      isReadOnly={props.readOnly}
      isRequired
      autoFocus
      placeholder={props.placeholder}
      validationBehavior="aria"
      validate={() => (problem ? `Invalid name: ${problem}.` : null)}
    />
  );
}

/** A time to live, as the CLI's --ttl takes it (30m, 72h, 7d); the server says what is wrong with a bad one. */
export function TtlField(props: { value: string; onChange: (v: string) => void; readOnly: boolean; optional?: boolean; autoFocus?: boolean }) {
  const optional = props.optional ?? true;
  return (
    <TextField
      label={optional ? 'Time to live (optional)' : 'Time to live'}
      description={optional ? 'e.g. 72h or 7d; empty: it never expires' : 'e.g. 24h more'}
      value={props.value}
      onChange={props.onChange}
      isReadOnly={props.readOnly}
      isRequired={!optional}
      autoFocus={props.autoFocus}
      placeholder="72h"
    />
  );
}
