/**
 * `idp releases` against a fake Platform API: the request each verb sends,
 * the local checks that send nothing, the ledger and release rendering, and
 * --wait's exit codes driven by the fake's `GET /workflows/:id` answers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReleaseDetail, ReleaseList, ReleaseRecord, WorkflowStatus } from '@idp/core';
import { imageChange, imageProblem, releaseNumber, shortImage } from './commands/releases/common.js';
import type { Reply } from './testing/fake-api.js';

import { api, at, H, ref, run, useFakeApi } from './testing/harness.js';

useFakeApi();

const WF = 'release:checkout:staging:v12@1a2b3c';
const PR = { number: 7, url: 'http://forge/deploy/pulls/7', state: 'open' as const, head: 'idp/release/checkout/staging/v12@1a2b3c', headSha: 'abc' };

const record = (over: Partial<ReleaseRecord> = {}): ReleaseRecord => ({
  number: 12,
  env: 'staging',
  kind: 'create',
  image: 'ghcr.io/acme/checkout:1.4.3',
  previousImage: 'ghcr.io/acme/checkout:1.4.2',
  workflowId: WF,
  pr: PR,
  requestedBy: 'alice@example.com',
  requestedAt: at(-5 * 60_000),
  approvers: [],
  outcome: 'open',
  ...over,
});

const status = (over: Partial<WorkflowStatus> = {}, rec: Partial<ReleaseRecord> = {}): WorkflowStatus => ({
  workflowId: WF,
  kind: 'release',
  component: 'checkout',
  environment: 'staging',
  status: 'running',
  phase: 'open',
  pr: PR,
  startedAt: at(0),
  release: record(rec),
  ...over,
});
const merged = () =>
  status({ status: 'completed', phase: 'merged', pr: { ...PR, state: 'merged' }, closedAt: at(H) }, { outcome: 'merged', approvers: ['bob@example.com'], endedAt: at(H), pr: { ...PR, state: 'merged' } });
const queued = () => status({ phase: 'queued', pr: undefined }, { number: 13, outcome: 'queued', pr: undefined, workflowId: 'release:checkout:staging:v13@1a2b3c' });

/** Answers in turn; the last one repeats. */
const answers = (...replies: WorkflowStatus[]) => {
  const left = [...replies];
  return (): Reply => ({ body: left.length > 1 ? left.shift() : left[0] });
};

