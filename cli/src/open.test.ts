/**
 * `idp open` against a fake Platform API answering as a Backstage (servedBy, /context/resolve) or as the standalone
 * server: the exact URL handed to the (injected) browser opener for each form, --print / --json / no browser, and the
 * errors that open nothing. The real catalog's answer is covered by backstage-plugin/backend/src/e2e/context.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { EnvironmentList, EnvironmentView, Health, PullRequest, ResolvedContext } from '@idp/core';
import { TAB_PATHS } from './commands/open.js';
import { api, ref, run, useFakeApi } from './testing/harness.js';

useFakeApi();

const health = (servedBy: Health['servedBy']): Health => ({
  status: 'ok',
  version: '0.1.0',
  temporal: { address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'idp', reachable: true },
  servedBy,
});
const matched: ResolvedContext = {
  status: 'matched',
  entity: { entityRef: 'Component:Payments/checkout', via: 'annotation', why: 'backstage.io/source-location is the origin remote' },
  candidates: [],
  searched: [],
  notes: [],
};
const APP = 'https://backstage.example.com';

/** Runs `idp open …` with a recording opener; `opens` says what it answers (false: no browser here). */
async function open(args: string[], opts: { opens?: boolean } = {}) {
  const given: string[] = [];
  const r = await run(['open', ...args], {
    openUrl: async (url) => {
      given.push(url);
      return opts.opens ?? true;
    },
  });
  return { ...r, given };
}

describe('idp open on a Backstage', () => {
  const backstage = (appUrl: string | null = APP) => {
    api.on('GET /health', { body: health({ name: 'Backstage', version: '1.45.0', ...(appUrl ? { appUrl } : {}) }) });
    api.on('POST /context/resolve', { body: matched });
  };

  it('opens the entity page of the folder\'s catalog entity (kind and namespace lower-cased, as Backstage routes them), at the app URL the server reports, and prints nothing', async () => {
    backstage();
    const r = await open([]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.given, [`${APP}/catalog/payments/component/checkout`]);
    assert.equal(r.out, '');
    assert.equal(r.err, '');
    // The catalog was asked about this working copy (what `idp info` sends).
    const resolve = api.requests.find((q) => q.path === '/context/resolve');
    assert.deepEqual((resolve?.body as { paws: unknown }).paws, { path: 'paws.yaml', name: 'checkout' });
  });

  it('opens an environment on the Environments tab, and the Releases, Secrets & Variables, Logs, Metrics and Activity tabs', async () => {
    backstage();
    const page = `${APP}/catalog/payments/component/checkout`;
    assert.deepEqual((await open(['staging'])).given, [`${page}/environments?env=staging`]);
    assert.deepEqual((await open(['--releases'])).given, [`${page}/releases`]);
    assert.deepEqual((await open(['--activity'])).given, [`${page}/activity`]);
    assert.deepEqual((await open(['production', '--releases'])).given, [`${page}/releases?env=production`]);
    assert.deepEqual((await open(['--secrets'])).given, [`${page}/secrets`]);
    assert.deepEqual((await open(['staging', '--secrets'])).given, [`${page}/secrets?env=staging`]);
    assert.deepEqual((await open(['--logs'])).given, [`${page}/logs`]);
    assert.deepEqual((await open(['staging', '--logs'])).given, [`${page}/logs?env=staging`]);
    assert.deepEqual((await open(['--metrics'])).given, [`${page}/metrics`]);
    // With a tab, --env (as `idp logs --env` / `idp metrics --env` spell it) is the environment on that tab.
    assert.deepEqual((await open(['--metrics', '--env', 'production'])).given, [`${page}/metrics?env=production`]);
    assert.deepEqual((await open(['--logs', '--env', 'staging'])).given, [`${page}/logs?env=staging`]);
  });

  it('falls back to the API URL\'s origin when the server reports no app URL', async () => {
    backstage(null);
    const r = await open(['preview-7']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.given, [`${new URL(api.url).origin}/catalog/payments/component/checkout/environments?env=preview-7`]);
  });

  it('--print and --json print the URL and open nothing', async () => {
    backstage();
    const printed = await open(['--print', '--activity']);
    assert.equal(printed.code, 0, printed.err);
    assert.deepEqual(printed.given, []);
    assert.equal(printed.out, `${APP}/catalog/payments/component/checkout/activity\n`);
    const json = await open(['--json']);
    assert.deepEqual(json.given, []);
    assert.deepEqual(JSON.parse(json.out), { url: `${APP}/catalog/payments/component/checkout` });
  });

  it('prints the URL, saying so on stderr, when no browser could be opened', async () => {
    backstage();
    const r = await open([], { opens: false });
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.given, [`${APP}/catalog/payments/component/checkout`]);
    assert.equal(r.out, `${APP}/catalog/payments/component/checkout\n`);
    assert.match(r.err, /open this URL yourself/);
  });

  it('says how to register the repository when it is not in the catalog, and opens nothing', async () => {
    api.on('GET /health', { body: health({ name: 'Backstage', version: '1.45.0', appUrl: APP }) });
    api.on('POST /context/resolve', { body: { status: 'not_found', candidates: [], searched: [], notes: [] } satisfies ResolvedContext });
    const r = await open([]);
    assert.equal(r.code, 2);
    assert.deepEqual(r.given, []);
    assert.match(r.err, /is not in the Backstage catalog/);
    assert.match(r.err, /catalog-info\.yaml/);
  });

  it('names the candidates when several entities claim the folder', async () => {
    api.on('GET /health', { body: health({ name: 'Backstage', version: '1.45.0', appUrl: APP }) });
    const candidate = (name: string) => ({ entityRef: `component:default/${name}`, via: 'annotation' as const, why: 'same slug' });
    api.on('POST /context/resolve', { body: { status: 'ambiguous', candidates: [candidate('a'), candidate('b')], searched: [], notes: [] } satisfies ResolvedContext });
    const r = await open([]);
    assert.equal(r.code, 2);
    assert.deepEqual(r.given, []);
    assert.match(r.err, /2 catalog entities claim this folder: component:default\/a, component:default\/b/);
  });
});

