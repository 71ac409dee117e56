/**
 * Secrets through the standalone stack (the real Temporal dev server, the worker, the Platform API, real repositories)
 * with three real stores routed by environment: staging → Vault KV v2 (the fake checked against Vault's OpenAPI
 * description), prod* → AWS Secrets Manager (a real moto_server), preview-* → SOPS + age (the real sops, a git
 * repository), and no default (qa routes nowhere).
 *
 * What it proves: one component with two stores chosen by environment pattern; each secret PR's diff is exactly the
 * reference line; a value lands in the routed store as one version (the same request again writes no second one);
 * every refusal — bad key, empty or oversized value, no store routed, an unconfigured or missing reference, another
 * open change — says why and writes nothing in git, in Temporal or in any store; a worker killed after the value was
 * stored and before the PR existed leaves exactly one version and one PR.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateSecretCommand, GetSecretValueCommand, ListSecretsCommand, ListSecretVersionIdsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PlatformClient } from '@idp/core/client';
import { SecretsConfig, type IdpError, type WorkflowStatus } from '@idp/core';
import { ensureEmbeddedSecretStore } from '@idp/providers/secrets';
import { canaryValue, createRepo, startMoto, startVaultFake, type Moto, type TestRepo, type VaultFake } from '@idp/providers/testing';
import { startTestStack, type TestStack } from '../testing/stack.js';
import { branches, completed, diffLines, git } from './fixtures.js';

const PAWS = `apiVersion: paws.dev/v1
kind: Workload
metadata:
  name: checkout
  owner: team-payments
containers:
  web:
    image: ghcr.io/acme/checkout:1.4.2
environments:
  staging:
    secrets:
      SENTRY_DSN: { ref: "vault://secret/shared/sentry#dsn" }
  production:
    secrets:
      SENTRY_DSN: { ref: "aws-sm://shared/sentry" }
  preview-1:
    from: staging
  qa: {}
`;

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** The one line a secret's PR writes: `      KEY: { ref: …, version: … }` (quoting as the YAML writer chooses). */
const refLine = (key: string, ref: string, version: string, indent = 6) => new RegExp(`^ {${indent}}${key}: \\{ ref: "?${esc(ref)}"?, version: "?${esc(version)}"? \\}$`);

const AWS_ENV = { IDP_TEST_AWS_KEY_ID: 'test', IDP_TEST_AWS_SECRET: 'test' };