describe('releases create', () => {
  it('POSTs /releases with env and image; narration on stderr, the PR URL alone on stdout', async () => {
    api.on('POST /releases', { body: status() });
    const r = await run(['releases', 'create', '--env', 'staging', '--image', 'ghcr.io/acme/checkout:1.4.3']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'http://forge/deploy/pulls/7\n');
    assert.equal(
      r.err,
      'Releasing ghcr.io/acme/checkout:1.4.3 to staging in checkout... done\n' +
        'Release v12 of checkout to staging: ghcr.io/acme/checkout:1.4.2 → 1.4.3\n' +
        'PR #7 opened; it merges once the release policy holds.\n',
    );
    assert.equal(api.requests.length, 1);
    const [req] = api.requests;
    assert.equal(req!.method, 'POST');
    assert.equal(req!.path, '/releases');
    assert.deepEqual(req!.body, { ...ref(), env: 'staging', image: 'ghcr.io/acme/checkout:1.4.3' });
    assert.equal(req!.headers['x-idp-user'], 'alice@example.com');
  });

  it('a digest is a valid image too', async () => {
    const digest = `sha256:${'0123456789abcdef'.repeat(4)}`;
    api.on('POST /releases', { body: status({}, { image: `ghcr.io/acme/checkout@${digest}` }) });
    const r = await run(['releases', 'create', '--env', 'staging', '--image', `ghcr.io/acme/checkout@${digest}`]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(api.requests[0]!.body, { ...ref(), env: 'staging', image: `ghcr.io/acme/checkout@${digest}` });
    assert.match(r.err, /Release v12 of checkout to staging: ghcr\.io\/acme\/checkout:1\.4\.2 → @sha256:0123456789ab…\n/);
  });

  it('says when it joined the same release, already requested', async () => {
    api.on('POST /releases', { body: status({ joined: true }) });
    const r = await run(['releases', 'create', '--env', 'staging', '--image', 'ghcr.io/acme/checkout:1.4.3']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /\.\.\. done \(joined the same release, already requested\)\n/);
    assert.match(r.err, /PR #7 is open for this release; it merges once the release policy holds\.\n$/);
    assert.equal(r.out, 'http://forge/deploy/pulls/7\n');
  });

  it('queued behind another release: says so, prints nothing on stdout', async () => {
    api.on('POST /releases', { body: queued() });
    const r = await run(['releases', 'create', '--env', 'staging', '--image', 'ghcr.io/acme/checkout:1.4.3']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, '');
    assert.match(r.err, /Release v13 of checkout to staging: ghcr\.io\/acme\/checkout:1\.4\.2 → 1\.4\.3\nv13 is queued behind the release in progress for staging; its PR opens when that one ends\.\n$/);
  });

  it('--json prints the WorkflowStatus and nothing else', async () => {
    api.on('POST /releases', { body: status() });
    const r = await run(['releases', 'create', '--env', 'staging', '--image', 'ghcr.io/acme/checkout:1.4.3', '--json']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(r.out), status());
    assert.equal(r.err, '');
  });

  it('server errors keep their exit codes', async () => {
    api.on('POST /releases', { status: 409, body: { error: { code: 'conflict', message: 'staging already runs ghcr.io/acme/checkout:1.4.3; there is nothing to release.' } } });
    const r = await run(['releases', 'create', '--env', 'staging', '--image', 'ghcr.io/acme/checkout:1.4.3']);
    assert.equal(r.code, 4);
    assert.match(r.err, /\.\.\. failed\nidp: staging already runs ghcr\.io\/acme\/checkout:1\.4\.3; there is nothing to release\.\n$/);
    assert.equal(r.out, '');
  });
});

describe('releases promote and rollback', () => {
  it('a 503 with Retry-After is retried with the same Idempotency-Key; still 503 after the retries → 6 with the server\'s message', async () => {
    const busy: Reply = { status: 503, headers: { 'retry-after': '0' }, body: { error: { code: 'unavailable', message: 'The release to staging could not be recorded just now.' } } };
    let calls = 0;
    api.on('POST /releases', () => (++calls < 3 ? busy : { status: 202, body: status() }));
    const ok = await run(['releases', 'create', '--env', 'staging', '--image', 'ghcr.io/acme/checkout:1.4.3']);
    assert.equal(ok.code, 0, ok.err);
    const keys = api.requests.map((r) => r.headers['idempotency-key']);
    assert.equal(keys.length, 3);
    assert.match(String(keys[0]), /^[0-9a-f-]{36}$/);
    assert.deepEqual(new Set(keys).size, 1, 'one key for the request and its retries');

    api.requests.length = 0;
    api.on('POST /releases', busy);
    const given = await run(['releases', 'create', '--env', 'staging', '--image', 'ghcr.io/acme/checkout:1.4.3', '--json']);
    assert.equal(given.code, 6);
    assert.equal(JSON.parse(given.err).error.code, 'unavailable');
    assert.equal(api.requests.length, 5, 'the request and 4 retries');
    const other = await run(['releases', 'create', '--env', 'staging', '--image', 'ghcr.io/acme/checkout:1.4.3']);
    assert.notEqual(api.requests.at(-1)?.headers['idempotency-key'], api.requests[0]?.headers['idempotency-key'], 'a new request, a new key');
    assert.match(other.err, /could not be recorded just now/);

    // A 503 without Retry-After (Temporal unreachable) is not retried.
    api.requests.length = 0;
    api.on('POST /releases', { status: 503, body: { error: { code: 'internal', message: 'Temporal is unreachable' } } });
    await run(['releases', 'create', '--env', 'staging', '--image', 'ghcr.io/acme/checkout:1.4.3']);
    assert.equal(api.requests.length, 1);
  });

  it('promote POSTs /releases/promote with from and to', async () => {
    const wf = 'release:checkout:production:v5@1a2b3c';
    api.on('POST /releases/promote', {
      body: status({ workflowId: wf, environment: 'production' }, { number: 5, env: 'production', kind: 'promote', from: 'staging', workflowId: wf }),
    });
    const r = await run(['releases', 'promote', 'staging', 'production']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(api.requests[0]!.body, { ...ref(), from: 'staging', to: 'production' });
    assert.equal(api.requests[0]!.path, '/releases/promote');
    assert.match(r.err, /^Promoting staging → production in checkout\.\.\. done\nRelease v5 of checkout to production \(promote from staging\): ghcr\.io\/acme\/checkout:1\.4\.2 → 1\.4\.3\n/);
    assert.equal(r.out, 'http://forge/deploy/pulls/7\n');
  });

  it('rollback POSTs /releases/rollback; --to accepts v11 and 11', async () => {
    const body = status({ environment: 'production' }, { number: 13, env: 'production', kind: 'rollback', rollbackTo: 11, image: 'ghcr.io/acme/checkout:1.4.1', previousImage: 'ghcr.io/acme/checkout:1.4.3' });
    api.on('POST /releases/rollback', { body });
    const v = await run(['releases', 'rollback', 'production', '--to', 'v11']);
    assert.equal(v.code, 0, v.err);
    assert.deepEqual(api.requests[0]!.body, { ...ref(), env: 'production', to: 11 });
    assert.match(v.err, /^Rolling back production to v11 in checkout\.\.\. done\nRelease v13 of checkout to production \(rollback to v11\): ghcr\.io\/acme\/checkout:1\.4\.3 → 1\.4\.1\n/);
    const n = await run(['releases', 'rollback', 'production', '--to', '11']);
    assert.equal(n.code, 0, n.err);
    assert.deepEqual(api.requests[1]!.body, { ...ref(), env: 'production', to: 11 });
    const plain = await run(['releases', 'rollback', 'production']);
    assert.equal(plain.code, 0, plain.err);
    assert.deepEqual(api.requests[2]!.body, { ...ref(), env: 'production' });
    assert.match(plain.err, /^Rolling back production to its previous release in checkout\.\.\. done/);
  });
});

describe('local checks send nothing (exit 2)', () => {
  const cases: [string[], RegExp][] = [
    [['releases', 'create', '--image', 'ghcr.io/acme/checkout:1.4.3'], /^idp: --env is required: which environment\? e\.g\. `idp releases create --env staging --image ghcr\.io\/acme\/checkout:1\.4\.3`\.\nRun `idp releases create --help` for usage\.\n$/],
    [['releases', 'create', '--env', 'staging'], /^idp: --image is required: the image to release, with a tag or digest, e\.g\. --image ghcr\.io\/acme\/checkout:1\.4\.3\./],
    [['releases', 'create', '--env', 'staging', '--image', 'checkout'], /^idp: Invalid --image: "checkout" is not a versioned image: give a tag or digest, like ghcr\.io\/acme\/checkout:1\.4\.3 /],
    [['releases', 'create', '--env', 'staging', '--image', 'ghcr.io/acme/checkout'], /tag or digest, like ghcr\.io\/acme\/checkout:1\.4\.3 /],
    [['releases', 'create', '--env', 'staging', '--image', 'ghcr.io/Acme/checkout:1'], /"ghcr\.io\/Acme\/checkout" is not a valid repository: use lowercase/],
    [['releases', 'create', '--env', 'staging', '--image', 'ghcr.io/acme/checkout:'], /the tag "" is not valid/],
    [['releases', 'create', '--env', 'staging', '--image', 'ghcr.io/acme/checkout@sha256:xyz'], /the digest must be sha256: followed by 64 lowercase hex digits/],
    [['releases', 'create', '--env', 'Staging', '--image', 'ghcr.io/acme/checkout:1.4.3'], /^idp: Invalid environment name: "Staging" is not a DNS-1123 label/],
    [['releases', 'create', '--env', '--image', 'x:1'], /--env needs a value/],
    [['releases', 'promote', 'staging', 'staging'], /^idp: Promoting staging to itself changes nothing/],
    [['releases', 'promote', 'staging', 'main'], /^idp: Invalid target environment name: "main" is a reserved name/],
    [['releases', 'promote', 'staging'], /^idp: Missing arguments\.\nRun `idp releases promote --help` for usage\.\n$/],
    [['releases', 'rollback', 'production', '--to', 'eleven'], /^idp: "eleven" is not a release to roll back to: write it as v12 or 12\./],
    [['releases', 'rollback', 'production', '--to', 'v0'], /"v0" is not a release to roll back to/],
    [['releases', 'rollback', 'Prod'], /Invalid environment name/],
    [['releases', 'show', 'v12'], /^idp: --env is required: which environment\? e\.g\. `idp releases show v12 --env production`\./],
    [['releases', 'show', 'twelve', '--env', 'production'], /"twelve" is not a release number/],
    [['releases', 'show', '-3', '--env', 'production'], /^idp: Unknown option -3/],
    [['releases', 'production'], /^idp: Unknown command: releases production\nRun `idp releases --help` for its commands; for one environment's releases: `idp releases --env production`\.\n$/],
    [['releases', 'list', '--env', 'PROD'], /Invalid environment name/],
    [['releases', '--env', 'PROD'], /Invalid environment name/],
    [['releases', 'create', '--env', 'staging', '--image', 'x:1', '--ttl', '3h'], /^idp: Unknown option --ttl\nRun `idp releases create --help` for usage\.\n$/],
    [['releases', 'rollback', 'production', '--image', 'x:1'], /Unknown option --image/],
    [['releases', 'frobnicate', 'x'], /^idp: Unknown command: releases frobnicate\nRun `idp releases --help` for its commands\.\n$/],
  ];
  for (const [argv, message] of cases) {
    it(argv.join(' '), async () => {
      const r = await run(argv);
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, message);
      assert.equal(r.out, '');
      assert.equal(api.requests.length, 0);
    });
  }

  it('--json: the usage error as JSON', async () => {
    const r = await run(['releases', 'create', '--env', 'staging', '--image', 'checkout', '--json']);
    assert.equal(r.code, 2);
    assert.equal(r.out, '');
    assert.equal(JSON.parse(r.err).error.code, 'usage');
    assert.equal(api.requests.length, 0);
  });
});

describe('releases --wait', () => {
  const wait = ['releases', 'create', '--env', 'staging', '--image', 'ghcr.io/acme/checkout:1.4.3', '--wait'];

  it('merged → 0, following the release\'s workflow with the long poll', async () => {
    api.on('POST /releases', { body: status() });
    api.on(`GET /workflows/${WF}`, { body: merged() });
    const r = await run(wait);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'http://forge/deploy/pulls/7\n');
    assert.match(r.err, /Waiting for PR #7 to be approved and merged\.\.\. merged\nv12 is released: staging is set to ghcr\.io\/acme\/checkout:1\.4\.3 \(approved by bob@example\.com\)\.\n$/);
    assert.equal(api.requests[1]!.path, `/workflows/${WF}`);
    assert.equal(api.requests[1]!.query.wait, '30');
  });

  it('queued → open → merged: the PR URL is printed once it opens', async () => {
    const v13 = 'release:checkout:staging:v13@1a2b3c';
    const pr8 = { ...PR, number: 8, url: 'http://forge/deploy/pulls/8' };
    api.on('POST /releases', { body: queued() });
    api.on(
      `GET /workflows/${v13}`,
      answers(
        status({ workflowId: v13, pr: pr8 }, { number: 13, workflowId: v13, pr: pr8 }),
        status({ workflowId: v13, status: 'completed', phase: 'merged', pr: { ...pr8, state: 'merged' } }, { number: 13, workflowId: v13, outcome: 'merged', approvers: ['bob@example.com', 'carol@example.com'] }),
      ),
    );
    const r = await run(wait);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'http://forge/deploy/pulls/8\n');
    assert.match(
      r.err,
      /v13 is queued behind the release in progress for staging; its PR opens when that one ends\.\nWaiting for the release ahead of v13 in staging to end\.\.\. PR #8 opened\nPR #8 opened; it merges once the release policy holds\.\nWaiting for PR #8 to be approved and merged\.\.\. merged\nv13 is released: staging is set to ghcr\.io\/acme\/checkout:1\.4\.3 \(approved by bob@example\.com, carol@example\.com\)\.\n$/,
    );
    assert.deepEqual(
      api.requests.map((q) => `${q.method} ${q.path}`),
      ['POST /releases', `GET /workflows/${v13}`, `GET /workflows/${v13}`],
    );
  });

  it('PR closed by a person (cancelled) → 7', async () => {
    api.on('POST /releases', { body: status() });
    api.on(`GET /workflows/${WF}`, {
      body: status({ status: 'completed', phase: 'closed', pr: { ...PR, state: 'closed' } }, { outcome: 'cancelled', reason: 'PR #7 was closed without merging.', endedAt: at(H) }),
    });
    const r = await run(wait);
    assert.equal(r.code, 7);
    assert.match(r.err, /\.\.\. closed without merging\nidp: PR #7 was closed without being merged; release v12 to staging is cancelled and nothing changed\.\n$/);
  });

  it('rejected by an approver → 8', async () => {
    api.on('POST /releases', { body: status() });
    api.on(`GET /workflows/${WF}`, {
      body: status(
        { status: 'failed', phase: 'failed', pr: { ...PR, state: 'closed' }, error: { code: 'rejected', message: 'Rejected: bob@example.com requested changes.' } },
        { outcome: 'rejected', reason: 'Rejected: bob@example.com requested changes.' },
      ),
    });
    const r = await run(wait);
    assert.equal(r.code, 8);
    assert.match(r.err, /\.\.\. rejected\nidp: Release v12 to staging was rejected: bob@example\.com requested changes\. PR #7 is closed; nothing changed\.\n$/);
  });

  it('timed out waiting for approval → 9', async () => {
    api.on('POST /releases', { body: status() });
    api.on(`GET /workflows/${WF}`, {
      body: status(
        { status: 'failed', phase: 'failed', pr: { ...PR, state: 'closed' }, error: { code: 'timed_out', message: 'Timed out: No approval under the policy within 72h.' } },
        { outcome: 'timed_out' },
      ),
    });
    const r = await run(wait);
    assert.equal(r.code, 9);
    assert.match(r.err, /\.\.\. timed out\nidp: Release v12 to staging timed out: No approval under the policy within 72h\. PR #7 is closed; nothing changed\.\n$/);
  });

  it('any other failure → 1, with the reason', async () => {
    api.on('POST /releases', { body: status() });
    api.on(`GET /workflows/${WF}`, {
      body: status({ status: 'failed', phase: 'failed', error: { code: 'provider_error', message: 'The forge is down.' } }, { outcome: 'failed', reason: 'The forge is down.' }),
    });
    const r = await run(wait);
    assert.equal(r.code, 1);
    assert.match(r.err, /\.\.\. failed\nidp: The workflow release:checkout:staging:v12@1a2b3c ended failed \(phase failed\): The forge is down\.\n$/);
  });

  it('--json: the final WorkflowStatus on stdout, the outcome as a JSON error', async () => {
    const rejected = status(
      { status: 'failed', phase: 'failed', error: { code: 'rejected', message: 'Rejected: bob@example.com requested changes.' } },
      { outcome: 'rejected', reason: 'Rejected: bob@example.com requested changes.' },
    );
    api.on('POST /releases', { body: queued() });
    api.on('GET /workflows/release:checkout:staging:v13@1a2b3c', { body: rejected });
    const r = await run([...wait, '--json']);
    assert.equal(r.code, 8);
    assert.deepEqual(JSON.parse(r.out), rejected);
    assert.equal(JSON.parse(r.err).error.code, 'release_rejected');

    api.on(`GET /workflows/${WF}`, { body: merged() });
    api.on('POST /releases', { body: status() });
    const ok = await run([...wait, '--json']);
    assert.equal(ok.code, 0, ok.err);
    assert.deepEqual(JSON.parse(ok.out), merged());
    assert.equal(ok.err, '');
  });

  it('promote and rollback follow the same way', async () => {
    api.on('POST /releases/promote', { body: status() });
    api.on('POST /releases/rollback', { body: status() });
    api.on(`GET /workflows/${WF}`, {
      body: status({ status: 'failed', phase: 'failed', error: { code: 'timed_out', message: 'Timed out: no approval within 1h.' } }, { outcome: 'timed_out' }),
    });
    assert.equal((await run(['releases', 'promote', 'staging', 'production', '--wait'])).code, 9);
    assert.equal((await run(['releases', 'rollback', 'production', '--wait'])).code, 9);
  });

  it('an answer without a release number cannot be followed → 1, and says where to look', async () => {
    api.on('POST /releases', { body: { ...status({ workflowId: 'releases:checkout:staging@1a2b3c', kind: 'releases', phase: 'queued', pr: undefined }), release: undefined } });
    const r = await run(wait);
    assert.equal(r.code, 1);
    assert.match(r.err, /The release to staging is accepted but not numbered yet; see `idp releases --env staging`\.\nidp: Cannot follow the release/);
    assert.equal(api.requests.length, 1);
  });
});

describe('releases list', () => {
  const list: ReleaseList = {
    component: 'checkout',
    repo: 'x',
    environments: [
      {
        env: 'staging',
        current: record({ outcome: 'merged', approvers: ['bob@example.com'], endedAt: at(-H) }),
        releases: [
          record({ number: 13, image: 'ghcr.io/acme/checkout:1.4.4', outcome: 'queued', pr: undefined, requestedAt: at(-60_000) }),
          record({ outcome: 'merged', approvers: ['bob@example.com'], requestedAt: at(-2 * H) }),
          record({ number: 11, image: 'ghcr.io/acme/checkout:1.4.2', outcome: 'rejected', pr: { ...PR, number: 5, state: 'closed' }, requestedBy: 'dave@example.com', requestedAt: at(-26 * H) }),
        ],
      },
      {
        env: 'production',
        releases: [record({ number: 1, env: 'production', kind: 'promote', from: 'staging', outcome: 'open', pr: { ...PR, number: 9 }, requestedAt: at(-3 * 60_000) })],
      },
      { env: 'qa', releases: [] },
    ],
  };

  it('bare `idp releases` GETs /releases and prints each environment\'s ledger, newest first', async () => {
    api.on('GET /releases', { body: list });
    const r = await run(['releases']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(api.requests[0]!.query, ref());
    assert.equal(
      r.out,
      [
        '=== staging  current v12: ghcr.io/acme/checkout:1.4.3',
        'VERSION  IMAGE                        PR  REQUESTED BY       APPROVED BY      WHEN     OUTCOME',
        'v13      ghcr.io/acme/checkout:1.4.4  -   alice@example.com  -                1m ago   queued',
        'v12      ghcr.io/acme/checkout:1.4.3  #7  alice@example.com  bob@example.com  2h ago   merged (current)',
        'v11      ghcr.io/acme/checkout:1.4.2  #5  dave@example.com   -                26h ago  rejected',
        '',
        '=== production  no release merged yet',
        'VERSION  IMAGE                                               PR  REQUESTED BY       APPROVED BY  WHEN    OUTCOME',
        'v1       ghcr.io/acme/checkout:1.4.3 (promote from staging)  #9  alice@example.com  -            3m ago  open',
        '',
        '=== qa  no release merged yet',
        'No releases yet: `idp releases create --env qa --image <image:tag>`.',
        '',
      ].join('\n'),
    );
    const same = await run(['releases', 'list']);
    assert.equal(same.out, r.out);
  });

  it('--env shows one environment (also on the bare noun); --json is the ReleaseList', async () => {
    api.on('GET /releases', { body: list });
    const one = await run(['releases', '--env', 'production']);
    assert.equal(one.code, 0, one.err);
    assert.match(one.out, /^=== production {2}no release merged yet\n/);
    assert.doesNotMatch(one.out, /staging  current/);
    const j = await run(['releases', 'list', '--env', 'production', '--json']);
    const plain = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;
    assert.deepEqual(JSON.parse(j.out), plain({ ...list, environments: [list.environments[1]] }));
    const all = await run(['releases', '--json']);
    assert.deepEqual(JSON.parse(all.out), plain(list));
  });

  it('an environment the component does not have → 3', async () => {
    api.on('GET /releases', { body: list });
    const r = await run(['releases', '--env', 'prod']);
    assert.equal(r.code, 3);
    assert.match(r.err, /^idp: checkout has no environment prod; its environments are staging, production, qa\.\n$/);
  });

  it('an environment whose release is stuck retrying says so under its header', async () => {
    const stuck = 'stuck: retrying openPullRequest (attempt 4): GitLab answered 503 Service Unavailable';
    api.on('GET /releases', { body: { ...list, environments: [{ env: 'staging', releases: [record({ outcome: 'queued', pr: undefined })], stuck }] } });
    const r = await run(['releases']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^=== staging {2}no release merged yet\nstuck: retrying openPullRequest \(attempt 4\): GitLab answered 503 Service Unavailable\nVERSION/);
  });

  it('a release merged outside its policy (in the forge\'s UI): shown as such, with what was missing; still current; in --json too', async () => {
    const outside = record({ number: 14, outcome: 'merged', outsidePolicy: '1 more approval from anyone but the author', pr: { ...PR, number: 8, state: 'merged' } });
    const body: ReleaseList = { ...list, environments: [{ env: 'staging', current: outside, releases: [outside] }] };
    api.on('GET /releases', { body });
    const r = await run(['releases']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^v14 .* merged outside policy \(current\)$/m);
    assert.match(r.out, /^v14 was merged outside its release policy; missing: 1 more approval from anyone but the author$/m);
    const j = await run(['releases', '--json']);
    assert.equal(JSON.parse(j.out).environments[0].releases[0].outsidePolicy, '1 more approval from anyone but the author');
  });

  it('server strings are made terminal-safe', async () => {
    api.on('GET /releases', { body: { ...list, environments: [{ env: 'staging', releases: [record({ requestedBy: 'eve\u001B[2J@example.com' })] }] } });
    const r = await run(['releases']);
    assert.equal(r.code, 0, r.err);
    assert.doesNotMatch(r.out, /\u001B/);
    assert.match(r.out, / eve@example\.com /);
  });
});

describe('releases show', () => {
  const detail: ReleaseDetail = {
    release: record({ env: 'production', approvers: ['bob@example.com'] }),
    workflow: status({ environment: 'production' }),
    policy: { approvals: 2, approvers: ['team-leads'], requiredChecks: ['ci/build'], selfApproval: false, autoMerge: true, timeout: '72h' },
    verdict: {
      satisfied: false,
      approvedBy: ['bob@example.com'],
      ignored: [{ by: 'alice@example.com', why: 'the requester cannot approve their own release' }],
      changesRequestedBy: [],
      checks: [{ name: 'ci/build', state: 'success' }],
      waitingFor: ['1 more approval from team-leads'],
    },
    diff: [{ path: 'deploy/production.yaml', status: 'modified', patch: '--- a/deploy/production.yaml\n+++ b/deploy/production.yaml\n@@ -1 +1 @@\n-image: ghcr.io/acme/checkout:1.4.2\n+image: ghcr.io/acme/checkout:1.4.3\n' }],
  };

  it('says which parts of the policy the platform floor raised', async () => {
    api.on('GET /releases/production/12', { body: { ...detail, policy: { ...detail.policy, floor: { patterns: ['prod*'], raised: ['approvals', 'selfApproval'] } } } });
    const r = await run(['releases', 'show', 'v12', '--env', 'production']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Policy {7}2 approvals from team-leads; .*; times out after 72h; approvals, selfApproval raised by the platform floor for prod\*$/m);
  });

  it('GETs /releases/:env/:number and shows PR, approvals so far, checks, policy, workflow and diff', async () => {
    api.on('GET /releases/production/12', { body: detail });
    const r = await run(['releases', 'show', 'v12', '--env', 'production']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(api.requests[0]!.query, ref());
    assert.equal(
      r.out,
      [
        'Release v12 of checkout to production',
        'Outcome      open',
        'Kind         create',
        'Image        ghcr.io/acme/checkout:1.4.3',
        'Previous     ghcr.io/acme/checkout:1.4.2',
        'Requested    by alice@example.com 5m ago',
        'PR           #7 open  http://forge/deploy/pulls/7',
        `Workflow     ${WF}  running, phase open`,
        'Policy       2 approvals from team-leads; required checks ci/build; no self-approval; idp merges once it holds; times out after 72h',
        'Approved by  bob@example.com',
        'Not counted  alice@example.com: the requester cannot approve their own release',
        'Checks       ci/build success',
        'Verdict      waiting for 1 more approval from team-leads',
        '',
        'Diff',
        '--- a/deploy/production.yaml',
        '+++ b/deploy/production.yaml',
        '@@ -1 +1 @@',
        '-image: ghcr.io/acme/checkout:1.4.2',
        '+image: ghcr.io/acme/checkout:1.4.3',
        '',
      ].join('\n'),
    );
    const plain = await run(['releases', 'show', '12', '--env', 'production']);
    assert.equal(plain.out, r.out);
    assert.equal(api.requests[1]!.path, '/releases/production/12');
  });

  it('an ended release: outcome with its reason, who requested changes; --json is the ReleaseDetail', async () => {
    const rejected: ReleaseDetail = {
      ...detail,
      release: record({ env: 'production', outcome: 'rejected', reason: 'Rejected: carol@example.com requested changes.', endedAt: at(-60_000), pr: { ...PR, state: 'closed' } }),
      workflow: status({ environment: 'production', status: 'failed', phase: 'failed', error: { code: 'rejected', message: 'Rejected: carol@example.com requested changes.' } }),
      verdict: undefined,
      diff: [],
    };
    api.on('GET /releases/production/12', { body: rejected });
    const r = await run(['releases', 'show', 'v12', '--env', 'production']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Outcome {6}rejected: carol@example\.com requested changes\.$/m);
    assert.match(r.out, /^Ended {8}1m ago$/m);
    assert.match(r.out, /^Workflow {5}release:checkout:staging:v12@1a2b3c {2}failed, phase failed \(rejected: Rejected: carol@example\.com requested changes\.\)$/m);
    assert.doesNotMatch(r.out, /Diff/);
    const j = await run(['releases', 'show', 'v12', '--env', 'production', '--json']);
    assert.deepEqual(JSON.parse(j.out), JSON.parse(JSON.stringify(rejected)));
  });

  it('a release merged outside its policy: a warning says what was missing', async () => {
    const merged: ReleaseDetail = { ...detail, release: record({ env: 'production', outcome: 'merged', outsidePolicy: '2 more approvals from team-leads', pr: { ...PR, state: 'merged' } }), verdict: undefined };
    api.on('GET /releases/production/12', { body: merged });
    const r = await run(['releases', 'show', 'v12', '--env', 'production']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Outcome {6}merged\nWarning {6}merged outside its release policy \(it did not hold on the merged head\); missing: 2 more approvals from team-leads$/m);
  });

  it('verdict with changes requested', async () => {
    api.on('GET /releases/production/12', { body: { ...detail, verdict: { ...detail.verdict!, changesRequestedBy: ['carol@example.com'], satisfied: false } } });
    const r = await run(['releases', 'show', 'v12', '--env', 'production']);
    assert.match(r.out, /^Changes {6}requested by carol@example\.com$/m);
  });

  it('an unknown release → 3 with the server\'s message', async () => {
    api.on('GET /releases/production/99', { status: 404, body: { error: { code: 'not_found', message: 'production has no release v99. See `idp releases --env production`.' } } });
    const r = await run(['releases', 'show', 'v99', '--env', 'production']);
    assert.equal(r.code, 3);
    assert.match(r.err, /^idp: production has no release v99\./);
  });
});

describe('releases help', () => {
  it('`idp releases --help` shows the noun help; bare `idp env` still does', async () => {
    const r = await run(['releases', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.out, /\$ idp releases <command> \[options\]/);
    assert.match(r.out, /\$ idp releases \[options\] {4}\(the same as `idp releases list`\)/);
    for (const verb of ['list', 'create', 'promote', 'rollback', 'show']) assert.match(r.out, new RegExp(`^    releases ${verb}\\s{2,}\\S`, 'm'));
    assert.equal((await run(['help', 'releases'])).out, r.out);
    const env = await run(['env']);
    assert.equal(env.code, 0);
    assert.match(env.out, /\$ idp env <command>/);
    assert.equal(api.requests.length, 0);
  });
});

describe('release arguments', () => {
  it('image references', () => {
    for (const ok of ['ghcr.io/acme/checkout:1.4.3', 'checkout:1', 'localhost:5000/checkout:dev', 'registry.example.com:5000/a/b/c:v1.2.3-rc.1', `checkout@sha256:${'a'.repeat(64)}`, `ghcr.io/acme/checkout:1.4.3@sha256:${'a'.repeat(64)}`]) {
      assert.equal(imageProblem(ok), null, ok);
    }
    assert.match(imageProblem('checkout')!, /tag or digest, like ghcr\.io\/acme\/checkout:1\.4\.3/);
    assert.match(imageProblem('localhost:5000/checkout')!, /tag or digest/);
    assert.match(imageProblem('ghcr.io/acme/check out:1')!, /whitespace/);
    assert.match(imageProblem('ghcr.io/acme/-checkout:1')!, /not a valid repository/);
  });

  it('release numbers', () => {
    assert.equal(releaseNumber('v12'), 12);
    assert.equal(releaseNumber('12'), 12);
    assert.equal(releaseNumber('V3'), 3);
    assert.throws(() => releaseNumber('0'), /not a release number/);
    assert.throws(() => releaseNumber('v1.2'), /not a release number/);
  });

  it('image changes read short', () => {
    assert.equal(imageChange('ghcr.io/acme/checkout:1.4.2', 'ghcr.io/acme/checkout:1.4.3'), 'ghcr.io/acme/checkout:1.4.2 → 1.4.3');
    assert.equal(imageChange(undefined, 'ghcr.io/acme/checkout:1.4.3'), 'ghcr.io/acme/checkout:1.4.3');
    assert.equal(imageChange('docker.io/acme/checkout:1', 'ghcr.io/acme/checkout:2'), 'docker.io/acme/checkout:1 → ghcr.io/acme/checkout:2');
    assert.equal(shortImage(`x@sha256:${'0123456789abcdef'.repeat(4)}`), 'x@sha256:0123456789ab…');
  });
});
