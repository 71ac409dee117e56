/**
 * GitLab deliveries as GitLab sends them: the delivery headers and the payload
 * shapes of GitLab's webhook docs (the examples of
 * https://docs.gitlab.com/user/project/integrations/webhook_events/, trimmed of
 * fields idp never reads), reduced to ForgeEvents.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { parseGitLabWebhook, verifyGitLabToken } from './gitlab.js';
import { WebhookRejected } from './event.js';

const SECRET = 'a-long-random-webhook-secret';
const HOST = 'gitlab.example.com';

function gitlabHeaders(event: string, opts: { token?: string | null; uuid?: string; idempotencyKey?: string } = {}) {
  return {
    'content-type': 'application/json',
    'user-agent': 'GitLab/17.6.0',
    'x-gitlab-event': event,
    'x-gitlab-webhook-uuid': '2b9de2a8-2a2f-4a8d-9d5b-6d59b5e3c0a1',
    'x-gitlab-instance': `https://${HOST}`,
    ...(opts.token === null ? {} : { 'x-gitlab-token': opts.token ?? SECRET }),
    'x-gitlab-event-uuid': opts.uuid ?? randomUUID(),
    ...(opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : {}),
  };
}

const PROJECT = {
  id: 15,
  name: 'Deployments',
  description: '',
  web_url: `https://${HOST}/Acme/Platform/Deployments`,
  avatar_url: null,
  git_ssh_url: `git@${HOST}:Acme/Platform/Deployments.git`,
  git_http_url: `https://${HOST}/Acme/Platform/Deployments.git`,
  namespace: 'Platform',
  visibility_level: 0,
  path_with_namespace: 'Acme/Platform/Deployments',
  default_branch: 'main',
  ci_config_path: '',
  homepage: `https://${HOST}/Acme/Platform/Deployments`,
  url: `git@${HOST}:Acme/Platform/Deployments.git`,
  ssh_url: `git@${HOST}:Acme/Platform/Deployments.git`,
  http_url: `https://${HOST}/Acme/Platform/Deployments.git`,
};
const USER = { id: 1, name: 'Administrator', username: 'root', avatar_url: null, email: '[REDACTED]' };
const HEAD = 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7';

/** A "Merge Request Hook" body as in GitLab's docs. */
function mergeRequestEvent(action: string, o: { iid?: number; sourceProjectId?: number; branch?: string } = {}) {
  return {
    object_kind: 'merge_request',
    event_type: 'merge_request',
    user: USER,
    project: PROJECT,
    repository: { name: 'Deployments', url: PROJECT.url, description: '', homepage: PROJECT.homepage },
    object_attributes: {
      id: 99,
      iid: o.iid ?? 7,
      target_branch: 'main',
      source_branch: o.branch ?? 'idp/env-clone/checkout/preview-1',
      source_project_id: o.sourceProjectId ?? 15,
      author_id: 51,
      assignee_ids: [],
      reviewer_ids: [],
      title: 'Clone environment staging → preview-1',
      created_at: '2025-03-01T10:00:00Z',
      updated_at: '2025-03-01T10:05:00Z',
      milestone_id: null,
      state_id: 1,
      state: action === 'merge' ? 'merged' : action === 'close' ? 'closed' : 'opened',
      blocking_discussions_resolved: true,
      work_in_progress: false,
      draft: false,
      first_contribution: false,
      merge_status: 'can_be_merged',
      target_project_id: 15,
      description: '',
      prepared_at: '2025-03-01T10:00:02Z',
      url: `${PROJECT.web_url}/-/merge_requests/${o.iid ?? 7}`,
      source: PROJECT,
      target: PROJECT,
      last_commit: {
        id: HEAD,
        message: 'Clone staging to preview-1\n',
        title: 'Clone staging to preview-1',
        timestamp: '2025-03-01T10:00:00+00:00',
        url: `${PROJECT.web_url}/-/commit/${HEAD}`,
        author: { name: 'dev', email: 'dev@example.com' },
      },
      labels: [],
      action,
      detailed_merge_status: 'mergeable',
    },
    labels: [],
    changes: {},
  };
}

function deliver(event: string, body: unknown, opts: Parameters<typeof gitlabHeaders>[1] = {}) {
  return parseGitLabWebhook(gitlabHeaders(event, opts), Buffer.from(JSON.stringify(body)), SECRET, HOST);
}

