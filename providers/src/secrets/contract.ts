/**
 * The contract every SecretStore passes (AWS Secrets Manager on moto, SOPS + age, Vault on its validated fake).
 * A store's test file calls `secretStoreContract(name, setup)` at top level; `setup` runs once for the suite and
 * returns the store, a way to inject faults where the store is reached, and `stop`. Every case writes under its own
 * component name, so cases share the store without seeing each other's secrets.
 *
 * Every value a case writes carries a random canary, and every error a case sees is checked not to contain it:
 * a store's error must never echo a value (store error bodies can).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SecretStoreError, type SecretStore, type SecretStoreErrorKind, type SecretTarget } from './store.js';

/** What can go wrong where the store is reached (for HTTP stores: answered by a proxy in the store's error format). */
export type StoreFault = 'permission-denied' | 'throttled' | 'unavailable';

export interface StoreFaults {
  /** The next `times` calls to the store fail with `fault` (`Infinity`: until `clear`). */
  inject(fault: StoreFault, times: number): void | Promise<void>;
  /** How many injected failures the store has answered so far (a retried call is answered again). */
  served(): number;
  /** No more failures. */
  clear(): void | Promise<void>;
}

export interface ContractOptions {
  /**
   * Cases this store cannot have, with the reason: a fault kind, or `read-denied` when a denial can only be injected
   * for writes. Those cases are skipped, saying why.
   */
  cannot?: Partial<Record<StoreFault | 'read-denied', string>>;
  /**
   * Why this store keeps the version it has when the same value comes again under a new request id (sops: git has
   * nothing new to record). Unset: every new request id writes a new version (AWS, Vault).
   */
  sameValueKeepsVersion?: string;
}

export interface StoreUnderTest {
  store: SecretStore;
  faults: StoreFaults;
  /** A well-formed version this store never wrote (AWS: a random UUID; sops: a random sha; Vault: a big number). */
  missingVersion: string;
  stop(): Promise<void>;
}

/** A value with a canary nobody else could have written. */
export function canaryValue(label = 'value'): string {
  return `${label}-canary-${randomUUID()}`;
}

/** The error, its message, stack, own fields and causes, as one searchable text. */
function everything(err: unknown, seen = new Set<unknown>()): string {
  if (err === null || err === undefined || seen.has(err)) return '';
  seen.add(err);
  if (typeof err !== 'object') return String(err);
  const e = err as Record<string, unknown> & { message?: unknown; stack?: unknown; cause?: unknown };
  let own = '';
  try {
    own = JSON.stringify(e);
  } catch {
    own = Object.keys(e).map((k) => String(e[k])).join(' ');
  }
  return [String(e.message ?? ''), String(e.stack ?? ''), own, everything(e.cause, seen)].join('\n');
}

/** Asserts `err` is a SecretStoreError of `kind` from `store` that nowhere contains `value` (or a slice of it). */
export function assertStoreError(err: unknown, store: SecretStore, kind: SecretStoreErrorKind, value?: string): true {
  assert.ok(err instanceof SecretStoreError, `expected a SecretStoreError, got ${err instanceof Error ? `${err.name}: ${err.message.slice(0, 200)}` : String(err)}`);
  assert.equal(err.kind, kind, `expected kind ${kind}, got ${err.kind}: ${err.message}`);
  assert.equal(err.store, store.name);
  assert.ok(err.message.length > 20, `the message says what went wrong and what to do: "${err.message}"`);
  if (value) {
    const text = everything(err);
    // The canary part alone: a message quoting any part of the value gives it away.
    const canary = value.slice(value.indexOf('canary-'), value.indexOf('canary-') + 43);
    assert.ok(!text.includes(canary), `the error gives the value away: ${text.slice(0, 500)}`);
  }
  return true;
}

