/**
 * `--since` / `--until` of `idp logs` and `idp metrics`: a duration back from now (`30m`, `1h`, `2d`, as TTLs are
 * written) or a timestamp (RFC 3339, e.g. 2026-11-26T10:00:00Z). One parser for the CLI's check and the API's.
 */
import { InvalidRequestError } from '../errors.js';
import { parseTtl } from '../ttl.js';

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

export function parseTimeBound(value: string, field: 'since' | 'until', now: Date = new Date()): Date {
  if (TIMESTAMP.test(value)) {
    const t = Date.parse(value);
    if (!Number.isNaN(t)) return new Date(t);
  }
  try {
    return new Date(now.getTime() - parseTtl(value));
  } catch {
    throw new InvalidRequestError(`Invalid --${field} "${value}": give a duration back from now (30m, 1h, 2d) or a timestamp (2026-11-26T10:00:00Z).`, { field, value });
  }
}
