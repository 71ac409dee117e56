// Per-operation latency and HTTP calls of the Vault KV v2 store against the Vault fake (loopback, every exchange
// validated against Vault's API description), and against the fake answering 5 ms later (a Vault one LAN hop away):
// putVersion of a new key / of a new version / repeated with the same request id, describe of 1 and of 200 keys.
// Run with `npx tsc -b && node scripts/bench-vault-kv2.mjs` (IDP_BENCH_N: repetitions, default 200).
import { randomUUID } from 'node:crypto';
import { VaultKv2Store } from '../providers/dist/secrets/vault-kv2.js';
import { startVaultFake } from '../providers/dist/testing/vault-fake.js';

const N = Number(process.env.IDP_BENCH_N ?? 200);

function pct(samples, p) {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function measure(fake, label, n, fn, rows) {
  const times = [];
  const before = fake.requests.length;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    times.push(performance.now() - t0);
  }
  const calls = (fake.requests.length - before) / n;
  rows.push([label, calls.toFixed(1), pct(times, 50).toFixed(2), pct(times, 95).toFixed(2)]);
}

async function run(latencyMs) {
  const fake = await startVaultFake({ latencyMs });
  const store = new VaultKv2Store('vault', { type: 'vault', address: fake.url, mount: 'secret', prefix: 'idp/', tokenEnv: 'T' }, { env: { T: fake.token } });
  const rows = [];
  const target = (i) => ({ component: 'bench', env: 'staging', key: `KEY_${i}` });
  const ids = Array.from({ length: N }, () => randomUUID());
  const value = 'x'.repeat(64);
  try {
    await measure(fake, 'putVersion, new key', N, (i) => store.putVersion(target(i), value, ids[i]), rows);
    await measure(fake, 'putVersion, new version', N, (i) => store.putVersion(target(i), value, randomUUID()), rows);
    await measure(fake, 'putVersion, same request id again', N, (i) => store.putVersion(target(i), value, ids[i]), rows);
    const refs = Array.from({ length: N }, (_, i) => ({ ref: store.refFor(target(i)), version: '1' }));
    await measure(fake, 'describe, 1 key', N, (i) => store.describe([refs[i]]), rows);
    const keys = refs.slice(0, 200);
    await measure(fake, `describe, ${keys.length} keys`, Math.max(5, Math.floor(N / 10)), () => store.describe(keys), rows);
    if (fake.violations.length) throw new Error(`the fake saw API violations: ${fake.violations.join('; ')}`);
  } finally {
    await fake.close();
  }
  return rows;
}

for (const latency of [0, 5]) {
  const rows = await run(latency);
  console.log(`\nVault KV v2 store, fake ${latency ? `answering ${latency} ms later` : 'on loopback'} (n=${N}; ms)`);
  console.log(['operation', 'HTTP calls', 'p50', 'p95'].join(' | '));
  for (const r of rows) console.log(r.join(' | '));
}
