/**
 * What the HTTP log sources share: where the store is, its description for errors, where its token is read, a query's
 * deadline, and one request whose failure to get an answer is an `unreachable` SourceError naming the source.
 */
import { describeSource, SourceError } from './source-error.js';

export interface HttpSourceOptions {
  /** Where tokenEnv is read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** A query's deadline (default 30 s). */
  timeoutMs?: number;
}

export abstract class HttpSource {
  readonly description: string;
  protected readonly base: string;
  protected readonly env: NodeJS.ProcessEnv;
  protected readonly timeoutMs: number;

  constructor(kind: 'log' | 'metric', readonly name: string, type: string, url: string, opts: HttpSourceOptions) {
    this.description = describeSource(kind, name, type, url);
    this.base = url.replace(/\/$/, '');
    this.env = opts.env ?? process.env;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /** `Authorization: Bearer …` from the token variable `tokenEnv` names, when it names one. */
  protected bearer(tokenEnv: string | undefined): Record<string, string> {
    if (!tokenEnv) return {};
    const token = this.env[tokenEnv];
    if (!token) throw new SourceError('rejected', this.description, `its token variable ${tokenEnv} (tokenEnv) is not set in the server's environment`);
    return { authorization: `Bearer ${token}` };
  }

  /** One request to `path` and its whole answer, within `timeoutMs` (and `signal`, whose abort is thrown as is). */
  protected async request(path: string, init: Omit<RequestInit, 'signal'>, signal: AbortSignal | undefined, timeoutMs: number): Promise<{ res: Response; text: string }> {
    const deadline = AbortSignal.timeout(timeoutMs);
    try {
      const res = await fetch(`${this.base}${path}`, { ...init, signal: signal ? AbortSignal.any([signal, deadline]) : deadline });
      return { res, text: await res.text() };
    } catch (e) {
      if (e instanceof SourceError || signal?.aborted) throw e;
      throw new SourceError('unreachable', this.description, deadline.aborted ? `no answer within ${timeoutMs / 1000} s` : `cannot reach it (${reason(e)})`);
    }
  }
}

/** `ECONNREFUSED`, `ENOTFOUND`, … from undici's `fetch failed`, else the message. */
function reason(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? errorMessage(e);
}

export const errorMessage = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
