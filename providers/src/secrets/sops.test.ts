/**
 * SOPS + age in a git repository, with the real sops binary: the contract suite on the embedded store
 * (ensureEmbeddedSecretStore), a denial injected by the repository itself (a pre-receive hook refusing pushes, as a
 * git server does), then what only this store has: no plaintext in any git object or file, the version pins the
 * value it wrote, trailers, a key sops would leave unencrypted, another key, a missing repository, writers in
 * several processes.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SopsStoreConfig } from '@idp/core';
import { canaryValue, secretStoreContract, type StoreFaults } from './contract.js';
import { SopsStore } from './sops.js';
import { ensureEmbeddedSecretStore, createSecretStore, EMBEDDED_STORE } from './stores.js';
import { ensureAgeIdentity, findSops, SOPS_MISSING } from './tools.js';

const sopsBin = findSops();
if (!sopsBin) throw new Error(`${SOPS_MISSING} (\`node scripts/test.mjs\` builds it.)`);

/** A pre-receive hook in the bare repository refusing the next N pushes, counting the refusals. */
function denyingHook(repo: string): StoreFaults {
  const left = join(repo, 'idp-test-deny-left');
  const served = join(repo, 'idp-test-deny-served');
  const hook = join(repo, 'hooks', 'pre-receive');
  writeFileSync(
    hook,
    `#!/bin/sh
n=$(cat '${left}' 2>/dev/null || echo 0)
[ "$n" = 0 ] && exit 0
[ "$n" = inf ] || echo $((n - 1)) > '${left}'
echo x >> '${served}'
echo "permission denied: you may not push to this repository" >&2
exit 1
`,
  );
  chmodSync(hook, 0o755);
  return {
    inject: (_fault, times) => writeFileSync(left, times === Infinity ? 'inf' : String(times)),
    clear: () => writeFileSync(left, '0'),
    served: () => (existsSync(served) ? readFileSync(served, 'utf8').split('\n').filter(Boolean).length : 0),
  };
}

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'idp-sops-test-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The embedded store in a fresh IDP_HOME, its clone cached inside it. */
async function embedded(): Promise<{ home: string; store: SopsStore; repo: string; keyFile: string }> {
  const home = tempDir();
  const config = await ensureEmbeddedSecretStore(home);
  const store = createSecretStore(EMBEDDED_STORE, config.stores[EMBEDDED_STORE]!, process.env, { cacheDir: join(home, 'cache') }) as SopsStore;
  return { home, store, repo: join(home, 'secrets.git'), keyFile: join(home, 'age.key') };
}

secretStoreContract(
  'sops + age (git)',
  async () => {
    const { store, repo } = await embedded();
    return { store, faults: denyingHook(repo), missingVersion: randomBytes(20).toString('hex'), stop: async () => {} };
  },
  {
    cannot: {
      throttled: 'a git repository on disk and a local sops process: nothing throttles them',
      unavailable: 'nothing transient to retry: a missing repository or sops fails at once (see "a missing repository" below)',
      'read-denied': 'reads go straight to the repository on disk, and the tests run as root, whom file modes do not stop',
    },
    sameValueKeepsVersion: 'sops keeps the ciphertext of an unchanged value, so git has nothing new to record',
  },
);

const git = (repo: string, ...args: string[]) => execFileSync('git', ['--git-dir', repo, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
const decrypt = (keyFile: string, encrypted: string, key: string) =>
  execFileSync(sopsBin, ['decrypt', '--input-type', 'yaml', '--output-type', 'json', '--extract', `["${key}"]`], {
    input: encrypted,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: tmpdir(), SOPS_AGE_KEY_FILE: keyFile },
  });

/** Every file under `dir` (the age key left out), as text. */
function allFiles(dir: string, skip: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const p = join(e.parentPath, e.name);
    if (e.isFile() && p !== skip) out.push(readFileSync(p, 'latin1'));
  }
  return out;
}