describe('idp open --pr', () => {
  it('opens the pull request\'s URL as the API gives it (any server)', async () => {
    const url = 'http://127.0.0.1:7007/api/idp/pulls/3?repo=x';
    api.on('GET /pulls/3', { body: { number: 3, url } as Partial<PullRequest> });
    const r = await open(['--pr', '3']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.given, [url]);
    const q = api.requests.find((x) => x.path === '/pulls/3');
    assert.deepEqual(q?.query, { repo: ref().repo, path: ref().path });
    assert.equal(api.requests.some((x) => x.path === '/context/resolve'), false);
  });
});

describe('idp open --env: the running app', () => {
  const environments = (envs: Array<Partial<EnvironmentView> & { name: string }>) =>
    api.on('GET /environments', { body: { component: 'checkout', repo: ref().repo, provider: 'local', defaultBranch: 'main', environments: envs.map((e) => ({ ephemeral: false, source: 'paws.yaml', variables: {}, secrets: [], pulls: [], workflows: [], ...e })) } satisfies EnvironmentList });

  it('opens the URL the runtime reports for it (`idp env list`: running at …), on any server: no web UI is needed', async () => {
    environments([{ name: 'staging', runtime: { state: 'running', url: 'http://127.0.0.1:41234' } }, { name: 'preview-1', runtime: { state: 'running', url: 'http://127.0.0.1:41235' } }]);
    const r = await open(['--env', 'preview-1']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.given, ['http://127.0.0.1:41235']);
    assert.deepEqual(api.requests.map((q) => `${q.method} ${q.path}`), ['GET /environments']);
    assert.deepEqual(api.requests[0]!.query, ref());
    const printed = await open(['--env', 'staging', '--print']);
    assert.equal(printed.out, 'http://127.0.0.1:41234\n');
    assert.deepEqual(printed.given, []);
  });

  it('says why there is nothing to open: crashed (with why), starting, no runtime, only in a PR, no such environment', async () => {
    environments([
      { name: 'staging', runtime: { state: 'crashed', reason: 'web.1 exited with code 1' } },
      { name: 'production', runtime: { state: 'starting' } },
      { name: 'demo' },
      { name: 'review-2', source: 'pending' },
    ]);
    const cases: Array<[string, RegExp]> = [
      ['staging', /staging is crashed: web\.1 exited with code 1; no app to open\. `idp logs --env staging` shows what it wrote/],
      ['production', /production is starting \(try again in a moment\)/],
      ['demo', /Nothing reports demo running: no runtime on this platform.*`idp open demo` opens its Environments tab/],
      ['review-2', /review-2 is only in an open PR/],
      ['nope', /checkout has no environment nope; its environments are staging, production, demo, review-2/],
    ];
    for (const [env, message] of cases) {
      const r = await open(['--env', env]);
      assert.equal(r.code, 3, `${env}: ${r.err}`);
      assert.match(r.err, message);
      assert.deepEqual(r.given, []);
    }
  });
});

describe('idp open: what opens nothing', () => {
  it('on the standalone server (no web UI) says so and how to open a PR instead', async () => {
    api.on('GET /health', { body: health({ name: 'standalone', version: '0.1.0' }) });
    const r = await open([]);
    assert.equal(r.code, 2);
    assert.deepEqual(r.given, []);
    assert.match(r.err, /standalone idp server: it has no web UI/);
    assert.match(r.err, /idp open --pr <n>/);
  });

  it('rejects conflicting forms and a bad environment name before asking the server', async () => {
    for (const args of [['--releases', '--activity'], ['--secrets', '--releases'], ['--logs', '--metrics'], ['--pr', '3', 'staging'], ['--pr', '3', '--secrets'], ['--pr', '3', '--env', 'staging'], ['staging', '--env', 'staging'], ['Not_An_Env'], ['--env', 'Not_An_Env']]) {
      const r = await open(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assert.deepEqual(r.given, []);
    }
    assert.equal(api.requests.length, 0);
  });

  it('keeps its tab paths equal to the frontend plugin\'s TAB_PATHS', () => {
    const plugin = readFileSync(new URL('../../backstage-plugin/idp/src/plugin.tsx', import.meta.url), 'utf8');
    const m = /export const TAB_PATHS = (\{[^}]*\})/.exec(plugin);
    assert.ok(m, 'TAB_PATHS in plugin.tsx');
    const theirs = Object.fromEntries([...m[1]!.matchAll(/(\w+): '([^']+)'/g)].map((x) => [x[1], x[2]]));
    assert.deepEqual(theirs, { ...TAB_PATHS });
  });
});
