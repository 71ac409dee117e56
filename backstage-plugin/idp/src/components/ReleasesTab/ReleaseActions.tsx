/**
 * An open release's PR actions, as `idp pr review <n> --approve` and `idp pr merge <n>` do them (four eyes and the
 * policy are the server's: a review that does not count comes back with why, a merge the policy refuses with what is
 * missing, each shown here).
 */
import { useApi } from '@backstage/frontend-plugin-api';
import { Alert, Button, Flex } from '@backstage/ui';
import type { ReleaseRecord, RepoRef } from '@idp/core';
import { useState } from 'react';
import { idpApiRef } from '../../api';

export function ReleaseActions({ release, repo, onChange }: { release: ReleaseRecord; repo: RepoRef; onChange: () => void }) {
  const client = useApi(idpApiRef);
  const [busy, setBusy] = useState<'approve' | 'merge'>();
  const [said, setSaid] = useState<{ status: 'success' | 'warning' | 'danger'; text: string }>();
  const pr = release.pr;
  if (!pr || release.outcome !== 'open') return null;
  const name = `v${release.number} of ${release.env}`;
  const act = async (what: 'approve' | 'merge') => {
    setBusy(what);
    setSaid(undefined);
    try {
      if (what === 'approve') {
        const r = await client.review(pr.number, { ...repo, event: 'approve' });
        setSaid(r.note ? { status: 'warning', text: r.note } : { status: 'success', text: `Approved ${name}.` });
      } else {
        await client.merge(pr.number, repo);
        setSaid({ status: 'success', text: `Merged ${name}.` });
      }
      onChange();
    } catch (e) {
      setSaid({ status: 'danger', text: (e as Error).message });
    } finally {
      setBusy(undefined);
    }
  };
  return (
    <Flex direction="column" gap="1">
      <Flex gap="1" style={{ flexWrap: 'wrap' }}>
        <Button size="small" variant="primary" aria-label={`Approve ${name}`} isPending={busy === 'approve'} onPress={() => act('approve')}>
          Approve
        </Button>
        <Button size="small" variant="secondary" aria-label={`Merge ${name}`} isPending={busy === 'merge'} onPress={() => act('merge')}>
          Merge
        </Button>
      </Flex>
      {said && <Alert status={said.status} description={said.text} role={said.status === 'danger' ? 'alert' : undefined} />}
    </Flex>
  );
}
