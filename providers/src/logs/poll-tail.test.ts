/**
 * The generic poller's own rules, on a table of rows a test controls (the contract suite runs it against real
 * stores): late rows made visible piecemeal still come out in time order, the store failing mid-tail gives a notice
 * each way and no error, the first query's error is thrown, an idle tail heartbeats, a foreign cursor is refused,
 * and times round-trip at ns precision.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidRequestError } from '@idp/core/errors';
import { decodeCursor, encodeCursor, pollTail, type PolledRow, type PollTiming } from './poll-tail.js';
import type { TailEvent } from './source.js';
import { formatTimeNs, nowNs, parseTimeNs } from './time.js';

const FAST: Partial<PollTiming> = { settleMs: 100, everyMs: 10, nearMs: 500, fullEveryMs: 50, maxBackoffMs: 40, heartbeatMs: 300 };

/** A store as the poller sees it: the rows visible now, and a switch to make it fail. */
function table() {
  const rows: PolledRow[] = [];
  const t = {
    rows,
    down: null as Error | null,
    /** Runs before each query answers. */
    beforeFetch: () => {},
    add(message: string, timeNs: bigint, seq = 0) {
      rows.push({ timeNs, seq, line: { time: formatTimeNs(timeNs), process: 'web.1', message, id: `s:${timeNs}:${seq}` } });
    },
    fetchSince: async (fromNs: bigint, limit: number): Promise<PolledRow[]> => {
      t.beforeFetch();
      if (t.down) throw t.down;
      return rows.filter((r) => r.timeNs >= fromNs).sort((a, b) => (a.timeNs < b.timeNs ? -1 : 1)).slice(0, limit);
    },
  };
  return t;
}

/** Collects events until `stop(events)` holds, then aborts. */
async function collect(iter: (signal: AbortSignal) => AsyncIterable<TailEvent>, stop: (events: TailEvent[]) => boolean, during?: (events: TailEvent[]) => void): Promise<TailEvent[]> {
  const ctl = new AbortController();
  const events: TailEvent[] = [];
  for await (const e of iter(ctl.signal)) {
    events.push(e);
    during?.(events);
    if (stop(events)) ctl.abort();
  }
  return events;
}
const messages = (events: TailEvent[]) => events.flatMap((e) => (e.type === 'line' ? [e.line.message] : []));

describe('pollTail', () => {
  it('a late batch made visible piecemeal comes out in time order, after the lines already shown', async () => {
    const s = table();
    const start = nowNs();
    s.add('first', start);
    let step = 0;
    s.beforeFetch = () => {
      if (step === 2) {
        // The poll after the one that saw the newer half: now the older half (and a fresh line) is visible too.
        step = 3;
        for (let i = 1; i <= 5; i++) s.add(`late ${i}`, old + BigInt(i));
        s.add('last', nowNs());
      }
      if (step === 1) step = 2;
    };
    let old = 0n;
    const events = await collect(
      (signal) => pollTail({ description: 'test source', fetchSince: s.fetchSince, backlog: 0, cursor: encodeCursor({ t: start - 2_000_000_000n, ids: new Set() }), signal, timing: FAST }),
      (ev) => messages(ev).includes('last'),
      (ev) => {
        if (step === 0 && messages(ev).includes('first')) {
          // Stamped a second ago, stored now: the newer half becomes visible first, the older half a poll later.
          old = nowNs() - 1_000_000_000n;
          for (let i = 6; i <= 10; i++) s.add(`late ${i}`, old + BigInt(i));
          step = 1;
        }
      },
    );
    assert.deepEqual(messages(events), ['first', ...Array.from({ length: 10 }, (_, i) => `late ${i + 1}`), 'last']);
  });

  it('the store failing mid-tail: a notice, retries, a notice when it answers, then the lines; no error', async () => {
    const s = table();
    s.add('before', nowNs() - 500_000_000n);
    let phase = 0;
    const events = await collect(
      (signal) => pollTail({ description: 'log source "t"', fetchSince: s.fetchSince, signal, timing: FAST }),
      (ev) => messages(ev).includes('after'),
      (ev) => {
        const e = ev[ev.length - 1]!;
        if (phase === 0 && e.type === 'line') {
          phase = 1;
          s.down = new Error('log source "t": cannot reach it (ECONNREFUSED)');
        } else if (phase === 1 && e.type === 'notice') {
          phase = 2;
          s.add('after', nowNs());
          s.down = null;
        }
      },
    );
    const kinds = events.map((e) => (e.type === 'line' ? e.line.message : e.type === 'notice' ? `notice: ${e.message}` : e.type)).filter((k) => k !== 'heartbeat');
    assert.equal(kinds.length, 4, kinds.join('\n'));
    assert.equal(kinds[0], 'before');
    assert.match(kinds[1]!, /^notice: log source "t": cannot reach it \(ECONNREFUSED\) — retrying/);
    assert.match(kinds[2]!, /^notice: log source "t" answers again \(after \d+\.\d s\); following on$/);
    assert.equal(kinds[3], 'after');
  });

  it("the first query's error is thrown (a bad config fails fast)", async () => {
    const s = table();
    s.down = new Error('refused');
    await assert.rejects(collect((signal) => pollTail({ description: 'x', fetchSince: s.fetchSince, signal, timing: FAST }), () => false), /refused/);
    await assert.rejects(collect((signal) => pollTail({ description: 'x', fetchSince: s.fetchSince, backlog: 0, signal, timing: FAST }), () => false), /refused/);
  });

  it('an idle tail yields heartbeats carrying the cursor to resume from', async () => {
    const s = table();
    s.add('only', nowNs() - 500_000_000n);
    const events = await collect((signal) => pollTail({ description: 'x', fetchSince: s.fetchSince, signal, timing: FAST }), (ev) => ev.filter((e) => e.type === 'heartbeat').length >= 2);
    const line = events.find((e) => e.type === 'line');
    const beat = events.find((e) => e.type === 'heartbeat');
    assert.ok(line?.type === 'line' && beat?.type === 'heartbeat');
    assert.equal(beat.cursor, line.cursor);
  });

  it('a cursor it did not give out is refused as a bad request', () => {
    assert.throws(() => decodeCursor('not-a-cursor'), (e) => e instanceof InvalidRequestError && /cursor/.test(e.message));
    const c = { t: 1795738443123456789n, ids: new Set(['a', 'b']) };
    assert.deepEqual(decodeCursor(encodeCursor(c)), c);
  });

  it('times: RFC 3339 with a trimmed fraction parses to ns and formats back', () => {
    assert.equal(parseTimeNs('2026-11-27T00:01:02.02209373Z'), 1795737662022093730n);
    assert.equal(parseTimeNs('2026-11-27T00:01:02Z'), 1795737662000000000n);
    assert.equal(parseTimeNs('2026-11-27T01:01:02.5+01:00'), 1795737662500000000n);
    assert.equal(formatTimeNs(1795737662022093730n), '2026-11-27T00:01:02.022093730Z');
    assert.ok(parseTimeNs('2026-11-27T00:01:02.1Z') > parseTimeNs('2026-11-27T00:01:02.09Z'), 'not compared as text');
    assert.throws(() => parseTimeNs('yesterday'), /not an RFC 3339 time/);
  });
});
