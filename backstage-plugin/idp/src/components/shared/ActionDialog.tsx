/**
 * What every environment action dialog shares: a form whose submit button is the verb, the API's error message shown
 * in the dialog (nothing closes), and once the workflow started, its `PR #n` link and its phase, followed live.
 */
import { Alert, Button, Dialog, DialogBody, DialogFooter, DialogHeader, DialogTrigger, Flex } from '@backstage/ui';
import type { WorkflowStatus } from '@idp/core';
import { type FormEvent, type ReactElement, type ReactNode, useState } from 'react';
import { WorkflowProgress } from './WorkflowProgress';

export interface ActionDialogProps {
  /** The button that opens it (a row's `Clone staging`, the toolbar's `Create environment`). */
  trigger: ReactElement;
  title: string;
  /** The submit button's text: Clone, Create, Extend, Destroy. */
  verb: string;
  destructive?: boolean;
  /** False while the inputs cannot be sent (client-side checks; the server stays the authority). */
  ready: boolean;
  /** The inputs, given `done` (true once the workflow started: they are then read-only). */
  children: (started: boolean) => ReactNode;
  start: () => Promise<WorkflowStatus>;
  /** The workflow started or moved on: the tab refetches its list. */
  onChange: () => void;
}

export function ActionDialog(props: ActionDialogProps) {
  return (
    <DialogTrigger>
      {props.trigger}
      <Dialog width={480}>
        <ActionForm {...props} />
      </Dialog>
    </DialogTrigger>
  );
}

/** The dialog's content: mounted when the dialog opens, so each opening starts blank. */
function ActionForm({ title, verb, destructive, ready, children, start, onChange }: ActionDialogProps) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string>();
  const [started, setStarted] = useState<WorkflowStatus>();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!ready || pending || started) return;
    setPending(true);
    setError(undefined);
    try {
      const status = await start();
      setStarted(status);
      onChange();
    } catch (err) {
      // The client's errors carry the API's own message (validation, 403, conflict…).
      setError((err as Error).message);
    } finally {
      setPending(false);
    }
  };

  return (
    <form onSubmit={submit}>
      <DialogHeader>{title}</DialogHeader>
      <DialogBody>
        <Flex direction="column" gap="3">
          {children(started !== undefined)}
          {error && <Alert status="danger" icon title={error} role="alert" />}
          {started && <WorkflowProgress started={started} onChange={onChange} />}
        </Flex>
      </DialogBody>
      <DialogFooter>
        <Button variant="secondary" slot="close">
          {started ? 'Close' : 'Cancel'}
        </Button>
        {!started && (
          <Button type="submit" variant="primary" destructive={destructive} isDisabled={!ready} isPending={pending}>
            {verb}
          </Button>
        )}
      </DialogFooter>
    </form>
  );
}
