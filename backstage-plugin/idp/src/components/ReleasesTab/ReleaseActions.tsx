/**
 * An open release's PR actions, as `idp pr review <n> --approve|--request-changes`, `idp pr merge <n>` and
 * `idp pr close <n>` do them (four eyes and the policy are the server's: a review that does not count comes back with
 * why, a merge the policy refuses with what is missing, each shown here).
 */
import { useApi } from '@backstage/frontend-plugin-api';
import { Alert, Button, Flex } from '@backstage/ui';
import type { ReleaseRecord, RepoRef } from '@idp/core';
import { useState } from 'react';
import { idpApiRef } from '../../api';

export type Action = 'approve' | 'request_changes' | 'merge' | 'close';
const LABEL: Record<Action, string> = { approve: 'Approve', request_changes: 'Request changes', merge: 'Merge', close: 'Close' };
const DONE: Record<Action, string> = { approve: 'Approved', request_changes: 'Requested changes on', merge: 'Merged', close: 'Closed' };

export type Said = { status: 'success' | 'warning' | 'danger'; text: string };

/**
 * `actions`: which buttons (the row has Approve and Merge, the details the rest). `onSaid`: where the outcome goes
 * (a table row is too narrow for it); without it, shown below the buttons.
 */
export function ReleaseActions(props: { release: ReleaseRecord; repo: RepoRef; onChange: () => void; actions: Action[]; onSaid?: (said?: Said) => void }) {
  const { release, repo, onChange } = props;
  const client = useApi(idpApiRef);
  const [busy, setBusy] = useState<Action>();
  const [shown, setShown] = useState<Said>();
  const setSaid = props.onSaid ?? setShown;
  const pr = release.pr;
  if (!pr || release.outcome !== 'open') return null;
  const name = `v${release.number} of ${release.env}`;
  const act = async (what: Action) => {
    setBusy(what);
    setSaid(undefined);
    try {
      // The same requests the CLI sends (cli/src/commands/pr/{review,merge,close}.ts).
      const r =
        what === 'approve' || what === 'request_changes'
          ? await client.review(pr.number, { ...repo, event: what })
          : what === 'merge'
            ? await client.merge(pr.number, repo)
            : await client.close(pr.number, repo);
      const note = 'note' in r ? (r.note as string | undefined) : undefined;
      setSaid(note ? { status: 'warning', text: note } : { status: 'success', text: `${DONE[what]} ${name}.` });
      onChange();
    } catch (e) {
      setSaid({ status: 'danger', text: (e as Error).message });
    } finally {
      setBusy(undefined);
    }
  };
  const button = (what: Action, variant: 'primary' | 'secondary' | 'tertiary') => (
    <Button key={what} size="small" variant={variant} aria-label={`${LABEL[what]} ${name}`} isPending={busy === what} isDisabled={busy !== undefined && busy !== what} onPress={() => act(what)}>
      {LABEL[what]}
    </Button>
  );
  return (
    <Flex direction="column" gap="1">
      <Flex gap="1" style={{ flexWrap: 'wrap' }}>
        {props.actions.map((a) => button(a, a === 'approve' ? 'primary' : 'secondary'))}
      </Flex>
      {shown && <Alert status={shown.status} description={shown.text} role={shown.status === 'danger' ? 'alert' : undefined} />}
    </Flex>
  );
}
