/**
 * What a log or metric source's failure says, always naming the source (`log source "local" (victorialogs at
 * http://127.0.0.1:9428)`), so a user reading `idp logs` knows which system to look at. Kinds:
 * - unreachable: no answer (connection refused, DNS, timeout) — the API answers 502 and the tail retries;
 * - rejected: the source answered 4xx/5xx for a reason other than the query (auth, tenant, overload); its message quoted;
 * - invalid-query: the source refused the query the config's template made (a malformed selector in config): the
 *   source's own message, plus which setting to fix.
 */
export type SourceErrorKind = 'unreachable' | 'rejected' | 'invalid-query';

export class SourceError extends Error {
  override readonly name = 'SourceError';
  constructor(
    readonly kind: SourceErrorKind,
    /** `log source "local" (victorialogs at http://127.0.0.1:9428)` */
    readonly source: string,
    message: string,
    readonly status?: number,
  ) {
    super(`${source}: ${message}`);
  }
}

/** `log source "local" (victorialogs at http://127.0.0.1:9428)`: a URL's credentials and query never shown. */
export function describeSource(kind: 'log' | 'metric', name: string, type: string, url: string): string {
  let where = url;
  try {
    const u = new URL(url);
    where = `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    // config validation already requires a URL; keep what was given
  }
  return `${kind} source "${name}" (${type} at ${where})`;
}
