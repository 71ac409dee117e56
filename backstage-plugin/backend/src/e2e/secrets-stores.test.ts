/**
 * Two secret stores routed by environment pattern in one component, through the embedded stack as `npm start` runs it
 * (Backstage and the idp plugin, the worker, the Temporal dev server) configured by the test harness: staging → Vault
 * KV v2 (the fake checked against Vault's published API description), prod* → AWS Secrets Manager (a real
 * moto_server). The real `idp` bin sets a value in each, `idp secrets` and `idp secrets check` see both, and the
 * Scaffolder action idp:secret:set-ref (through the Actions registry, as the caller) points a key at an existing secret.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsConfig, type SecretList, type WorkflowStatus } from '@idp/core';
import { canaryValue, startMoto, startVaultFake, type Moto, type VaultFake } from '@idp/providers/testing';
import { eventually } from '@idp/worker/testing';
import { startEmbedded, type EmbeddedStack } from '../testing/embedded.js';

const IDP = fileURLToPath(new URL('../../../../cli/bin/idp.js', import.meta.url));

describe('secrets in two stores routed by environment (staging → Vault, prod* → AWS SM)', () => {
  let stack: EmbeddedStack;
  let moto: Moto;
  let vault: VaultFake;
  let cliHome: string;
  before(async () => {
    [moto, vault] = await Promise.all([startMoto(), startVaultFake()]);
    cliHome = mkdtempSync(join(tmpdir(), 'idp-stores-cli-'));
    stack = await startEmbedded({
      secrets: SecretsConfig.parse({
        stores: {
          vault: { type: 'vault', address: vault.url, tokenEnv: 'IDP_TEST_VAULT_TOKEN' },
          aws: { type: 'aws-sm', region: 'us-east-1', endpoint: moto.url, accessKeyIdEnv: 'IDP_TEST_AWS_KEY_ID', secretAccessKeyEnv: 'IDP_TEST_AWS_SECRET' },
        },
        rules: [
          { environments: 'staging', store: 'vault' },
          { environments: 'prod*', store: 'aws' },
        ],
      }),
      env: { IDP_TEST_VAULT_TOKEN: vault.token, IDP_TEST_AWS_KEY_ID: 'test', IDP_TEST_AWS_SECRET: 'test' },
    });
  });
  after(async () => {
    await stack?.stop();
    await moto?.stop();
    await vault?.close();
    if (cliHome) rmSync(cliHome, { recursive: true, force: true });
  });

  const idp = async (args: string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> => {
    const env = { PATH: process.env.PATH ?? '', HOME: cliHome, XDG_CONFIG_HOME: join(cliHome, 'config'), NO_COLOR: '1', IDP_API_URL: stack.apiUrl, IDP_TOKEN: await stack.tokenFor('alice') };
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [IDP, ...args], { cwd: stack.demo.workdir, env, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(stdin);
    });
  };
  const merged = async (s: { workflowId: string; pr?: { number: number } }) => {
    const client = await stack.clientAs('alice');
    await client.merge(s.pr!.number, { repo: stack.demo.bare });
    await eventually(async () => (await client.workflow(s.workflowId, 5)).status === 'completed', 60_000, `${s.workflowId} to complete`);
  };
  /** The lines a PR adds, as its diff shows them. */
  const addedLines = async (n: number) => {
    const { files } = await (await stack.clientAs('alice')).diff({ repo: stack.demo.bare }, n);
    return files[0]!.patch.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++'));
  };

  it('a value per environment lands in its routed store; idp secrets and check see both stores', async () => {
    const values = { staging: canaryValue(), production: canaryValue() };
    for (const env of ['staging', 'production'] as const) {
      const r = await idp(['secrets', 'set', 'STRIPE_KEY', '--env', env, '--json'], values[env]);
      assert.equal(r.code, 0, r.stderr);
      const s = JSON.parse(r.stdout) as WorkflowStatus;
      assert.equal(s.secret?.store, env === 'staging' ? 'vault' : 'aws');
      // The reference line, and for production (no secrets yet in the demo) the `secrets:` key that holds it.
      const added = await addedLines(s.pr!.number);
      assert.deepEqual(added.slice(0, -1), env === 'production' ? ['+    secrets:'] : [], added.join('\n'));
      assert.ok(added.at(-1)!.includes(s.secret!.ref!) && added.at(-1)!.includes(s.secret!.version!), added.at(-1));
      await merged(s);
    }
    // The values are where the routing put them (the test reads them; idp never does).
    assert.deepEqual(vault.secret('idp/checkout/staging/STRIPE_KEY')!.versions.get(1)!.data, { value: values.staging });
    const aws = new SecretsManagerClient({ region: 'us-east-1', endpoint: moto.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    assert.equal((await aws.send(new GetSecretValueCommand({ SecretId: 'idp/checkout/production/STRIPE_KEY' }))).SecretString, values.production);
    aws.destroy();

    for (const [env, store] of [['staging', 'vault'], ['production', 'aws']] as const) {
      const list = JSON.parse((await idp(['secrets', '--env', env, '--json'])).stdout) as SecretList;
      assert.deepEqual(list.secrets.map((s) => [s.key, s.store, s.exists, s.versionExists]), [['STRIPE_KEY', store, true, true]]);
      assert.equal(list.route.store, store);
      const check = await idp(['secrets', 'check', '--env', env]);
      assert.equal(check.code, 0, check.stdout + check.stderr);
      assert.match(check.stdout, new RegExp(`All 1 secret of ${env} resolve in their stores`));
    }
    assert.deepEqual(vault.violations, []);
  });

  it('idp:secret:set-ref through the Actions registry points a key at an existing secret, as the caller', async () => {
    const url = `${stack.baseUrl}/api/idp/.backstage/actions/v1/actions/idp:secret:set-ref/invoke`;
    const headers = { authorization: `Bearer ${await stack.tokenFor('bob')}`, 'content-type': 'application/json' };
    const ref = 'vault://secret/idp/checkout/staging/STRIPE_KEY#value';
    const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ component: 'component:default/checkout', env: 'staging', key: 'PAYMENTS_KEY', ref }) });
    const body = (await res.json()) as { output: { prUrl: string; workflowId: string } };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.match(body.output.workflowId, /^env-secrets:checkout:staging@/);
    const n = Number(/\/pulls\/(\d+)/.exec(body.output.prUrl)![1]);
    const pr = await (await stack.clientAs('bob')).pull({ repo: stack.demo.bare }, n);
    assert.equal(pr.author, 'user:default/bob');
    const added = await addedLines(n);
    assert.equal(added.length, 1);
    assert.match(added[0]!, /PAYMENTS_KEY: \{ ref: "?vault:\/\/secret\/idp\/checkout\/staging\/STRIPE_KEY#value"?, version: "?1"? \}/);
    // A reference to nothing is refused, and nothing is proposed.
    const missing = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ component: 'component:default/checkout', env: 'production', key: 'NOPE', ref: 'aws-sm://shared/nothing' }) });
    assert.notEqual(missing.status, 200);
    assert.match(await missing.text(), /There is no secret at aws-sm:\/\/shared\/nothing in store \\?"aws\\?"/);
  });
});
