import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EnvironmentView, PullRequest } from '@idp/core';
import { envStatus, envTable } from './commands/env/list.js';
import { pullTable } from './commands/pr/list.js';
import { formatPull } from './commands/pr/show.js';
import { colorEnabled, colors, relativeTime, table, terminalSafe, truncate, Ui } from './output.js';
import { memoryIo } from './testing/io.js';

const NOW = new Date('2026-11-24T10:00:00Z');
const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();
const H = 3600_000;

describe('relativeTime', () => {
  it('floors into s, m, h (below 100h), then d', () => {
    assert.equal(relativeTime(at(72 * H - 60_000), NOW), 'in 71h');
    assert.equal(relativeTime(at(72 * H), NOW), 'in 72h');
    assert.equal(relativeTime(at(45_000), NOW), 'in 45s');
    assert.equal(relativeTime(at(-5 * 60_000 - 10_000), NOW), '5m ago');
    assert.equal(relativeTime(at(-2 * H), NOW), '2h ago');
    assert.equal(relativeTime(at(99 * H), NOW), 'in 99h');
    assert.equal(relativeTime(at(100 * H), NOW), 'in 4d');
    assert.equal(relativeTime(at(-30 * 24 * H), NOW), '30d ago');
    assert.equal(relativeTime(at(300), NOW), 'just now');
    assert.equal(relativeTime(undefined, NOW), '-');
    assert.equal(relativeTime('not a date', NOW), 'not a date');
  });
});

