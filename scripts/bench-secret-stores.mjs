// The secret stores' own latency (#14), measured on this machine: putVersion (a new version) and describe (200 keys
// of one environment, and one key) of the SOPS + age store (the embedded default, real sops, a bare repository in a
// temp IDP_HOME), of Vault KV v2 on the Vault fake and of AWS Secrets Manager on a real moto_server. p50/p95 of `RUNS` each, after one warm-up.
// `node scripts/bench-secret-stores.mjs` prints the rows; secretStoreRows() returns them for scripts/bench.mjs.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AwsSmStoreConfig, VaultStoreConfig } from '@idp/core';
import { createSecretStore, ensureEmbeddedSecretStore } from '../providers/dist/secrets/index.js';
import { startMoto } from '../providers/dist/testing/moto.js';
import { startVaultFake } from '../providers/dist/testing/vault-fake.js';
import { pct } from './bench-clone.mjs';

const RUNS = Number(process.env.IDP_BENCH_SECRET_RUNS ?? 30);
const KEYS = 200;

async function time(fn) {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

async function measure(label, store) {
  const target = (key, env = 'staging') => ({ component: 'checkout', env, key });
  // 200 keys in the environment describe reads.
  for (let i = 0; i < KEYS; i++) await store.putVersion(target(`KEY_${i}`, 'production'), `value-${i}`, randomUUID());
  const refs = Array.from({ length: KEYS }, (_, i) => ({ ref: store.refFor(target(`KEY_${i}`, 'production')) }));
  await store.putVersion(target('WARM'), 'warm', randomUUID());
  const puts = [];
  const one = [];
  const many = [];
  for (let i = 0; i < RUNS; i++) {
    let put;
    puts.push(await time(async () => (put = await store.putVersion(target('STRIPE_KEY'), `sk_${randomUUID()}`, randomUUID()))));
    one.push(await time(() => store.describe([{ ref: put.ref, version: put.version }])));
    many.push(await time(() => store.describe(refs)));
  }
  const row = (what, xs) => ({ store: label, what, p50: +pct(xs, 50).toFixed(1), p95: +pct(xs, 95).toFixed(1) });
  return [row('putVersion (new version)', puts), row('describe 1 key (pinned version)', one), row(`describe ${KEYS} keys of one env`, many)];
}

export async function secretStoreRows() {
  const rows = [];
  const home = mkdtempSync(join(tmpdir(), 'idp-bench-secrets-'));
  try {
    const config = await ensureEmbeddedSecretStore(home);
    rows.push(...(await measure('sops + age (embedded)', createSecretStore('local', config.stores.local, process.env, { cacheDir: join(home, 'cache') }))));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
  // Vault: the KV v2 store against the Vault fake on loopback (no Vault server can run here; every exchange is
  // checked against Vault's API description). scripts/bench-vault-kv2.mjs has calls per operation and a 5 ms RTT.
  const vault = await startVaultFake();
  try {
    const config = VaultStoreConfig.parse({ type: 'vault', address: vault.url, tokenEnv: 'VAULT_TOKEN' });
    rows.push(...(await measure('vault KV v2 (fake)', createSecretStore('vault', config, { VAULT_TOKEN: vault.token }))));
  } finally {
    await vault.close();
  }
  const moto = await startMoto();
  try {
    const config = AwsSmStoreConfig.parse({ type: 'aws-sm', region: 'eu-west-1', endpoint: moto.url, accessKeyIdEnv: 'K', secretAccessKeyEnv: 'S' });
    rows.push(...(await measure('aws-sm (moto)', createSecretStore('aws', config, { K: 'test', S: 'test' }))));
  } finally {
    await moto.stop();
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) console.table(await secretStoreRows());
