/** Release timeouts (`72h`, `7d`): the TTL syntax, with messages about timeouts rather than environments. */
import { InvalidRequestError } from '../errors.js';
import { parseTtl } from '../ttl.js';

export const DEFAULT_RELEASE_TIMEOUT = '7d';

/** Milliseconds in a release timeout; throws InvalidRequestError saying what to write. */
export function parseTimeout(s: string): number {
  try {
    return parseTtl(s);
  } catch {
    // parseTtl's reasons talk about environments (and "leave out the TTL"), which would mislead here.
    throw new InvalidRequestError(
      `Invalid release timeout "${s}": use a number and a unit, like 72h or 7d (units: s, m, h, d, w; combine them largest first, like 1d12h; at most 365d).`,
      { field: 'timeout', value: s },
    );
  }
}
