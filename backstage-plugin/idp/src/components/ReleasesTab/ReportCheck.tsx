/**
 * Report a check on a release PR by hand, as `idp pr check <n> <name> --success|--failure|--pending` does: the local
 * forge runs no CI, so a policy's requiredChecks are reported this way there (on GitHub/GitLab your CI reports them).
 */
import { useApi } from '@backstage/frontend-plugin-api';
import { Alert, Button, Flex, TextField } from '@backstage/ui';
import type { RepoRef } from '@idp/core';
import { useState } from 'react';
import { idpApiRef } from '../../api';

const STATES = ['success', 'failure', 'pending'] as const;

export function ReportCheck(props: { repo: RepoRef; pr: number; env: string; number: number; required: string[]; onChange: () => void }) {
  const client = useApi(idpApiRef);
  const [name, setName] = useState(props.required[0] ?? '');
  const [busy, setBusy] = useState<string>();
  const [said, setSaid] = useState<{ status: 'success' | 'danger'; text: string }>();
  const release = `v${props.number} of ${props.env}`;
  const report = async (state: (typeof STATES)[number]) => {
    setBusy(state);
    setSaid(undefined);
    try {
      await client.check(props.pr, { ...props.repo, name: name.trim(), state });
      setSaid({ status: 'success', text: `Reported ${name.trim()}: ${state} on ${release}.` });
      props.onChange();
    } catch (e) {
      setSaid({ status: 'danger', text: (e as Error).message });
    } finally {
      setBusy(undefined);
    }
  };
  return (
    <Flex direction="column" gap="1">
      <Flex gap="1" align="end" style={{ flexWrap: 'wrap' }}>
        <TextField label="Check" description="As the policy names it in requiredChecks" value={name} onChange={setName} size="small" />
        {STATES.map((s) => (
          <Button key={s} size="small" variant="secondary" aria-label={`Report ${s} of ${name.trim() || 'check'} on ${release}`} isDisabled={!name.trim() || (busy !== undefined && busy !== s)} isPending={busy === s} onPress={() => report(s)}>
            {s}
          </Button>
        ))}
      </Flex>
      {said && <Alert status={said.status} description={said.text} role={said.status === 'danger' ? 'alert' : undefined} />}
    </Flex>
  );
}
