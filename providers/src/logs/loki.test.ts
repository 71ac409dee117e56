/**
 * The Loki source against the Loki fake (testing/loki-fake.ts: no Loki runs here), which checks every request and
 * response against Loki's documented shapes (loki-shapes.ts): the log source contract — written as a shipper pushes to
 * Loki, multi-tenant and behind a bearer-token proxy, so every query and every tail carries both — then what is
 * particular to Loki: the shapes themselves against the docs' own examples, streams merged by ns, dropped tail
 * entries, tenants, tokens, Loki's entry limit.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { LokiSourceConfig } from '@idp/core';
import { startLokiFake, type LokiFake } from '../testing/loki-fake.js';
import { assertSourceError, Follow, freePort, logSourceContract, type LogWrite } from './contract.js';
import { LokiSource } from './loki.js';
import { LOKI_LENIENT, LOKI_STRICT, type LokiPush } from './loki-shapes.js';
import { encodeCursor } from './poll-tail.js';
import { createLogSource } from './sources.js';
import { dateToNs, nowNs } from './time.js';

const TENANT = 'payments';

/** Pushes as a shipper (Alloy, Promtail) does — JSON, the tenant and token headers — retrying while Loki is down. */
async function push(fake: LokiFake, body: LokiPush, headers: Record<string, string> = {}): Promise<void> {
  for (;;) {
    try {
      const res = await fetch(`${fake.url}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
      const text = await res.text();
      if (res.status === 204) return;
      if (res.status < 500) throw new Error(`push answered ${res.status}: ${text}`);
    } catch (e) {
      if ((e as Error).message.startsWith('push answered')) throw e;
      // down: a shipper retries
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

const labelsOf = (l: Pick<LogWrite, 'component' | 'environment' | 'process'>) => ({ service_name: l.component, deployment_environment_name: l.environment, process: l.process });

logSourceContract('loki', async () => {
  const token = `loki-token-${randomUUID()}`;
  const fake = await startLokiFake({ multiTenant: true, token });
  const headers = { 'X-Scope-OrgID': TENANT, authorization: `Bearer ${token}` };
  const config = LokiSourceConfig.parse({ type: 'loki', url: fake.url, tenant: TENANT, tokenEnv: 'LOKI_TOKEN' });
  const env = { LOKI_TOKEN: token };
  const closed = await freePort();
  return {
    source: new LokiSource('loki', config, { env }),
    // One push per line batch, each line its own entry; a re-sent line (same stream, time, text) Loki ignores.
    write: (lines) => push(fake, { streams: lines.map((l) => ({ stream: labelsOf(l), values: [[String(l.time ? dateToNs(l.time) : nowNs()), l.message]] })) }, headers),
    async restart(whileDown) {
      await fake.stop();
      await whileDown();
      await fake.start();
    },
    async kill(whileDown) {
      await fake.kill();
      await whileDown();
      await fake.start();
    },
    unreachable: () => new LokiSource('gone', { ...config, url: `http://127.0.0.1:${closed}` }, { env }),
    badSelector: () => new LokiSource('broken', { ...config, selector: '{service_name="{component}"' }, { env }),
    badSelectorSays: /parse error at line 1, col \d+: syntax error/,
    async cleanup() {
      await fake.close();
      assert.deepEqual(fake.violations, [], 'every request and response matched the documented shapes');
    },
  };
});

describe('Loki source: what is particular to it', () => {
  let fake: LokiFake;
  const config = () => LokiSourceConfig.parse({ type: 'loki', url: fake.url });
  const source = () => new LokiSource('loki', config(), { tailTiming: { heartbeatMs: 300 } });

  before(async () => {
    fake = await startLokiFake();
  });
  after(async () => {
    await fake.close();
  });

  it("the shapes accept the docs' own examples and refuse what the docs refuse; the fake answers a violation with 400 and records it", async () => {
    // From https://grafana.com/docs/loki/latest/reference/loki-http-api/ (#query-logs-within-a-range-of-time, #ingest-logs).
    const rangeExample = {
      status: 'success',
      data: {
        resultType: 'streams',
        result: [{ stream: { filename: '/var/log/myproject.log', job: 'varlogs', level: 'info' }, values: [['1569266497240578000', 'foo'], ['1569266492548155000', 'bar']] }],
        stats: {},
      },
    };
    assert.ok(LOKI_STRICT.queryRangeStreams.safeParse(rangeExample).success);
    assert.ok(LOKI_STRICT.push.safeParse({ streams: [{ stream: { foo: 'bar2' }, values: [['1570818238000000000', 'fizzbuzz']] }] }).success);
    assert.ok(LOKI_STRICT.push.safeParse({ streams: [{ stream: { foo: 'bar2' }, values: [['1570818238000000000', 'fizzbuzz', { trace_id: '0242ac120002' }]] }] }).success);
    assert.ok(LOKI_STRICT.tailFrame.safeParse({ streams: [{ stream: { a: 'b' }, values: [['1', 'x']] }], dropped_entries: [{ labels: { a: 'b' }, timestamp: '2' }] }).success);
    // "you must send the timestamp as a string and not a number, otherwise the endpoint will return a 400 error"
    assert.ok(!LOKI_STRICT.push.safeParse({ streams: [{ stream: { foo: 'bar' }, values: [[1570818238000000000, 'fizzbuzz']] }] }).success);
    assert.ok(!LOKI_STRICT.tailParams.safeParse({ query: '{a="b"}', delay_for: '6' }).success, 'delay_for is at most 5');
    assert.ok(!LOKI_STRICT.queryRangeStreams.safeParse({ ...rangeExample, data: { ...rangeExample.data, extra: 1 } }).success, 'strict: nothing undocumented');
    assert.ok(LOKI_LENIENT.queryRangeStreams.safeParse({ ...rangeExample, data: { ...rangeExample.data, extra: 1 } }).success, 'the source reads a newer Loki');

    const strict = await startLokiFake();
    try {
      const res = await fetch(`${strict.url}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"streams":[{"stream":{"a":"b"},"values":[[1570818238000000000,"x"]]}]}' });
      assert.equal(res.status, 400);
      assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
      const bad = await fetch(`${strict.url}/loki/api/v1/query_range?query=${encodeURIComponent('{a="b"}')}&direction=sideways`);
      assert.equal(bad.status, 400);
      assert.equal(strict.violations.length, 2, strict.violations.join('\n'));
      assert.match(strict.violations[0]!, /push request: streams\.0\.values\.0/);
      assert.match(strict.violations[1]!, /query_range parameters: direction/);
    } finally {
      await strict.close();
    }
  });

  it('the LogQL it writes: the process inside the selector (exact, or the type and its dynos), grep as a quoted line filter', () => {
    const s = source();
    const t = { component: 'checkout', environment: 'staging' };
    assert.equal(s.query(t), '{service_name="checkout",deployment_environment_name="staging"}');
    assert.equal(s.query({ ...t, process: 'web.1' }), '{service_name="checkout",deployment_environment_name="staging", process="web.1"}');
    assert.equal(s.query({ ...t, process: 'web' }), '{service_name="checkout",deployment_environment_name="staging", process=~"web(\\\\..+)?"}');
    assert.equal(s.query({ ...t, grep: 'say "hi" \\d\n' }), '{service_name="checkout",deployment_environment_name="staging"} |= "say \\"hi\\" \\\\d\\n"');
    const odd = new LokiSource('loki', { ...config(), selector: '{app="{component}"} | json' });
    assert.throws(() => odd.query({ ...t, process: 'web' }), (e) => assertSourceError(e, odd, 'invalid-query') && /not a LogQL stream selector/.test((e as Error).message));
  });

  it('streams are merged by ns, beyond what a double holds (Loki answers per stream)', async () => {
    const base = 1_795_687_201_123_456_789n;
    // Two streams (two dynos), entries 1 ns apart, alternating.
    await push(fake, {
      streams: [
        { stream: { service_name: 'merge', deployment_environment_name: 'staging', process: 'web.1' }, values: [[String(base), 'a'], [String(base + 2n), 'c']] },
        { stream: { service_name: 'merge', deployment_environment_name: 'staging', process: 'web.2' }, values: [[String(base + 1n), 'b'], [String(base + 3n), 'd']] },
      ],
    });
    const lines = await source().history({ component: 'merge', environment: 'staging', limit: 10, since: new Date('2026-11-26T10:00:00Z') });
    assert.deepEqual(lines.map((l) => [l.message, l.process, l.time]), [
      ['a', 'web.1', '2026-11-26T10:00:01.123456789Z'],
      ['b', 'web.2', '2026-11-26T10:00:01.123456790Z'],
      ['c', 'web.1', '2026-11-26T10:00:01.123456791Z'],
      ['d', 'web.2', '2026-11-26T10:00:01.123456792Z'],
    ]);
    const newest = await source().history({ component: 'merge', environment: 'staging', limit: 3, since: new Date('2026-11-26T10:00:00Z') });
    assert.deepEqual(newest.map((l) => l.message), ['b', 'c', 'd'], 'limit counts across streams');
    assert.deepEqual(await source().history({ component: 'merge', environment: 'staging', limit: 0 }), [], 'limit 0: no lines (Loki refuses limit=0)');
  });

  it('entries the live tail dropped (dropped_entries) bring a notice and are read again from history: each line once', async () => {
    const t = { component: 'dropping', environment: 'staging' };
    const f = new Follow(source(), t, { backlog: 0 });
    try {
      const line = (m: string) => ({ stream: labelsOf({ ...t, process: 'web.1' }), values: [[String(nowNs()), m] as [string, string]] });
      await push(fake, { streams: [line('first')] });
      await f.until('the first line', (x) => x.messages().includes('first'));
      fake.dropTailEntries(2);
      await push(fake, { streams: [line('dropped 1')] });
      await push(fake, { streams: [line('dropped 2')] });
      await push(fake, { streams: [line('kept')] });
      await f.until('the dropped lines read again', (x) => x.messages().includes('dropped 2') && x.messages().includes('kept'));
    } finally {
      await f.stop();
    }
    assert.deepEqual(f.messages(), ['first', 'dropped 1', 'dropped 2', 'kept']);
    assert.ok(fake.requests.some((r) => r.path === '/loki/api/v1/tail' && r.status === 101), 'followed through the WebSocket');
    assert.equal(f.notices().length, 2);
    assert.match(f.notices()[0]!, /dropped 1 line from the live tail.*read again from history/);
    assert.deepEqual(fake.violations, []);
  });

  it('an idle tail yields heartbeats carrying its cursor', async () => {
    const cursor = encodeCursor({ t: nowNs(), ids: new Set() });
    const f = new Follow(source(), { component: 'idle', environment: 'staging' }, { cursor });
    try {
      await f.until('two heartbeats', (x) => x.events.filter((e) => e.type === 'heartbeat').length >= 2);
    } finally {
      await f.stop();
    }
    for (const e of f.events) if (e.type === 'heartbeat') assert.equal(e.cursor, cursor);
  });

  it('tenants: X-Scope-OrgID selects the tenant; a multi-tenant Loki without one is a config error naming "tenant"', async () => {
    const multi = await startLokiFake({ multiTenant: true });
    try {
      const stream = { service_name: 'tenanted', deployment_environment_name: 'staging', process: 'web.1' };
      await push(multi, { streams: [{ stream, values: [[String(nowNs()), 'for team a']] }] }, { 'X-Scope-OrgID': 'team-a' });
      await push(multi, { streams: [{ stream, values: [[String(nowNs()), 'for team b']] }] }, { 'X-Scope-OrgID': 'team-b' });
      const q = { component: 'tenanted', environment: 'staging', limit: 10 };
      const base = LokiSourceConfig.parse({ type: 'loki', url: multi.url });
      assert.deepEqual((await new LokiSource('loki', { ...base, tenant: 'team-a' }).history(q)).map((l) => l.message), ['for team a']);
      const none = new LokiSource('loki', base);
      await assert.rejects(none.history(q), (e) => assertSourceError(e, none, 'rejected') && /no org id.*"tenant"/.test((e as Error).message));
      assert.deepEqual(multi.violations, []);
    } finally {
      await multi.close();
    }
  });

  it('a bearer token from tokenEnv for the proxy in front: refused or unset, the error names the setting and never shows the token', async () => {
    const guarded = await startLokiFake({ token: 'right-token' });
    try {
      const q = { component: 'x', environment: 'staging', limit: 10 };
      const base = LokiSourceConfig.parse({ type: 'loki', url: guarded.url, tokenEnv: 'LOKI_TOKEN' });
      assert.deepEqual(await new LokiSource('loki', base, { env: { LOKI_TOKEN: 'right-token' } }).history(q), []);
      const wrong = new LokiSource('loki', base, { env: { LOKI_TOKEN: 'wrong-token' } });
      const err = await wrong.history(q).catch((e: unknown) => e);
      assertSourceError(err, wrong, 'rejected');
      assert.match((err as Error).message, /401: Unauthorized.*tokenEnv/);
      assert.ok(!(err as Error).message.includes('wrong-token'));
      const unset = new LokiSource('loki', base, { env: {} });
      await assert.rejects(unset.history(q), (e) => assertSourceError(e, unset, 'rejected') && /LOKI_TOKEN \(tokenEnv\) is not set/.test((e as Error).message));
    } finally {
      await guarded.close();
    }
  });

  it("more lines than Loki's max_entries_limit_per_query: refused, saying to ask for fewer", async () => {
    const small = await startLokiFake({ maxEntries: 50 });
    try {
      const s = new LokiSource('loki', LokiSourceConfig.parse({ type: 'loki', url: small.url }));
      await assert.rejects(s.history({ component: 'x', environment: 'staging', limit: 60 }), (e) => assertSourceError(e, s, 'rejected') && /max entries limit per query exceeded.*fewer lines/.test((e as Error).message));
    } finally {
      await small.close();
    }
  });

  it('from config: createLogSource builds it', () => {
    const s = createLogSource('loki', LokiSourceConfig.parse({ type: 'loki', url: 'http://127.0.0.1:3100' }));
    assert.ok(s instanceof LokiSource);
    assert.equal(s.description, 'log source "loki" (loki at http://127.0.0.1:3100)');
  });
});
