/** What the log and metric source contracts share: the harness's life around the cases, fresh names, error checks. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import { SourceError, type SourceErrorKind } from './source-error.js';

/** Asserts `err` is a SourceError of `kind` naming `source`. */
export function assertSourceError(err: unknown, source: { description: string }, kind: SourceErrorKind): true {
  assert.ok(err instanceof SourceError, `expected a SourceError, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  assert.equal(err.kind, kind, `expected kind ${kind}, got ${err.kind}: ${err.message}`);
  assert.equal(err.source, source.description);
  assert.ok(err.message.includes(source.description), `the message names the source: ${err.message}`);
  assert.ok(err.message.length > source.description.length + 20, `the message says what went wrong: ${err.message}`);
  return true;
}

/** A component name no other case uses (`c<n>-<8 hex>`), from a counter per suite. */
export function freshNames(): () => string {
  let n = 0;
  return () => `c${++n}-${randomUUID().slice(0, 8)}`;
}

/** Sets the harness up before the suite's cases (`ready` receives it); after them stops what they `started`, then cleans up. */
export function harnessLifecycle<H extends { cleanup(): Promise<void> }>(setup: () => Promise<H>, ready: (h: H) => void, started: { stop(): Promise<void> }[]): void {
  let h: H | undefined;
  before(async () => {
    h = await setup();
    ready(h);
  });
  after(async () => {
    await Promise.all(started.map((s) => s.stop()));
    await h?.cleanup();
  });
}
