/**
 * A release with what gates it now, as `idp releases show v<n> --env <env>` prints it: the environment's policy, and for
 * an open release the verdict on the PR's current head — approvals that count, approvals that do not and why, changes
 * requested, checks — what it still waits for, and when idp stops waiting.
 */
import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { Alert, Card, CardBody, CardHeader, Flex, Text } from '@backstage/ui';
import type { ReleaseDetail, RepoRef } from '@idp/core';
import { useEffect, useState } from 'react';
import { idpApiRef } from '../../api';
import { DiffView } from '../PullRequestPage/DiffView';
import { ReleaseActions } from './ReleaseActions';
import { ReportCheck } from '../shared/ReportCheck';

export function ReleaseDetailPanel({ repo, env, number, version, onChange }: { repo: RepoRef; env: string; number: number; version: unknown; onChange: () => void }) {
  const client = useApi(idpApiRef);
  const [detail, setDetail] = useState<ReleaseDetail>();
  const [error, setError] = useState<Error>();
  useEffect(() => {
    let stopped = false;
    client.release(repo, env, number).then(
      (d) => !stopped && (setDetail(d), setError(undefined)),
      (e) => !stopped && setError(e as Error),
    );
    return () => {
      stopped = true;
    };
    // `version` changes when the ledger was fetched again: the verdict may have moved with it.
  }, [client, repo.repo, repo.path, env, number, version]); // eslint-disable-line react-hooks/exhaustive-deps

  if (error) return <Alert status="danger" title={`v${number} of ${env}`} description={error.message} />;
  if (!detail) return <Progress />;
  const { policy, verdict } = detail;
  return (
    <Card data-testid={`release-detail-${env}-v${number}`}>
      <CardHeader>
        <Text weight="bold">
          v{number} of {env}: {detail.release.image}
        </Text>
      </CardHeader>
      <CardBody>
        <Flex direction="column" gap="2">
          <Text>
            <strong>Policy:</strong> {policy.approvals} approval{policy.approvals === 1 ? '' : 's'}
            {policy.approvers.length ? ` from ${policy.approvers.join(', ')}` : ''}
            {policy.requiredChecks.length ? `; checks ${policy.requiredChecks.join(', ')}` : ''}; self-approval {policy.selfApproval ? 'counts' : 'does not count'}; {policy.autoMerge ? 'idp merges it once the policy holds' : 'a person merges it'}; closed after {policy.timeout} without approval
            {policy.floor ? ` (platform floor ${policy.floor.patterns.join(', ')}${policy.floor.raised.length ? ` raised ${policy.floor.raised.join(', ')}` : ' applies'})` : ''}.
          </Text>
          {verdict && (
            <>
              <Text color={verdict.satisfied ? 'success' : undefined}>
                <strong>{verdict.satisfied ? 'Ready to merge.' : `Waits for: ${verdict.waitingFor.join('; ')}.`}</strong>
              </Text>
              <Text>Approved by (counts): {verdict.approvedBy.length ? verdict.approvedBy.join(', ') : 'nobody yet'}</Text>
              {verdict.ignored.map((i) => (
                <Text key={i.by} color="warning">
                  Not counted: {i.by}: {i.why}
                </Text>
              ))}
              {verdict.changesRequestedBy.length > 0 && <Text color="danger">Changes requested by {verdict.changesRequestedBy.join(', ')}</Text>}
              {verdict.checks.length > 0 && <Text>Checks: {verdict.checks.map((c) => `${c.name} ${c.state}`).join(', ')}</Text>}
            </>
          )}
          {detail.deadline && <Text color="secondary">idp closes the PR unapproved at {new Date(detail.deadline).toLocaleString()}.</Text>}
          {detail.release.reason && <Text color="danger">{detail.release.reason}</Text>}
          {detail.release.outcome === 'open' && detail.release.pr && <ReleaseActions release={detail.release} repo={repo} onChange={onChange} actions={['request_changes', 'close']} />}
          {detail.release.outcome === 'open' && detail.release.pr && (
            <ReportCheck repo={repo} pr={detail.release.pr.number} subject={`v${number} of ${env}`} required={policy.requiredChecks} onChange={onChange} />
          )}
          {detail.diff.length > 0 && (
            <Flex direction="column" gap="1">
              <Text weight="bold">Diff</Text>
              <DiffView files={detail.diff} />
            </Flex>
          )}
        </Flex>
      </CardBody>
    </Card>
  );
}
