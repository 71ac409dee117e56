/**
 * GitHub deliveries as GitHub sends them: signed bodies (json and form-encoded),
 * the payload shapes of GitHub's webhook docs — GitHub's own examples from
 * @octokit/openapi where it publishes one (check_run, ping) — reduced to ForgeEvents.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseGitHubWebhook, verifyGitHubSignature } from './github.js';
import { WebhookRejected } from './event.js';

const SECRET = 'It\'s a Secret to Everybody';
const HOST = 'github.com';

function githubSignature(body: Buffer | string, secret = SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** A delivery's headers as GitHub sends them (node:http lower-cases names). */
function githubHeaders(event: string, body: Buffer | string, opts: { secret?: string; delivery?: string; contentType?: string } = {}) {
  return {
    'user-agent': 'GitHub-Hookshot/044aadd',
    'content-type': opts.contentType ?? 'application/json',
    'x-github-event': event,
    'x-github-delivery': opts.delivery ?? randomUUID(),
    'x-github-hook-id': '292430182',
    'x-github-hook-installation-target-id': '79929171',
    'x-github-hook-installation-target-type': 'repository',
    'x-hub-signature': `sha1=${createHmac('sha1', opts.secret ?? SECRET).update(body).digest('hex')}`,
    'x-hub-signature-256': githubSignature(body, opts.secret ?? SECRET),
  };
}

const REPOSITORY = {
  id: 186853002,
  node_id: 'MDEwOlJlcG9zaXRvcnkxODY4NTMwMDI=',
  name: 'Deployments',
  full_name: 'Acme/Deployments',
  private: true,
  owner: { login: 'Acme', id: 21031067, type: 'Organization' },
  html_url: 'https://github.com/Acme/Deployments',
  url: 'https://api.github.com/repos/Acme/Deployments',
  default_branch: 'main',
};
const SENDER = { login: 'octocat', id: 1, type: 'User' };

/** A pull_request object as in pull_request / pull_request_review payloads. */
function pullRequest(o: { number: number; head: string; headSha: string; state?: 'open' | 'closed'; merged?: boolean; headRepo?: object | null }) {
  const head = o.headRepo === undefined ? REPOSITORY : o.headRepo;
  return {
    url: `https://api.github.com/repos/Acme/Deployments/pulls/${o.number}`,
    id: 1000 + o.number,
    html_url: `https://github.com/Acme/Deployments/pull/${o.number}`,
    number: o.number,
    state: o.state ?? 'open',
    locked: false,
    title: 'env clone: checkout preview-1 from staging',
    user: SENDER,
    body: 'Proposed by idp.',
    labels: [{ name: 'idp' }, { name: 'env-clone' }],
    created_at: '2025-01-10T10:00:00Z',
    updated_at: '2025-01-10T11:00:00Z',
    closed_at: o.state === 'closed' ? '2025-01-10T11:00:00Z' : null,
    merged_at: o.merged ? '2025-01-10T11:00:00Z' : null,
    merge_commit_sha: o.merged ? 'f95f852bd8fca8fcc58a9a2d6c842781e32a215e' : null,
    head: { label: `Acme:${o.head}`, ref: o.head, sha: o.headSha, user: REPOSITORY.owner, repo: head },
    base: { label: 'Acme:main', ref: 'main', sha: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c', user: REPOSITORY.owner, repo: REPOSITORY },
    draft: false,
    merged: o.merged ?? false,
    mergeable: null,
    mergeable_state: 'unknown',
    merged_by: o.merged ? SENDER : null,
    comments: 0,
    commits: 1,
    additions: 2,
    deletions: 0,
    changed_files: 1,
  };
}

function pullRequestPayload(action: string, pr: ReturnType<typeof pullRequest>, extra: object = {}) {
  return { action, number: pr.number, pull_request: pr, repository: REPOSITORY, sender: SENDER, ...extra };
}

const HEAD = 'idp/env-clone/checkout/preview-1';
const SHA = '6dcb09b5b57875f334f61aebed695e2e4193db5e';

function deliver(event: string, payload: unknown, opts: { secret?: string; delivery?: string; host?: string } = {}) {
  const body = Buffer.from(JSON.stringify(payload));
  return parseGitHubWebhook(githubHeaders(event, body, opts), body, SECRET, opts.host ?? HOST);
}

function rejects(status: number, fn: () => unknown, message?: RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof WebhookRejected, `a WebhookRejected, not ${String(e)}`);
    assert.equal(e.status, status);
    if (message) assert.match(e.message, message);
    return true;
  });
}