describe('GitLab webhooks', () => {
  it('accepts only the configured secret token, compared in constant time', () => {
    assert.equal(verifyGitLabToken(SECRET, SECRET), true);
    assert.equal(verifyGitLabToken(SECRET, `${SECRET}x`), false);
    assert.equal(verifyGitLabToken(SECRET, 'short'), false);
    assert.equal(verifyGitLabToken(SECRET, undefined), false);
    assert.equal(verifyGitLabToken('', ''), false, 'no secret configured: nothing is accepted');
    for (const token of [null, 'wrong', '']) {
      assert.throws(
        () => deliver('Merge Request Hook', mergeRequestEvent('open'), { token }),
        (e: unknown) => e instanceof WebhookRejected && e.status === 401 && /X-Gitlab-Token/.test(e.message) && !e.message.includes(SECRET),
      );
    }
  });

  it('rejects an unreadable body with 400, after checking the token', () => {
    const headers = gitlabHeaders('Push Hook');
    assert.throws(() => parseGitLabWebhook(headers, Buffer.from('{not json'), SECRET, HOST), (e: unknown) => e instanceof WebhookRejected && e.status === 400);
    assert.throws(() => parseGitLabWebhook(headers, Buffer.from('[1]'), SECRET, HOST), (e: unknown) => e instanceof WebhookRejected && e.status === 400);
    assert.throws(() => parseGitLabWebhook({ ...headers, 'x-gitlab-token': 'nope' }, Buffer.from('{not json'), SECRET, HOST), (e: unknown) => e instanceof WebhookRejected && e.status === 401);
    const { 'x-gitlab-event': _, ...noEvent } = headers;
    assert.throws(() => parseGitLabWebhook(noEvent, Buffer.from('{}'), SECRET, HOST), (e: unknown) => e instanceof WebhookRejected && e.status === 400);
  });

  it('maps merge request actions', () => {
    const expected: Record<string, string> = {
      open: 'opened',
      update: 'updated',
      merge: 'merged',
      close: 'closed',
      reopen: 'reopened',
      approved: 'reviewed',
      unapproved: 'reviewed',
      approval: 'reviewed',
      unapproval: 'reviewed',
    };
    for (const [action, mapped] of Object.entries(expected)) {
      const uuid = randomUUID();
      assert.deepEqual(deliver('Merge Request Hook', mergeRequestEvent(action), { uuid }), {
        deliveryId: uuid,
        forge: 'gitlab',
        repoId: `gitlab:${HOST}/acme/platform/deployments`,
        action: mapped,
        number: 7,
        branch: 'idp/env-clone/checkout/preview-1',
        sha: HEAD,
      });
    }
  });

  it('leaves out the branch of an MR from a fork; ignores other MR actions', () => {
    const forked = deliver('Merge Request Hook', mergeRequestEvent('update', { sourceProjectId: 99 }));
    assert.equal(forked?.branch, undefined);
    assert.equal(forked?.number, 7);
    assert.equal(deliver('Merge Request Hook', mergeRequestEvent('unknown-action')), null);
    const noIid = mergeRequestEvent('open') as { object_attributes: Record<string, unknown> };
    delete noIid.object_attributes.iid;
    assert.throws(() => deliver('Merge Request Hook', noIid), (e: unknown) => e instanceof WebhookRejected && e.status === 400);
  });

  it('maps a pipeline to checks: with its MR (merge request pipelines), or the branch it ran on', () => {
    const pipeline = (mergeRequest: object | null, ref = 'idp/env-clone/checkout/preview-1', tag = false) => ({
      object_kind: 'pipeline',
      object_attributes: {
        id: 31,
        iid: 3,
        name: 'Pipeline for branch',
        ref,
        tag,
        sha: HEAD,
        before_sha: '0000000000000000000000000000000000000000',
        source: mergeRequest ? 'merge_request_event' : 'push',
        status: 'success',
        detailed_status: 'passed',
        stages: ['build', 'test'],
        created_at: '2025-03-01 10:00:00 UTC',
        finished_at: '2025-03-01 10:03:00 UTC',
        duration: 170,
        queued_duration: 10,
        variables: [],
        url: `${PROJECT.web_url}/-/pipelines/31`,
      },
      merge_request: mergeRequest,
      user: USER,
      project: PROJECT,
      commit: { id: HEAD, message: 'x', title: 'x', timestamp: '2025-03-01T10:00:00+00:00', url: '', author: { name: 'dev', email: 'dev@example.com' } },
      builds: [],
    });
    const mr = {
      id: 1,
      iid: 7,
      title: 'Clone',
      source_branch: 'idp/env-clone/checkout/preview-1',
      source_project_id: 15,
      target_branch: 'main',
      target_project_id: 15,
      state: 'opened',
      merge_status: 'can_be_merged',
      detailed_merge_status: 'mergeable',
      url: `${PROJECT.web_url}/-/merge_requests/7`,
    };
    const base = { forge: 'gitlab', repoId: `gitlab:${HOST}/acme/platform/deployments`, action: 'checks', sha: HEAD };
    const { deliveryId: _1, ...withMr } = deliver('Pipeline Hook', pipeline(mr, 'refs/merge-requests/7/head'))!;
    assert.deepEqual(withMr, { ...base, number: 7, branch: 'idp/env-clone/checkout/preview-1' });
    const { deliveryId: _2, ...onBranch } = deliver('Pipeline Hook', pipeline(null))!;
    assert.deepEqual(onBranch, { ...base, branch: 'idp/env-clone/checkout/preview-1' });
    const { deliveryId: _3, ...onTag } = deliver('Pipeline Hook', pipeline(null, 'v1.0.0', true))!;
    assert.deepEqual(onTag, base);
  });

  it('maps a branch push (and a branch deletion) to pushed; ignores tags', () => {
    const push = (ref: string, after: string) => ({
      object_kind: 'push',
      event_name: 'push',
      before: '95790bf891e76fee5e1747ab589903a6a1f80f22',
      after,
      ref,
      ref_protected: true,
      checkout_sha: after,
      user_id: 4,
      user_name: 'John Smith',
      user_username: 'jsmith',
      user_email: '',
      user_avatar: null,
      project_id: 15,
      project: PROJECT,
      repository: { name: 'Deployments', url: PROJECT.url, description: '', homepage: PROJECT.homepage },
      commits: [],
      total_commits_count: 0,
    });
    const event = deliver('Push Hook', push('refs/heads/main', HEAD), { uuid: 'u-1', idempotencyKey: 'k-1' });
    assert.deepEqual(event, { deliveryId: 'u-1', forge: 'gitlab', repoId: `gitlab:${HOST}/acme/platform/deployments`, action: 'pushed', branch: 'main', sha: HEAD });
    assert.equal(deliver('Push Hook', push('refs/heads/idp/x', '0000000000000000000000000000000000000000'))?.sha, undefined);
    assert.equal(deliver('Push Hook', push('refs/heads/idp/x', '0000000000000000000000000000000000000000'))?.branch, 'idp/x');
    assert.equal(deliver('Tag Push Hook', { ...push('refs/tags/v1', HEAD), object_kind: 'tag_push' }), null);
  });

  it('takes the delivery id from X-Gitlab-Event-UUID, else Idempotency-Key', () => {
    const body = mergeRequestEvent('open');
    const { 'x-gitlab-event-uuid': _, ...headers } = gitlabHeaders('Merge Request Hook', { idempotencyKey: 'idem-42' });
    assert.equal(parseGitLabWebhook(headers, Buffer.from(JSON.stringify(body)), SECRET, HOST)?.deliveryId, 'idem-42');
  });

  it('ignores other events (notes, jobs, issues, system hooks)', () => {
    for (const event of ['Note Hook', 'Job Hook', 'Issue Hook', 'System Hook', 'Deployment Hook']) {
      assert.equal(deliver(event, { object_kind: 'note', project: PROJECT }), null, event);
    }
  });

  it('a note, even one carrying idp\'s review marker on an MR, is no review: comments never wake a verdict (issue 9)', () => {
    const note = {
      object_kind: 'note', event_type: 'note', project: PROJECT,
      object_attributes: { noteable_type: 'MergeRequest', note: `LGTM\n\n<!-- idp:review approved ${'a'.repeat(40)} -->`, action: 'create' },
      merge_request: { iid: 7, source_branch: 'idp/release/x', source_project_id: 1, target_project_id: 1 },
    };
    assert.equal(deliver('Note Hook', note), null);
  });

  it('rejects a followed event whose payload names no project', () => {
    const { project: _, ...noProject } = mergeRequestEvent('open');
    assert.throws(() => deliver('Merge Request Hook', noProject), (e: unknown) => e instanceof WebhookRejected && e.status === 400);
  });
});
