/**
 * AWS Secrets Manager against a real moto_server, reached through a fault proxy (403/429/500 in AWS's own error
 * format), then what only this store has: paging ListSecrets past 100 keys, no value read back, the request token.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AwsSmStoreConfig } from '@idp/core';
import { awsJsonFault, faultProxy, startMoto, type FaultProxy, type Moto } from '../testing/index.js';
import { AwsSecretsManagerStore } from './aws-sm.js';
import { secretStoreContract } from './contract.js';
import { requestToken } from './common.js';

const ENV = { IDP_TEST_AWS_KEY_ID: 'test', IDP_TEST_AWS_SECRET: 'test' };
const config = (endpoint: string, prefix = 'idp/') =>
  AwsSmStoreConfig.parse({ type: 'aws-sm', region: 'eu-west-1', endpoint, prefix, accessKeyIdEnv: 'IDP_TEST_AWS_KEY_ID', secretAccessKeyEnv: 'IDP_TEST_AWS_SECRET' });

secretStoreContract('aws-sm (moto)', async () => {
  const moto = await startMoto();
  const proxy = await faultProxy(moto.url, awsJsonFault);
  return {
    store: new AwsSecretsManagerStore('aws', config(proxy.url), { env: ENV }),
    faults: proxy,
    missingVersion: randomUUID(),
    async stop() {
      await proxy.close();
      await moto.stop();
    },
  };
});

describe('aws-sm (moto): what only this store has', () => {
  let moto: Moto;
  let proxy: FaultProxy;
  before(async () => {
    moto = await startMoto();
    proxy = await faultProxy(moto.url, awsJsonFault);
  });
  after(async () => {
    await proxy?.close();
    await moto?.stop();
  });
  const target = (component: string, key: string) => ({ component, env: 'staging', key });

  it('one secret per key at <prefix><component>/<env>/<KEY>; the ClientRequestToken comes from the request id', async () => {
    const store = new AwsSecretsManagerStore('aws', config(proxy.url, 'platform/idp/'), { env: ENV });
    const requestId = randomUUID();
    const put = await store.putVersion(target('checkout', 'STRIPE_KEY'), 'sk_test_1', requestId);
    assert.equal(put.ref, 'aws-sm://platform/idp/checkout/staging/STRIPE_KEY');
    assert.equal(put.version, requestToken(requestId, put.ref), 'the VersionId is the token derived from the request id');
    assert.match(put.version, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // A hand-written reference to a JSON secret's key: its secret is described, the key ignored.
    const [s] = await store.describe([{ ref: `${put.ref}#password`, version: put.version }]);
    assert.equal(s!.versionExists, true);
  });

  it('describes 205 keys of one environment with paged ListSecrets calls and no per-key call, never reading a value', async () => {
    const component = `many-${randomUUID().slice(0, 6)}`;
    const admin = new SecretsManagerClient({ endpoint: moto.url, region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const keys = Array.from({ length: 205 }, (_, i) => `KEY_${i}`);
    // Seeded straight into moto (not through the proxy): this test counts the calls describe makes.
    for (const k of keys) await admin.send(new CreateSecretCommand({ Name: `idp/${component}/staging/${k}`, SecretString: 'x' }));
    const store = new AwsSecretsManagerStore('aws', config(proxy.url), { env: ENV });
    const calls: string[] = [];
    const seen = (store as unknown as { client: SecretsManagerClient }).client;
    seen.middlewareStack.add((next, ctx) => (args) => (calls.push(ctx.commandName as string), next(args)), { step: 'initialize' });
    const statuses = await store.describe(keys.map((k) => ({ ref: store.refFor(target(component, k)) })));
    assert.equal(statuses.filter((s) => s.exists && s.currentVersion).length, 205);
    assert.deepEqual(calls, ['ListSecretsCommand', 'ListSecretsCommand', 'ListSecretsCommand'], '100 + 100 + 5 secrets');
    assert.ok(!calls.some((c) => /GetSecretValue/.test(c)));
  });

  it('a missing credential variable is a permission-denied error naming the variable', async () => {
    const store = new AwsSecretsManagerStore('aws', config(proxy.url), { env: {} });
    await assert.rejects(store.putVersion(target('checkout', 'K'), 'v', randomUUID()), (e: Error & { kind?: string }) => {
      assert.equal(e.kind, 'permission-denied');
      assert.match(e.message, /IDP_TEST_AWS_KEY_ID and IDP_TEST_AWS_SECRET is not set/);
      return true;
    });
  });

  it('the same request id with a different value is refused, the first version kept', async () => {
    const store = new AwsSecretsManagerStore('aws', config(proxy.url), { env: ENV });
    const t = target(`c-${randomUUID().slice(0, 6)}`, 'K');
    const id = randomUUID();
    const first = await store.putVersion(t, 'first-value', id);
    await assert.rejects(store.putVersion(t, 'other-value', id), (e: Error & { kind?: string }) => {
      assert.equal(e.kind, 'invalid');
      assert.match(e.message, /request id was already used/);
      assert.ok(!e.message.includes('other-value'));
      return true;
    });
    const [s] = await store.describe([{ ref: first.ref }]);
    assert.equal(s!.currentVersion, first.version);
  });
});
