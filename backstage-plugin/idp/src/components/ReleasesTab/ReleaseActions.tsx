/**
 * An open release's PR actions, as `idp pr review <n> --approve|--request-changes`, `idp pr merge <n>` and
 * `idp pr close <n>` do them (four eyes and the policy are the server's: a review that does not count comes back with
 * why, a merge the policy refuses with what is missing, each shown here).
 */
import { Alert, Button, Flex } from '@backstage/ui';
import type { ReleaseRecord, RepoRef } from '@idp/core';
import { type PullAction, type Said, usePullAction } from '../../hooks/usePullAction';

export type { Said };
export type Action = 'approve' | 'request_changes' | 'merge' | 'close';
const LABEL: Record<Action, string> = { approve: 'Approve', request_changes: 'Request changes', merge: 'Merge', close: 'Close' };
const DONE: Record<Action, string> = { approve: 'Approved', request_changes: 'Requested changes on', merge: 'Merged', close: 'Closed' };
const SEND: Record<Action, PullAction> = { approve: { kind: 'review', event: 'approve' }, request_changes: { kind: 'review', event: 'request_changes' }, merge: { kind: 'merge' }, close: { kind: 'close' } };

/**
 * `actions`: which buttons (the row has Approve and Merge, the details the rest). `onSaid`: where the outcome goes
 * (a table row is too narrow for it); without it, shown below the buttons.
 */
export function ReleaseActions(props: { release: ReleaseRecord; repo: RepoRef; onChange: () => void; actions: Action[]; onSaid?: (said?: Said) => void }) {
  const { release, repo, onChange } = props;
  const { busy, said: shown, run } = usePullAction(release.pr?.number, repo, props.onSaid);
  if (!release.pr || release.outcome !== 'open') return null;
  const name = `v${release.number} of ${release.env}`;
  const act = async (what: Action) => {
    if (await run(what, SEND[what], `${DONE[what]} ${name}.`)) onChange();
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
