/**
 * Follows one workflow a user just started (a dialog's Clone, Create, Extend, Destroy…): starting from the status the
 * start request answered, long-polls `GET /workflows/:id?wait=25&phase=<known phase>` (the server answers when the
 * phase changes or 25 s pass) until the workflow is done — merged, closed, failed or no longer running. `onChange`
 * is called on every new phase (e.g. to refetch the tab's list). Stops on unmount; never polls in a tight loop (a
 * failed poll ends the following, the last known status stays shown).
 */
import { useApi } from '@backstage/frontend-plugin-api';
import type { WorkflowStatus } from '@idp/core';
import { useEffect, useRef, useState } from 'react';
import { idpApiRef } from '../api';
import { LONG_POLL_SECONDS } from './useRefetchOnWorkflowChange';

/** Whether nothing more will happen to the workflow's PR. */
export function workflowDone(s: Pick<WorkflowStatus, 'status' | 'phase'>): boolean {
  return s.status !== 'running' || s.phase === 'merged' || s.phase === 'closed' || s.phase === 'failed';
}

export function useWorkflowProgress(started: WorkflowStatus | undefined, onChange?: (s: WorkflowStatus) => void): WorkflowStatus | undefined {
  const client = useApi(idpApiRef);
  const [status, setStatus] = useState(started);
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  useEffect(() => {
    setStatus(started);
    if (!started || workflowDone(started)) return undefined;
    let stopped = false;
    const polls = new AbortController();
    const follow = (known: WorkflowStatus) => {
      client.workflow(known.workflowId, LONG_POLL_SECONDS, known.phase, polls.signal).then(
        (s) => {
          if (stopped) return;
          if (s.phase !== known.phase || s.status !== known.status) {
            setStatus(s);
            onChangeRef.current?.(s);
          }
          if (!workflowDone(s)) follow(s);
        },
        () => undefined,
      );
    };
    follow(started);
    return () => {
      stopped = true;
      polls.abort();
    };
  }, [client, started]);
  return status;
}
