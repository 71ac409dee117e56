/**
 * Follows an environment's lines as `idp logs --tail` does, over the same route and client (`PlatformClient.tailLogs`:
 * NDJSON read through Backstage's fetchApi, which adds the user's token — EventSource could not send it):
 *
 * - a connection that ends or breaks is reconnected by itself from the last cursor seen (a line's or a heartbeat's):
 *   no line twice, none missed; at once after a connection that brought something, else after a back-off capped at
 *   2 s (so a server that keeps ending is not hammered); the state says "reconnecting" meanwhile, with why;
 * - a refusal (403, a bad filter, an unknown environment) stops it with the API's message: retrying cannot help;
 * - pausing aborts the connection (nothing is read while paused); resuming reconnects from the cursor, so the lines
 *   written meanwhile come then;
 * - the server's notices (its log source down, and back) are kept between the lines, where they happened;
 * - only the newest `max` entries are kept (a tab left open all day stays small); `dropped` counts the others.
 *
 * The caller mounts one per environment and filter (a `key`): another one starts a new tail with its backlog.
 */
import { useApi } from '@backstage/frontend-plugin-api';
import type { LogTailEvent, RepoRef } from '@idp/core';
import { UnreachableError } from '@idp/core/client';
import { IdpError } from '@idp/core/errors';
import { useEffect, useRef, useState } from 'react';
import { idpApiRef } from '../../api';

export type TailEntry =
  | { kind: 'line'; id: number; time: string; process: string; message: string }
  | { kind: 'notice'; id: number; message: string };

export type TailState =
  | { state: 'connecting' }
  | { state: 'live' }
  | { state: 'reconnecting'; why: string }
  | { state: 'paused' }
  | { state: 'stopped'; message: string };

export interface TailOptions {
  repo: RepoRef;
  env: string;
  grep?: string;
  process?: string;
  /** Recent lines shown before following (the tail's `backlog`; the CLI's -n with --tail). */
  backlog: number;
  paused: boolean;
  /** Entries kept; older ones are dropped. */
  max: number;
}

/** As the CLI: short at first, then at most 2 s, so a restarted API or log store is followed again within seconds. */
export const backoff = (attempt: number) => Math.min(2000, 250 * 2 ** attempt);

/** What may pass by itself: the API or its log source unreachable, or the API restarting. */
const transient = (e: unknown) => e instanceof UnreachableError || (e instanceof IdpError && (e.status === 502 || e.status === 503));

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

export function useLogTail(o: TailOptions): { entries: TailEntry[]; dropped: number; status: TailState } {
  const client = useApi(idpApiRef);
  const [shown, setShown] = useState<{ entries: TailEntry[]; dropped: number }>({ entries: [], dropped: 0 });
  const [status, setStatus] = useState<TailState>({ state: 'connecting' });
  /** Where to resume: kept across pauses and reconnects of this tail. */
  const cursor = useRef<string | undefined>(undefined);
  const nextId = useRef(0);

  useEffect(() => {
    if (o.paused) {
      setStatus({ state: 'paused' });
      return undefined;
    }
    const abort = new AbortController();
    const append = (batch: TailEntry[]) =>
      setShown((s) => {
        const all = s.entries.concat(batch);
        const over = Math.max(0, all.length - o.max);
        return { entries: over ? all.slice(over) : all, dropped: s.dropped + over };
      });
    // Events are appended in batches (one render per burst, not per line: a backlog of 1,000 lines is one render).
    let pending: TailEntry[] = [];
    let flush: ReturnType<typeof setTimeout> | undefined;
    const add = (entry: TailEntry) => {
      pending.push(entry);
      flush ??= setTimeout(() => {
        flush = undefined;
        const batch = pending;
        pending = [];
        append(batch);
      }, 16);
    };

    void (async () => {
      let attempt = 0;
      setStatus(cursor.current ? { state: 'reconnecting', why: 'resuming from the last line shown' } : { state: 'connecting' });
      while (!abort.signal.aborted) {
        let received = false;
        try {
          const q = { ...(cursor.current ? { cursor: cursor.current } : { backlog: o.backlog }), grep: o.grep, process: o.process };
          for await (const event of client.tailLogs(o.repo, o.env, q, abort.signal) as AsyncIterable<LogTailEvent>) {
            if (!received) {
              received = true;
              attempt = 0;
              setStatus({ state: 'live' });
            }
            if (event.type === 'line') {
              cursor.current = event.cursor;
              add({ kind: 'line', id: nextId.current++, time: event.time, process: event.process, message: event.message });
            } else if (event.type === 'heartbeat') {
              cursor.current = event.cursor;
            } else {
              add({ kind: 'notice', id: nextId.current++, message: event.message });
            }
          }
          if (abort.signal.aborted) break;
          // The server ended the stream (it restarted, a proxy's idle timeout): follow on from the last cursor.
          setStatus({ state: 'reconnecting', why: 'the connection ended' });
          if (!received) await sleep(backoff(attempt++), abort.signal);
        } catch (e) {
          if (abort.signal.aborted) break;
          const message = e instanceof Error ? e.message : String(e);
          if (!transient(e)) {
            setStatus({ state: 'stopped', message });
            break;
          }
          setStatus({ state: 'reconnecting', why: message });
          await sleep(backoff(attempt++), abort.signal);
        }
      }
    })();
    return () => {
      abort.abort();
      // What arrived just before a pause is still shown.
      if (flush !== undefined) {
        clearTimeout(flush);
        append(pending);
      }
    };
    // One tail per mount (the caller keys it by environment and filters); pausing stops and resumes it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, o.paused]);

  return { ...shown, status };
}
