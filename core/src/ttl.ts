/**
 * Time-to-live strings for ephemeral environments: `30m`, `72h`, `7d`, `1h30m`.
 *
 * Hand-written rather than taken from a duration library on purpose: a TTL is
 * typed by a person on the command line or in paws.yaml, so a mistake must get a
 * message that says what to write instead, and only the units a TTL needs are
 * accepted (no months or years, whose length varies; no milliseconds or
 * fractions, which nobody means here). Generic parsers accept much more
 * (`1.5 hours`, `P1D`, bare numbers) and fail with messages about their grammar.
 */
import { InvalidRequestError } from './errors.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

/** Units from largest to smallest: parse requires this order, format produces it. */
const UNITS: ReadonlyArray<readonly [unit: string, ms: number]> = [
  ['w', WEEK],
  ['d', DAY],
  ['h', HOUR],
  ['m', MINUTE],
  ['s', SECOND],
];

/** The longest TTL accepted: an "ephemeral" environment living longer than a year is a permanent one. */
export const MAX_TTL_MS = 365 * DAY;

const EXPECTED = 'use a number and a unit, like 30m, 72h or 7d (units: s, m, h, d, w; combine them largest first, like 1h30m)';

/** Milliseconds in a TTL such as `72h`; throws InvalidRequestError saying what to write instead. */
export function parseTtl(s: string): number {
  const bad = (why: string) => new InvalidRequestError(`Invalid TTL "${s}": ${why}.`, { field: 'ttl', value: s });
  if (typeof s !== 'string' || s.trim() === '') throw bad(`it is empty; ${EXPECTED}`);
  if (s.trim().startsWith('-')) throw bad(`a TTL must be positive; ${EXPECTED}`);

  const parts = [...s.matchAll(/(\d+)([a-z]+)/g)];
  // Every character must belong to a number+unit part: this rejects "3x", "1.5h", "72", "72 h", "72H".
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== s) throw bad(EXPECTED);

  let ms = 0;
  let previous = -1;
  for (const [, digits, unit] of parts) {
    const index = UNITS.findIndex(([u]) => u === unit);
    if (index === -1) throw bad(`unknown unit "${unit}"; ${EXPECTED}`);
    if (index <= previous) throw bad(`write each unit once, largest first (like 1h30m); ${EXPECTED}`);
    previous = index;
    ms += Number(digits) * UNITS[index]![1];
  }
  if (ms === 0) throw bad(`a TTL must be longer than zero; ${EXPECTED}`);
  if (ms > MAX_TTL_MS) throw bad('at most 365d is allowed; an environment that should live longer is a permanent one (leave out the TTL)');
  return ms;
}

/**
 * A duration in the largest exact units: 5_400_000 → "1h30m", 7 days → "1w".
 * The inverse of parseTtl for whole seconds; a sub-second remainder is dropped.
 */
export function formatTtl(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`formatTtl: expected a non-negative duration, got ${ms}`);
  let rest = Math.floor(ms / SECOND) * SECOND;
  if (rest === 0) return '0s';
  let out = '';
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}

/** ISO-8601 UTC without milliseconds, the form written to paws.yaml: "2026-11-27T10:00:00Z". */
export function toIsoSeconds(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError('toIsoSeconds: invalid date');
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** When an environment created at `now` with this TTL expires, as written to `lifecycle.expiresAt`. */
export function expiresAt(now: Date, ttl: string): string {
  return toIsoSeconds(new Date(now.getTime() + parseTtl(ttl)));
}

/**
 * Is `s` an ISO-8601 timestamp with a date, a time and a zone ("2026-11-27T10:00:00Z",
 * "2026-11-27T12:00:00+02:00")? Date.parse alone accepts far more (and local times),
 * and rolls impossible dates like February 30 over instead of rejecting them.
 */
export function isIsoTimestamp(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.exec(s);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((v) => Number(v ?? 0)) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return (
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    hour < 24 &&
    minute < 60 &&
    second < 60 &&
    !Number.isNaN(Date.parse(s))
  );
}
