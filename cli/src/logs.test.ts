/**
 * idp logs and idp metrics against the fake Platform API: what they send and print; and, with the real bin in a child
 * process, how `--tail` behaves where users saw Heroku's fail: it resumes from the last line after the stream ends
 * (no line twice, none missed), exits 0 as soon as `| head` has read enough, and 130 on Ctrl-C.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { LogTailEvent, MetricsView } from '@idp/core';
import { api, at, baseEnv, ref, run, useFakeApi, wc } from './testing/harness.js';
import { formatValue, sparkline } from './commands/metrics.js';

useFakeApi();

const bin = path.join(fileURLToPath(new URL('../', import.meta.url)), 'bin', 'idp.js');
const line = (i: number): LogTailEvent => ({ type: 'line', time: `2026-11-26T10:00:0${i % 10}.12345678Z`, process: 'web.1', message: `GET /${i} 200 3ms`, cursor: `c${i}` });
const ndjson = (events: LogTailEvent[]) => events.map((e) => `${JSON.stringify(e)}\n`).join('');

/** The real bin, its stdout as it comes, and its exit. */
function spawnIdp(args: string[], opts: { shell?: string } = {}) {
  const env = { ...process.env, ...baseEnv, NO_COLOR: '1' };
  const child = opts.shell
    ? spawn('bash', ['-c', opts.shell], { cwd: wc, env: { ...env, IDP: `${process.execPath} ${bin}` } })
    : spawn(process.execPath, [bin, ...args], { cwd: wc, env });
  let out = '';
  let err = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of waiters.filter((w) => w.re.test(out))) w.resolve();
  });
  child.stderr.on('data', (d: Buffer) => void (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    child,
    exit,
    out: () => out,
    err: () => err,
    /** Resolves once stdout matches. */
    printed: (re: RegExp) => (re.test(out) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ re, resolve }))),
  };
}

describe('idp logs', () => {
  it('asks for the newest lines with the filters given and prints them as Heroku does; --json is NDJSON', async () => {
    api.on('GET /environments/staging/logs', {
      body: { component: 'checkout', environment: 'staging', source: 'log source "local" (victorialogs at http://127.0.0.1:9428)', lines: [{ time: '2026-11-26T10:00:01.5Z', process: 'web.1', message: 'GET / 200 3ms' }, { time: '2026-11-26T10:00:02Z', process: 'web.2', message: 'oops \u001b[31mred' }] },
    });
    const r = await run(['logs', '--env', 'staging', '-n', '200', '--since', '1h', '--grep', 'GET /', '--process', 'web']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(api.requests[0]!.query, { ...ref(), n: '200', since: '1h', grep: 'GET /', process: 'web' });
    assert.equal(r.out, '2026-11-26T10:00:01Z app[web.1]: GET / 200 3ms\n2026-11-26T10:00:02Z app[web.2]: oops red\n');
    const json = await run(['logs', '--env', 'staging', '--json']);
    assert.deepEqual(json.out.trim().split('\n').map((l) => JSON.parse(l) as unknown), [
      { time: '2026-11-26T10:00:01.5Z', process: 'web.1', message: 'GET / 200 3ms' },
      { time: '2026-11-26T10:00:02Z', process: 'web.2', message: 'oops \u001b[31mred' },
    ]);
  });

  it('checks its flags before sending anything', async () => {
    for (const [args, re] of [
      [['logs'], /--env is required/],
      [['logs', '--env', 'staging', '-n', '0'], /--num must be a whole number from 1 to 10000/],
      [['logs', '--env', 'staging', '--process', 'web 1'], /--process "web 1" is not a process name/],
      [['logs', '--env', 'Staging'], /Invalid environment name/],
    ] as const) {
      const r = await run([...args]);
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, re);
    }
    assert.equal(api.requests.length, 0);
  });

  it('--tail: when the stream ends it reconnects from the last cursor — each line once, in order — and stops on a refusal', async () => {
    let connection = 0;
    const cursors: (string | undefined)[] = [];
    api.on('GET /environments/staging/logs/tail', (req) => {
      cursors.push(req.query.cursor);
      connection++;
      if (connection === 1) return { stream: async (write) => write(ndjson([line(1), line(2)])) };
      if (connection === 2) return { stream: async (write) => write(ndjson([{ type: 'notice', message: 'the log store was unreachable; back' }, line(3)])) };
      return { status: 403, body: { error: { code: 'forbidden', message: 'alice may not read logs of staging' } } };
    });
    const idp = spawnIdp(['logs', '--env', 'staging', '--tail', '-n', '5']);
    const code = await idp.exit;
    assert.equal(code, 5, idp.err());
    assert.deepEqual(cursors, [undefined, 'c2', 'c3']);
    assert.equal(api.requests[0]!.query.backlog, '5');
    assert.deepEqual(idp.out().trim().split('\n').map((l) => l.replace(/^\S+ app\[web\.1\]: /, '')), ['GET /1 200 3ms', 'GET /2 200 3ms', 'GET /3 200 3ms']);
    assert.match(idp.err(), /the log store was unreachable; back/);
    assert.match(idp.err(), /alice may not read logs of staging/);
  });

  it('--tail | head -3 exits 0 as soon as head has its lines; Ctrl-C exits 130', async () => {
    api.on('GET /environments/staging/logs/tail', () => ({
      stream: async (write, closed) => {
        // Lines keep coming, as from a busy app, until the client goes away.
        let gone = false;
        void closed.then(() => (gone = true));
        for (let i = 0; !gone; i++) {
          write(ndjson([line(i)]));
          await new Promise((r) => setImmediate(r));
          if (i % 50 === 49) await new Promise((r) => setTimeout(r, 10));
        }
      },
    }));
    const piped = spawnIdp([], { shell: 'set -o pipefail; $IDP logs --env staging --tail | head -3' });
    assert.equal(await piped.exit, 0, piped.err());
    assert.equal(piped.out().split('\n').filter(Boolean).length, 3);

    api.on('GET /environments/staging/logs/tail', () => ({ stream: async (write, closed) => (write(ndjson([line(1)])), closed) }));
    const held = spawnIdp(['logs', '--env', 'staging', '--tail']);
    await held.printed(/GET \/1 200/);
    held.child.kill('SIGINT');
    assert.equal(await held.exit, 130);
  });
});

