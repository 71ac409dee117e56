/**
 * The Vault KV v2 store against the Vault fake (every request and response checked against Vault's published API
 * description; each suite ends asserting the fake saw no violation): the store contract, then what is Vault's own —
 * where and how a value is stored, idempotency by request id across lost answers, crashes and concurrent writers,
 * describe reading metadata only, retries and their waits, and errors that name the cause without the value or token.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SecretsConfig, VaultStoreConfig } from '@idp/core';
import { assertStoreError, canaryValue, secretStoreContract, type StoreFault } from './contract.js';
import { startVaultFake, type VaultFake } from '../testing/vault-fake.js';
import { secretStoresFrom } from './stores.js';
import { requestMark, VaultKv2Store, type VaultKv2Options } from './vault-kv2.js';

const TOKEN_ENV = 'IDP_TEST_VAULT_TOKEN';
const FAULT_STATUS: Record<StoreFault, number> = { 'permission-denied': 403, throttled: 429, unavailable: 503 };
/** Short backoff: the waits are asserted by observing them (below), not by taking them. */
const FAST = { retry: { baseDelayMs: 2, maxDelayMs: 10 } };

function storeFor(fake: VaultFake, config: Partial<VaultStoreConfig> = {}, opts: VaultKv2Options = {}): VaultKv2Store {
  const parsed = VaultStoreConfig.parse({ type: 'vault', address: fake.url, tokenEnv: TOKEN_ENV, ...config });
  return new VaultKv2Store('vault', parsed, { env: { [TOKEN_ENV]: fake.token }, ...FAST, ...opts });
}

function noViolations(fake: VaultFake) {
  assert.deepEqual(fake.violations, [], 'every request and response matched Vault\'s published API description');
}

secretStoreContract('vault (KV v2, on the validated Vault fake)', async () => {
  const fake = await startVaultFake();
  return {
    store: storeFor(fake),
    faults: {
      inject: (fault, times) => fake.fail({ status: FAULT_STATUS[fault], times }),
      served: () => fake.faultsServed,
      clear: () => fake.clearFaults(),
    },
    missingVersion: '999999',
    async stop() {
      await fake.close();
      noViolations(fake);
    },
  };
});

