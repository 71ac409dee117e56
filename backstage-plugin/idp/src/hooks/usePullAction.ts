/**
 * One action on a PR, sent as the CLI sends it (`idp pr review|merge|close|check`, cli/src/commands/pr/), and what to
 * tell the user afterwards: the API's note when a review does not count under a release policy (four eyes, not an
 * allowed approver), its error message when refused, else `done`. Used by the PR page and the Releases tab alike.
 */
import { useApi } from '@backstage/frontend-plugin-api';
import type { PullRequest, RepoRef } from '@idp/core';
import { useState } from 'react';
import { idpApiRef } from '../api';

export type PullAction =
  | { kind: 'review'; event: 'approve' | 'request_changes' | 'comment'; body?: string }
  | { kind: 'merge' }
  | { kind: 'close' }
  | { kind: 'check'; name: string; state: 'success' | 'failure' | 'pending' };

export type Said = { status: 'success' | 'warning' | 'danger'; text: string };

/** `report`: where the outcome goes when the caller shows it elsewhere (a table row is too narrow); else `said`. */
export function usePullAction(n: number | undefined, repo: RepoRef, report?: (said?: Said) => void) {
  const client = useApi(idpApiRef);
  const [busy, setBusy] = useState<string>();
  const [said, setSaidHere] = useState<Said>();
  const setSaid = report ?? setSaidHere;
  /** Runs `action` (shown as busy under `key`); answers the PR as it is now, or undefined when refused. */
  const run = async (key: string, action: PullAction, done: string): Promise<(PullRequest & { note?: string }) | undefined> => {
    if (n === undefined) return undefined;
    setBusy(key);
    setSaid(undefined);
    try {
      const pull: PullRequest & { note?: string } =
        action.kind === 'review'
          ? await client.review(n, { ...repo, event: action.event, body: action.body })
          : action.kind === 'merge'
            ? await client.merge(n, repo)
            : action.kind === 'close'
              ? await client.close(n, repo)
              : await client.check(n, { ...repo, name: action.name, state: action.state });
      setSaid(pull.note ? { status: 'warning', text: pull.note } : { status: 'success', text: done });
      return pull;
    } catch (e) {
      setSaid({ status: 'danger', text: (e as Error).message });
      return undefined;
    } finally {
      setBusy(undefined);
    }
  };
  return { busy, said, run };
}