describe('table', () => {
  it('aligns columns, does not pad the last one', () => {
    const t = table(['NAME', 'FROM', 'PR'], [
      ['staging', '-', ''],
      ['preview-123', 'staging', 'http://x/3'],
    ]);
    assert.equal(t, 'NAME         FROM     PR\nstaging      -\npreview-123  staging  http://x/3\n');
  });

  it('measures cells without their colour codes', () => {
    const c = colors(true);
    const t = table(['A', 'B'], [[c.green('live'), 'x'], ['pending', 'y']], c);
    const plain = t.replace(/\u001B\[\d+m/g, '');
    assert.equal(plain, 'A        B\nlive     x\npending  y\n');
    assert.ok(t.includes('\u001B[1mA'), 'bold header');
  });

  it('truncate', () => {
    assert.equal(truncate('abcdef', 4), 'abc…');
    assert.equal(truncate('abc', 4), 'abc');
  });
});

describe('colour', () => {
  const tty = { write() {}, isTTY: true };
  const pipe = { write() {}, isTTY: false };
  it('only on a TTY, never with NO_COLOR, always with FORCE_COLOR', () => {
    assert.equal(colorEnabled(tty, {}), true);
    assert.equal(colorEnabled(pipe, {}), false);
    assert.equal(colorEnabled(tty, { NO_COLOR: '1' }), false);
    assert.equal(colorEnabled(tty, { NO_COLOR: '' }), true, 'an empty NO_COLOR does not count');
    assert.equal(colorEnabled(tty, { TERM: 'dumb' }), false);
    assert.equal(colorEnabled(pipe, { FORCE_COLOR: '1' }), true);
    assert.equal(colorEnabled(tty, { FORCE_COLOR: '0' }), false);
    assert.equal(colorEnabled(pipe, { FORCE_COLOR: '1', NO_COLOR: '1' }), false);
  });

  it('colors(false) is the identity', () => {
    const c = colors(false);
    assert.equal(c.red('x') + c.bold('y') + c.green('z'), 'xyz');
  });

  it('Ui honours NO_COLOR on a TTY', () => {
    assert.equal(new Ui(memoryIo({ tty: true, env: { NO_COLOR: '1' } }), false).out.enabled, false);
    assert.equal(new Ui(memoryIo({ tty: true, env: {} }), false).out.enabled, true);
  });
});

describe('Ui', () => {
  it('action on a non-TTY stderr: "text... done", result untouched', async () => {
    const io = memoryIo();
    const ui = new Ui(io, false);
    const r = await ui.action('Cloning a → b', async () => 42, { done: (n) => `done (${n})` });
    assert.equal(r, 42);
    assert.equal(io.err(), 'Cloning a → b... done (42)\n');
    assert.equal(io.out(), '');
  });

  it('action reports failure and rethrows', async () => {
    const io = memoryIo();
    await assert.rejects(new Ui(io, false).action('Merging', async () => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(io.err(), 'Merging... failed\n');
  });

  it('--json: no narration at all', async () => {
    const io = memoryIo();
    const ui = new Ui(io, true);
    await ui.action('x', async () => 1);
    ui.note('hello');
    ui.printJson({ a: 1 });
    assert.equal(io.err(), '');
    assert.deepEqual(JSON.parse(io.out()), { a: 1 });
  });
});

const env = (over: Partial<EnvironmentView>): EnvironmentView => ({
  name: 'x',
  ephemeral: false,
  source: 'paws.yaml',
  variables: {},
  secrets: [],
  pulls: [],
  workflows: [],
  ...over,
});
const pull = (number: number, kind: string, state: 'open' | 'merged' | 'closed' = 'open') => ({
  number,
  url: `http://forge/pulls/${number}`,
  state,
  head: `idp/${kind}/checkout/x`,
  headSha: 'abc',
});

describe('env list', () => {
  it('status: live, pending PR, teardown PR, extend PR, expired', () => {
    assert.equal(envStatus(env({}), NOW), 'live');
    assert.equal(envStatus(env({ source: 'pending', pulls: [pull(3, 'env-clone')] }), NOW), 'pending PR #3');
    assert.equal(envStatus(env({ pulls: [pull(5, 'env-destroy')] }), NOW), 'teardown PR #5');
    assert.equal(envStatus(env({ pulls: [{ ...pull(6, 'x'), kind: 'env-ttl', head: 'other' }] }), NOW), 'teardown PR #6');
    assert.equal(envStatus(env({ pulls: [pull(7, 'env-extend'), pull(2, 'env-clone', 'merged')] }), NOW), 'live, extend PR #7');
    assert.equal(envStatus(env({ expiresAt: at(-H) }), NOW), 'expired');
    assert.equal(envStatus(env({ pulls: [{ ...pull(8, 'release'), kind: 'release' }] }), NOW), 'live, release PR #8');
    const stuck = {
      workflowId: 'env-destroy:checkout:x@k', kind: 'env-destroy' as const, component: 'checkout', environment: 'x', status: 'running' as const, phase: 'open' as const,
      pr: { number: 5, url: 'u', state: 'open' as const, head: 'h', headSha: 's' }, stuck: 'pv is cloned from it',
    };
    assert.equal(envStatus(env({ pulls: [pull(5, 'env-destroy')], workflows: [stuck] }), NOW), 'teardown PR #5, PR #5 stuck');
  });

  it('status: what the runtime reports runs for it (the embedded stack\'s local runtime)', () => {
    const since = at(-H);
    assert.equal(envStatus(env({ runtime: { state: 'running', url: 'http://127.0.0.1:41234', image: 'ghcr.io/acme/checkout:1.4.2', since } }), NOW), 'live, running at http://127.0.0.1:41234');
    assert.equal(envStatus(env({ runtime: { state: 'starting', since } }), NOW), 'live, starting');
    assert.equal(envStatus(env({ runtime: { state: 'crashed', since, reason: 'web.1 exited with code 1' } }), NOW), 'live, crashed');
    assert.equal(envStatus(env({ pulls: [pull(5, 'env-destroy')], runtime: { state: 'stopped', since } }), NOW), 'teardown PR #5, stopped');
  });

  it('table', () => {
    const t = envTable(
      [
        env({ name: 'staging' }),
        env({ name: 'preview-123', from: 'staging', ephemeral: true, expiresAt: at(72 * H - 1000), source: 'pending', pulls: [pull(3, 'env-clone')] }),
      ],
      NOW,
    );
    assert.equal(
      t,
      [
        'NAME         FROM     EXPIRES  STATUS         PR',
        'staging      -        -        live',
        'preview-123  staging  in 71h   pending PR #3  http://forge/pulls/3',
        '',
      ].join('\n'),
    );
  });
});

const pr: PullRequest = {
  number: 3,
  url: 'http://forge/pulls/3',
  title: 'Clone staging to preview-123',
  body: 'Requested by alice.',
  head: 'idp/env-clone/checkout/preview-123',
  base: 'main',
  headSha: 'a'.repeat(40),
  baseSha: 'b'.repeat(40),
  state: 'open',
  author: 'alice@example.com',
  labels: ['idp', 'env-clone'],
  createdAt: at(-10 * 60_000),
  updatedAt: at(-2 * 60_000),
  reviews: [
    { by: 'bob@example.com', state: 'approved', commitSha: 'a'.repeat(40), at: at(-60_000) },
    { by: 'carol@example.com', state: 'changes_requested', body: 'TTL?', commitSha: 'c'.repeat(40), at: at(-5 * 60_000) },
  ],
  comments: [{ by: 'dave@example.com', body: 'lgtm', at: at(-90_000) }],
};

describe('pr output', () => {
  it('list table', () => {
    assert.equal(
      pullTable([pr], NOW),
      '#   TITLE                         BRANCH                              STATE  AUTHOR             UPDATED\n' +
        '#3  Clone staging to preview-123  idp/env-clone/checkout/preview-123  open   alice@example.com  2m ago\n',
    );
  });

  it('show', () => {
    const text = formatPull(pr, NOW);
    assert.match(text, /^Clone staging to preview-123 #3\nopen • alice@example\.com wants to merge idp\/env-clone\/checkout\/preview-123 into main • opened 10m ago\n/);
    assert.match(text, /bob@example\.com approved 1m ago\n/);
    assert.match(text, /carol@example\.com requested changes 5m ago \(on an older commit\): TTL\?/);
    assert.match(text, /dave@example\.com 1m ago: lgtm/);
    assert.match(text, /View: http:\/\/forge\/pulls\/3\n$/);
    // A merged PR no longer "wants to merge".
    const merged = formatPull({ ...pr, state: 'merged', mergedBy: 'bob@example.com', mergedAt: pr.createdAt, mergeSha: 'f00d' }, NOW);
    assert.match(merged, /\nmerged • alice@example\.com proposed merging idp\/env-clone\/checkout\/preview-123 into main • opened 10m ago\nMerged by bob@example\.com/);
    assert.doesNotMatch(merged, /wants to merge/);
  });
});

describe('terminalSafe', () => {
  it('removes escape sequences and control characters from server text, keeping newlines and tabs', () => {
    const evil = { title: 'ok\u001b]52;c;ZXZpbA==\u0007 \u001b[2K\u001b[1Gapproved', body: 'line 1\n\tline 2\u0000\u009b' };
    assert.deepEqual(terminalSafe(evil), { title: 'ok approved', body: 'line 1\n\tline 2' });
    assert.deepEqual(terminalSafe([1, null, 'a\u0008b']), [1, null, 'ab']);
  });
});
