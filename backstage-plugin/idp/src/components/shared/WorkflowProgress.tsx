/** A started workflow, live: its PR (`PR #n`, opening in a new tab) and its phase, as the CLI's `--wait` follows it. */
import { Alert, Flex, Link, Text } from '@backstage/ui';
import type { WorkflowStatus } from '@idp/core';
import { useWorkflowProgress } from '../../hooks/useWorkflowProgress';

export function WorkflowProgress({ started, onChange }: { started: WorkflowStatus; onChange?: (s: WorkflowStatus) => void }) {
  const s = useWorkflowProgress(started, onChange) ?? started;
  const pr = s.pr ?? started.pr;
  const ended = s.status !== 'running' && s.status !== 'completed';
  return (
    <Flex direction="column" gap="2">
      <Flex align="center" gap="2">
        {pr ? (
          <Link href={pr.url} target="_blank" rel="noopener">
            PR #{pr.number}
          </Link>
        ) : (
          <Text>The pull request is being opened…</Text>
        )}
        <Text color="secondary">·</Text>
        <Text data-testid="workflow-phase" color={s.phase === 'merged' ? 'success' : s.phase === 'failed' || s.phase === 'closed' || ended ? 'danger' : undefined}>
          {ended ? s.status.replace('_', ' ') : s.phase}
        </Text>
      </Flex>
      {started.joined && <Text color="secondary">The same change was already in progress: this follows it.</Text>}
      {s.phase === 'open' && s.status === 'running' && <Text color="secondary">It applies when the PR is merged.</Text>}
      {s.error && <Alert status="danger" title={s.error.message} />}
    </Flex>
  );
}