export function secretStoreContract(name: string, setup: () => Promise<StoreUnderTest>, opts: ContractOptions = {}): void {
  describe(`secret store contract: ${name}`, () => {
    let sut: StoreUnderTest;
    let store: SecretStore;
    let n = 0;
    /** A component name no other case uses. */
    const fresh = () => `c${++n}-${randomUUID().slice(0, 8)}`;
    const target = (component: string, key = 'STRIPE_KEY', env = 'staging'): SecretTarget => ({ component, env, key });

    before(async () => {
      sut = await setup();
      store = sut.store;
    });
    after(async () => {
      await sut?.stop();
    });

    /** Runs `fn` with `fault` injected, always clearing it. */
    async function withFault<T>(fault: StoreFault, times: number, fn: () => Promise<T>): Promise<T> {
      await sut.faults.inject(fault, times);
      try {
        return await fn();
      } finally {
        await sut.faults.clear();
      }
    }
    const unless = (what: StoreFault | 'read-denied') => (opts.cannot?.[what] ? { skip: opts.cannot[what] } : {});

    it('writes a version and describes it without reading it', async () => {
      const t = target(fresh());
      const put = await store.putVersion(t, canaryValue(), randomUUID());
      assert.equal(put.ref, store.refFor(t));
      assert.ok(put.version.length > 0);
      const [status] = await store.describe([{ ref: put.ref, version: put.version }]);
      assert.equal(status!.ref, put.ref);
      assert.equal(status!.version, put.version);
      assert.equal(status!.exists, true);
      assert.equal(status!.versionExists, true);
      assert.equal(status!.currentVersion, put.version);
      assert.ok(status!.lastChanged && !Number.isNaN(Date.parse(status!.lastChanged)), `lastChanged is ISO 8601: ${status!.lastChanged}`);
    });

    it('describes several keys in one go, in the order asked, a missing one included', async () => {
      const c = fresh();
      const a = await store.putVersion(target(c, 'A_KEY'), canaryValue(), randomUUID());
      const b = await store.putVersion(target(c, 'B_KEY', 'production'), canaryValue(), randomUUID());
      const d = await store.putVersion(target(fresh(), 'D_KEY'), canaryValue(), randomUUID());
      const missing = store.refFor(target(c, 'NEVER_SET'));
      const statuses = await store.describe([{ ref: d.ref }, { ref: missing }, { ref: b.ref, version: b.version }, { ref: a.ref, version: a.version }]);
      assert.deepEqual(
        statuses.map((s) => [s.ref, s.exists, s.versionExists, s.currentVersion]),
        [
          [d.ref, true, undefined, d.version],
          [missing, false, undefined, undefined],
          [b.ref, true, true, b.version],
          [a.ref, true, true, a.version],
        ],
      );
      assert.deepEqual(await store.describe([]), []);
    });

    it('a pinned older version still exists after newer ones; a version never written does not', async () => {
      const t = target(fresh());
      const v1 = await store.putVersion(t, canaryValue('v1'), randomUUID());
      const v2 = await store.putVersion(t, canaryValue('v2'), randomUUID());
      const v3 = await store.putVersion(t, canaryValue('v3'), randomUUID());
      assert.equal(new Set([v1.version, v2.version, v3.version]).size, 3);
      const [s1, s2, s3, none] = await store.describe([
        { ref: v1.ref, version: v1.version },
        { ref: v2.ref, version: v2.version },
        { ref: v3.ref, version: v3.version },
        { ref: v1.ref, version: sut.missingVersion },
      ]);
      for (const s of [s1, s2, s3]) {
        assert.equal(s!.exists, true);
        assert.equal(s!.versionExists, true, `version ${s!.version} exists`);
        assert.equal(s!.currentVersion, v3.version);
      }
      assert.equal(none!.exists, true);
      assert.equal(none!.versionExists, false);
    });

    it('a key never written is not found: exists false, no current version', async () => {
      const ref = store.refFor(target(fresh()));
      const [plain, pinned] = await store.describe([{ ref }, { ref, version: sut.missingVersion }]);
      assert.deepEqual(plain, { ref, exists: false });
      assert.deepEqual(pinned, { ref, version: sut.missingVersion, exists: false, versionExists: false });
    });

    it('permission denied on write: refused as permission-denied, nothing written, the value not in the error', async () => {
      const t = target(fresh());
      const value = canaryValue();
      await withFault('permission-denied', Infinity, () =>
        assert.rejects(store.putVersion(t, value, randomUUID()), (e) => assertStoreError(e, store, 'permission-denied', value)),
      );
      const [s] = await store.describe([{ ref: store.refFor(t) }]);
      assert.equal(s!.exists, false);
    });

    it('permission denied on read: describe refused as permission-denied', unless('read-denied'), async () => {
      const t = target(fresh());
      const put = await store.putVersion(t, canaryValue(), randomUUID());
      await withFault('permission-denied', Infinity, () =>
        assert.rejects(store.describe([{ ref: put.ref, version: put.version }]), (e) => assertStoreError(e, store, 'permission-denied')),
      );
    });

    for (const [fault, kind] of [
      ['throttled', 'throttled'],
      ['unavailable', 'unavailable'],
    ] as const) {
      it(`${fault}: retried, then the write and the read succeed`, unless(fault), async () => {
        const t = target(fresh());
        const before = sut.faults.served();
        const put = await withFault(fault, 1, () => store.putVersion(t, canaryValue(), randomUUID()));
        assert.equal(sut.faults.served(), before + 1, 'the failure was answered, then the call retried');
        const [s] = await withFault(fault, 1, () => store.describe([{ ref: put.ref, version: put.version }]));
        assert.equal(sut.faults.served(), before + 2);
        assert.equal(s!.versionExists, true);
      });

      it(`${fault} that does not stop: retried a few times, then a clear ${kind} error, nothing written`, unless(fault), async () => {
        const t = target(fresh());
        const value = canaryValue();
        const before = sut.faults.served();
        await withFault(fault, Infinity, () => assert.rejects(store.putVersion(t, value, randomUUID()), (e) => assertStoreError(e, store, kind, value)));
        const tries = sut.faults.served() - before;
        assert.ok(tries > 1 && tries <= 10, `retried, but not forever: ${tries} tries`);
        const [s] = await store.describe([{ ref: store.refFor(t) }]);
        assert.equal(s!.exists, false);
      });
    }

    it('the same requestId again returns the first version and writes nothing, even after a newer one', async () => {
      const t = target(fresh());
      const value = canaryValue();
      const first = randomUUID();
      const a = await store.putVersion(t, value, first);
      assert.deepEqual(await store.putVersion(t, value, first), a);
      const [once] = await store.describe([{ ref: a.ref }]);
      assert.equal(once!.currentVersion, a.version);
      const b = await store.putVersion(t, canaryValue(), randomUUID());
      // A late retry of the first request must not roll the secret back.
      assert.deepEqual(await store.putVersion(t, value, first), a);
      const [s] = await store.describe([{ ref: a.ref, version: a.version }]);
      assert.equal(s!.currentVersion, b.version);
      assert.equal(s!.versionExists, true);
    });

    it('a different requestId writes a new version', async () => {
      const t = target(fresh());
      const a = await store.putVersion(t, canaryValue(), randomUUID());
      const b = await store.putVersion(t, canaryValue(), randomUUID());
      assert.notEqual(a.version, b.version);
      const [s] = await store.describe([{ ref: b.ref, version: a.version }]);
      assert.deepEqual([s!.currentVersion, s!.versionExists], [b.version, true]);
    });

    it(`the same value under a different requestId ${opts.sameValueKeepsVersion ? 'keeps the version that holds it, writing nothing' : 'writes a new version'}`, async () => {
      const t = target(fresh());
      const value = canaryValue();
      const a = await store.putVersion(t, value, randomUUID());
      const b = await store.putVersion(t, value, randomUUID());
      if (opts.sameValueKeepsVersion) assert.equal(b.version, a.version);
      else assert.notEqual(b.version, a.version);
      const [s] = await store.describe([{ ref: b.ref }]);
      assert.equal(s!.currentVersion, b.version);
    });

    it('concurrent writes to one environment all land', async () => {
      const c = fresh();
      const keys = ['K1', 'K2', 'K3', 'K4'];
      const puts = await Promise.all(keys.map((k) => store.putVersion(target(c, k), canaryValue(), randomUUID())));
      const statuses = await store.describe(puts.map((p) => ({ ref: p.ref, version: p.version })));
      assert.deepEqual(
        statuses.map((s) => [s.exists, s.versionExists, s.currentVersion]),
        puts.map((p) => [true, true, p.version]),
      );
    });

    it('a value over maxValueBytes (counted in UTF-8 bytes) is refused as too-large, nothing written; one at the limit is taken', async () => {
      const t = target(fresh());
      const canary = canaryValue();
      // Two bytes per "é": fewer characters than the limit, more bytes.
      const over = canary + 'é'.repeat(Math.ceil((store.maxValueBytes - canary.length) / 2) + 1);
      assert.ok(over.length <= store.maxValueBytes && Buffer.byteLength(over) > store.maxValueBytes);
      await assert.rejects(store.putVersion(t, over, randomUUID()), (e) => {
        assertStoreError(e, store, 'too-large', over);
        assert.match((e as Error).message, new RegExp(store.maxValueBytes.toLocaleString('en-US').replace(/,/g, ',?')));
        return true;
      });
      const [s] = await store.describe([{ ref: store.refFor(t) }]);
      assert.equal(s!.exists, false);
      const atLimit = canary + 'x'.repeat(store.maxValueBytes - canary.length);
      const put = await store.putVersion(t, atLimit, randomUUID());
      const [taken] = await store.describe([{ ref: put.ref, version: put.version }]);
      assert.equal(taken!.versionExists, true);
    });

    it('an empty value is refused as invalid, nothing written', async () => {
      const t = target(fresh());
      await assert.rejects(store.putVersion(t, '', randomUUID()), (e) => assertStoreError(e, store, 'invalid'));
      const [s] = await store.describe([{ ref: store.refFor(t) }]);
      assert.equal(s!.exists, false);
    });

    it('a reference of another store or shape is refused as invalid', async () => {
      await assert.rejects(store.describe([{ ref: 'nope://elsewhere/X' }]), (e) => assertStoreError(e, store, 'invalid'));
    });
  });
}
