/**
 * idp logs --env <env>: the environment's newest lines, as Heroku's `heroku logs` prints them
 * (`2026-11-26T10:00:01Z app[web.1]: GET / 200 3ms`); `--tail` keeps following. `-n`, `--since`, `--until`, `--grep`
 * (a plain substring) and `--process web` (every web process) narrow it; `--json` prints NDJSON, one line object a line.
 *
 * Following: each line is written as it arrives (no buffering); a dropped connection, a restarted API or log store
 * is reconnected by itself from the last line seen — no line twice, none missed — with a note on stderr if it takes
 * long; `| head` ends it at once (EPIPE: exit 0); Ctrl-C exits 130.
 */
import type { LogLineView, LogTailEvent } from '@idp/core';
import { UnreachableError, type PlatformClient } from '@idp/core/client';
import { IdpError } from '@idp/core/errors';
import type { CommandInput } from '../../command.js';
import { colors, terminalSafe, type Colors, type Io } from '../../output.js';
import { setup, stringFlag } from '../shared/common.js';
import { countFlag, processFlag, requiredEnv } from '../shared/observe.js';

/** `2026-11-26T10:00:01Z app[web.1]: GET / 200 3ms` (seconds, as Heroku's users read them; --json keeps the source's precision). */
export function formatLine(line: LogLineView, c: Colors = colors(false)): string {
  const time = line.time.replace(/\.\d+Z$/, 'Z');
  return `${c.dim(time)} ${c.yellow(`app[${line.process || 'app'}]:`)} ${terminalSafe(line.message)}\n`;
}

/** A pause before reconnecting: short at first, then at most 2 s, so a restarted store is followed within seconds. */
const backoff = (attempt: number) => Math.min(2000, 250 * 2 ** attempt);
/** How long the tail may fail before it says so on stderr (it keeps trying). */
const QUIET_MS = 10_000;

export async function run(input: CommandInput): Promise<void> {
  const { io, ui } = input;
  const env = requiredEnv(input, 'logs');
  const n = countFlag(input, 'num', 10_000);
  const grep = stringFlag(input.flags, 'grep');
  const proc = processFlag(input);
  const since = stringFlag(input.flags, 'since');
  const until = stringFlag(input.flags, 'until');
  const { client, ref } = await setup(input);
  const write = (line: LogLineView) => io.stdout.write(ui.json ? `${JSON.stringify(line)}\n` : formatLine(line, ui.out));

  if (!input.flags.tail) {
    const list = await client.logs(ref, env, { n, since, until, grep, process: proc });
    for (const line of list.lines) write(line);
    if (!list.lines.length) ui.note(`No lines${grep ? ` containing "${grep}"` : ''} from ${env}${since ? ` since ${since}` : ''} (${list.source}).`);
    return;
  }
  if (since || until) ui.note('--since and --until are ignored with --tail: it shows the last -n lines (default 100), then follows.');
  await follow(io, ui.note.bind(ui), client, ref, env, { backlog: n ?? 100, grep, process: proc }, write);
}

async function follow(
  io: Io,
  note: (m: string) => void,
  client: PlatformClient,
  ref: { repo: string; path: string },
  env: string,
  q: { backlog: number; grep?: string | undefined; process?: string | undefined },
  write: (line: LogLineView) => unknown,
): Promise<void> {
  const abort = new AbortController();
  const stopped = new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      abort.abort();
      resolve(signal === 'SIGINT' ? 130 : 143);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    // `idp logs --tail | head -3`: the reader went away; nothing more to show, and that is success.
    const out = io.stdout as { on?: (event: 'error', fn: (e: NodeJS.ErrnoException) => void) => void };
    out.on?.('error', (e) => {
      abort.abort();
      resolve(e.code === 'EPIPE' ? 0 : 1);
    });
  });
  stopped.then((code) => process.exit(code), () => undefined);

  let cursor: string | undefined;
  let attempt = 0;
  let failingSince: number | undefined;
  let told = false;
  while (!abort.signal.aborted) {
    let received = false;
    try {
      const events = client.tailLogs(ref, env, { ...(cursor ? { cursor } : { backlog: q.backlog }), grep: q.grep, process: q.process }, abort.signal);
      for await (const event of events as AsyncIterable<LogTailEvent>) {
        received = true;
        if (failingSince !== undefined && told) note(`Reconnected; following ${env} again from the last line shown.`);
        attempt = 0;
        failingSince = undefined;
        told = false;
        if (event.type === 'line') {
          cursor = event.cursor;
          write({ time: event.time, process: event.process, message: event.message });
        } else if (event.type === 'heartbeat') cursor = event.cursor;
        else note(terminalSafe(event.message));
      }
      // The server ended the stream (restarted, a proxy's idle timeout): reconnect from the last line shown, at once
      // unless that connection brought nothing (then as after a failure, so a server that keeps ending is not hammered).
      if (!received) await new Promise((r) => setTimeout(r, backoff(attempt++)));
    } catch (e) {
      if (abort.signal.aborted) break;
      // Only what may pass is retried: the API or the log source unreachable, or the API restarting.
      const transient = e instanceof UnreachableError || (e instanceof IdpError && (e.status === 502 || e.status === 503));
      if (!transient) throw e;
      failingSince ??= Date.now();
      if (!told && Date.now() - failingSince >= QUIET_MS) {
        told = true;
        note(`Still trying to follow ${env}: ${e instanceof Error ? e.message : String(e)}`);
      }
      await new Promise((r) => setTimeout(r, backoff(attempt++)));
    }
  }
  await new Promise(() => undefined); // the signal or EPIPE handler exits
}
