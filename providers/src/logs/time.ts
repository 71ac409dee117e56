/**
 * Log times as nanoseconds since the epoch (BigInt): stores answer RFC 3339 strings whose fractions are trimmed
 * (VictoriaLogs: `…02.02209373Z`), or ns epoch strings (Loki), neither of which sorts as text nor fits a double.
 */

/** RFC 3339 (any fraction up to 9 digits, `Z` or an offset) → ns since the epoch. */
export function parseTimeNs(rfc3339: string): bigint {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/i.exec(rfc3339);
  if (!m) throw new Error(`not an RFC 3339 time: ${JSON.stringify(rfc3339)}`);
  const seconds = Date.parse(`${m[1]}${m[3]!.toUpperCase()}`);
  if (Number.isNaN(seconds)) throw new Error(`not an RFC 3339 time: ${JSON.stringify(rfc3339)}`);
  return BigInt(seconds) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** ns since the epoch → `2026-11-27T00:00:35.034828974Z` (always 9 digits, UTC). */
export function formatTimeNs(ns: bigint): string {
  const ms = ns / 1_000_000n - (ns % 1_000_000n < 0n ? 1n : 0n);
  const frac = ((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n;
  return new Date(Number(ms)).toISOString().replace(/\.\d{3}Z$/, `.${frac.toString().padStart(9, '0')}Z`);
}

export function dateToNs(d: Date): bigint {
  return BigInt(d.getTime()) * 1_000_000n;
}

/** The wall clock in ns (ms precision). */
export function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}
