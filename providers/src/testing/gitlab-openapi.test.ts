/**
 * The GitLab fake's validator cannot silently pass: a response of the wrong
 * shape and a request with a parameter GitLab does not declare are both
 * reported, naming the operation and the field; the fake answers such a
 * request 400 (as Grape does) and records it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GitLabOpenApi, TOLERANCES } from './gitlab-openapi.js';
import { startGitLabFake, type GitLabFake } from './gitlab-fake.js';

const api = GitLabOpenApi.get();
const SHA = 'a'.repeat(40);

function op(method: string, path: string) {
  const m = api.match(method, path);
  assert.ok(m, `${method} ${path} is documented`);
  return m;
}

const user = { id: 1, username: 'alice', name: 'Alice', state: 'active', locked: false, avatar_url: null, web_url: 'http://x/alice' };

describe('GitLab openapi_v2.yaml validator', () => {
  it('records where the description came from', () => {
    assert.match(api.source.commit, /^[0-9a-f]{40}$/);
    assert.equal(api.source.path, 'doc/api/openapi/openapi_v2.yaml');
  });

  it('knows documented operations and no others', () => {
    assert.equal(op('GET', '/api/v4/projects/acme%2Fapp/merge_requests/3').operationId, 'getApiV4ProjectsIdMergeRequestsMergeRequestIid');
    assert.deepEqual(op('GET', '/api/v4/projects/acme%2Fapp/merge_requests/3').params, { id: 'acme/app', merge_request_iid: '3' });
    assert.equal(op('POST', '/api/v4/projects/7/statuses/' + SHA).operationId, 'postApiV4ProjectsIdStatusesSha');
    assert.equal(op('GET', '/api/v4/projects/7/members/all/12').operationId, 'getApiV4ProjectsIdMembersAllUserId');
    assert.equal(api.match('PATCH', '/api/v4/projects/7/merge_requests/3'), null);
    assert.equal(api.match('GET', '/api/v4/projects/7/merge_requests/3/nonsense'), null);
  });

  it('rejects an undeclared query parameter, a mistyped one and a missing required one', () => {
    const m = op('GET', '/api/v4/projects/7/merge_requests');
    assert.deepEqual(api.checkRequest(m, new URLSearchParams('state=opened&per_page=100&iids[]=1&iids[]=2'), undefined), []);
    assert.deepEqual(api.checkRequest(m, new URLSearchParams('nonsense=1'), undefined), ['query parameter nonsense is not declared']);
    assert.deepEqual(api.checkRequest(m, new URLSearchParams('per_page=many'), undefined), ['query parameter per_page: "many" is not an integer']);
    assert.match(api.checkRequest(m, new URLSearchParams('state=open'), undefined).join(), /query parameter state: "open" is not one of/);
    const file = op('GET', '/api/v4/projects/7/repository/files/paws.yaml');
    assert.deepEqual(api.checkRequest(file, new URLSearchParams(''), undefined), ['query parameter ref is required']);
  });

  it('rejects an undeclared or mistyped body field and a missing required one', () => {
    const create = op('POST', '/api/v4/projects/7/merge_requests');
    const ok = { source_branch: 'a', target_branch: 'main', title: 't', labels: 'x,y', remove_source_branch: true };
    assert.deepEqual(api.checkRequest(create, new URLSearchParams(), ok), []);
    assert.deepEqual(api.checkRequest(create, new URLSearchParams(), { ...ok, nonsense: 1 }), ['request body: field nonsense is not documented']);
    assert.match(api.checkRequest(create, new URLSearchParams(), { ...ok, remove_source_branch: 'yes' }).join(), /request body\/remove_source_branch: must be boolean/);
    assert.deepEqual(api.checkRequest(create, new URLSearchParams(), { source_branch: 'a', target_branch: 'main' }), ['request body: field title is required']);
    // A route without a body takes none beyond gitbeaker's `{}`.
    const unapprove = op('POST', '/api/v4/projects/7/merge_requests/3/unapprove');
    assert.deepEqual(api.checkRequest(unapprove, new URLSearchParams(), {}), []);
    assert.match(api.checkRequest(unapprove, new URLSearchParams(), { sha: SHA }).join(), /takes no body/);
    // CREATE_COMMIT_BODY: GitLab's documented JSON parameters, closed like the rest.
    const commit = op('POST', '/api/v4/projects/7/repository/commits');
    const actions = [{ action: 'create', file_path: 'a', content: 'x' }];
    assert.deepEqual(api.checkRequest(commit, new URLSearchParams(), { branch: 'b', commit_message: 'm', actions }), []);
    assert.deepEqual(api.checkRequest(commit, new URLSearchParams(), { branch: 'b', commit_message: 'm', actions, sign: true }), ['request body: field sign is not documented']);
  });

  it('rejects a response of the wrong shape, naming the field', () => {
    const m = op('GET', '/api/v4/projects/7/repository/commits/' + SHA + '/statuses');
    const status = {
      id: 1, sha: SHA, ref: null, status: 'success', name: 'idp/policy', target_url: null, description: null, created_at: '2026-01-01T00:00:00.000Z',
      started_at: null, finished_at: null, allow_failure: false, coverage: null, author: user,
    };
    assert.deepEqual(api.checkResponse(m, 200, [status]), []);
    assert.deepEqual(api.checkResponse(m, 200, [{ ...status, context: 'idp/policy' }]), ['response 200/0: field context is not documented']);
    assert.match(api.checkResponse(m, 200, [{ ...status, id: '1' }]).join(), /response 200\/0\/id: must be integer/);
    assert.match(api.checkResponse(m, 200, [{ ...status, author: { ...user, id: 'alice' } }]).join(), /response 200\/0\/author\/id: must be integer/);
    assert.match(api.checkResponse(m, 200, [{ ...status, created_at: 'yesterday' }]).join(), /created_at: must match format "date-time"/);
    assert.deepEqual(api.checkResponse(m, 201, [status]), ['status 201 is not documented (documented: 200, 401, 403, 404)']);
  });

  it('checks approvals against the documented entity (approved_by: who and when)', () => {
    const m = op('GET', '/api/v4/projects/7/merge_requests/3/approvals');
    const body = { user_has_approved: false, user_can_approve: true, approved: true, approved_by: [{ user, approved_at: '2026-01-01T00:00:00.000Z' }] };
    assert.deepEqual(api.checkResponse(m, 200, body), []);
    assert.deepEqual(api.checkResponse(m, 200, { ...body, approvals_left: 0 }), ['response 200: field approvals_left is not documented']);
    assert.match(api.checkResponse(m, 200, { ...body, approved_by: [{ user: { ...user, username: 7 } }] }).join(), /approved_by\/0\/user\/username: must be string/);
  });

  it('applies each tolerance only where the generator needs it', () => {
    assert.ok(Object.keys(TOLERANCES).length > 0);
    // POST_CREATED: a POST documented 200 may answer 201; a GET may not.
    const createStatus = op('POST', '/api/v4/projects/7/statuses/' + SHA);
    const status = { id: 1, sha: SHA, status: 'pending', name: 'x', author: user };
    assert.deepEqual(api.checkResponse(createStatus, 201, status), []);
    // ERROR_BODIES: any error status with Grape's error body, nothing else.
    assert.deepEqual(api.checkResponse(createStatus, 422, { message: { state: ['is invalid'] } }), []);
    assert.match(api.checkResponse(createStatus, 422, { oops: true }).join(), /not GitLab's error body/);
    // LIST_AS_ENTITY: each item still checked.
    const tree = op('GET', '/api/v4/projects/7/repository/tree');
    assert.deepEqual(api.checkResponse(tree, 200, [{ id: SHA, name: 'a', type: 'blob', path: 'a', mode: '100644' }]), []);
    assert.match(api.checkResponse(tree, 200, [{ id: SHA, name: 'a', type: 'blob', path: 'a', mode: 100644 }]).join(), /response 200\[0\]\/mode: must be string/);
    // ID_OR_PATH: a project path is a valid `id`, but merge_request_iid stays an integer.
    const approvals = op('GET', '/api/v4/projects/acme%2Fapp/merge_requests/x/approvals');
    assert.deepEqual(api.checkRequest(approvals, new URLSearchParams(), undefined), ['path parameter merge_request_iid: "x" is not an integer']);
  });
});

describe('GitLab fake: a request outside the description fails the test that made it', () => {
  let fake: GitLabFake;
  before(async () => {
    fake = await startGitLabFake({ users: { 'glpat-test': 'alice' } });
    await fake.project('acme/app', { 'README.md': '# app\n' });
  });
  after(() => fake.close());

  it('answers 400 naming the operation and the field, and records the violation', async () => {
    const res = await fetch(`${fake.url}/api/v4/projects/acme%2Fapp/merge_requests`, {
      method: 'POST',
      headers: { 'private-token': 'glpat-test', 'content-type': 'application/json' },
      body: JSON.stringify({ source_branch: 'main', target_branch: 'main', title: 't', reviewers: ['bob'] }),
    });
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { error: 'request body: field reviewers is not documented' });
    assert.deepEqual(fake.violations.splice(0), [
      'postApiV4ProjectsIdMergeRequests (POST /api/v4/projects/{id}/merge_requests): request body: field reviewers is not documented',
    ]);
  });

  it('records an undocumented endpoint', async () => {
    const res = await fetch(`${fake.url}/api/v4/projects/acme%2Fapp/merge_requests/1/approval_rules_v2`, { headers: { 'private-token': 'glpat-test' } });
    assert.equal(res.status, 404);
    assert.deepEqual(fake.violations.splice(0), ['request to an undocumented endpoint: GET /api/v4/projects/acme%2Fapp/merge_requests/1/approval_rules_v2']);
  });
});