describe('vault KV v2 store', () => {
  let fake: VaultFake;
  let store: VaultKv2Store;
  const target = (key = 'STRIPE_KEY', component = `c-${randomUUID().slice(0, 8)}`) => ({ component, env: 'staging', key });
  before(async () => {
    fake = await startVaultFake({ mounts: ['secret', 'platform/kv'] });
    store = storeFor(fake);
  });
  after(async () => {
    await fake.close();
    noViolations(fake);
  });

  it('stores { value } as a KV v2 version at <mount>/data/<prefix><component>/<env>/<KEY>; ref vault://…#value', async () => {
    const t = target('STRIPE_KEY', 'checkout');
    assert.equal(store.refFor(t), 'vault://secret/idp/checkout/staging/STRIPE_KEY#value');
    const v1 = await store.putVersion(t, 'sk_test_1', randomUUID());
    const v2 = await store.putVersion(t, 'sk_test_2', randomUUID());
    assert.deepEqual([v1, v2], [
      { ref: 'vault://secret/idp/checkout/staging/STRIPE_KEY#value', version: '1' },
      { ref: 'vault://secret/idp/checkout/staging/STRIPE_KEY#value', version: '2' },
    ]);
    const secret = fake.secret('idp/checkout/staging/STRIPE_KEY')!;
    assert.deepEqual(secret.versions.get(1)!.data, { value: 'sk_test_1' });
    assert.deepEqual(secret.versions.get(2)!.data, { value: 'sk_test_2' });
    // Another mount (with "/") and prefix.
    const other = storeFor(fake, { mount: 'platform/kv', prefix: 'teams/payments/' });
    const put = await other.putVersion(t, 'x', randomUUID());
    assert.equal(put.ref, 'vault://platform/kv/teams/payments/checkout/staging/STRIPE_KEY#value');
    assert.deepEqual(fake.secret('teams/payments/checkout/staging/STRIPE_KEY', 'platform/kv')!.versions.get(1)!.data, { value: 'x' });
    assert.equal((await other.describe([{ ref: put.ref, version: '1' }]))[0]!.versionExists, true);
  });

  it('is what the platform config\'s `type: vault` store makes (token named by environment variable)', async () => {
    const config = SecretsConfig.parse({ stores: { payments: { type: 'vault', address: fake.url, tokenEnv: TOKEN_ENV } }, default: 'payments' });
    const payments = secretStoresFrom(config, { [TOKEN_ENV]: fake.token }).get('payments')!;
    assert.ok(payments instanceof VaultKv2Store);
    assert.deepEqual([payments.name, payments.type, payments.maxValueBytes], ['payments', 'vault', 65_536]);
    const put = await payments.putVersion(target('API_KEY', 'checkout'), canaryValue(), randomUUID());
    assert.equal(put.ref, 'vault://secret/idp/checkout/staging/API_KEY#value');
  });

  it('records each write\'s request in custom_metadata, keeps an operator\'s own keys, prunes marks past max_versions', async () => {
    const t = target();
    const path = `idp/${t.component}/staging/${t.key}`;
    await fetch(`${fake.url}/v1/secret/metadata/${path}`, { method: 'POST', headers: { 'X-Vault-Token': fake.token }, body: JSON.stringify({ custom_metadata: { owner: 'team-payments' } }) });
    const ids = Array.from({ length: 12 }, () => randomUUID());
    for (const id of ids) await store.putVersion(t, canaryValue(), id);
    const custom = fake.secret(path)!.custom!;
    assert.equal(custom.owner, 'team-payments');
    const marks = Object.keys(custom).filter((k) => k.startsWith('idp-request-'));
    // Versions 3..12 are kept (max_versions 10); the marks of 1 and 2 went with them (pruned on the next write).
    assert.equal(custom[requestMark(ids[11]!)], '12');
    assert.equal(custom[requestMark(ids[0]!)], undefined);
    assert.ok(marks.length <= 11, `${marks.length} marks`);
    assert.ok(!Object.values(custom).some((v) => v.includes(ids[11]!)), 'the request id itself is not stored, only its digest');
  });

  it('a write whose answer was lost (it landed) and is retried makes one version', async () => {
    const t = target();
    const id = randomUUID();
    fake.fail({ status: 0, landed: true, method: 'POST', path: /\/data\// });
    const put = await store.putVersion(t, canaryValue(), id);
    assert.equal(put.version, '1');
    assert.equal(fake.secret(`idp/${t.component}/staging/${t.key}`)!.currentVersion, 1);
    assert.deepEqual(await store.putVersion(t, canaryValue(), id), put);
  });

  it('a server that died between its claim and the value write: the restarted one writes exactly one version', async () => {
    const t = target();
    const id = randomUUID();
    const once = storeFor(fake, {}, { retry: { attempts: 1 } });
    fake.fail({ status: 0, method: 'POST', path: /\/data\// });
    await assert.rejects(once.putVersion(t, canaryValue(), id), (e) => assertStoreError(e, once, 'unavailable'));
    const path = `idp/${t.component}/staging/${t.key}`;
    assert.equal(fake.secret(path)!.currentVersion, 0, 'the claim was recorded, no value');
    const restarted = storeFor(fake);
    const value = canaryValue();
    assert.deepEqual(await restarted.putVersion(t, value, id), { ref: restarted.refFor(t), version: '1' });
    assert.deepEqual(await restarted.putVersion(t, value, id), { ref: restarted.refFor(t), version: '1' });
    assert.equal(fake.secret(path)!.currentVersion, 1);
    assert.equal(fake.secret(path)!.versions.get(1)!.data!.value, value);
  });

  it('concurrent writers of one key: check-and-set orders them, each gets the version holding its own value', async () => {
    const t = target();
    const values = [canaryValue('a'), canaryValue('b'), canaryValue('c')];
    const puts = await Promise.all(values.map((v) => store.putVersion(t, v, randomUUID())));
    assert.deepEqual(puts.map((p) => p.version).sort(), ['1', '2', '3']);
    const secret = fake.secret(`idp/${t.component}/staging/${t.key}`)!;
    puts.forEach((p, i) => assert.equal(secret.versions.get(Number(p.version))!.data!.value, values[i]));
  });

  it('a claim another request also holds is not trusted: a new version is written rather than someone else\'s returned', async () => {
    const t = target();
    const path = `idp/${t.component}/staging/${t.key}`;
    const mine = randomUUID();
    await store.putVersion(t, canaryValue(), randomUUID());
    await fetch(`${fake.url}/v1/secret/metadata/${path}`, {
      method: 'POST',
      headers: { 'X-Vault-Token': fake.token },
      body: JSON.stringify({ custom_metadata: { ...fake.secret(path)!.custom, [requestMark(mine)]: '1' } }),
    });
    assert.equal((await store.putVersion(t, canaryValue(), mine)).version, '2');
  });

  it('describe reads metadata only (no value), and tells deleted and destroyed versions from live ones', async () => {
    const t = target();
    const a = await store.putVersion(t, canaryValue(), randomUUID());
    const b = await store.putVersion(t, canaryValue(), randomUUID());
    const path = `idp/${t.component}/staging/${t.key}`;
    const vault = (p: string, body: unknown) => fetch(`${fake.url}/v1/secret/${p}`, { method: 'POST', headers: { 'X-Vault-Token': fake.token }, body: JSON.stringify(body) });
    await vault(`destroy/${path}`, { versions: [1] });
    await vault(`delete/${path}`, { versions: [2] });
    const from = fake.requests.length;
    const [s1, s2] = await store.describe([{ ref: a.ref, version: a.version }, { ref: b.ref, version: b.version }]);
    assert.deepEqual(fake.requests.slice(from).map((r) => `${r.method} ${r.path}`), [`GET /v1/secret/metadata/${path}`], 'one metadata read for both versions');
    assert.deepEqual([s1!.versionExists, s2!.versionExists, s2!.exists, s2!.currentVersion], [false, false, false, '2']);
  });

  it('describe of many keys: one metadata read per key, at most 16 in flight, answers in the order asked', async () => {
    const c = `many-${randomUUID().slice(0, 8)}`;
    const puts = [];
    for (let i = 0; i < 40; i++) puts.push(await store.putVersion(target(`K${i}`, c), canaryValue(), randomUUID()));
    const asked = [...puts].reverse().map((p) => ({ ref: p.ref, version: p.version }));
    const from = fake.requests.length;
    const statuses = await store.describe(asked);
    assert.deepEqual(statuses.map((s) => s.ref), asked.map((a) => a.ref));
    assert.ok(statuses.every((s) => s.exists && s.versionExists && s.currentVersion === '1' && s.lastChanged));
    assert.equal(fake.requests.length - from, 40);
    // Against a Vault 30 ms away, the reads overlap, but never more than 16.
    const remote = await startVaultFake({ latencyMs: 30 });
    try {
      const far = storeFor(remote);
      await far.describe(asked.map(({ ref }) => ({ ref })));
      assert.ok(remote.maxInFlight <= 16, `at most 16 requests at once, the fake saw ${remote.maxInFlight}`);
      noViolations(remote);
    } finally {
      await remote.close();
    }
  });

  it('retries 429 / 5xx / dropped connections with growing waits, honours Retry-After, then fails with a clear error', async () => {
    const waits: number[] = [];
    const observed = storeFor(fake, {}, { retry: {}, sleep: async (ms) => void waits.push(ms) });
    const t = target();
    fake.fail({ status: 429, times: 1, headers: { 'Retry-After': '1' } });
    fake.fail({ status: 0, times: 1 });
    fake.fail({ status: 500, times: 1 });
    const put = await observed.putVersion(t, canaryValue(), randomUUID());
    assert.equal(put.version, '1');
    assert.equal(waits[0], 1000, 'Retry-After: 1 s');
    assert.ok(waits[1]! >= 100 && waits[1]! <= 200 && waits[2]! >= 200 && waits[2]! <= 400, `backoff with jitter: ${waits}`);
    waits.length = 0;
    fake.fail({ status: 503, times: Infinity });
    try {
      await assert.rejects(observed.describe([{ ref: put.ref }]), (e) => {
        assertStoreError(e, observed, 'unavailable');
        assert.match((e as Error).message, /HTTP 503, 4 tries/);
        assert.match((e as Error).message, /up and unsealed/);
        return true;
      });
    } finally {
      fake.clearFaults();
    }
    assert.equal(waits.length, 3);
    assert.ok(waits.every((w) => w <= 2000));
  });

  it('errors name the store, the reference and what to do — never the value or the token', async () => {
    const t = target();
    const value = canaryValue();
    const wrongToken = `hvs.${randomUUID()}`;
    const denied = storeFor(fake, {}, { env: { [TOKEN_ENV]: wrongToken } });
    await assert.rejects(denied.putVersion(t, value, randomUUID()), (e) => {
      assertStoreError(e, denied, 'permission-denied', value);
      assert.match((e as Error).message, /vault store "vault": vault:\/\/secret\/idp\/.*#value: .*HTTP 403 permission denied.*policy needs "create" and "update" on secret\/data\/idp\/\*/);
      assert.ok(!JSON.stringify({ m: (e as Error).message, s: (e as Error).stack }).includes(wrongToken), 'the token is not in the error');
      return true;
    });
    const noToken = storeFor(fake, {}, { env: {} });
    await assert.rejects(noToken.describe([{ ref: noToken.refFor(t) }]), (e) => assertStoreError(e, noToken, 'permission-denied') && /\$IDP_TEST_VAULT_TOKEN is empty/.test((e as Error).message));
    const noMount = storeFor(fake, { mount: 'kv' });
    await assert.rejects(noMount.putVersion(t, value, randomUUID()), (e) => assertStoreError(e, noMount, 'not-found', value) && /no KV v2 engine there/.test((e as Error).message));
    const closed = await startVaultFake();
    const gone = storeFor(closed);
    await closed.close();
    await assert.rejects(gone.putVersion(t, value, randomUUID()), (e) => assertStoreError(e, gone, 'unavailable', value) && /connection failed \(ECONNREFUSED\)/.test((e as Error).message));
  });

  it('refuses references of another mount or shape and versions that are not KV v2 numbers', async () => {
    for (const ref of ['vault://kv/idp/a/b/K#value', 'vault://secret/idp/a/b/K', 'vault://secret/#value', 'vault://secret/idp/../K#value', 'aws-sm://idp/a/b/K']) {
      await assert.rejects(store.describe([{ ref }]), (e) => assertStoreError(e, store, 'invalid') && /vault:\/\/secret\/<path>#<key>/.test((e as Error).message), ref);
    }
    await assert.rejects(store.describe([{ ref: store.refFor(target()), version: 'abc' }]), (e) => assertStoreError(e, store, 'invalid'));
    await assert.rejects(store.putVersion(target('BAD/KEY'), 'v', randomUUID()), (e) => assertStoreError(e, store, 'invalid'));
    // A hand-written reference to another key of a secret is the store's: read through its metadata.
    assert.deepEqual(await store.describe([{ ref: 'vault://secret/legacy/stripe#api_key' }]), [{ ref: 'vault://secret/legacy/stripe#api_key', exists: false }]);
  });

  it('reads the token from a file at each call (a rotated Vault Agent sink is picked up), and sends the namespace', async () => {
    const ns = await startVaultFake({ namespace: 'team-a', tokens: ['hvs.first', 'hvs.second'] });
    try {
      const file = join(mkdtempSync(join(tmpdir(), 'idp-vault-')), 'token');
      writeFileSync(file, 'hvs.first\n');
      const config = VaultStoreConfig.parse({ type: 'vault', address: ns.url, tokenFile: file, namespace: 'team-a' });
      const viaFile = new VaultKv2Store('vault', config, FAST);
      const t = target();
      await viaFile.putVersion(t, canaryValue(), randomUUID());
      writeFileSync(file, 'hvs.second\n');
      assert.equal((await viaFile.describe([{ ref: viaFile.refFor(t) }]))[0]!.currentVersion, '1');
      const noNamespace = new VaultKv2Store('vault', VaultStoreConfig.parse({ type: 'vault', address: ns.url, tokenFile: file }), FAST);
      await assert.rejects(noNamespace.describe([{ ref: viaFile.refFor(t) }]), (e) => assertStoreError(e, noNamespace, 'permission-denied'));
      writeFileSync(file, '');
      await assert.rejects(viaFile.describe([{ ref: viaFile.refFor(t) }]), (e) => assertStoreError(e, viaFile, 'permission-denied'));
      noViolations(ns);
    } finally {
      await ns.close();
    }
  });
});