/** GitHub's own example payloads, published with its OpenAPI description. */
let examples: Record<string, { value: unknown }> | undefined;
function githubExample(name: string): unknown {
  if (!examples) {
    const require = createRequire(import.meta.url);
    const spec = JSON.parse(readFileSync(require.resolve('@octokit/openapi/generated/api.github.com.json'), 'utf8')) as {
      components: { examples: Record<string, { value: unknown }> };
    };
    examples = spec.components.examples;
  }
  const example = examples[name];
  assert.ok(example, `GitHub publishes an example named ${name}`);
  return example.value;
}

describe('GitHub webhook signature', () => {
  const body = Buffer.from(JSON.stringify(pullRequestPayload('closed', pullRequest({ number: 7, head: HEAD, headSha: SHA, state: 'closed', merged: true }))));

  it("matches GitHub's documented test vector", () => {
    // docs.github.com "Validating webhook deliveries": secret "It's a Secret to Everybody", payload "Hello, World!".
    assert.ok(verifyGitHubSignature(Buffer.from('Hello, World!'), SECRET, 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17'));
  });

  it('accepts a delivery signed with the secret', () => {
    const event = parseGitHubWebhook(githubHeaders('pull_request', body, { delivery: 'd-1' }), body, SECRET, HOST);
    assert.equal(event?.action, 'merged');
    assert.equal(event?.deliveryId, 'd-1');
  });

  it('accepts an upper-case hex signature and any header casing', () => {
    const headers = { 'X-GitHub-Event': 'pull_request', 'X-GitHub-Delivery': 'd-2', 'X-Hub-Signature-256': githubSignature(body).toUpperCase().replace('SHA256=', 'sha256=') };
    assert.equal(parseGitHubWebhook(headers, body, SECRET, HOST)?.deliveryId, 'd-2');
  });

  it('refuses a delivery signed with another secret: 401', () => {
    rejects(401, () => parseGitHubWebhook(githubHeaders('pull_request', body, { secret: 'not the secret' }), body, SECRET, HOST), /X-Hub-Signature-256/);
  });

  it('refuses a tampered body: 401', () => {
    const headers = githubHeaders('pull_request', body);
    const tampered = Buffer.from(body.toString().replace('"number":7', '"number":8'));
    assert.notDeepEqual(tampered, body);
    rejects(401, () => parseGitHubWebhook(headers, tampered, SECRET, HOST));
  });

  it('refuses a delivery without X-Hub-Signature-256 (even with the old sha1 X-Hub-Signature): 401', () => {
    const { 'x-hub-signature-256': _, ...headers } = githubHeaders('pull_request', body);
    rejects(401, () => parseGitHubWebhook(headers, body, SECRET, HOST));
  });

  it('refuses malformed signatures: 401', () => {
    for (const sig of ['', 'sha256=', 'sha256=abc', githubSignature(body).replace('sha256=', 'sha1='), githubSignature(body) + '00', githubSignature(body).slice(7)]) {
      rejects(401, () => parseGitHubWebhook({ ...githubHeaders('pull_request', body), 'x-hub-signature-256': sig }, body, SECRET, HOST));
    }
  });

  it('verifies nothing with an empty secret: 401', () => {
    const headers = githubHeaders('pull_request', body, { secret: '' });
    rejects(401, () => parseGitHubWebhook(headers, body, '', HOST));
  });

  it('checks the signature before reading the body: an unsigned garbage body is 401, a signed one 400', () => {
    const garbage = Buffer.from('{"action": "closed", ');
    rejects(401, () => parseGitHubWebhook({ ...githubHeaders('pull_request', garbage), 'x-hub-signature-256': undefined }, garbage, SECRET, HOST));
    rejects(400, () => parseGitHubWebhook(githubHeaders('pull_request', garbage), garbage, SECRET, HOST), /not valid JSON/);
  });

  it('refuses signed bodies that are not a delivery: 400', () => {
    for (const text of ['[]', 'null', '"x"']) {
      const b = Buffer.from(text);
      rejects(400, () => parseGitHubWebhook(githubHeaders('push', b), b, SECRET, HOST));
    }
    const { 'x-github-event': _, ...noEvent } = githubHeaders('push', body);
    rejects(400, () => parseGitHubWebhook(noEvent, body, SECRET, HOST), /X-GitHub-Event/);
    rejects(400, () => deliver('pull_request', { action: 'opened', pull_request: {}, repository: REPOSITORY }));
    rejects(400, () => deliver('push', { ref: 'refs/heads/main', after: SHA }), /no repository/);
  });
});

describe('GitHub pull_request deliveries', () => {
  const repoId = 'github:github.com/acme/deployments';

  it('merged: closed with merged true', () => {
    const pr = pullRequest({ number: 7, head: HEAD, headSha: SHA, state: 'closed', merged: true });
    assert.deepEqual(deliver('pull_request', pullRequestPayload('closed', pr), { delivery: '72d3162e-cc78-11e3-81ab-4c9367dc0958' }), {
      deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      forge: 'github',
      repoId,
      action: 'merged',
      number: 7,
      branch: HEAD,
      sha: SHA,
    });
  });

  it('closed without merging', () => {
    const pr = pullRequest({ number: 7, head: HEAD, headSha: SHA, state: 'closed', merged: false });
    assert.equal(deliver('pull_request', pullRequestPayload('closed', pr))?.action, 'closed');
  });

  it('maps the actions that change the PR, ignores the others', () => {
    const pr = pullRequest({ number: 3, head: HEAD, headSha: SHA });
    const expected: Record<string, string | null> = {
      opened: 'opened',
      reopened: 'reopened',
      synchronize: 'updated',
      edited: 'updated',
      labeled: 'updated',
      unlabeled: 'updated',
      ready_for_review: 'updated',
      converted_to_draft: 'updated',
      assigned: null,
      unassigned: null,
      review_requested: null,
      milestoned: null,
      locked: null,
      auto_merge_enabled: null,
      enqueued: null,
    };
    for (const [action, want] of Object.entries(expected)) {
      const extra = action === 'synchronize' ? { before: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c', after: SHA } : {};
      assert.equal(deliver('pull_request', pullRequestPayload(action, pr, extra))?.action ?? null, want, action);
    }
  });

  it('the repository id is lower-case and names the host (GitHub Enterprise)', () => {
    const pr = pullRequest({ number: 3, head: HEAD, headSha: SHA });
    assert.equal(deliver('pull_request', pullRequestPayload('opened', pr), { host: 'GHE.Example.com' })?.repoId, 'github:ghe.example.com/acme/deployments');
  });

  it("a fork's branch is not the repository's: no branch (so no idp workflow is addressed)", () => {
    const fork = { ...REPOSITORY, id: 999, full_name: 'mallory/Deployments' };
    const fromFork = deliver('pull_request', pullRequestPayload('opened', pullRequest({ number: 9, head: HEAD, headSha: SHA, headRepo: fork })));
    assert.equal(fromFork?.number, 9);
    assert.equal(fromFork?.branch, undefined);
    const deletedFork = deliver('pull_request', pullRequestPayload('closed', pullRequest({ number: 9, head: HEAD, headSha: SHA, state: 'closed', headRepo: null })));
    assert.equal(deletedFork?.action, 'closed');
    assert.equal(deletedFork?.branch, undefined);
  });

  it('reads form-encoded deliveries (content type application/x-www-form-urlencoded)', () => {
    const payload = pullRequestPayload('closed', pullRequest({ number: 7, head: HEAD, headSha: SHA, state: 'closed', merged: true }));
    const body = Buffer.from(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
    const event = parseGitHubWebhook(githubHeaders('pull_request', body, { contentType: 'application/x-www-form-urlencoded' }), body, SECRET, HOST);
    assert.equal(event?.action, 'merged');
    assert.equal(event?.branch, HEAD);
  });
});

describe('GitHub pull_request_review deliveries', () => {
  const review = (state: string) => ({
    id: 80,
    user: SENDER,
    body: 'LGTM',
    commit_id: SHA,
    submitted_at: '2025-01-10T10:30:00Z',
    state,
    html_url: 'https://github.com/Acme/Deployments/pull/7#pullrequestreview-80',
    pull_request_url: 'https://api.github.com/repos/Acme/Deployments/pulls/7',
    author_association: 'MEMBER',
  });

  it('submitted, edited and dismissed reviews are "reviewed"', () => {
    const { merged: _m, mergeable: _a, mergeable_state: _s, merged_by: _b, ...pr } = pullRequest({ number: 7, head: HEAD, headSha: SHA });
    for (const [action, state] of [['submitted', 'approved'], ['edited', 'commented'], ['dismissed', 'dismissed']] as const) {
      const payload = { action, review: review(state), pull_request: pr, repository: REPOSITORY, sender: SENDER };
      assert.deepEqual(
        deliver('pull_request_review', payload, { delivery: `r-${action}` }),
        { deliveryId: `r-${action}`, forge: 'github', repoId: 'github:github.com/acme/deployments', action: 'reviewed', number: 7, branch: HEAD, sha: SHA },
        action,
      );
    }
  });

  it('ignores other review actions', () => {
    const pr = pullRequest({ number: 7, head: HEAD, headSha: SHA });
    assert.equal(deliver('pull_request_review', { action: 'requested', review: review('pending'), pull_request: pr, repository: REPOSITORY }), null);
  });
});

describe('GitHub check and status deliveries', () => {
  it("check_run: GitHub's own example — the PR number, its branch and the head sha", () => {
    const payload = githubExample('check-run-completed');
    const event = deliver('check_run', payload, { delivery: 'c-1' });
    assert.deepEqual(event, {
      deliveryId: 'c-1',
      forge: 'github',
      repoId: 'github:github.com/codertocat/hello-world',
      action: 'checks',
      number: 2,
      branch: 'changes',
      sha: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821',
    });
  });

  it("check_run: GitHub's own form-encoded example", () => {
    const { payload } = githubExample('check-run-completed-form-encoded') as { payload: string };
    // The example is the form field, already URL-encoded.
    const body = Buffer.from(`payload=${payload}`);
    const event = parseGitHubWebhook(githubHeaders('check_run', body, { contentType: 'application/x-www-form-urlencoded' }), body, SECRET, HOST);
    assert.equal(event?.action, 'checks');
    assert.equal(event?.number, 2);
    assert.equal(event?.sha, 'ec26c3e57ca3a959ca5aad62de7213c562f8c821');
  });

  const checkPull = (number: number, ref: string, sha: string, repoId = REPOSITORY.id) => ({
    url: `https://api.github.com/repos/Acme/Deployments/pulls/${number}`,
    id: 5000 + number,
    number,
    head: { ref, sha, repo: { id: repoId, url: REPOSITORY.url, name: REPOSITORY.name } },
    base: { ref: 'main', sha: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c', repo: { id: REPOSITORY.id, url: REPOSITORY.url, name: REPOSITORY.name } },
  });

  it('check_suite: the PR of the checked head, idp\'s own branch first', () => {
    const payload = {
      action: 'completed',
      check_suite: {
        id: 118578147,
        head_branch: HEAD,
        head_sha: SHA,
        status: 'completed',
        conclusion: 'failure',
        before: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
        after: SHA,
        pull_requests: [checkPull(4, 'feature', SHA), checkPull(5, HEAD, SHA)],
        app: { id: 15368, slug: 'github-actions', name: 'GitHub Actions' },
      },
      repository: REPOSITORY,
      sender: SENDER,
    };
    assert.deepEqual(deliver('check_suite', payload, { delivery: 's-1' }), {
      deliveryId: 's-1',
      forge: 'github',
      repoId: 'github:github.com/acme/deployments',
      action: 'checks',
      number: 5,
      branch: HEAD,
      sha: SHA,
    });
  });

  it('check_suite on a branch without a PR: the branch and sha, no number', () => {
    const payload = { action: 'requested', check_suite: { id: 1, head_branch: 'main', head_sha: SHA, status: 'queued', pull_requests: [] }, repository: REPOSITORY };
    assert.deepEqual(deliver('check_suite', payload, { delivery: 's-2' }), {
      deliveryId: 's-2',
      forge: 'github',
      repoId: 'github:github.com/acme/deployments',
      action: 'checks',
      branch: 'main',
      sha: SHA,
    });
  });

  it('status: the sha, and the idp branch among the branches holding the commit', () => {
    const payload = {
      id: 214015194,
      sha: SHA,
      name: 'Acme/Deployments',
      target_url: 'https://ci.example.com/builds/1',
      context: 'ci/lint',
      description: 'Lint passed',
      state: 'success',
      commit: { sha: SHA },
      branches: [
        { name: 'main', commit: { sha: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c' }, protected: true },
        { name: HEAD, commit: { sha: SHA }, protected: false },
      ],
      created_at: '2025-01-10T10:30:00Z',
      updated_at: '2025-01-10T10:30:00Z',
      repository: REPOSITORY,
      sender: SENDER,
    };
    assert.deepEqual(deliver('status', payload, { delivery: 'st-1' }), {
      deliveryId: 'st-1',
      forge: 'github',
      repoId: 'github:github.com/acme/deployments',
      action: 'checks',
      branch: HEAD,
      sha: SHA,
    });
    // Several branches, none idp's: which one is not known.
    const ambiguous = deliver('status', { ...payload, branches: [{ name: 'a', commit: { sha: SHA } }, { name: 'b', commit: { sha: SHA } }] });
    assert.equal(ambiguous?.branch, undefined);
    assert.equal(ambiguous?.sha, SHA);
    // idp's own idp/policy status (set after each evaluation) wakes nothing: it would only evaluate again.
    assert.equal(deliver('status', { ...payload, context: 'idp/policy', description: 'Waiting for 1 more approval' }), null);
  });
});

describe('GitHub push and other deliveries', () => {
  const push = (ref: string, after: string, extra: object = {}) => ({
    ref,
    before: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
    after,
    created: false,
    deleted: false,
    forced: false,
    base_ref: null,
    compare: 'https://github.com/Acme/Deployments/compare/0d1a26e67d8f...6dcb09b5b578',
    commits: [{ id: after, message: 'Add hand-made environment', author: { name: 'Dev', email: 'dev@example.com' } }],
    head_commit: { id: after },
    repository: { ...REPOSITORY, master_branch: 'main' },
    pusher: { name: 'octocat', email: 'octocat@example.com' },
    sender: SENDER,
    ...extra,
  });

  it('push to a branch: pushed, the branch and the new head', () => {
    assert.deepEqual(deliver('push', push('refs/heads/main', SHA), { delivery: 'p-1' }), {
      deliveryId: 'p-1',
      forge: 'github',
      repoId: 'github:github.com/acme/deployments',
      action: 'pushed',
      branch: 'main',
      sha: SHA,
    });
    assert.equal(deliver('push', push('refs/heads/idp/env-clone/checkout/x', SHA))?.branch, 'idp/env-clone/checkout/x');
  });

  it('a deleted branch has no head sha', () => {
    const event = deliver('push', push('refs/heads/old', '0000000000000000000000000000000000000000', { deleted: true, head_commit: null, commits: [] }));
    assert.equal(event?.action, 'pushed');
    assert.equal(event?.branch, 'old');
    assert.equal(event?.sha, undefined);
  });

  it('tag pushes, ping and events idp does not follow are ignored (null)', () => {
    assert.equal(deliver('push', push('refs/tags/v1.0.0', SHA)), null);
    assert.equal(deliver('ping', githubExample('ping')), null);
    assert.equal(deliver('issues', { action: 'opened', issue: { number: 1 }, repository: REPOSITORY }), null);
    assert.equal(deliver('issue_comment', { action: 'created', issue: { number: 1, pull_request: {} }, repository: REPOSITORY }), null);
    assert.equal(deliver('workflow_run', { action: 'completed', repository: REPOSITORY }), null);
  });

  it('ignored deliveries are still verified first', () => {
    const body = Buffer.from('{"zen":"Design for failure."}');
    rejects(401, () => parseGitHubWebhook(githubHeaders('ping', body, { secret: 'wrong' }), body, SECRET, HOST));
  });
});
