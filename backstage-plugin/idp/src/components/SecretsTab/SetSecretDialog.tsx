/**
 * Set secret: what `printf %s "$VALUE" | idp secrets set KEY --env <env>` does. The value goes once, in the request's
 * body, to the Platform API, which writes it to the store routed for the environment as a new version; a PR then
 * pins that version's reference. It is read from the input at the moment it is sent and the input is emptied at
 * once: it is never in React state, the URL, the dialog's text or a log, and a refused request is retyped, not resent.
 */
import { useApi } from '@backstage/frontend-plugin-api';
import { Alert, Button, Text, TextField } from '@backstage/ui';
import type { RepoRef, SecretChange, SecretRoute } from '@idp/core';
import { useRef, useState } from 'react';
import { idpApiRef } from '../../api';
import { ActionDialog } from '../shared/ActionDialog';
import { keyError, shortVersion } from './common';
import { SecretValueField } from './SecretValueField';

/** `keyName`: a row's key (a new value of it); without, the dialog asks for the key. */
export function SetSecretDialog({ env, repo, route, keyName, onChange }: { env: string; repo: RepoRef; route: SecretRoute; keyName?: string; onChange: () => void }) {
  const client = useApi(idpApiRef);
  const [key, setKey] = useState(keyName ?? '');
  const [filled, setFilled] = useState(false);
  // What the API answered it stored (key, store, reference, version) — never the value.
  const [stored, setStored] = useState<SecretChange>();
  const valueInput = useRef<HTMLInputElement>(null);

  const send = async () => {
    const input = valueInput.current!;
    const value = input.value;
    // Emptied as it is sent: from here on the value exists only in this one request's body.
    input.value = '';
    setFilled(false);
    setStored(undefined);
    const started = await client.setSecret(env, key, { ...repo, value });
    setStored(started.secret);
    return started;
  };

  return (
    <ActionDialog
      trigger={
        keyName ? (
          <Button size="small" variant="secondary" aria-label={`New value of ${keyName}`}>
            New value
          </Button>
        ) : (
          <Button variant="primary">Set secret</Button>
        )
      }
      title={keyName ? `Set ${keyName} in ${env}` : `Set secret in ${env}`}
      verb="Set"
      ready={filled && key !== '' && !keyError(key)}
      start={send}
      onChange={onChange}
    >
      {(started) =>
        started ? (
          <Text>
            {stored?.ref
              ? `Stored ${stored.key} in store ${stored.store ?? '?'} as version ${shortVersion(stored.version)}; ${env} uses it once the PR is merged.`
              : `Sent; ${env} uses the new value once the PR is merged.`}{' '}
            The value is not kept here.
          </Text>
        ) : (
          <>
            {route.store ? (
              <Text>
                The value is sent once to store <strong>{route.store}</strong>
                {route.ref ? ` (${route.ref.replace('<KEY>', key && !keyError(key) ? key : '<KEY>')})` : ''} as a new version — {route.why} — and a PR pins its reference in paws.yaml. It is never shown again.
              </Text>
            ) : (
              <Alert status="warning" icon title={`New secrets of ${env} cannot be written: ${route.why}`} />
            )}
            {keyName ? null : (
              <TextField label="Key" description="An environment variable name, e.g. STRIPE_KEY" value={key} onChange={setKey} isRequired autoFocus validationBehavior="aria" validate={() => keyError(key)} />
            )}
            <SecretValueField ref={valueInput} label="Value" description="Typed or pasted; not shown, not stored in the browser. If the request is refused, type it again." autoFocus={keyName !== undefined} onFilledChange={setFilled} />
          </>
        )
      }
    </ActionDialog>
  );
}
