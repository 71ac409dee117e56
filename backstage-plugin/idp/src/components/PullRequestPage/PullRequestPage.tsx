/**
 * A pull request idp opened, in Backstage: `/idp/pulls/<n>?repo=<repo>&path=<paws.yaml>`. What `idp pr show` and
 * `idp pr diff` print, and what `idp pr review|check|merge|close` do, as buttons. Every idp PR URL leads here in a
 * browser on the local forge (the API redirects a browser's GET /api/idp/pulls/<n> to this page); GitHub and GitLab
 * PRs link to the forge's own page as well.
 */
import { Content, MarkdownContent, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { Alert, Button, Card, CardBody, CardHeader, Flex, Link, Tag, TagGroup, Text, TextField } from '@backstage/ui';
import type { PullDiff, PullRequest, RepoRef } from '@idp/core';
import { useCallback, useEffect, useState } from 'react';
import { useLocation } from 'react-router-dom';
import { idpApiRef } from '../../api';
import { DiffView } from './DiffView';
import { type PullAction, usePullAction } from '../../hooks/usePullAction';
import { ReportCheck } from '../shared/ReportCheck';

/** The page's PR: its number from the path, the repository and paws.yaml from the query. */
export function pullFromLocation(pathname: string, search: string): { n: number; ref: RepoRef } | undefined {
  const n = Number(/\/pulls\/(\d+)\/?$/.exec(pathname)?.[1]);
  const q = new URLSearchParams(search);
  const repo = q.get('repo');
  if (!Number.isInteger(n) || n < 1 || !repo) return undefined;
  return { n, ref: { repo, path: q.get('path') ?? 'paws.yaml' } };
}

export function PullRequestPage() {
  const location = useLocation();
  const target = pullFromLocation(location.pathname, location.search);
  if (!target) {
    return (
      <Content>
        <Alert status="danger" title="Which pull request?" description="Open a PR from a component's Environments, Releases or Activity tab, or as /idp/pulls/<number>?repo=<repository>." />
      </Content>
    );
  }
  return <PullRequestView n={target.n} repoRef={target.ref} />;
}

type Action = 'approve' | 'request_changes' | 'comment' | 'merge' | 'close';

export function PullRequestView({ n, repoRef }: { n: number; repoRef: RepoRef }) {
  const api = useApi(idpApiRef);
  const [pull, setPull] = useState<PullRequest>();
  const [diff, setDiff] = useState<PullDiff>();
  const [error, setError] = useState<Error>();
  const { busy, said: outcome, run } = usePullAction(n, repoRef);
  const [message, setMessage] = useState('');

  const load = useCallback(async () => {
    try {
      const [p, d] = await Promise.all([api.pull(repoRef, n), api.diff(repoRef, n)]);
      setPull(p);
      setDiff(d);
      setError(undefined);
    } catch (e) {
      setError(e as Error);
    }
  }, [api, n, repoRef.repo, repoRef.path]); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    load();
  }, [load]);

  const act = async (action: Action) => {
    const sent: PullAction = action === 'merge' || action === 'close' ? { kind: action } : { kind: 'review', event: action, body: message || undefined };
    const result = await run(action, sent, DONE[action]);
    if (!result) return;
    setPull(result);
    // A review the release policy does not count keeps its comment (the API's note says why).
    if (!result.note) setMessage('');
  };

  if (error) {
    return (
      <Content>
        <Alert status="danger" title={`PR #${n}`} description={error.message} />
      </Content>
    );
  }
  if (!pull) return <Progress />;
  const open = pull.state === 'open';
  const latest = latestReviews(pull);
  return (
    <Content>
      <Flex direction="column" gap="4">
        <Flex align="center" gap="3">
          <Text as="h1" variant="title-medium">
            PR #{pull.number}: {pull.title}
          </Text>
          <TagGroup aria-label="state">
            <Tag>{pull.state}</Tag>
          </TagGroup>
        </Flex>
        <Text>
          {pull.author} wants to merge <code>{pull.head}</code> into <code>{pull.base}</code>
          {pull.mergedBy ? ` · merged by ${pull.mergedBy}` : ''}
          {pull.closedBy && pull.state === 'closed' ? ` · closed by ${pull.closedBy}` : ''}
          {/* The local forge's PR URL is this page; a GitHub/GitLab PR also has the forge's own. */}
          {!pull.url.includes('/api/idp/pulls/') && (
            <>
              {' · '}
              <Link href={pull.url} target="_blank" rel="noopener">
                {pull.url}
              </Link>
            </>
          )}
        </Text>
        {outcome && <Alert status={outcome.status} description={outcome.text} />}
        {open && (
          <Card>
            <CardHeader>
              <Text weight="bold">Review</Text>
            </CardHeader>
            <CardBody>
              <Flex direction="column" gap="3">
                <TextField label="Comment (optional; required for a comment)" value={message} onChange={setMessage} />
                <Flex gap="2">
                  <Button aria-label={`Approve PR #${n}`} isPending={busy === 'approve'} onPress={() => act('approve')}>
                    Approve
                  </Button>
                  <Button variant="secondary" isPending={busy === 'request_changes'} onPress={() => act('request_changes')}>
                    Request changes
                  </Button>
                  <Button variant="secondary" isDisabled={!message} isPending={busy === 'comment'} onPress={() => act('comment')}>
                    Comment
                  </Button>
                  <Button aria-label={`Merge PR #${n}`} variant="primary" isPending={busy === 'merge'} onPress={() => act('merge')}>
                    Merge
                  </Button>
                  <Button aria-label={`Close PR #${n}`} variant="tertiary" destructive isPending={busy === 'close'} onPress={() => act('close')}>
                    Close
                  </Button>
                </Flex>
                <ReportCheck repo={repoRef} pr={n} subject={`PR #${n}`} required={['ci/build']} onChange={load} />
                <Text variant="body-small" color="secondary">
                  Checks are reported by hand on the local forge only (idp pr check); on GitHub and GitLab your CI reports them.
                </Text>
              </Flex>
            </CardBody>
          </Card>
        )}
        <Card>
          <CardHeader>
            <Text weight="bold">Reviews</Text>
          </CardHeader>
          <CardBody>
            {latest.length === 0 ? (
              <Text>No reviews yet.</Text>
            ) : (
              <ul>
                {latest.map((r) => (
                  <li key={`${r.by}-${r.at}`}>
                    <Text>
                      {r.by}: {r.state.replace('_', ' ')}
                      {r.commitSha !== pull.headSha ? ' (on an older head: does not count)' : ''}
                      {r.body ? ` — ${r.body}` : ''}
                    </Text>
                  </li>
                ))}
              </ul>
            )}
          </CardBody>
        </Card>
        {pull.body && (
          <Card>
            <CardBody>
              <MarkdownContent content={pull.body} />
            </CardBody>
          </Card>
        )}
        {diff && <DiffView files={diff.files} />}
      </Flex>
    </Content>
  );
}

const DONE: Record<Action, string> = {
  approve: 'Approved.',
  request_changes: 'Requested changes.',
  comment: 'Commented.',
  merge: 'Merged.',
  close: 'Closed.',
};

/** Each reviewer's latest review, as the forge counts them. */
function latestReviews(pull: PullRequest) {
  const byReviewer = new Map<string, PullRequest['reviews'][number]>();
  for (const r of pull.reviews) byReviewer.set(r.by, r);
  return [...byReviewer.values()];
}
