/**
 * idp's Scaffolder actions end to end: tasks of the templates in templates/ run by the real Scaffolder of the embedded
 * stack, as the signed-in user, against the real Temporal dev server, a worker and the local forge. One stack; its
 * worker runs in a process of its own so one test can kill it. Policy `ownersOnly: ['*']`: only team-payments
 * (alice, bob) may request releases of checkout; carol may not.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import type { ChildProcess } from 'node:child_process';
import type { PullRequest } from '@idp/core';
import { eventually } from '@idp/worker/testing';
import { startEmbedded, type EmbeddedStack } from '../testing/embedded.js';

const run = promisify(execFile);
const templatesDir = fileURLToPath(new URL('../../../../templates/', import.meta.url));
const ALICE = 'user:default/alice';

interface TaskEvent {
  type: string;
  body: { message?: string; output?: Record<string, unknown>; error?: { message: string }; status?: string; stepId?: string };
}
interface TaskResult {
  id: string;
  status: string;
  output: Record<string, unknown>;
  log: string;
  error?: string;
}

describe('idp Scaffolder actions through real tasks', () => {
  let stack: EmbeddedStack;
  let worker: ChildProcess;
  before(async () => {
    // prWaitSeconds: how long a step waits for its PR before failing (the killed-worker test waits that long once).
    stack = await startEmbedded({ ownersOnly: ['*'], worker: false, env: { APP_CONFIG_idp_actions_prWaitSeconds: '12' } });
    worker = stack.spawnWorker();
  });
  after(async () => {
    await stack?.stop();
  });

  const auth = async (user: string) => ({ authorization: `Bearer ${await stack.tokenFor(user)}` });
  const json = async (user: string) => ({ ...(await auth(user)), 'content-type': 'application/json' });
  const repo = () => stack.demo.bare;
  // Branch and PR refs by name (idp moves its open PRs' branches when main moves: that is not a write of the test's).
  const refs = () => execFileSync('git', ['for-each-ref', '--format=%(refname)'], { cwd: repo(), encoding: 'utf8' });

  /** Every event of a task, once it has ended. */
  async function finished(id: string, user = 'alice'): Promise<TaskResult> {
    const task = await eventually(async () => {
      const res = await fetch(`${stack.baseUrl}/api/scaffolder/v2/tasks/${id}`, { headers: await auth(user) });
      const t = (await res.json()) as { status: string };
      return ['completed', 'failed', 'cancelled'].includes(t.status) && t;
    }, 120_000, `task ${id} to end`);
    const events = (await (await fetch(`${stack.baseUrl}/api/scaffolder/v2/tasks/${id}/events`, { headers: await auth(user) })).json()) as TaskEvent[];
    const completion = events.filter((e) => e.type === 'completion').at(-1);
    return {
      id,
      status: task.status,
      output: completion?.body.output ?? {},
      log: events.filter((e) => e.type === 'log').map((e) => e.body.message).join('\n'),
      ...(completion?.body.error ? { error: completion.body.error.message } : {}),
    };
  }

  async function runTask(user: string, template: string, values: Record<string, unknown>): Promise<TaskResult> {
    const res = await fetch(`${stack.baseUrl}/api/scaffolder/v2/tasks`, {
      method: 'POST',
      headers: await json(user),
      body: JSON.stringify({ templateRef: `template:default/${template}`, values }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const { id } = (await res.json()) as { id: string };
    return finished(id, user);
  }

  async function api<T>(user: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
    const url = `${stack.apiUrl}${path}${path.includes('?') ? '&' : '?'}repo=${encodeURIComponent(repo())}&path=paws.yaml`;
    const res = await fetch(url, { method: init.method ?? 'GET', headers: { ...(await json(user)), accept: 'application/json' }, ...(init.body ? { body: JSON.stringify(init.body) } : {}) });
    const body = (await res.json()) as T;
    assert.ok(res.ok, `${path}: ${res.status} ${JSON.stringify(body)}`);
    return body;
  }
  const pulls = (state = 'all') => api<{ pulls: PullRequest[] }>('alice', `/pulls?state=${state}`).then((r) => r.pulls);
  /** The PR's diff as +/- lines (no headers), from the API's /pulls/:n/diff. */
  async function diffOf(n: number): Promise<{ path: string; added: string[]; removed: string[] }[]> {
    const { files } = await api<{ files: { path: string; patch: string }[] }>('alice', `/pulls/${n}/diff`);
    return files.map((f) => {
      const lines = f.patch.split('\n').filter((l) => !l.startsWith('+++') && !l.startsWith('---'));
      return { path: f.path, added: lines.filter((l) => l.startsWith('+')).map((l) => l.slice(1)), removed: lines.filter((l) => l.startsWith('-')).map((l) => l.slice(1)) };
    });
  }
  const prNumberOf = (url: unknown) => Number(String(url).match(/\/pulls\/(\d+)/)?.[1]);
  /** Approve as `by` (the requester's own approval does not count) until the release workflow merges it and its ledger says so. */
  async function approveUntilMerged(n: number, by: string, env: string, version: number): Promise<void> {
    await api(by, `/pulls/${n}/reviews`, { method: 'POST', body: { repo: repo(), path: 'paws.yaml', event: 'approve' } });
    await eventually(async () => {
      const { environments } = await api<{ environments: { env: string; releases: { number: number; outcome: string }[] }[] }>('alice', '/releases');
      return environments.find((e) => e.env === env)?.releases.find((r) => r.number === version)?.outcome === 'merged';
    }, 60_000, `v${version} of ${env} merged`);
  }
  async function mergeEnvPr(n: number): Promise<void> {
    await api('bob', `/pulls/${n}/reviews`, { method: 'POST', body: { repo: repo(), path: 'paws.yaml', event: 'approve' } });
    await api('alice', `/pulls/${n}/merge`, { method: 'POST', body: { repo: repo(), path: 'paws.yaml' } });
  }

  it('add-preview-environment: the PR alice asked for, with exactly the preview in its diff; its URL and workflow in the output', async () => {
    const task = await runTask('alice', 'add-preview-environment', { component: 'component:default/checkout', source: 'staging', name: 'preview-7', ttl: '72h' });
    assert.equal(task.status, 'completed', `${task.error}\n${task.log}`);
    const n = prNumberOf(task.output.prUrl);
    const pr = await api<PullRequest>('alice', `/pulls/${n}`);
    assert.equal(pr.url, task.output.prUrl);
    assert.equal(pr.author, ALICE, 'the PR is the task user\'s');
    assert.equal(pr.state, 'open');
    assert.match(String(task.output.workflowId), /^env-clone:checkout:preview-7@/);
    assert.deepEqual((task.output.links as { title: string; url: string }[])[0], { title: 'Pull request', url: pr.url });
    const [file, ...more] = await diffOf(n);
    assert.equal(more.length, 0);
    assert.equal(file!.path, 'paws.yaml');
    assert.deepEqual(file!.removed, []);
    const expiresAt = file!.added.at(-1)!.match(/^ {6}expiresAt: "(.+)"$/)?.[1];
    assert.deepEqual(file!.added, ['  preview-7:', '    from: staging', '    lifecycle:', '      ttl: 72h', `      expiresAt: "${expiresAt}"`]);
    assert.ok(Math.abs(Date.parse(expiresAt!) - (Date.parse(pr.createdAt) + 72 * 3600_000)) < 120_000, `expires 72h after the request: ${expiresAt}`);

    // The same task again (a second task, same values): the same workflow, the same PR.
    const again = await runTask('alice', 'add-preview-environment', { component: 'component:default/checkout', source: 'staging', name: 'preview-7', ttl: '72h' });
    assert.equal(again.status, 'completed', again.error);
    assert.equal(again.output.workflowId, task.output.workflowId);
    assert.equal(again.output.prUrl, task.output.prUrl);
    assert.match(again.log, /Joined workflow/);
    assert.equal((await pulls()).filter((p) => p.head === pr.head).length, 1, 'one PR');
    // Tokens travel to the API only: no JWT in the task's log or output, nor in the stack's.
    for (const text of [task.log, again.log, JSON.stringify(task.output), stack.output()]) assert.doesNotMatch(text, /eyJ[\w-]+\.eyJ[\w-]+/);
  });

  it('bad parameters: the Scaffolder\'s own validation refuses the task (the template\'s pattern and required), nothing runs', async () => {
    const before = refs();
    const res = await fetch(`${stack.baseUrl}/api/scaffolder/v2/tasks`, {
      method: 'POST',
      headers: await json('alice'),
      body: JSON.stringify({ templateRef: 'template:default/add-preview-environment', values: { component: 'component:default/checkout', source: 'staging', name: 'Preview_7' } }),
    });
    const messages = async (r: Response) => ((await r.json()) as { errors: { property: string; message: string }[] }).errors.map((e) => `${e.property} ${e.message}`);
    assert.equal(res.status, 400);
    assert.deepEqual(await messages(res), ['instance.name does not match pattern "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"']);
    const missing = await fetch(`${stack.baseUrl}/api/scaffolder/v2/tasks`, {
      method: 'POST',
      headers: await json('alice'),
      body: JSON.stringify({ templateRef: 'template:default/release-to-environment', values: { component: 'component:default/checkout', env: 'staging' } }),
    });
    assert.equal(missing.status, 400);
    assert.deepEqual(await messages(missing), ['instance requires property "image"']);
    assert.equal(refs(), before);
  });

  it('dry run: shows the diff it would propose, writes nothing (no branch, no workflow)', async () => {
    const before = refs();
    const template = parse(readFileSync(`${templatesDir}/add-preview-environment/template.yaml`, 'utf8'));
    const res = await fetch(`${stack.baseUrl}/api/scaffolder/v2/dry-run`, {
      method: 'POST',
      headers: await json('alice'),
      body: JSON.stringify({ template, values: { component: 'component:default/checkout', source: 'staging', name: 'preview-dry', ttl: '24h' }, secrets: {}, directoryContents: [] }),
    });
    const body = (await res.json()) as { log: { body: { message: string } }[]; output: Record<string, unknown>; steps: unknown[] };
    assert.equal(res.status, 200, JSON.stringify(body));
    const log = body.log.map((l) => l.body.message).join('\n');
    assert.match(log, /Dry run: nothing was written/);
    assert.match(log, /^\+ {2}preview-dry:$/m, log);
    assert.match(String(body.output.workflowId), /^env-clone:checkout:preview-dry@/);
    assert.equal(refs(), before, 'no branch');
    assert.equal((await pulls()).filter((p) => p.head.endsWith('/preview-dry')).length, 0, 'no PR');
    const wf = await fetch(`${stack.apiUrl}/workflows/${encodeURIComponent(String(body.output.workflowId))}`, { headers: await auth('alice') });
    assert.equal(wf.status, 404, 'no workflow');
  });

  const dryRun = async (user: string, name: string, values: Record<string, unknown>) => {
    const template = parse(readFileSync(`${templatesDir}/${name}/template.yaml`, 'utf8'));
    const res = await fetch(`${stack.baseUrl}/api/scaffolder/v2/dry-run`, { method: 'POST', headers: await json(user), body: JSON.stringify({ template, values, secrets: {}, directoryContents: [] }) });
    const body = (await res.json()) as { log: { body: { message: string; status?: string } }[]; output: Record<string, unknown> };
    return { status: res.status, body, log: body.log?.map((l) => l.body.message).join('\n') ?? JSON.stringify(body) };
  };

  it('dry run of a release: the image change it would propose; as carol, refused as the real request would be', async () => {
    const before = refs();
    const alice = await dryRun('alice', 'release-to-environment', { component: 'component:default/checkout', env: 'staging', image: 'ghcr.io/acme/checkout:7.7.7' });
    assert.equal(alice.status, 200, alice.log);
    assert.match(alice.log, /^\+ {4}image: ghcr\.io\/acme\/checkout:7\.7\.7$/m, alice.log);
    assert.match(String(alice.body.output.workflowId), /^releases:checkout:staging@/);
    const carol = await dryRun('carol', 'release-to-environment', { component: 'component:default/checkout', env: 'staging', image: 'ghcr.io/acme/checkout:7.7.7' });
    assert.match(carol.log, /idp\.release\.request/, carol.log);
    assert.doesNotMatch(carol.log, /image: ghcr/);
    assert.equal(refs(), before);
  });

  it('create-environment, then extend-environment waiting until merged (idp:workflow:wait: the task completes), then destroy-environment waiting while its PR is closed (the task fails; retried, the checkpoint keeps it to one PR)', async () => {
    const create = await runTask('alice', 'create-environment', { component: 'component:default/checkout', name: 'qa', ttl: '7d' });
    assert.equal(create.status, 'completed', create.error);
    const created = prNumberOf(create.output.prUrl);
    assert.equal((await api<PullRequest>('alice', `/pulls/${created}`)).author, ALICE);
    const [c] = await diffOf(created);
    assert.deepEqual(c!.removed, []);
    const qaExpires = c!.added.at(-1)!;
    assert.deepEqual(c!.added, ['  qa:', '    lifecycle:', '      ttl: 7d', qaExpires]);
    assert.match(qaExpires, /^ {6}expiresAt: "[^"]+"$/);
    assert.match(String(create.output.workflowId), /^env-create:checkout:qa@/);
    await mergeEnvPr(created);

    // Extend, asking to wait: the task ends when the PR is merged, with how it ended.
    const running = fetch(`${stack.baseUrl}/api/scaffolder/v2/tasks`, {
      method: 'POST',
      headers: await json('alice'),
      body: JSON.stringify({ templateRef: 'template:default/extend-environment', values: { component: 'component:default/checkout', name: 'qa', ttl: '14d', wait: true } }),
    }).then(async (r) => ((await r.json()) as { id: string }).id);
    const extendPr = await eventually(async () => (await pulls('open')).find((p) => p.head.includes('env-extend')), 60_000, 'the extend PR');
    assert.equal(extendPr.author, ALICE);
    const [e] = await diffOf(extendPr.number);
    // Only the expiry moves: 14 days later than it was.
    assert.deepEqual(e!.removed, [qaExpires]);
    assert.equal(e!.added.length, 1);
    const expiry = (line: string) => Date.parse(line.match(/^ {6}expiresAt: "(.+)"$/)![1]!);
    assert.equal(expiry(e!.added[0]!) - expiry(qaExpires), 14 * 86400_000, e!.added[0]);
    await mergeEnvPr(extendPr.number);
    const extend = await finished(await running);
    assert.equal(extend.status, 'completed', extend.error);
    assert.match(extend.log, /merged/);

    // Destroy, waiting; the PR is closed unmerged: the task fails, saying so (its outcome is the change's).
    const destroying = fetch(`${stack.baseUrl}/api/scaffolder/v2/tasks`, {
      method: 'POST',
      headers: await json('alice'),
      body: JSON.stringify({ templateRef: 'template:default/destroy-environment', values: { component: 'component:default/checkout', name: 'qa', wait: true } }),
    }).then(async (r) => ((await r.json()) as { id: string }).id);
    const destroyPr = await eventually(async () => (await pulls('open')).find((p) => p.head.includes('env-destroy')), 60_000, 'the destroy PR');
    assert.equal(destroyPr.author, ALICE);
    const [d] = await diffOf(destroyPr.number);
    assert.deepEqual(d!.added, []);
    assert.deepEqual(d!.removed, ['  qa:', '    lifecycle:', '      ttl: 7d', e!.added[0]]);
    await api('alice', `/pulls/${destroyPr.number}/close`, { method: 'POST', body: { repo: repo(), path: 'paws.yaml' } });
    const destroy = await finished(await destroying);
    assert.equal(destroy.status, 'failed');
    assert.match(destroy.error ?? '', /ended closed/);

    // Retried, it sends no request again — which would start a new workflow and a second PR, the first having ended:
    // the Scaffolder resumes after the completed step (the template's recovery), and a step that had not completed
    // would return its checkpoint. The wait fails as before. (A recoverable task's events start at its last recovery.)
    const retry = await fetch(`${stack.baseUrl}/api/scaffolder/v2/tasks/${destroy.id}/retry`, { method: 'POST', headers: await json('alice'), body: '{}' });
    assert.equal(retry.status, 201);
    const again = await eventually(async () => {
      const r = await finished(destroy.id);
      return r.status === 'failed' && /Task recovered/.test(r.log) && /Beginning step/.test(r.log) && r;
    }, 60_000, 'the retried destroy task');
    assert.match(again.error ?? '', /ended closed/);
    assert.doesNotMatch(again.log, /(Started|Joined) workflow/, again.log);
    assert.equal((await pulls()).filter((p) => p.head.includes('env-destroy')).length, 1, 'one PR');
  });

  it('release-to-environment (waiting until merged), then again, rollback-release and promote: release PRs alice requested, with their versions', async () => {
    const image = (v: string) => `ghcr.io/acme/checkout:${v}`;
    // v1 to staging, waiting: bob's approval satisfies staging's policy and idp merges; the task then ends.
    const first = fetch(`${stack.baseUrl}/api/scaffolder/v2/tasks`, {
      method: 'POST',
      headers: await json('alice'),
      body: JSON.stringify({ templateRef: 'template:default/release-to-environment', values: { component: 'component:default/checkout', env: 'staging', image: image('1.4.3'), wait: true } }),
    }).then(async (r) => ((await r.json()) as { id: string }).id);
    const v1 = await eventually(async () => (await pulls('open')).find((p) => p.head.startsWith('idp/release/')), 60_000, 'the release PR');
    assert.equal(v1.author, ALICE);
    const imageLine = (v: string) => `    image: ${image(v)}`;
    const [r1] = await diffOf(v1.number);
    assert.deepEqual([r1!.removed, r1!.added], [[], [imageLine('1.4.3')]]);
    await approveUntilMerged(v1.number, 'bob', 'staging', 1);
    const released = await finished(await first);
    assert.equal(released.status, 'completed', released.error);
    assert.equal(released.output.version, 'v1');
    assert.equal(released.output.prUrl, v1.url);

    const second = await runTask('alice', 'release-to-environment', { component: 'component:default/checkout', env: 'staging', image: image('1.4.4') });
    assert.equal(second.status, 'completed', second.error);
    assert.equal(second.output.version, 'v2');
    const [r2] = await diffOf(prNumberOf(second.output.prUrl));
    assert.deepEqual([r2!.removed, r2!.added], [[imageLine('1.4.3')], [imageLine('1.4.4')]]);
    await approveUntilMerged(prNumberOf(second.output.prUrl), 'bob', 'staging', 2);

    const rollback = await runTask('alice', 'rollback-release', { component: 'component:default/checkout', env: 'staging' });
    assert.equal(rollback.status, 'completed', rollback.error);
    assert.equal(rollback.output.version, 'v3');
    const rb = await api<PullRequest>('alice', `/pulls/${prNumberOf(rollback.output.prUrl)}`);
    assert.equal(rb.author, ALICE);
    const [r3] = await diffOf(rb.number);
    assert.deepEqual([r3!.removed, r3!.added], [[imageLine('1.4.4')], [imageLine('1.4.3')]]);

    // Production gets what staging runs on main now (v2, 1.4.4; the rollback is not merged).
    const promote = await runTask('alice', 'promote', { component: 'component:default/checkout', from: 'staging', to: 'production' });
    assert.equal(promote.status, 'completed', promote.error);
    assert.equal(promote.output.version, 'v1');
    const promoted = await api<PullRequest>('alice', `/pulls/${prNumberOf(promote.output.prUrl)}`);
    assert.equal(promoted.author, ALICE);
    const [p] = await diffOf(promoted.number);
    assert.deepEqual([p!.removed, p!.added], [[], [imageLine('1.4.4')]]);
  });

  it('carol (not in team-payments) may not release: the step fails with the permission error, nothing written', async () => {
    const before = refs();
    const task = await runTask('carol', 'release-to-environment', { component: 'component:default/checkout', env: 'staging', image: 'ghcr.io/acme/checkout:9.9.9' });
    assert.equal(task.status, 'failed');
    assert.match(task.error ?? task.log, /idp\.release\.request/);
    assert.match(task.error ?? task.log, /team-payments/);
    assert.equal(task.output.prUrl, undefined);
    assert.equal(refs(), before);
    const { environments } = await api<{ environments: { releases: { image: string }[] }[] }>('alice', '/releases');
    assert.ok(!environments.some((e) => e.releases.some((r) => r.image.endsWith(':9.9.9'))), 'no release recorded');
  });

  it('the registry route runs idp:env:clone as the caller (PR by alice); unauthenticated → 401', async () => {
    const url = `${stack.baseUrl}/api/idp/.backstage/actions/v1/actions/idp:env:clone/invoke`;
    const input = { component: 'component:default/checkout', source: 'staging', name: 'preview-mcp' };
    const anonymous = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(input) });
    assert.equal(anonymous.status, 401);
    const res = await fetch(url, { method: 'POST', headers: await json('alice'), body: JSON.stringify(input) });
    const body = (await res.json()) as { output: { prUrl: string; workflowId: string } };
    assert.equal(res.status, 200, JSON.stringify(body));
    const pr = await api<PullRequest>('alice', `/pulls/${prNumberOf(body.output.prUrl)}`);
    assert.equal(pr.author, ALICE);
    assert.match(body.output.workflowId, /^env-clone:checkout:preview-mcp@/);
  });

  it('the registry route runs idp:variables:set as the caller: one PR by alice setting the variables; a secret-looking one is refused', async () => {
    const url = `${stack.baseUrl}/api/idp/.backstage/actions/v1/actions/idp:variables:set/invoke`;
    const res = await fetch(url, { method: 'POST', headers: await json('alice'), body: JSON.stringify({ component: 'component:default/checkout', env: 'production', set: { FEATURE_Y: 'on' } }) });
    const body = (await res.json()) as { output: { prUrl: string; workflowId: string } };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.match(body.output.workflowId, /^env-vars:checkout:production@/);
    const pr = await api<PullRequest>('alice', `/pulls/${prNumberOf(body.output.prUrl)}`);
    assert.equal(pr.author, ALICE);
    const [p] = await diffOf(pr.number);
    assert.deepEqual(p!.added.map((l: string) => l.trim()), ['variables:', 'FEATURE_Y: "on"']);
    const before = refs();
    const refused = await fetch(url, { method: 'POST', headers: await json('alice'), body: JSON.stringify({ component: 'component:default/checkout', env: 'staging', set: { API_TOKEN: 'not-in-git' } }) });
    assert.notEqual(refused.status, 200);
    const text = await refused.text();
    assert.match(text, /idp secrets set API_TOKEN/);
    assert.ok(!text.includes('not-in-git'));
    assert.equal(refs(), before);
  });

  it('backstage-cli actions execute idp:env:clone, signed in as bob: the PR is bob\'s', async () => {
    // The CLI's own sign-in store (what `backstage-cli auth login` writes), in a folder of this test: an instance of
    // this stack whose access token is bob's Backstage token.
    const dir = mkdtempSync(join(tmpdir(), 'backstage-cli-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const instance = 'idp-e2e';
    mkdirSync(join(dir, 'config', 'backstage-cli'), { recursive: true });
    writeFileSync(
      join(dir, 'config', 'backstage-cli', 'auth-instances.yaml'),
      stringify({ instances: [{ name: instance, baseUrl: stack.baseUrl, clientId: `${stack.baseUrl}/cli`, issuedAt: Date.now(), accessTokenExpiresAt: Date.now() + 30 * 60_000, selected: true }] }),
      { mode: 0o600 },
    );
    const secrets = join(dir, 'data', 'backstage-cli', 'auth-secrets', encodeURIComponent(`backstage-cli:auth-instance:${instance}`));
    mkdirSync(secrets, { recursive: true });
    writeFileSync(join(secrets, 'accessToken.secret'), await stack.tokenFor('bob'), { mode: 0o600 });
    const cli = fileURLToPath(new URL('../../../../node_modules/@backstage/cli/bin/backstage-cli', import.meta.url));
    const { stdout } = await run(process.execPath, [cli, 'actions', 'execute', 'idp:env:clone', '--instance', instance, '--component', 'component:default/checkout', '--source', 'staging', '--name', 'preview-cli'], {
      env: { ...process.env, XDG_CONFIG_HOME: join(dir, 'config'), XDG_DATA_HOME: join(dir, 'data') },
      timeout: 120_000,
    });
    const output = JSON.parse(stdout) as { prUrl: string; workflowId: string };
    assert.match(output.workflowId, /^env-clone:checkout:preview-cli@/);
    const pr = await api<PullRequest>('alice', `/pulls/${prNumberOf(output.prUrl)}`);
    assert.equal(pr.author, 'user:default/bob');
    assert.equal(pr.head, 'idp/env-clone/checkout/preview-cli');
  });

  it('the Scaffolder lists idp\'s actions once, its own (with examples), and logs nothing about the registry\'s copies', async () => {
    const res = await fetch(`${stack.baseUrl}/api/scaffolder/v2/actions`, { headers: await auth('alice') });
    const actions = (await res.json()) as { id: string; examples?: { description: string; example: string }[] }[];
    const ids = actions.map((a) => a.id).filter((id) => id.startsWith('idp:')).sort();
    assert.deepEqual(ids, ['idp:env:clone', 'idp:env:create', 'idp:env:destroy', 'idp:env:extend', 'idp:release:create', 'idp:release:promote', 'idp:release:rollback', 'idp:secret:set-ref', 'idp:variables:set', 'idp:workflow:wait']);
    const clone = actions.find((a) => a.id === 'idp:env:clone')!;
    assert.match(clone.examples![0]!.example, /action: idp:env:clone/);
    // Every task above looked its actions up with the registry's copies listed too (backend.actions.pluginSources: [idp]).
    assert.doesNotMatch(stack.output(), /has already been registered/);
  });

  it('a step whose worker was killed fails without a PR; retried after a worker is back, it joins the same workflow: one PR', async () => {
    worker.kill('SIGKILL');
    await once(worker, 'exit');
    const before = refs();
    const failed = await runTask('alice', 'add-preview-environment', { component: 'component:default/checkout', source: 'staging', name: 'preview-r', ttl: '24h' });
    assert.equal(failed.status, 'failed');
    assert.match(failed.error ?? '', /has opened no PR/);
    const started = failed.log.match(/Started workflow (\S+)\./)?.[1];
    assert.match(String(started), /^env-clone:checkout:preview-r@/);
    assert.equal(refs(), before, 'no branch, no PR while no worker runs');

    worker = stack.spawnWorker();
    const retry = await fetch(`${stack.baseUrl}/api/scaffolder/v2/tasks/${failed.id}/retry`, { method: 'POST', headers: await json('alice'), body: '{}' });
    assert.equal(retry.status, 201, await retry.text());
    const done = await eventually(async () => {
      const r = await finished(failed.id);
      return r.status === 'completed' && r;
    }, 120_000, 'the retried task');
    assert.equal(done.output.workflowId, started);
    const heads = (await pulls()).filter((p) => p.head.endsWith('/preview-r'));
    assert.equal(heads.length, 1, 'one PR');
    assert.equal(done.output.prUrl, heads[0]!.url);
    assert.equal(heads[0]!.author, ALICE);
  });
});
