/**
 * The contract every LogSource passes (VictoriaLogs, OpenSearch/Elasticsearch real; Loki on its documented-shape
 * fake). A source's test file calls `logSourceContract(name, setup)` at top level; `setup` runs once for the suite and
 * returns a harness that writes into the real store the way that backend's shippers do. Every case writes under its
 * own component name, so cases share the store without seeing each other's lines.
 *
 * Each case is a behaviour a user of `idp logs` sees: the newest lines oldest first, since/until, `--grep` as a plain
 * substring, `--process web` for every web dyno, no other service's lines, a tail that shows the backlog then new
 * lines, resumes from a cursor with no gap and no duplicate, shows a re-sent line once, follows the store through a
 * restart (and a crash, where the harness can crash it) with every line exactly once and in order, and ends when
 * aborted; failures are SourceErrors naming the source.
 */
import assert from 'node:assert/strict';
import { freePort } from '../ports.js';
import { describe, it } from 'node:test';
import { assertSourceError, freshNames, harnessLifecycle } from '../contract-helpers.js';
import type { SourceError } from '../source-error.js';
import type { LogLine, LogSource, LogTarget, TailEvent, TailOptions } from './source.js';

export interface LogWrite {
  component: string;
  environment: string;
  /** `web.1` */
  process: string;
  message: string;
  /** When the line was written (ms precision); default: now (as the shipper stamps it). */
  time?: Date;
  /**
   * The shipper's sequence number. Two writes with the same time and seq are the same line sent twice (as a shipper
   * re-sends after a failure): a source shows it once. Default: a fresh number.
   */
  seq?: number;
}

export interface LogSourceHarness {
  source: LogSource;
  /**
   * Writes the lines into the real store as that backend's shippers do, and returns once they are stored (after the
   * store's flush/refresh call where it has one). While the store is down it keeps trying, as a shipper does (a crash
   * may lose rows the store acknowledged; the shipper re-sends them), and returns once the store has them.
   */
  write(lines: LogWrite[]): Promise<void>;
  /** SIGTERM the store, run `whileDown` (resolves once a tail has noticed), start it again on the same port and data. */
  restart?(whileDown: () => Promise<void>): Promise<void>;
  /** Same with SIGKILL: rows the store acknowledged but had not flushed may be lost, and are re-sent by `write`. */
  kill?(whileDown: () => Promise<void>): Promise<void>;
  /** The same source config pointed at a port nothing listens on. */
  unreachable(): LogSource;
  /** The same source with a selector/query template the store refuses (a malformed selector in config). */
  badSelector(): LogSource;
  /** Part of the store's own message about badSelector's query, which the error must quote. */
  badSelectorSays?: RegExp;
  cleanup(): Promise<void>;
}


/** How long a wait may take before the case fails saying what it waited for (a hang guard, not a timing goal). */
const WAIT_MS = 60_000;

/** A tail consumed in the background, with waits on what it has yielded so far. */
export class Follow {
  readonly events: TailEvent[] = [];
  error: unknown;
  done = false;
  readonly finished: Promise<void>;
  private readonly ctl = new AbortController();
  private wake: (() => void)[] = [];

  constructor(source: LogSource, target: LogTarget, options: Omit<TailOptions, 'signal'> = {}) {
    const iter = source.tail(target, { ...options, signal: this.ctl.signal });
    this.finished = (async () => {
      try {
        for await (const e of iter) {
          this.events.push(e);
          this.notify();
        }
      } catch (e) {
        this.error = e;
      } finally {
        this.done = true;
        this.notify();
      }
    })();
  }

  lines(): LogLine[] {
    return this.events.flatMap((e) => (e.type === 'line' ? [e.line] : []));
  }
  messages(): string[] {
    return this.lines().map((l) => l.message);
  }
  notices(): string[] {
    return this.events.flatMap((e) => (e.type === 'notice' ? [e.message] : []));
  }
  /** The cursor of the line with this message. */
  cursorOf(message: string): string {
    const e = this.events.find((x) => x.type === 'line' && x.line.message === message);
    assert.ok(e && e.type === 'line', `no line "${message}" in the tail`);
    return e.cursor;
  }