describe('idp metrics', () => {
  const view: MetricsView = {
    component: 'checkout',
    environment: 'staging',
    source: 'metric source "local" (prometheus at http://127.0.0.1:9090)',
    start: at(-3600_000),
    end: at(0),
    step: 60,
    series: [
      { panel: 'requests', title: 'Requests', unit: 'req/s', points: [[1, 1], [2, 4], [3, null], [4, 8]] },
      { panel: 'errorRate', title: 'Errors (5xx)', unit: 'ratio', points: [[1, 0], [2, 0.025]] },
      { panel: 'p95', title: 'p95 latency', unit: 's', points: [[1, 0.0123], [2, 1.5]] },
      { panel: 'cpu', title: 'CPU', unit: 'cores', points: [[1, null], [2, null]] },
      { panel: 'memory', title: 'Memory', unit: 'bytes', points: [[1, 50 * 1024 * 1024], [2, 52.5 * 1024 * 1024]] },
    ],
  };

  it('prints each panel\'s latest value, range and sparkline; --json is the API\'s view', async () => {
    api.on('GET /environments/staging/metrics', { body: view });
    const r = await run(['metrics', '--env', 'staging', '--since', '1h', '--process', 'web']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(api.requests[0]!.query, { ...ref(), since: '1h', process: 'web' });
    assert.match(r.out, /^METRIC\s+NOW\s+RANGE\s+LAST 1H$/m);
    assert.match(r.out, /^Requests\s+8\.00\/s\s+1\.00\/s – 8\.00\/s\s+▁▄ █$/m);
    assert.match(r.out, /^Errors \(5xx\)\s+2\.50%\s+0% – 2\.50%/m);
    assert.match(r.out, /^p95 latency\s+1\.50s\s+12\.3ms – 1\.50s/m);
    assert.match(r.out, /^CPU\s+-\s+no data$/m);
    assert.match(r.out, /^Memory\s+52\.5 MB\s+50\.0 MB – 52\.5 MB/m);
    const json = await run(['metrics', '--env', 'staging', '--json']);
    assert.deepEqual(JSON.parse(json.out), view);
  });

  it('sparklines scale between the series\' own min and max; gaps stay gaps', () => {
    assert.equal(sparkline([0, 1, 2, 3, 4, 5, 6, 7]), '▁▂▃▄▅▆▇█');
    assert.equal(sparkline([5, null, 5]), '█ █');
    assert.equal(sparkline([0, 0]), '▁▁');
    assert.equal(sparkline([null]), '');
    assert.equal(formatValue(0.0004, 's'), '0.40ms');
    assert.equal(formatValue(3 * 1024 ** 3, 'bytes'), '3.00 GB');
  });

  it('checks --step before sending anything', async () => {
    const r = await run(['metrics', '--env', 'staging', '--step', '0']);
    assert.equal(r.code, 2);
    assert.match(r.err, /--step must be a number of seconds from 1 to 86400/);
    assert.equal(api.requests.length, 0);
  });
});
