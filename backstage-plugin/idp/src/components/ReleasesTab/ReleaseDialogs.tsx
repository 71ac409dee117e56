/**
 * The release actions, as `idp releases create|promote|rollback` take them: each opens a release PR gated by the target
 * environment's policy; the dialog shows its `PR #n` and phase live (components/shared/ActionDialog).
 */
import { useApi } from '@backstage/frontend-plugin-api';
import { Button, Select, TextField } from '@backstage/ui';
import type { RepoRef } from '@idp/core';
import { useState } from 'react';
import { idpApiRef } from '../../api';
import { ActionDialog } from '../shared/ActionDialog';

const envOptions = (envs: string[]) => envs.map((e) => ({ id: e, label: e }));

/** Create release: `idp releases create --env <env> --image <image>`. */
export function CreateReleaseDialog({ envs, repo, onChange }: { envs: string[]; repo: RepoRef; onChange: () => void }) {
  const client = useApi(idpApiRef);
  const [env, setEnv] = useState(envs[0] ?? '');
  const [image, setImage] = useState('');
  return (
    <ActionDialog
      trigger={<Button variant="primary">Create release</Button>}
      title="Create release"
      verb="Create release"
      ready={env !== '' && image.trim() !== ''}
      start={() => client.createRelease({ ...repo, env, image: image.trim() })}
      onChange={onChange}
    >
      {(started) => (
        <>
          <Select label="Environment" options={envOptions(envs)} selectedKey={env} onSelectionChange={(k) => setEnv(String(k))} isDisabled={started} isRequired />
          <TextField label="Image" description="With a tag or digest, e.g. ghcr.io/acme/checkout:1.4.3" value={image} onChange={setImage} isReadOnly={started} isRequired autoFocus />
        </>
      )}
    </ActionDialog>
  );
}

/** Promote: `idp releases promote <from> <to>` — the target gets exactly what the source runs. */
export function PromoteDialog({ envs, from: initial, repo, onChange }: { envs: string[]; from?: string; repo: RepoRef; onChange: () => void }) {
  const client = useApi(idpApiRef);
  const [from, setFrom] = useState(initial ?? envs[0] ?? '');
  const [to, setTo] = useState(envs.find((e) => e !== (initial ?? envs[0])) ?? '');
  return (
    <ActionDialog
      trigger={
        <Button variant="secondary" size={initial ? 'small' : undefined} aria-label={initial ? `Promote ${initial}` : 'Promote'}>
          Promote
        </Button>
      }
      title="Promote"
      verb="Promote"
      ready={from !== '' && to !== '' && from !== to}
      start={() => client.promoteRelease({ ...repo, from, to })}
      onChange={onChange}
    >
      {(started) => (
        <>
          <Select label="From" options={envOptions(envs)} selectedKey={from} onSelectionChange={(k) => setFrom(String(k))} isDisabled={started} isRequired />
          <Select label="To" options={envOptions(envs.filter((e) => e !== from))} selectedKey={to} onSelectionChange={(k) => setTo(String(k))} isDisabled={started} isRequired />
        </>
      )}
    </ActionDialog>
  );
}

/** Roll back <env>: `idp releases rollback <env> [--to <n>]` — by default to the merged release before the current one. */
export function RollbackDialog({ env, merged, repo, onChange }: { env: string; merged: number[]; repo: RepoRef; onChange: () => void }) {
  const client = useApi(idpApiRef);
  const [to, setTo] = useState('');
  const n = to.trim().replace(/^v/i, '');
  return (
    <ActionDialog
      trigger={
        <Button size="small" variant="secondary" aria-label={`Roll back ${env}`}>
          Roll back
        </Button>
      }
      title={`Roll back ${env}`}
      verb="Roll back"
      ready={n === '' || /^\d+$/.test(n)}
      start={() => client.rollbackRelease({ ...repo, env, to: n ? Number(n) : undefined })}
      onChange={onChange}
    >
      {(started) => (
        <TextField
          label="To release (optional)"
          description={`Empty: the merged release before the current one.${merged.length ? ` Merged: ${merged.map((m) => `v${m}`).join(', ')}.` : ''}`}
          value={to}
          onChange={setTo}
          isReadOnly={started}
          placeholder="v3"
        />
      )}
    </ActionDialog>
  );
}
