/**
 * Report a check on a PR by hand, as `idp pr check <n> <name> --success|--failure|--pending` does: the local
 * forge runs no CI, so a policy's requiredChecks are reported this way there (on GitHub/GitLab your CI reports them).
 */
import { Alert, Button, Flex, TextField } from '@backstage/ui';
import type { RepoRef } from '@idp/core';
import { useState } from 'react';
import { usePullAction } from '../../hooks/usePullAction';

const STATES = ['success', 'failure', 'pending'] as const;

/** `subject`: what the check is on, as the user reads it ("v3 of production", "PR #4"). */
export function ReportCheck(props: { repo: RepoRef; pr: number; subject: string; required: string[]; onChange: () => void }) {
  const [name, setName] = useState(props.required[0] ?? '');
  const { busy, said, run } = usePullAction(props.pr, props.repo);
  const release = props.subject;
  const report = async (state: (typeof STATES)[number]) => {
    if (await run(state, { kind: 'check', name: name.trim(), state }, `Reported ${name.trim()}: ${state} on ${release}.`)) props.onChange();
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