describe('sops + age (git): what only this store has', () => {
  let home: string;
  let store: SopsStore;
  let repo: string;
  let keyFile: string;
  before(async () => {
    ({ home, store, repo, keyFile } = await embedded());
  });
  const t = (component: string, key: string, env = 'staging') => ({ component, env, key });

  it('no value in plaintext in any git object of the repository or its clone, nor in any file, yet each version decrypts to its value', async () => {
    const values = { v1: canaryValue('v1'), v2: canaryValue('v2'), other: canaryValue('other'), unenc: canaryValue('unenc') };
    const id = randomUUID();
    const a1 = await store.putVersion(t('checkout', 'STRIPE_KEY'), values.v1, id);
    await store.putVersion(t('checkout', 'DB_PASSWORD'), values.other, randomUUID());
    const a2 = await store.putVersion(t('checkout', 'STRIPE_KEY'), values.v2, randomUUID());
    assert.deepEqual(await store.putVersion(t('checkout', 'STRIPE_KEY'), values.v1, id), a1, 'a retried request writes nothing');
    // sops's default would leave a key ending in _unencrypted in plaintext.
    const u = await store.putVersion(t('checkout', 'TOKEN_unencrypted'), values.unenc, randomUUID());

    const objects = [git(repo, 'cat-file', '--batch-all-objects', '--batch'), execFileSync('git', ['-C', join(home, 'cache', EMBEDDED_STORE, 'clone'), 'cat-file', '--batch-all-objects', '--batch'], { encoding: 'latin1', maxBuffer: 256 * 1024 * 1024 })];
    const files = allFiles(home, keyFile);
    for (const v of Object.values(values)) {
      const canary = v.slice(v.indexOf('canary-'));
      for (const text of [...objects, ...files]) assert.ok(!text.includes(canary), 'a value is in plaintext somewhere');
    }
    // What each version pins is the value that request wrote.
    assert.equal(decrypt(keyFile, git(repo, 'show', `${a1.version}:checkout/staging.enc.yaml`), 'STRIPE_KEY'), values.v1);
    assert.equal(decrypt(keyFile, git(repo, 'show', `${a2.version}:checkout/staging.enc.yaml`), 'STRIPE_KEY'), values.v2);
    assert.equal(decrypt(keyFile, git(repo, 'show', `${u.version}:checkout/staging.enc.yaml`), 'TOKEN_unencrypted'), values.unenc);
  });

  it('one commit per version on the default branch, with the request in a trailer; its diff is that key and sops\'s mac (and timestamp)', async () => {
    const id = randomUUID();
    await store.putVersion(t('payments', 'A_KEY'), 'first', randomUUID());
    await store.putVersion(t('payments', 'B_KEY'), 'second', randomUUID());
    const put = await store.putVersion(t('payments', 'A_KEY'), 'third', id);
    assert.equal(put.ref, 'sops://payments/staging.enc.yaml#A_KEY');
    assert.equal(git(repo, 'rev-parse', 'refs/heads/main').trim(), put.version);
    assert.equal(git(repo, 'log', '-1', '--format=%(trailers:key=Idp-Request,valueonly)', put.version).trim(), id);
    assert.equal(git(repo, 'log', '-1', '--format=%s', put.version).trim(), 'Set A_KEY of payments/staging');
    const changed = git(repo, 'show', '--format=', '--unified=0', put.version)
      .split('\n')
      .filter((l) => /^[-+][^-+]/.test(l))
      .map((l) => l.slice(0, 1) + l.slice(1).trim().split(':')[0])
      // sops's timestamp has whole seconds: two writes in one second leave it alone.
      .filter((l) => !l.endsWith('lastmodified'));
    assert.deepEqual(changed.sort(), ['+A_KEY', '+mac', '-A_KEY', '-mac']);
    // B_KEY's version is still the commit that wrote it.
    const [b] = await store.describe([{ ref: 'sops://payments/staging.enc.yaml#B_KEY' }]);
    assert.equal(b!.currentVersion, git(repo, 'rev-parse', `${put.version}~1`).trim());
  });

  it('describe needs no key: it reads key names without decrypting', async () => {
    const put = await store.putVersion(t('search', 'ES_PASSWORD'), canaryValue(), randomUUID());
    const keyless = new SopsStore('local', SopsStoreConfig.parse({ type: 'sops', repo, ageKeyFile: join(home, 'no-such.key') }), { cacheDir: join(home, 'cache-keyless') });
    const [s] = await keyless.describe([{ ref: put.ref, version: put.version }]);
    assert.deepEqual([s!.exists, s!.versionExists, s!.currentVersion], [true, true, put.version]);
    await assert.rejects(keyless.putVersion(t('search', 'ES_PASSWORD'), 'v', randomUUID()), /age identity file .*no-such\.key \(ageKeyFile\) does not exist/);
  });

  it('an identity the file was not encrypted to is permission-denied, nothing written', async () => {
    const put = await store.putVersion(t('ledger', 'API_KEY'), canaryValue(), randomUUID());
    const otherKey = join(home, 'other.key');
    await ensureAgeIdentity(otherKey);
    const other = new SopsStore('local', SopsStoreConfig.parse({ type: 'sops', repo, ageKeyFile: otherKey }), { cacheDir: join(home, 'cache-other') });
    const value = canaryValue();
    await assert.rejects(other.putVersion(t('ledger', 'API_KEY'), value, randomUUID()), (e: Error & { kind?: string }) => {
      assert.equal(e.kind, 'permission-denied');
      assert.match(e.message, /cannot decrypt ledger\/staging\.enc\.yaml/);
      assert.ok(!e.message.includes(value));
      return true;
    });
    const [s] = await store.describe([{ ref: put.ref }]);
    assert.equal(s!.currentVersion, put.version);
  });

  it('a missing repository is unavailable, saying how to create it', async () => {
    const gone = new SopsStore('local', SopsStoreConfig.parse({ type: 'sops', repo: join(home, 'nope.git'), ageKeyFile: keyFile }), { cacheDir: join(home, 'cache-gone') });
    for (const op of [() => gone.putVersion(t('x', 'K'), 'v', randomUUID()), () => gone.describe([{ ref: 'sops://x/staging.enc.yaml#K' }])]) {
      await assert.rejects(op(), (e: Error & { kind?: string }) => e.kind === 'unavailable' && /nope\.git\) is missing or not a git repository: create it/.test(e.message));
    }
  });

  it('writers in several processes sharing the clone take turns: every version lands', async () => {
    const script = `
      import { SopsStore } from ${JSON.stringify(new URL('./sops.js', import.meta.url).href)};
      const [repo, keyFile, cacheDir, tag] = process.argv.slice(1);
      const store = new SopsStore('local', { type: 'sops', repo, ageKeyFile: keyFile }, { cacheDir });
      const puts = await Promise.all([1, 2, 3].map((i) => store.putVersion({ component: 'fleet', env: 'prod', key: 'K_' + tag + '_' + i }, 'value-' + i, tag + i)));
      console.log(JSON.stringify(puts));`;
    const runOne = (tag: string) =>
      new Promise<{ ref: string; version: string }[]>((resolve, reject) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script, repo, keyFile, join(home, 'cache', EMBEDDED_STORE), tag], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (c) => (out += c));
        child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`writer ${tag} exited ${code}`))));
      });
    const puts = (await Promise.all([runOne('a'), runOne('b')])).flat();
    assert.equal(new Set(puts.map((p) => p.version)).size, 6);
    const statuses = await store.describe(puts.map((p) => ({ ref: p.ref, version: p.version })));
    assert.deepEqual(
      statuses.map((s) => [s.versionExists, s.currentVersion]),
      puts.map((p) => [true, p.version]),
    );
  });

  it('the embedded store is created once: a bare repository and a 0600 age key that later starts keep', async () => {
    const key = readFileSync(keyFile, 'utf8');
    assert.match(key, /^# created: .*\n# public key: age1[0-9a-z]+\nAGE-SECRET-KEY-1[0-9A-Z]+\n$/);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    const again = await ensureEmbeddedSecretStore(home);
    assert.deepEqual(again, { stores: { local: { type: 'sops', repo, ageKeyFile: keyFile } }, rules: [], default: 'local' });
    assert.equal(readFileSync(keyFile, 'utf8'), key);
    assert.equal(git(repo, 'rev-parse', '--is-bare-repository').trim(), 'true');
  });
});
