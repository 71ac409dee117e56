/**
 * Each command against a fake Platform API (node:http on 127.0.0.1): the
 * request it sends (method, path, query, body, headers), what it prints and
 * its exit code. `main` runs in-process with its own Io; one test runs the
 * real bin in a child process.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ComponentInfo, EnvironmentList, Health, PullRequest, WorkflowStatus } from '@idp/core';
import { UnreachableError, type PlatformClient } from '@idp/core/client';
import { followWorkflow } from './commands/shared/wait.js';
import { startFakeApi } from './testing/fake-api.js';

import { api, at, baseEnv, H, home, origin, ref, run, useFakeApi, wc } from './testing/harness.js';

useFakeApi();


const status = (over: Partial<WorkflowStatus> = {}): WorkflowStatus => ({
  workflowId: 'env-clone:checkout:preview-123',
  kind: 'env-clone',
  component: 'checkout',
  environment: 'preview-123',
  status: 'running',
  phase: 'open',
  pr: { number: 3, url: 'http://forge/checkout/pulls/3', state: 'open', head: 'idp/env-clone/checkout/preview-123', headSha: 'abc' },
  expiresAt: at(72 * H - 30_000),
  startedAt: at(0),
  ...over,
});
const merged = (over: Partial<WorkflowStatus> = {}) => status({ status: 'completed', phase: 'merged', closedAt: at(60_000), ...over });

const pr: PullRequest = {
  number: 3,
  url: 'http://forge/checkout/pulls/3',
  title: 'Clone staging to preview-123',
  body: '',
  head: 'idp/env-clone/checkout/preview-123',
  base: 'main',
  headSha: 'a'.repeat(40),
  baseSha: 'b'.repeat(40),
  state: 'open',
  author: 'alice@example.com',
  labels: ['idp'],
  createdAt: at(-H),
  updatedAt: at(-60_000),
  reviews: [],
  comments: [],
};

describe('env clone', () => {
  it('POSTs the clone, prints progress on stderr and the PR URL alone on stdout', async () => {
    api.on('POST /environments/staging/clone', { body: status() });
    const r = await run(['env', 'clone', 'staging', 'preview-123', '--ttl', '72h']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'http://forge/checkout/pulls/3\n');
    assert.match(r.err, /^Cloning staging → preview-123 in checkout\.\.\. done\nPR #3 opened; the change applies when it is merged\.\n$/);
    assert.equal(api.requests.length, 1);
    const [req] = api.requests;
    assert.equal(req!.method, 'POST');
    assert.deepEqual(req!.body, { ...ref(), target: 'preview-123', ttl: '72h' });
    assert.equal(req!.headers['x-idp-user'], 'alice@example.com');
    assert.equal(req!.headers.authorization, undefined);
  });

  it('says when it joined a request already in progress', async () => {
    api.on('POST /environments/staging/clone', { body: status({ joined: true }) });
    const r = await run(['env', 'clone', 'staging', 'preview-123']);
    assert.equal(r.code, 0);
    assert.match(r.err, /done \(joined the same request, already in progress\)\nPR #3 is open for this change/);
    assert.deepEqual(api.requests[0]!.body, { ...ref(), target: 'preview-123' });
  });

  it('--json prints the WorkflowStatus and nothing else', async () => {
    api.on('POST /environments/staging/clone', { body: status() });
    const r = await run(['env', 'clone', 'staging', 'preview-123', '--json']);
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.out), status());
    assert.equal(r.err, '');
  });

  it('sends the token and honours --api and --component', async () => {
    const other = await startFakeApi();
    try {
      other.on('POST /environments/staging/clone', { body: status() });
      const r = await run(['env', 'clone', 'staging', 'preview-123', '--api', other.url, '--component', 'checkout'], { env: { IDP_API_TOKEN: 's3cret' } });
      assert.equal(r.code, 0, r.err);
      assert.equal(api.requests.length, 0);
      assert.equal(other.requests[0]!.headers.authorization, 'Bearer s3cret');
    } finally {
      await other.close();
    }
  });

  it('--wait: follows the workflow with the long poll; merged → 0', async () => {
    api.on('POST /environments/staging/clone', { body: status() });
    api.on('GET /workflows/env-clone:checkout:preview-123', { body: merged() });
    const r = await run(['env', 'clone', 'staging', 'preview-123', '--wait']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'http://forge/checkout/pulls/3\n');
    assert.match(r.err, /Waiting for PR #3 to be merged\.\.\. merged\npreview-123 is live; it expires in 71h \(/);
    assert.equal(api.requests[1]!.query.wait, '30');
  });

  it('--wait: PR closed without merging → 7', async () => {
    api.on('POST /environments/staging/clone', { body: status() });
    api.on('GET /workflows/env-clone:checkout:preview-123', { body: status({ status: 'completed', phase: 'closed' }) });
    const r = await run(['env', 'clone', 'staging', 'preview-123', '--wait']);
    assert.equal(r.code, 7);
    assert.match(r.err, /\.\.\. closed without merging\nidp: PR #3 was closed without being merged; nothing changed\.\n$/);
  });

  it('--wait: workflow failed → 1, with the workflow\'s error', async () => {
    api.on('POST /environments/staging/clone', { body: status() });
    api.on('GET /workflows/env-clone:checkout:preview-123', {
      body: status({ status: 'failed', phase: 'open', error: { code: 'provider_error', message: 'The forge is down.' } }),
    });
    const r = await run(['env', 'clone', 'staging', 'preview-123', '--wait']);
    assert.equal(r.code, 1);
    assert.match(r.err, /idp: The workflow env-clone:checkout:preview-123 ended failed \(phase open\): The forge is down\./);
  });

  it('--wait --json: the final WorkflowStatus on stdout, the error as JSON on stderr', async () => {
    api.on('POST /environments/staging/clone', { body: status() });
    const closed = status({ status: 'completed', phase: 'closed' });
    api.on('GET /workflows/env-clone:checkout:preview-123', { body: closed });
    const r = await run(['env', 'clone', 'staging', 'preview-123', '--wait', '--json']);
    assert.equal(r.code, 7);
    assert.deepEqual(JSON.parse(r.out), closed);
    assert.deepEqual(JSON.parse(r.err), { error: { code: 'pr_closed', message: 'PR #3 was closed without being merged; nothing changed.' } });
  });

  it('an invalid name is a usage error (2) and nothing is sent', async () => {
    const r = await run(['env', 'clone', 'staging', 'Preview_1']);
    assert.equal(r.code, 2);
    assert.match(r.err, /^idp: Invalid target environment name: "Preview_1" is not a DNS-1123 label/);
    assert.equal(r.out, '');
    assert.equal(api.requests.length, 0);

    const reserved = await run(['env', 'clone', 'staging', 'main', '--json']);
    assert.equal(reserved.code, 2);
    assert.equal(reserved.out, '');
    assert.equal(JSON.parse(reserved.err).error.code, 'usage');
    assert.equal(api.requests.length, 0);
  });

  it('missing arguments and unknown options are usage errors', async () => {
    const missing = await run(['env', 'clone', 'staging']);
    assert.equal(missing.code, 2);
    assert.equal(missing.err, 'idp: Missing arguments.\nRun `idp env clone --help` for usage.\n');
    const unknown = await run(['env', 'clone', 'staging', 'p1', '--ttll', '3h']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /^idp: Unknown option --ttll\nRun `idp env clone --help` for usage\.\n$/);
    const extra = await run(['env', 'list', 'oops']);
    assert.equal(extra.code, 2);
    const empty = await run(['env', 'clone', 'staging', 'p1', '--ttl']);
    assert.equal(empty.code, 2);
    assert.match(empty.err, /--ttl needs a value/);
    assert.equal(api.requests.length, 0);
  });

  it('an unknown command names the nearest one, as gh and heroku do, and still exits 2', async () => {
    const cases: [string[], string | undefined][] = [
      [['env', 'lst'], 'env list'],
      [['env', 'ls'], 'env list'],
      [['releses'], 'releases'],
      [['releses', '--env', 'production'], 'releases'],
      [['pr', 'shwo', '3'], 'pr show'],
      [['prr', 'list'], 'pr list'],
      [['inof'], 'info'],
      [['evn', 'clnoe', 'staging', 'p1'], 'env clone'],
      [['releases', 'craete', '--env', 'staging'], 'releases create'],
      [['xyzzy'], undefined],
      [['env', 'frobnicate'], undefined],
      [['releases', 'production'], undefined],
    ];
    for (const [argv, meant] of cases) {
      const r = await run(argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.equal(r.out, '');
      const first = r.err.split('\n')[0]!;
      if (meant) assert.match(first, new RegExp(`^idp: Unknown command: .*\\. Did you mean \`idp ${meant}\`\\?$`), argv.join(' '));
      else assert.doesNotMatch(r.err, /Did you mean/, argv.join(' '));
    }
    const bare = await run(['env', 'lst']);
    assert.equal(bare.err, 'idp: Unknown command: env lst. Did you mean `idp env list`?\nRun `idp env --help` for usage.\n');
    const json = await run(['--json', 'env', 'lst']);
    assert.equal(json.code, 2);
    assert.deepEqual(JSON.parse(json.err), { error: { code: 'usage', message: 'Unknown command: env lst. Did you mean `idp env list`?' } });
    assert.equal(api.requests.length, 0);
  });

  it('server errors map to exit codes and keep the server\'s message', async () => {
    api.on('POST /environments/staging/clone', {
      status: 409,
      body: { error: { code: 'conflict', message: 'Environment preview-123 already exists in paws.yaml; pick another name.' } },
    });
    const r = await run(['env', 'clone', 'staging', 'preview-123']);
    assert.equal(r.code, 4);
    assert.match(r.err, /\.\.\. failed\nidp: Environment preview-123 already exists in paws\.yaml; pick another name\.\n$/);
    assert.equal(r.out, '');

    const j = await run(['env', 'clone', 'staging', 'preview-123', '--json']);
    assert.equal(j.code, 4);
    assert.equal(j.out, '');
    assert.deepEqual(JSON.parse(j.err), { error: { code: 'conflict', message: 'Environment preview-123 already exists in paws.yaml; pick another name.' } });

    api.on('POST /environments/staging/clone', { status: 422, body: { error: { code: 'invalid_paws', message: 'paws.yaml is not valid:\n  paws.yaml:3:1: bad\nFix the file and try again.' } } });
    const invalid = await run(['env', 'clone', 'staging', 'preview-123']);
    assert.equal(invalid.code, 5);
    assert.match(invalid.err, /idp: paws\.yaml is not valid:\n  paws\.yaml:3:1: bad\nFix the file/);

    api.on('POST /environments/staging/clone', { status: 404, body: { error: { code: 'not_found', message: 'No environment staging.' } } });
    assert.equal((await run(['env', 'clone', 'staging', 'preview-123'])).code, 3);
  });

  it('a refusal reported in the WorkflowStatus is an error too', async () => {
    api.on('POST /environments/staging/clone', {
      body: status({ status: 'failed', phase: 'failed', pr: undefined, error: { code: 'conflict', message: 'preview-123 exists.' } }),
    });
    const r = await run(['env', 'clone', 'staging', 'preview-123']);
    assert.equal(r.code, 4);
    assert.match(r.err, /idp: preview-123 exists\./);
  });

  it('an unreachable server → 6', async () => {
    const r = await run(['env', 'clone', 'staging', 'preview-123'], { env: { IDP_API_URL: 'http://127.0.0.1:1/api/idp' } });
    assert.equal(r.code, 6);
    assert.match(r.err, /idp: Cannot reach the idp Platform API at http:\/\/127\.0\.0\.1:1\/api\/idp\. Start it with `npm start`/);
  });

  it('no context → 2 with the explanation, nothing sent', async () => {
    const nowhere = path.join(home, 'nowhere');
    mkdirSync(nowhere, { recursive: true });
    const r = await run(['env', 'clone', 'staging', 'preview-123', '--component', 'checkout'], { cwd: nowhere });
    assert.equal(r.code, 2);
    assert.match(r.err, /not inside a git working copy/);
    assert.match(r.err, /--component or IDP_COMPONENT alone is not enough/);
    assert.equal(api.requests.length, 0);
  });
});

describe('env create, destroy, extend', () => {
  it('create', async () => {
    api.on('POST /environments', { body: status({ kind: 'env-create', workflowId: 'env-create:checkout:qa', environment: 'qa' }) });
    const r = await run(['env', 'create', 'qa', '--ttl', '24h']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(api.requests[0]!.body, { ...ref(), name: 'qa', ttl: '24h' });
    assert.match(r.err, /^Creating qa in checkout\.\.\. done/);
    assert.equal(r.out, 'http://forge/checkout/pulls/3\n');
  });

  it('destroy, with --confirm checked locally', async () => {
    api.on('POST /environments/qa/destroy', { body: status({ kind: 'env-destroy', workflowId: 'env-destroy:checkout:qa', environment: 'qa' }) });
    api.on('GET /workflows/env-destroy:checkout:qa', { body: merged({ kind: 'env-destroy', workflowId: 'env-destroy:checkout:qa', environment: 'qa' }) });
    const r = await run(['env', 'destroy', 'qa', '--confirm', 'qa', '--wait']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(api.requests[0]!.body, { ...ref(), confirm: 'qa' });
    assert.match(r.err, /qa is destroyed\.\n$/);

    api.requests.length = 0;
    const wrong = await run(['env', 'destroy', 'qa', '--confirm', 'staging']);
    assert.equal(wrong.code, 2);
    assert.match(wrong.err, /--confirm staging does not match the environment to destroy \(qa\)/);
    assert.equal(api.requests.length, 0);

    const plain = await run(['env', 'destroy', 'qa']);
    assert.equal(plain.code, 0);
    assert.deepEqual(api.requests[0]!.body, ref());
  });

  it('extend needs --ttl', async () => {
    const missing = await run(['env', 'extend', 'preview-123']);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /--ttl is required/);
    assert.equal(api.requests.length, 0);

    api.on('POST /environments/preview-123/extend', { body: status({ kind: 'env-extend', workflowId: 'env-extend:checkout:preview-123' }) });
    const r = await run(['env', 'extend', 'preview-123', '--ttl', '24h']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(api.requests[0]!.body, { ...ref(), ttl: '24h' });
  });
});

describe('env list', () => {
  const list: EnvironmentList = {
    component: 'checkout',
    repo: 'x',
    provider: 'local',
    defaultBranch: 'main',
    environments: [
      { name: 'staging', ephemeral: false, source: 'paws.yaml', variables: {}, secrets: [], pulls: [], workflows: [] },
      {
        name: 'preview-123',
        from: 'staging',
        ephemeral: true,
        ttl: '72h',
        expiresAt: at(72 * H - 1000),
        source: 'pending',
        variables: {},
        secrets: [],
        pulls: [{ number: 3, url: 'http://forge/checkout/pulls/3', state: 'open', head: 'idp/env-clone/checkout/preview-123', headSha: 'abc', kind: 'env-clone' }],
        workflows: [],
      },
    ],
  };

  it('GETs /environments for the repo and prints a table', async () => {
    api.on('GET /environments', { body: list });
    const r = await run(['env', 'list']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(api.requests[0]!.query, ref());
    assert.equal(
      r.out,
      'NAME         FROM     EXPIRES  STATUS         PR\nstaging      -        -        live\npreview-123  staging  in 71h   pending PR #3  http://forge/checkout/pulls/3\n',
    );
  });

  it('--json is the EnvironmentList', async () => {
    api.on('GET /environments', { body: list });
    const r = await run(['env', 'list', '--json']);
    assert.deepEqual(JSON.parse(r.out), list);
    // Written before the command, as `gh --json`-style habits go: the same.
    const first = await run(['--json', 'env', 'list']);
    assert.equal(first.code, 0, first.err);
    assert.deepEqual(JSON.parse(first.out), list);
  });

  it('a workflow stuck retrying an activity is shown, with why', async () => {
    const stuck = 'stuck: retrying openPullRequest (attempt 7): GitHub answered 502 Bad Gateway\u001B[2J';
    const wf = { workflowId: 'env-clone:checkout:preview-9@k', kind: 'env-clone' as const, component: 'checkout', environment: 'preview-9', status: 'running' as const, phase: 'proposing' as const, stuck };
    api.on('GET /environments', { body: { ...list, environments: [...list.environments, { name: 'preview-9', ephemeral: false, source: 'pending' as const, variables: {}, secrets: [], pulls: [], workflows: [wf] }] } });
    const r = await run(['env', 'list']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /preview-9 .*pending, env-clone stuck/);
    assert.match(r.out, /\npreview-9: env-clone:checkout:preview-9@k: stuck: retrying openPullRequest \(attempt 7\): GitHub answered 502 Bad Gateway\n$/);
    assert.doesNotMatch(r.out, /\u001B/, 'terminal-safe');
  });

  it('colours only when asked, never with NO_COLOR', async () => {
    api.on('GET /environments', { body: list });
    const forced = await run(['env', 'list'], { env: { FORCE_COLOR: '1' } });
    assert.match(forced.out, /\u001B\[32mlive/);
    const off = await run(['env', 'list'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    assert.doesNotMatch(off.out, /\u001B/);
  });
});

describe('pr', () => {
  it('list: state filter, table, JSON', async () => {
    api.on('GET /pulls', { body: { pulls: [pr] } });
    const r = await run(['pr', 'list']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(api.requests[0]!.query, { ...ref(), state: 'open' });
    assert.match(r.out, /^#\s+TITLE\s+BRANCH\s+STATE\s+AUTHOR\s+UPDATED\n#3\s+Clone staging to preview-123\s+idp\/env-clone\/checkout\/preview-123\s+open\s+alice@example\.com\s+1m ago\n$/);

    const all = await run(['pr', 'list', '--state', 'all', '--json']);
    assert.equal(api.requests[1]!.query.state, 'all');
    assert.deepEqual(JSON.parse(all.out), { pulls: [pr] });

    const bad = await run(['pr', 'list', '--state', 'draft']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--state must be one of open, merged, closed, all/);
    assert.equal(api.requests.length, 2);
  });

  it('list pages: --page asks for that page, and the next one is named while there is one', async () => {
    api.on('GET /pulls', { body: { pulls: [pr], nextPage: 3 } });
    const r = await run(['pr', 'list', '--state', 'all', '--page', '2']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(api.requests[0]!.query, { ...ref(), state: 'all', page: '2' });
    assert.match(r.err, /More: idp pr list --state all --page 3/);
    const json = await run(['pr', 'list', '--page', '2', '--json']);
    assert.deepEqual(JSON.parse(json.out), { pulls: [pr], nextPage: 3 });

    const bad = await run(['pr', 'list', '--page', '0']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--page must be a whole number from 1 to 1000/);
    assert.equal(api.requests.length, 2, 'a bad page asks nothing');
  });

  it('show', async () => {
    api.on('GET /pulls/3', { body: pr });
    const r = await run(['pr', 'show', '3']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(api.requests[0]!.query, ref());
    assert.match(r.out, /^Clone staging to preview-123 #3\n/);
    assert.equal((await run(['pr', 'show', 'three'])).code, 2);
    api.on('GET /pulls/9', { status: 404, body: { error: { code: 'not_found', message: 'No pull request #9.' } } });
    const missing = await run(['pr', 'show', '#9']);
    assert.equal(missing.code, 3);
    assert.match(missing.err, /idp: No pull request #9\./);
  });

  it('show hides HTML comments (the idp workflow marker) as a forge does; --json keeps the body as the API gave it', async () => {
    const body = [
      'Release **v3** of checkout to production.',
      '<!-- idp workflow: release:checkout:production:v3@1a2b3c4d5e -->',
      '```html',
      '<!-- inside a code block: text -->',
      '```',
      'Before <!-- inline --> after.',
    ].join('\n');
    const withComments = { ...pr, body, comments: [{ by: 'bob@example.com', body: 'LGTM <!-- hidden -->', at: at(-60_000) }] };
    api.on('GET /pulls/3', { body: withComments });
    const r = await run(['pr', 'show', '3']);
    assert.equal(r.code, 0, r.err);
    assert.doesNotMatch(r.out, /idp workflow|<!-- (hidden|inline)/);
    assert.match(r.out, /\n\nRelease \*\*v3\*\* of checkout to production\.\n```html\n<!-- inside a code block: text -->\n```\nBefore  after\.\n/);
    assert.match(r.out, /bob@example\.com 1m ago: LGTM\n/);
    const json = await run(['pr', 'show', '3', '--json']);
    assert.deepEqual(JSON.parse(json.out), withComments);
  });

  it('review', async () => {
    api.on('POST /pulls/3/reviews', { body: pr });
    const approve = await run(['pr', 'review', '3', '--approve']);
    assert.equal(approve.code, 0, approve.err);
    assert.equal(approve.out, 'Approved PR #3: http://forge/checkout/pulls/3\n');
    assert.deepEqual(api.requests[0]!.body, { ...ref(), event: 'approve' });

    const changes = await run(['pr', 'review', '3', '--request-changes', '-m', 'TTL too long']);
    assert.equal(changes.code, 0);
    assert.deepEqual(api.requests[1]!.body, { ...ref(), event: 'request_changes', body: 'TTL too long' });
    assert.match(changes.err, /does not block the PR\. On GitLab, block it with "Request changes"/, 'a forge that records no request for changes (GitLab) says so');

    const comment = await run(['pr', 'review', '3', '--comment', '--message', 'nice']);
    assert.equal(comment.code, 0);
    assert.deepEqual(api.requests[2]!.body, { ...ref(), event: 'comment', body: 'nice' });

    assert.equal((await run(['pr', 'review', '3'])).code, 2);
    assert.equal((await run(['pr', 'review', '3', '--approve', '--comment', '-m', 'x'])).code, 2);
    assert.equal((await run(['pr', 'review', '3', '--comment'])).code, 2);
    assert.equal(api.requests.length, 3);

    api.on('POST /pulls/3/reviews', { status: 403, body: { error: { code: 'forbidden', message: 'You cannot approve your own pull request.' } } });
    const own = await run(['pr', 'review', '3', '--approve']);
    assert.equal(own.code, 5);
    assert.match(own.err, /You cannot approve your own pull request\./);
  });

  it('merge and close', async () => {
    api.on('POST /pulls/3/merge', { body: { ...pr, state: 'merged', mergeSha: 'f'.repeat(40), mergedBy: 'bob' } });
    api.on('POST /pulls/4/close', { body: { ...pr, number: 4, state: 'closed' } });
    const m = await run(['pr', 'merge', '3']);
    assert.equal(m.code, 0, m.err);
    assert.equal(m.out, 'Merged PR #3 into main as fffffff: http://forge/checkout/pulls/3\n');
    assert.deepEqual(api.requests[0]!.body, ref());
    const c = await run(['pr', 'close', '4', '--json']);
    assert.equal(c.code, 0);
    assert.equal(JSON.parse(c.out).state, 'closed');
    assert.equal(api.requests[1]!.path, '/pulls/4/close');

    api.on('POST /pulls/3/merge', { status: 409, body: { error: { code: 'conflict', message: 'The PR head changed since it was approved.' } } });
    assert.equal((await run(['pr', 'merge', '3'])).code, 4);
  });
});

describe('info', () => {
  const health: Health = { status: 'ok', version: '0.1.0', temporal: { address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'idp', reachable: true }, user: 'alice@example.com' };
  const component: ComponentInfo = { component: 'checkout', owner: 'team-x', repo: 'x', path: 'paws.yaml', provider: 'local', defaultBranch: 'main', headSha: 'c'.repeat(40), environments: ['staging', 'production'] };

  it('shows what was resolved from what, and the server', async () => {
    api.on('GET /health', { body: health });
    api.on('GET /component', { body: component });
    const r = await run(['info']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Component\s+checkout\s+\(from \.\/paws\.yaml metadata\.name\)$/m);
    assert.match(r.out, new RegExp(`^Repository\\s+${origin}\\s+\\(from git remote origin of ${wc}\\)$`, 'm'));
    assert.match(r.out, new RegExp(`^API\\s+${api.url}\\s+\\(from IDP_API_URL\\)$`, 'm'));
    assert.match(r.out, /^User\s+alice@example\.com\s+\(from IDP_USER\)$/m);
    assert.match(r.out, /^Server\s+reachable, idp 0\.1\.0, status ok$/m);
    assert.match(r.out, /^Environments\s+staging, production$/m);
    assert.deepEqual(api.requests.find((q) => q.path === '/component')!.query, ref());

    const j = await run(['info', '--json']);
    const info = JSON.parse(j.out);
    assert.equal(info.context.component, 'checkout');
    assert.deepEqual(info.server, { reachable: true, health });
    assert.deepEqual(info.component, component);
  });

  it('asks a standalone server nothing about a catalog: the local rules alone', async () => {
    api.on('GET /health', { body: health });
    api.on('GET /component', { body: component });
    const r = await run(['info']);
    assert.equal(r.code, 0, r.err);
    assert.doesNotMatch(r.out, /^Catalog/m);
    assert.equal(api.requests.filter((q) => q.path === '/context/resolve').length, 0);
  });

  it('sends what the working copy looks like to a Backstage-served API, and shows the entity it resolves to', async () => {
    api.on('GET /health', { body: { ...health, servedBy: { name: 'Backstage', version: '1.46.0' } } });
    api.on('GET /component', { body: component });
    const entity = { entityRef: 'component:default/checkout', owner: 'group:default/team-x', via: 'annotation', why: 'its github.com/project-slug acme/checkout is the origin remote' };
    api.on('POST /context/resolve', { body: { status: 'matched', entity, candidates: [], searched: [], notes: [] } });
    const r = await run(['info']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Catalog\s+component:default\/checkout, owner group:default\/team-x\s+\(its github\.com\/project-slug acme\/checkout is the origin remote\)$/m);
    const sent = api.requests.find((q) => q.path === '/context/resolve')!.body as { remotes: { name: string; url: string }[]; path: string; paws: unknown };
    assert.deepEqual(sent.remotes[0], { name: 'origin', url: origin });
    assert.equal(sent.path, '');
    assert.deepEqual(sent.paws, { path: 'paws.yaml', name: 'checkout' });

    api.on('POST /context/resolve', { body: { status: 'ambiguous', candidates: [entity, { ...entity, entityRef: 'component:default/checkout-legacy' }], searched: [], notes: [] } });
    const two = await run(['info']);
    assert.equal(two.code, 2);
    assert.match(two.err, /component:default\/checkout-legacy/);
  });

  it('exits 0 when the server is unreachable or there is no context, and says so', async () => {
    const nowhere = path.join(home, 'nowhere2');
    mkdirSync(nowhere, { recursive: true });
    const r = await run(['info'], { cwd: nowhere, env: { IDP_API_URL: 'http://127.0.0.1:1/api/idp', IDP_USER: undefined } });
    assert.equal(r.code, 0);
    assert.match(r.out, /^Component\s+none\n\s+No component here/m);
    assert.match(r.out, /^Server\s+unreachable\n\s+Cannot reach the idp Platform API/m);
    assert.match(r.out, /^User\s+none\s+\(not set; set IDP_USER/m);

    const j = await run(['info', '--json'], { cwd: nowhere, env: { IDP_API_URL: 'http://127.0.0.1:1/api/idp' } });
    const info = JSON.parse(j.out);
    assert.equal(info.context, null);
    assert.equal(info.contextError.code, 'usage');
    assert.equal(info.server.reachable, false);
    assert.equal(info.server.error.code, 'unreachable');
  });
});

describe('followWorkflow', () => {
  const client = (answers: (() => WorkflowStatus)[]) => {
    const calls: [string, number | undefined][] = [];
    return {
      calls,
      client: {
        workflow: async (id: string, wait?: number) => {
          calls.push([id, wait]);
          const next = answers.shift();
          if (!next) throw new Error('no more answers');
          return next();
        },
      } as unknown as PlatformClient,
    };
  };
  const unreachable = () => {
    throw new UnreachableError('http://x', new Error('ECONNREFUSED'));
  };

  it('polls until the workflow closes, without spinning', async () => {
    const sleeps: number[] = [];
    const { client: c, calls } = client([() => status(), () => status({ status: 'continued_as_new' }), () => merged()]);
    const final = await followWorkflow(c, 'wf', { sleep: async (ms) => void sleeps.push(ms) });
    assert.equal(final.phase, 'merged');
    assert.deepEqual(calls, [['wf', 30], ['wf', 30], ['wf', 30]]);
    assert.equal(sleeps.length, 2, 'a server answering at once is not hammered');
  });

  it('rides out a server restart, then gives up with UnreachableError', async () => {
    const { client: c } = client([unreachable, unreachable, () => merged()]);
    assert.equal((await followWorkflow(c, 'wf', { sleep: async () => {}, retryDelays: [1, 1] })).phase, 'merged');
    const { client: down } = client([unreachable, unreachable, unreachable]);
    await assert.rejects(followWorkflow(down, 'wf', { sleep: async () => {}, retryDelays: [1, 1] }), UnreachableError);
  });
});

describe('the real bin against the fake API', () => {
  it('runs in a child process with IDP_* variables and exits with the code', async () => {
    api.on('GET /environments', { body: { component: 'checkout', repo: origin, provider: 'local', defaultBranch: 'main', environments: [] } });
    const bin = fileURLToPath(new URL('../bin/idp.js', import.meta.url));
    const run = (args: string[]) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const child = execFile(process.execPath, [bin, ...args], { cwd: wc, env: { ...baseEnv, NO_COLOR: '1' } }, (_e, out, err) => resolve({ code: child.exitCode, out, err }));
      });
    const ok = await run(['env', 'list', '--json']);
    assert.equal(ok.code, 0, ok.err);
    assert.equal(JSON.parse(ok.out).component, 'checkout');
    const human = await run(['env', 'list']);
    assert.equal(human.out, '');
    assert.match(human.err, /checkout has no environments yet/);
    const bad = await run(['env', 'create', 'UPPER']);
    assert.equal(bad.code, 2);
  });
});