  /** Resolves once `cond` holds; fails if the tail ends or errs first, or after WAIT_MS, saying what it saw. */
  async until(what: string, cond: (f: Follow) => boolean): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      if (cond(this)) return;
      if (this.error !== undefined) throw this.error;
      if (this.done) throw new Error(`the tail ended before ${what}; it yielded ${this.describe()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; the tail yielded ${this.describe()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Aborts and waits for the iteration to end. */
  async stop(): Promise<void> {
    this.ctl.abort();
    await this.finished;
  }

  private notify(): void {
    const w = this.wake;
    this.wake = [];
    for (const f of w) f();
  }
  private describe(): string {
    const m = this.messages();
    return `${m.length} lines [${m.slice(-20).join(' | ')}] and notices [${this.notices().join(' | ')}]`;
  }
}

export { assertSourceError };

/** The first event of a tail (its first query), or its error. */
async function firstEvent(source: LogSource, target: LogTarget): Promise<IteratorResult<TailEvent>> {
  const ctl = new AbortController();
  const it = source.tail(target, { signal: ctl.signal })[Symbol.asyncIterator]();
  try {
    return await it.next();
  } finally {
    ctl.abort();
    await it.return?.(undefined);
  }
}

const num = (message: string) => Number(/^n=(\d+)\b/.exec(message)?.[1] ?? NaN);

export function logSourceContract(name: string, setup: () => Promise<LogSourceHarness>): void {
  describe(`log source contract: ${name}`, () => {
    let h: LogSourceHarness;
    let src: LogSource;
    const fresh = freshNames();
    /** A fixed past minute, so explicit times never collide with "now" lines of other cases. */
    const base = Date.now() - 10 * 60_000;
    const at = (ms: number) => new Date(base + ms);
    const follows: Follow[] = [];
    const follow = (target: LogTarget, options: Omit<TailOptions, 'signal'> = {}) => {
      const f = new Follow(src, target, options);
      follows.push(f);
      return f;
    };
    harnessLifecycle(
      setup,
      (x) => {
        h = x;
        src = x.source;
      },
      follows,
    );

    it('history: the newest N lines, oldest first, each with its time, process and id', async () => {
      const c = fresh();
      await h.write(Array.from({ length: 25 }, (_, i) => ({ component: c, environment: 'staging', process: 'web.1', message: `line ${i + 1}`, time: at(i + 1) })));
      const lines = await src.history({ component: c, environment: 'staging', limit: 10 });
      assert.deepEqual(lines.map((l) => l.message), Array.from({ length: 10 }, (_, i) => `line ${i + 16}`));
      for (const [i, l] of lines.entries()) {
        assert.match(l.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/);
        assert.equal(Date.parse(l.time), at(i + 16).getTime(), `${l.message} at ${l.time}`);
        assert.equal(l.process, 'web.1');
      }
      assert.equal(new Set(lines.map((l) => l.id)).size, 10);
      const all = await src.history({ component: c, environment: 'staging', limit: 100 });
      assert.deepEqual(all.map((l) => l.message), Array.from({ length: 25 }, (_, i) => `line ${i + 1}`));
    });

    it('history: since is inclusive, until exclusive', async () => {
      const c = fresh();
      await h.write(Array.from({ length: 12 }, (_, i) => ({ component: c, environment: 'staging', process: 'web.1', message: `line ${i + 1}`, time: at(1000 * (i + 1)) })));
      const lines = await src.history({ component: c, environment: 'staging', limit: 100, since: at(5000), until: at(9000) });
      assert.deepEqual(lines.map((l) => l.message), ['line 5', 'line 6', 'line 7', 'line 8']);
      const newest = await src.history({ component: c, environment: 'staging', limit: 2, until: at(9000) });
      assert.deepEqual(newest.map((l) => l.message), ['line 7', 'line 8']);
    });

    it('grep is a plain substring: quotes and regex metacharacters match themselves, and a word may be cut', async () => {
      const c = fresh();
      const messages = ['say "hi" (a+b)*[c] \\d $x ^y |z . end', 'say hi (a+b)*[c] no quotes', 'GET /item/709 200', 'xxaabbxx [c] plain'];
      await h.write(messages.map((message, i) => ({ component: c, environment: 'staging', process: 'web.1', message, time: at(i + 1) })));
      const grep = async (g: string) => (await src.history({ component: c, environment: 'staging', limit: 100, grep: g })).map((l) => l.message);
      assert.deepEqual(await grep('"hi" (a+b)*[c] \\d'), [messages[0]]);
      assert.deepEqual(await grep('(a+b)*'), [messages[0], messages[1]], 'a regex (a+b)* would match every line');
      assert.deepEqual(await grep('.'), [messages[0]], 'a regex . would match every line');
      assert.deepEqual(await grep('tem/70'), [messages[2]], 'a substring inside a word matches');
      assert.deepEqual(await grep('no such text'), []);

      const f = follow({ component: c, environment: 'staging', grep: '(a+b)*' }, { backlog: 10 });
      await f.until('the two backlog lines that contain (a+b)*', (x) => x.lines().length >= 2);
      await h.write([
        { component: c, environment: 'staging', process: 'web.1', message: 'later (a+b) without star' },
        { component: c, environment: 'staging', process: 'web.1', message: 'later (a+b)* with star' },
      ]);
      await f.until('the live line that contains (a+b)*', (x) => x.messages().includes('later (a+b)* with star'));
      await f.stop();
      assert.deepEqual(f.messages(), [messages[0], messages[1], 'later (a+b)* with star']);
    });

    it('process "web" matches web, web.1, web.2 and web.10; "web.1" only itself; never webby or worker', async () => {
      const c = fresh();
      const procs = ['web', 'web.1', 'web.2', 'web.10', 'webby.1', 'worker.1'];
      await h.write(procs.map((p, i) => ({ component: c, environment: 'staging', process: p, message: `from ${p}`, time: at(i + 1) })));
      const of = async (process: string) => (await src.history({ component: c, environment: 'staging', limit: 100, process })).map((l) => l.process);
      assert.deepEqual(await of('web'), ['web', 'web.1', 'web.2', 'web.10']);
      assert.deepEqual(await of('web.1'), ['web.1']);
      assert.deepEqual(await of('worker'), ['worker.1']);

      const f = follow({ component: c, environment: 'staging', process: 'web.1' }, { backlog: 10 });
      await f.until('the backlog line of web.1', (x) => x.lines().length >= 1);
      await h.write(['web.10', 'web', 'web.1'].map((p) => ({ component: c, environment: 'staging', process: p, message: `live ${p}` })));
      await f.until('the live line of web.1', (x) => x.messages().includes('live web.1'));
      await f.stop();
      assert.deepEqual(f.messages(), ['from web.1', 'live web.1']);
    });

    it("another component's or environment's lines never appear, in history or in the tail", async () => {
      const c = fresh();
      const others = [
        { component: `${c}-2`, environment: 'staging' },
        { component: c, environment: 'staging-2' },
        { component: c, environment: 'production' },
        { component: c.slice(0, -1), environment: 'staging' },
      ];
      const mine = { component: c, environment: 'staging' };
      await h.write([...others, mine].map((t, i) => ({ ...t, process: 'web.1', message: `${t.component}/${t.environment}`, time: at(i + 1) })));
      const lines = await src.history({ ...mine, limit: 100 });
      assert.deepEqual(lines.map((l) => l.message), [`${c}/staging`]);

      const f = follow(mine, { backlog: 10 });
      await f.until('the backlog line', (x) => x.lines().length >= 1);
      await h.write([...others, mine].map((t) => ({ ...t, process: 'web.1', message: `live ${t.component}/${t.environment}` })));
      await f.until('the live line', (x) => x.messages().includes(`live ${c}/staging`));
      await f.stop();
      assert.deepEqual(f.messages(), [`${c}/staging`, `live ${c}/staging`]);
    });

    it('tail shows the backlog (default 10), then a line written after it started', async () => {
      const c = fresh();
      const t = { component: c, environment: 'staging' };
      await h.write(Array.from({ length: 15 }, (_, i) => ({ ...t, process: 'web.1', message: `old ${i + 1}`, time: at(i + 1) })));
      const f = follow(t, { backlog: 5 });
      const d = follow(t);
      const none = follow(t, { backlog: 0 });
      await f.until('5 backlog lines', (x) => x.lines().length >= 5);
      await d.until('10 backlog lines', (x) => x.lines().length >= 10);
      await h.write([{ ...t, process: 'web.1', message: 'new 1' }]);
      for (const x of [f, d, none]) await x.until('the new line', (y) => y.messages().includes('new 1'));
      await Promise.all([f.stop(), d.stop(), none.stop()]);
      assert.deepEqual(f.messages(), ['old 11', 'old 12', 'old 13', 'old 14', 'old 15', 'new 1']);
      assert.deepEqual(d.messages(), [...Array.from({ length: 10 }, (_, i) => `old ${i + 6}`), 'new 1']);
      assert.deepEqual(none.messages(), ['new 1']);
      for (const e of f.events) if (e.type === 'line') assert.ok(e.cursor.length > 0);
    });

    it('tail resumed from a cursor: every line after it once, none before it (also within one timestamp)', async () => {
      const c = fresh();
      const t = { component: c, environment: 'staging' };
      // Three lines share one timestamp: the cursor must say which of them were shown.
      await h.write([
        { ...t, process: 'web.1', message: 'r1', time: at(1) },
        { ...t, process: 'web.1', message: 'r2', time: at(2) },
        { ...t, process: 'web.1', message: 'r3a', time: at(3), seq: 1 },
        { ...t, process: 'web.1', message: 'r3b', time: at(3), seq: 2 },
        { ...t, process: 'web.1', message: 'r3c', time: at(3), seq: 3 },
        { ...t, process: 'web.1', message: 'r4', time: at(4) },
      ]);
      const first = follow(t, { backlog: 10 });
      await first.until('the 6 lines', (x) => x.lines().length >= 6);
      await first.stop();
      const shown = first.messages();
      assert.deepEqual(new Set(shown), new Set(['r1', 'r2', 'r3a', 'r3b', 'r3c', 'r4']));
      assert.equal(shown.length, 6);
      const cut = shown.findIndex((m) => m.startsWith('r3')); // the first of the tied lines
      await h.write([{ ...t, process: 'web.1', message: 'r5' }]);
      const resumed = follow(t, { cursor: first.cursorOf(shown[cut]!) });
      await resumed.until('r5', (x) => x.messages().includes('r5'));
      await h.write([{ ...t, process: 'web.1', message: 'r6' }]);
      await resumed.until('r6', (x) => x.messages().includes('r6'));
      await resumed.stop();
      assert.deepEqual(resumed.messages(), [...shown.slice(cut + 1), 'r5', 'r6']);

      // From a live line's cursor too.
      const again = follow(t, { cursor: resumed.cursorOf('r5') });
      await h.write([{ ...t, process: 'web.1', message: 'r7' }]);
      await again.until('r7', (x) => x.messages().includes('r7'));
      await again.stop();
      assert.deepEqual(again.messages(), ['r6', 'r7']);
    });

    it('a line stored twice (a shipper re-sending it) is shown once, in history and in the tail', async () => {
      const c = fresh();
      const t = { component: c, environment: 'staging' };
      const twice = { ...t, process: 'web.1', message: 'sent twice', time: at(2), seq: 2 };
      await h.write([{ ...t, process: 'web.1', message: 'before', time: at(1), seq: 1 }, twice]);
      await h.write([twice, { ...t, process: 'web.1', message: 'after', time: at(3), seq: 3 }]);
      assert.deepEqual((await src.history({ ...t, limit: 100 })).map((l) => l.message), ['before', 'sent twice', 'after']);
      assert.deepEqual((await src.history({ ...t, limit: 2 })).map((l) => l.message), ['sent twice', 'after'], 'a duplicate does not take the place of a line');
      const f = follow(t, { backlog: 10 });
      await f.until('the 3 lines', (x) => x.lines().length >= 3);
      const live = { ...t, process: 'web.1', message: 'live twice', seq: 99, time: new Date() };
      await h.write([live]);
      await h.write([live, { ...t, process: 'web.1', message: 'end' }]);
      await f.until('end', (x) => x.messages().includes('end'));
      await f.stop();
      assert.deepEqual(f.messages(), ['before', 'sent twice', 'after', 'live twice', 'end']);
    });

    for (const how of ['restart', 'kill'] as const) {
      const title =
        how === 'restart'
          ? 'the store restarted (SIGTERM) mid-tail while numbered lines are written: every number once, in order, with a notice'
          : 'the store killed (SIGKILL) and started mid-tail while numbered lines are written: every number once, in order, with a notice';
      it(title, async (ctx) => {
        const bounce = h[how]?.bind(h);
        if (!bounce) return ctx.skip(`the ${name} harness cannot ${how} its store`);
        const c = fresh();
        const t = { component: c, environment: 'staging' };
        const f = follow(t, { backlog: 0 });
        let written = 0;
        let writing = true;
        const writer = (async () => {
          while (writing) {
            await h.write([{ ...t, process: 'web.1', message: `n=${written + 1}` }]);
            written++;
            await new Promise((r) => setTimeout(r, 25)); // a steady trickle, as an app logs
          }
        })();
        try {
          const numbers = () => f.lines().map((l) => num(l.message));
          await f.until('10 numbered lines', (x) => x.lines().length >= 10);
          const notices = f.notices().length;
          await bounce(() => f.until(`a notice that ${name} is down`, (x) => x.notices().length > notices));
          const after = written;
          await f.until('10 more numbered lines after the store is back', () => numbers().includes(after + 10));
        } finally {
          writing = false;
          await writer;
        }
        await f.until(`line n=${written}`, () => f.lines().some((l) => num(l.message) === written));
        await h.write([{ ...t, process: 'web.1', message: 'end' }]);
        await f.until('the end line', (x) => x.messages().includes('end'));
        await f.stop();
        const got = f.lines().map((l) => num(l.message)).filter((x) => !Number.isNaN(x));
        const missing = Array.from({ length: written }, (_, i) => i + 1).filter((x) => !got.includes(x));
        const twice = got.filter((x, i) => got.indexOf(x) !== i);
        const disorder = got.flatMap((x, i) => (i > 0 && x < got[i - 1]! ? [`${got[i - 1]} then ${x}`] : []));
        assert.deepEqual(got, Array.from({ length: written }, (_, i) => i + 1), `every number exactly once, in order: missing [${missing.join(',')}], twice [${twice.join(',')}], out of order [${disorder.join('; ')}]; notices: ${f.notices().join(' | ')}`);
        assert.ok(f.notices().length >= 1);
      });
    }

    it('unreachable: history and the first tail query fail with SourceError "unreachable" naming the source', async () => {
      const bad = h.unreachable();
      const t = { component: fresh(), environment: 'staging' };
      await assert.rejects(bad.history({ ...t, limit: 10 }), (e) => assertSourceError(e, bad, 'unreachable'));
      await assert.rejects(firstEvent(bad, t), (e) => assertSourceError(e, bad, 'unreachable'));
    });

    it("a selector the store refuses: SourceError \"invalid-query\" naming the source and quoting the store's message", async () => {
      const bad = h.badSelector();
      const t = { component: fresh(), environment: 'staging' };
      const check = (e: unknown) => {
        assertSourceError(e, bad, 'invalid-query');
        const err = e as SourceError;
        if (err.status !== undefined) assert.ok(err.status >= 400 && err.status < 500, `status ${err.status}`);
        if (h.badSelectorSays) assert.match(err.message, h.badSelectorSays);
        return true;
      };
      await assert.rejects(bad.history({ ...t, limit: 10 }), check);
      await assert.rejects(firstEvent(bad, t), check);
    });

    it('abort ends the tail: the iteration returns without an error and yields nothing more', async () => {
      const c = fresh();
      const t = { component: c, environment: 'staging' };
      await h.write([{ ...t, process: 'web.1', message: 'one', time: at(1) }]);
      const f = follow(t);
      await f.until('the backlog line', (x) => x.lines().length >= 1);
      await f.stop();
      assert.equal(f.error, undefined);
      const count = f.events.length;
      await h.write([{ ...t, process: 'web.1', message: 'after abort' }]);
      // A fresh tail sees the new line, the stopped one never does.
      const g = follow(t, { backlog: 0 });
      await g.until('the new line in a fresh tail', (x) => x.messages().includes('after abort'));
      await g.stop();
      assert.equal(f.events.length, count);
    });
  });
}

/** A loopback port free right now (a harness's store, or the closed port of `unreachable()`). */
export { freePort };
