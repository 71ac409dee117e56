/**
 * Everything the CLI writes goes through here: the two streams, colour (off
 * unless the stream is a TTY; NO_COLOR wins, FORCE_COLOR forces), tables,
 * relative times, JSON, and the Heroku-like "Doing something... done" progress
 * line (a yocto-spinner on a TTY stderr, plain text otherwise).
 *
 * Stream policy: stdout carries the result (a table, a URL, a JSON document);
 * stderr carries narration, progress and errors, so `idp ... | tool` and
 * `$(idp env clone ...)` see only the result.
 */
import { format, stripVTControlCharacters } from 'node:util';

export interface OutStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

/** The process as the CLI sees it; tests pass their own. */
export interface Io {
  stdout: OutStream;
  stderr: OutStream;
  env: Record<string, string | undefined>;
  cwd: string;
  now(): Date;
  /** Opens a URL in the user's browser (true when something did); absent → the OS's way (auth/browser.ts). Tests inject it. */
  openUrl?(url: string): Promise<boolean>;
  /**
   * A secret value: stdin's content when it is not a terminal, else typed at `prompt` without echo (secret-input.ts).
   * Absent → process.stdin. Tests inject it.
   */
  readSecret?(prompt: string): Promise<string>;
}

export function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), now: () => new Date() };
}

export interface Colors {
  enabled: boolean;
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

/** https://no-color.org: NO_COLOR (non-empty) disables; FORCE_COLOR (not "0") enables; else only on a TTY. */
export function colorEnabled(stream: OutStream, env: Io['env']): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '') return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

export function colors(enabled: boolean): Colors {
  const sgr = (open: number, close: number) => (s: string) => (enabled ? `\u001B[${open}m${s}\u001B[${close}m` : s);
  return { enabled, bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39), cyan: sgr(36, 39) };
}

/**
 * Text from the server (titles, bodies, comments, names, file contents) as
 * safe to print on a terminal: escape sequences and other control characters
 * are removed, so nobody can rewrite another user's screen through a review
 * comment. Newlines and tabs stay. Applied to every string inside `value`.
 */
export function terminalSafe<T>(value: T): T {
  if (typeof value === 'string') {
    // eslint-disable-next-line no-control-regex
    return stripVTControlCharacters(value).replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '') as T;
  }
  if (Array.isArray(value)) return value.map(terminalSafe) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, terminalSafe(v)])) as T;
  }
  return value;
}

export const visibleLength = (s: string) => stripVTControlCharacters(s).length;

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function table(header: string[], rows: string[][], c: Colors = colors(false)): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => visibleLength(r[i] ?? ''))));
  const line = (r: string[], style: (s: string) => string = (s) => s) =>
    r
      .map((cell, i) => (i === r.length - 1 ? style(cell) : style(cell) + ' '.repeat((widths[i] ?? 0) - visibleLength(cell))))
      .join('  ')
      .trimEnd();
  return [line(header, c.bold), ...rows.map((r) => line(r))].join('\n') + '\n';
}

/**
 * "in 71h", "5m ago", "just now". Floors, so a 72h TTL set a minute ago reads
 * "in 71h". Units: s below a minute, m below an hour, h below 100 hours, then d.
 */
export function relativeTime(iso: string | undefined, now: Date): string {
  if (!iso) return '-';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const diff = t - now.getTime();
  const abs = Math.abs(diff);
  if (abs < 1000) return 'just now';
  const s = Math.floor(abs / 1000);
  const amount =
    s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m` : s < 100 * 3600 ? `${Math.floor(s / 3600)}h` : `${Math.floor(s / 86400)}d`;
  return diff > 0 ? `in ${amount}` : `${amount} ago`;
}

export function truncate(s: string, max: number): string {
  return s.length <= max ? s : s.slice(0, max - 1) + '…';
}

export const shortSha = (sha: string | undefined) => (sha ? sha.slice(0, 7) : '-');

/** The writer a command uses: knows --json, the streams and their colours. */
export class Ui {
  readonly out: Colors;
  readonly err: Colors;
  constructor(
    readonly io: Io,
    readonly json: boolean,
  ) {
    this.out = colors(colorEnabled(io.stdout, io.env));
    this.err = colors(colorEnabled(io.stderr, io.env));
  }

  /** A result line on stdout. */
  print(...parts: unknown[]): void {
    this.io.stdout.write(format(...parts) + '\n');
  }

  /** Narration on stderr; silent with --json. */
  note(...parts: unknown[]): void {
    if (!this.json) this.io.stderr.write(format(...parts) + '\n');
  }

  printJson(value: unknown): void {
    this.io.stdout.write(JSON.stringify(value, null, 2) + '\n');
  }

  /** A spinner is only worth it on a real terminal, and never in --json mode. */
  private get spinnerWanted(): boolean {
    return !this.json && this.io.stderr === process.stderr && Boolean(process.stderr.isTTY) && this.io.env.TERM !== 'dumb' && !('CI' in this.io.env);
  }

  /**
   * Heroku's "Doing something... done": runs `fn` while showing `text`, then
   * the word `done(result)` returns. On an interrupt (Ctrl-C) prints
   * `interruptHint` and exits 130; the server-side work is not cancelled.
   */
  async action<T>(text: string, fn: () => Promise<T>, opts: { done?: (r: T) => string; interruptHint?: string } = {}): Promise<T> {
    if (this.json) return fn();
    const done = opts.done ?? (() => 'done');
    const onSignal = (signal: NodeJS.Signals) => {
      stop?.();
      if (opts.interruptHint) this.io.stderr.write(opts.interruptHint + '\n');
      process.exit(signal === 'SIGINT' ? 130 : 143);
    };
    let stop: (() => void) | undefined;
    let finish: (word: string) => void;
    if (this.spinnerWanted) {
      const { default: yoctoSpinner } = await import('yocto-spinner');
      const spinner = yoctoSpinner({ text: `${text}...`, stream: process.stderr, handleSignals: false }).start();
      stop = () => spinner.stop();
      finish = (word) => spinner.stop(`${text}... ${word}`);
    } else {
      this.io.stderr.write(`${text}... `);
      stop = () => this.io.stderr.write('\n');
      finish = (word) => this.io.stderr.write(word + '\n');
    }
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const result = await fn();
      finish(done(result));
      return result;
    } catch (e) {
      finish(this.err.red('failed'));
      throw e;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}