describe('secrets on the standalone stack, three stores routed by environment', () => {
  let stack: TestStack;
  /** The same stack's API, with no worker of its own: its workers are child processes a test kills. */
  let bare: TestStack;
  let moto: Moto;
  let vault: VaultFake;
  let home: string;
  let sopsRepo: string;
  let aws: SecretsManagerClient;

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'idp-secrets-e2e-'));
    [moto, vault] = await Promise.all([startMoto(), startVaultFake()]);
    Object.assign(process.env, AWS_ENV, { IDP_TEST_VAULT_TOKEN: vault.token });
    const local = (await ensureEmbeddedSecretStore(home)).stores.local!;
    sopsRepo = join(home, 'secrets.git');
    const secrets = SecretsConfig.parse({
      stores: {
        vault: { type: 'vault', address: vault.url, tokenEnv: 'IDP_TEST_VAULT_TOKEN' },
        aws: { type: 'aws-sm', region: 'us-east-1', endpoint: moto.url, accessKeyIdEnv: 'IDP_TEST_AWS_KEY_ID', secretAccessKeyEnv: 'IDP_TEST_AWS_SECRET' },
        local,
      },
      rules: [
        { environments: 'staging', store: 'vault' },
        { environments: 'prod*', store: 'aws' },
        { environments: 'preview-*', store: 'local' },
      ],
    });
    const cacheDir = join(home, 'cache');
    stack = await startTestStack({ secrets, secretsCacheDir: cacheDir });
    bare = await startTestStack({ secrets, secretsCacheDir: cacheDir, inProcessWorker: false });
    aws = new SecretsManagerClient({ region: 'us-east-1', endpoint: moto.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  });
  after(async () => {
    await stack?.stop();
    await bare?.stop();
    await moto?.stop();
    await vault?.close();
    aws?.destroy();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  const newRepo = async (t: { after(fn: () => unknown): void }) => {
    const repo = await createRepo({ files: { 'paws.yaml': PAWS } });
    t.after(() => repo.cleanup());
    return repo;
  };
  /** What every store holds, and every commit of the SOPS store: a refusal must leave all of it as it was. */
  const storeState = async () => ({
    vault: JSON.stringify(vault.requests.filter((r) => r.method !== 'GET' && r.status < 300)),
    aws: JSON.stringify(((await aws.send(new ListSecretsCommand({}))).SecretList ?? []).map((s) => [s.Name, s.SecretVersionsToStages])),
    sops: git(sopsRepo, 'log', '--all', '--format=%H').trim(),
  });
  const awsVersions = async (name: string) => ((await aws.send(new ListSecretVersionIdsCommand({ SecretId: name, IncludeDeprecated: true }))).Versions ?? []).length;
  const vaultVersions = (key: string, env = 'staging') => vault.secret(`idp/checkout/${env}/${key}`)?.versions.size ?? 0;
  const prDiff = async (client: PlatformClient, repo: TestRepo, s: WorkflowStatus) => {
    const pr = await client.pull({ repo: repo.bare }, s.pr!.number);
    return diffLines(repo.bare, pr.baseSha, pr.headSha);
  };
  const mergeAndWait = async (client: PlatformClient, repo: TestRepo, s: WorkflowStatus) => {
    await client.merge(s.pr!.number, { repo: repo.bare });
    return completed(client, s.workflowId);
  };

  it('staging → Vault, production → AWS SM in one component: each PR is the reference line, the value one version in its store, listed and checked', async (t) => {
    const repo = await newRepo(t);
    const c = stack.client;
    const staging = canaryValue();
    const s = await c.setSecret('staging', 'STRIPE_KEY', { repo: repo.bare, value: staging });
    assert.equal(s.kind, 'env-secrets');
    assert.deepEqual(s.secret, { key: 'STRIPE_KEY', action: 'set', ref: 'vault://secret/idp/checkout/staging/STRIPE_KEY#value', version: '1', store: 'vault' });
    const d = await prDiff(c, repo, s);
    assert.deepEqual(d.removed, []);
    assert.equal(d.added.length, 1, d.added.join('\n'));
    assert.match(d.added[0]!, refLine('STRIPE_KEY', 'vault://secret/idp/checkout/staging/STRIPE_KEY#value', '1'));
    assert.equal(vaultVersions('STRIPE_KEY'), 1);
    assert.deepEqual(vault.secret('idp/checkout/staging/STRIPE_KEY')!.versions.get(1)!.data, { value: staging });
    assert.equal((await mergeAndWait(c, repo, s)).phase, 'merged');
    // The history replay.test.ts replays, recorded here where the stores are: replaying in a process also running a
    // SOPS store failed now and then — the SDK's replay promise hook (vm-shared.js getActivator) throws on a Node-internal
    // promise whose own `constructor` is undefined, settling later.
    if (process.env.IDP_RECORD_HISTORIES) {
      writeFileSync(fileURLToPath(new URL('../../histories/env-secrets_checkout_staging.json', import.meta.url)), historyToJSON(await stack.api.temporal.workflow.getHandle(s.workflowId).fetchHistory()));
    }

    const production = canaryValue();
    const p = await c.setSecret('production', 'STRIPE_KEY', { repo: repo.bare, value: production });
    assert.equal(p.secret?.store, 'aws');
    assert.equal(p.secret?.ref, 'aws-sm://idp/checkout/production/STRIPE_KEY');
    const stored = await aws.send(new GetSecretValueCommand({ SecretId: 'idp/checkout/production/STRIPE_KEY' }));
    assert.equal(stored.SecretString, production);
    assert.equal(stored.VersionId, p.secret?.version);
    assert.equal(await awsVersions('idp/checkout/production/STRIPE_KEY'), 1);
    await mergeAndWait(c, repo, p);

    // SENTRY_DSN is a hand-written reference to a shared secret nobody has created yet: check says so, and only that.
    for (const [env, store, ref, shared] of [
      ['staging', 'vault', s.secret!.ref, 'vault://secret/shared/sentry#dsn'],
      ['production', 'aws', p.secret!.ref, 'aws-sm://shared/sentry'],
    ] as const) {
      const list = await c.listSecrets({ repo: repo.bare }, env, { check: true });
      assert.deepEqual(list.secrets.map((v) => ({ key: v.key, store: v.store, ref: v.ref, source: v.source, exists: v.exists, versionExists: v.versionExists })), [
        { key: 'SENTRY_DSN', store, ref: shared, source: 'own', exists: false, versionExists: undefined },
        { key: 'STRIPE_KEY', store, ref, source: 'own', exists: true, versionExists: true },
      ]);
      assert.equal(list.route.store, store);
      assert.deepEqual(list.check, { ok: false, problems: [{ key: 'SENTRY_DSN', problem: `${shared} does not exist in store "${store}"` }] });
    }
    // Created in the stores (as a platform team would), both resolve.
    const put = await fetch(`${vault.url}/v1/secret/data/shared/sentry`, { method: 'POST', headers: { 'x-vault-token': vault.token, 'content-type': 'application/json' }, body: JSON.stringify({ data: { dsn: canaryValue() } }) });
    assert.equal(put.status, 200);
    await aws.send(new CreateSecretCommand({ Name: 'shared/sentry', SecretString: canaryValue() }));
    for (const env of ['staging', 'production']) assert.deepEqual((await c.listSecrets({ repo: repo.bare }, env, { check: true })).check, { ok: true, problems: [] });
    // preview-1 inherits staging's along from:, and would write new keys to the SOPS store.
    const preview = await c.listSecrets({ repo: repo.bare }, 'preview-1');
    assert.deepEqual(preview.secrets.map((v) => [v.key, v.store, v.source]), [['SENTRY_DSN', 'vault', 'from:staging'], ['STRIPE_KEY', 'vault', 'from:staging']]);
    assert.equal(preview.route.store, 'local');
    assert.deepEqual(preview.route.ref, 'sops://checkout/preview-1.enc.yaml#<KEY>');
    assert.deepEqual(vault.violations, []);
  });

  it('the PR diff of a secret change is exactly the reference line, set again it is that one line changed', async (t) => {
    const repo = await newRepo(t);
    const c = stack.client;
    const first = await c.setSecret('production', 'API_TOKEN', { repo: repo.bare, value: canaryValue() });
    const d1 = await prDiff(c, repo, first);
    await mergeAndWait(c, repo, first);
    const second = await c.setSecret('production', 'API_TOKEN', { repo: repo.bare, value: canaryValue() });
    const d2 = await prDiff(c, repo, second);
    const ref = 'aws-sm://idp/checkout/production/API_TOKEN';
    assert.deepEqual(d1.removed, []);
    assert.equal(d1.added.length, 1);
    assert.match(d1.added[0]!, refLine('API_TOKEN', ref, first.secret!.version!));
    assert.deepEqual(d2, { removed: d1.added, added: [d2.added[0]!] });
    assert.match(d2.added[0]!, refLine('API_TOKEN', ref, second.secret!.version!));
    assert.notEqual(first.secret!.version, second.secret!.version);
    await mergeAndWait(c, repo, second);
  });

  it('the same request again (its Idempotency-Key) writes no second version and joins the same PR; another request meanwhile is refused (409) before its value is stored', async (t) => {
    const repo = await newRepo(t);
    const retrying = new PlatformClient({ baseUrl: stack.api.url, user: 'dev@example.com', token: stack.token, idempotencyKey: `retry-${Date.now()}` });
    const value = canaryValue();
    const a = await retrying.setSecret('staging', 'DB_PASSWORD', { repo: repo.bare, value });
    const b = await retrying.setSecret('staging', 'DB_PASSWORD', { repo: repo.bare, value });
    assert.equal(b.pr?.number, a.pr?.number);
    assert.equal(b.secret?.version, a.secret?.version);
    assert.equal(vaultVersions('DB_PASSWORD'), 1);

    const before = await storeState();
    const other = canaryValue();
    await assert.rejects(stack.client.setSecret('staging', 'OTHER', { repo: repo.bare, value: other }), (e: IdpError) => {
      assert.equal(e.status, 409);
      assert.match(e.message, new RegExp(`A secret change of staging is already open \\(set DB_PASSWORD, PR #${a.pr!.number}: .*\\): merge or close it first`));
      assert.ok(!e.message.includes(other));
      return true;
    });
    assert.deepEqual(await storeState(), before);
    assert.equal(vaultVersions('OTHER'), 0);
    assert.equal((await stack.client.listPulls({ repo: repo.bare }, 'all')).length, 1);
    // The open change shows in the list, and its PR can be closed to make way.
    assert.equal((await stack.client.listSecrets({ repo: repo.bare }, 'staging')).pending?.secret?.key, 'DB_PASSWORD');
    await stack.client.close(a.pr!.number, { repo: repo.bare });
  });

  it('bad input: a clear error that never quotes the value, and nothing written in git, Temporal or any store', async (t) => {
    const repo = await newRepo(t);
    const mainBefore = git(repo.bare, 'rev-parse', 'main').trim();
    const before = await storeState();
    const value = canaryValue();
    const refused: [string, () => Promise<unknown>, number, RegExp][] = [
      ['an empty value', () => stack.client.setSecret('staging', 'STRIPE_KEY', { repo: repo.bare, value: '' }), 400, /The secret value is empty/],
      ['a bad key name', () => stack.client.setSecret('staging', '9LIVES', { repo: repo.bare, value }), 400, /Invalid secret name: the name is not an environment variable name/],
      ['KEY=value as the key', () => stack.client.setSecret('staging', `KEY=${value}`, { repo: repo.bare, value }), 400, /the name contains "="/],
      ['an oversized value (the store\'s limit)', () => stack.client.setSecret('production', 'BIG', { repo: repo.bare, value: 'x'.repeat(65_537) }), 400, /65,537 bytes; store "aws" \(aws-sm\), where production of checkout writes, takes at most 65,536 bytes/],
      ['no store routed', () => stack.client.setSecret('qa', 'STRIPE_KEY', { repo: repo.bare, value }), 400, /No routing rule of idp\.secrets matches checkout in qa \(owner team-payments\) and there is no default store/],
      ['a reference no configured store serves', () => stack.client.setSecret('staging', 'STRIPE_KEY', { repo: repo.bare, ref: 'gcp-sm://projects/p/secrets/s' }), 400, /No configured secret store serves gcp-sm:\/\/ references/],
      ['a Vault reference on a mount no store has', () => stack.client.setSecret('staging', 'STRIPE_KEY', { repo: repo.bare, ref: 'vault://kv/checkout/staging#stripe_key' }), 400, /No configured secret store serves vault:\/\/kv\/ references \(the Vault stores' mounts: secret\)/],
      ['a reference that does not exist', () => stack.client.setSecret('staging', 'STRIPE_KEY', { repo: repo.bare, ref: 'vault://secret/shared/nothing#value' }), 404, /There is no secret at vault:\/\/secret\/shared\/nothing#value in store "vault"/],
      ['a value and a reference', () => stack.client.setSecret('staging', 'STRIPE_KEY', { repo: repo.bare, value, ref: 'vault://secret/x#value' }), 400, /either value .* or ref/],
      ['a version without a reference', () => stack.client.setSecret('staging', 'STRIPE_KEY', { repo: repo.bare, value, version: '2' }), 400, /version goes with ref/],
      ['an environment paws.yaml does not have', () => stack.client.setSecret('nope', 'STRIPE_KEY', { repo: repo.bare, value }), 404, /nope/],
      ['unset of a key the environment does not have', () => stack.client.unsetSecret('staging', 'STRIPE_KEY', { repo: repo.bare }), 400, /staging has no secret STRIPE_KEY/],
      ['a reference of a managed store in the wrong shape', () => stack.client.setSecret('staging', 'STRIPE_KEY', { repo: repo.bare, ref: 'vault://secret-without-key' }), 400, /is not valid: a Vault reference is vault:\/\/<mount>\/<path>#<key>/],
    ];
    for (const [what, send, status, message] of refused) {
      await assert.rejects(send(), (e: IdpError) => {
        assert.equal(e.status, status, `${what}: ${e.message}`);
        assert.match(e.message, message, what);
        assert.ok(!e.message.includes(value), `${what}: the error quotes the value`);
        return true;
      }, what);
    }
    assert.deepEqual(await storeState(), before, 'no store written');
    assert.equal(git(repo.bare, 'rev-parse', 'main').trim(), mainBefore, 'main unchanged');
    assert.deepEqual(branches(repo.bare), ['main'], 'no branch pushed');
    const runs: string[] = [];
    for await (const wf of stack.api.temporal.workflow.list({ query: `IdpRepo = '${repo.bare}'` })) runs.push(wf.workflowId);
    assert.deepEqual(runs, [], 'no workflow started');
  });

  it('a dry run shows the reference line it would pin, and writes nothing; unset opens a PR removing the line, the value stays', async (t) => {
    const repo = await newRepo(t);
    const before = await storeState();
    const plan = await stack.client.setSecret('preview-1', 'SESSION_KEY', { repo: repo.bare, value: canaryValue(), dryRun: true });
    assert.equal(plan.dryRun, true);
    // The version is the store's to assign when it writes: the plan pins none yet.
    assert.deepEqual(plan.secret, { key: 'SESSION_KEY', action: 'set', ref: 'sops://checkout/preview-1.enc.yaml#SESSION_KEY', store: 'local' });
    const added = plan.files[0]!.patch.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++')).map((l) => l.slice(1));
    assert.deepEqual(added.slice(0, -1), ['    secrets:'], 'the first secret of preview-1 also opens its secrets: mapping');
    assert.match(added.at(-1)!, /^ {6}SESSION_KEY: \{ ref: "?sops:\/\/checkout\/preview-1\.enc\.yaml#SESSION_KEY"? \}$/);
    assert.deepEqual(await storeState(), before);
    assert.deepEqual(branches(repo.bare), ['main']);

    const set = await stack.client.setSecret('preview-1', 'SESSION_KEY', { repo: repo.bare, value: canaryValue() });
    assert.match(set.secret!.version!, /^[0-9a-f]{40}$/, 'a sops version is the secrets repository\'s commit');
    await mergeAndWait(stack.client, repo, set);
    const unset = await stack.client.unsetSecret('preview-1', 'SESSION_KEY', { repo: repo.bare });
    assert.deepEqual(unset.secret, { key: 'SESSION_KEY', action: 'unset' });
    const d = await prDiff(stack.client, repo, unset);
    assert.equal(d.added.length, 0);
    assert.equal(d.removed.length, 2);
    await mergeAndWait(stack.client, repo, unset);
    // What preview-1 had of its own is gone; what it inherits from staging stays.
    assert.deepEqual((await stack.client.listSecrets({ repo: repo.bare }, 'preview-1')).secrets.map((s) => [s.key, s.source]), [['SENTRY_DSN', 'from:staging']]);
    // The value is still in its store (an operator purges it).
    assert.ok(git(sopsRepo, 'show', 'main:checkout/preview-1.enc.yaml').includes('SESSION_KEY:'));
  });

  it('worker killed after the value was stored and before the PR: restart → exactly one stored version and one PR', async (t) => {
    const repo = await newRepo(t);
    const doomed = bare.spawnWorker({ IDP_FAULT: 'after-push' });
    const request = bare.client.setSecret('staging', 'WEBHOOK_SECRET', { repo: repo.bare, value: canaryValue() });
    const [, signal] = await once(doomed, 'exit');
    assert.equal(signal, 'SIGKILL', 'the worker died at the fault point');
    assert.equal(vaultVersions('WEBHOOK_SECRET'), 1, 'the value was stored before the workflow started');
    assert.ok(git(repo.bare, 'branch', '--list', 'idp/env-secrets/checkout/staging').trim(), 'the dead worker pushed the branch');

    const healthy = bare.spawnWorker();
    t.after(async () => {
      healthy.kill('SIGTERM');
      if (healthy.exitCode === null && healthy.signalCode === null) await once(healthy, 'exit');
    });
    const res = await request;
    assert.equal(res.phase, 'open');
    const pulls = await bare.client.listPulls({ repo: repo.bare }, 'all');
    assert.equal(pulls.length, 1, 'exactly one PR');
    assert.equal(vaultVersions('WEBHOOK_SECRET'), 1, 'exactly one stored version');
    const d = await prDiff(bare.client, repo, res);
    assert.equal(d.added.length, 1);
    assert.match(d.added[0]!, refLine('WEBHOOK_SECRET', 'vault://secret/idp/checkout/staging/WEBHOOK_SECRET#value', '1'));
    await bare.client.merge(res.pr!.number, { repo: repo.bare });
    assert.equal((await completed(bare.client, res.workflowId)).phase, 'merged');
  });

  it('a kustomize overlay in the same repository: the secret PR also rewrites its ExternalSecret, so merging it moves the cluster to the new version', async (t) => {
    const paws = PAWS.replace('environments:\n', 'deploy:\n  path: deploy/{env}\n  format: kustomize\nenvironments:\n');
    const overlay = 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../base\nimages:\n  - name: ghcr.io/acme/checkout\n    newTag: "1.4.2"\n';
    const repo = await createRepo({ files: { 'paws.yaml': paws, 'deploy/production/kustomization.yaml': overlay } });
    t.after(() => repo.cleanup());
    const s = await stack.client.setSecret('production', 'STRIPE_KEY', { repo: repo.bare, value: canaryValue() });
    const pr = await stack.client.pull({ repo: repo.bare }, s.pr!.number);
    const files = git(repo.bare, 'diff', '--name-only', pr.baseSha, pr.headSha).trim().split('\n').sort();
    assert.deepEqual(files, ['deploy/production/externalsecret.yaml', 'deploy/production/kustomization.yaml', 'paws.yaml']);
    const es = git(repo.bare, 'show', `${pr.headSha}:deploy/production/externalsecret.yaml`);
    assert.match(es, /kind: ExternalSecret/);
    assert.match(es, new RegExp(`secretKey: STRIPE_KEY[\\s\\S]*key: idp/checkout/production/STRIPE_KEY[\\s\\S]*version: uuid/${esc(s.secret!.version!)}`));
    assert.match(git(repo.bare, 'show', `${pr.headSha}:deploy/production/kustomization.yaml`), /resources:\n  - \.\.\/base\n  - externalsecret\.yaml\n/);
    // staging has no overlay file: its secret PR is the reference line alone.
    const st = await stack.client.setSecret('staging', 'STRIPE_KEY', { repo: repo.bare, value: canaryValue() });
    const stPr = await stack.client.pull({ repo: repo.bare }, st.pr!.number);
    assert.deepEqual(git(repo.bare, 'diff', '--name-only', stPr.baseSha, stPr.headSha).trim(), 'paws.yaml');
  });
});
