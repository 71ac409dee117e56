import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidRequestError } from './errors.js';
import { expiresAt, formatTtl, isIsoTimestamp, MAX_TTL_MS, parseTtl } from './ttl.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('parseTtl', () => {
  it('reads every unit a TTL needs', () => {
    assert.equal(parseTtl('30s'), 30 * S);
    assert.equal(parseTtl('15m'), 15 * M);
    assert.equal(parseTtl('72h'), 72 * H);
    assert.equal(parseTtl('7d'), 7 * D);
    assert.equal(parseTtl('2w'), 14 * D);
  });

  it('adds up combined units, largest first', () => {
    assert.equal(parseTtl('1h30m'), 90 * M);
    assert.equal(parseTtl('1d12h'), 36 * H);
    assert.equal(parseTtl('1w2d3h4m5s'), 9 * D + 3 * H + 4 * M + 5 * S);
  });

  it('accepts up to 365 days and no more', () => {
    assert.equal(parseTtl('365d'), MAX_TTL_MS);
    assert.equal(parseTtl('52w'), 364 * D);
    assert.throws(() => parseTtl('366d'), /Invalid TTL "366d": at most 365d is allowed/);
    assert.throws(() => parseTtl('53w'), /at most 365d/);
    assert.throws(() => parseTtl('364d24h1s'), /at most 365d/);
    assert.throws(() => parseTtl('99999999999999999999d'), /at most 365d/);
  });

  it('rejects malformed TTLs with a message saying what to write', () => {
    for (const bad of ['3x', '72', '1.5h', '72H', 'h', ' 72h', '72h ', '72 h', 'P1D', '1h-30m', '1y', '10ms']) {
      assert.throws(
        () => parseTtl(bad),
        (e: unknown) => {
          assert.ok(e instanceof InvalidRequestError, `${bad}: ${String(e)}`);
          assert.ok(e.message.startsWith(`Invalid TTL "${bad}": `), e.message);
          assert.match(e.message, /use a number and a unit, like 30m, 72h or 7d/);
          return true;
        },
      );
    }
  });

  it('names an unknown unit', () => {
    assert.throws(() => parseTtl('3x'), /unknown unit "x"/);
    assert.throws(() => parseTtl('2mo'), /unknown unit "mo"/);
  });

  it('rejects empty, zero and negative TTLs', () => {
    assert.throws(() => parseTtl(''), /Invalid TTL "": it is empty/);
    assert.throws(() => parseTtl('   '), /it is empty/);
    assert.throws(() => parseTtl('0h'), /Invalid TTL "0h": a TTL must be longer than zero/);
    assert.throws(() => parseTtl('0d0h0m'), /longer than zero/);
    assert.throws(() => parseTtl('-1h'), /Invalid TTL "-1h": a TTL must be positive/);
  });

  it('requires each unit once, largest first', () => {
    assert.throws(() => parseTtl('30m1h'), /largest first/);
    assert.throws(() => parseTtl('1h1h'), /write each unit once/);
  });

  it('reports the field in the error details', () => {
    assert.throws(() => parseTtl('3x'), (e: unknown) => {
      assert.deepEqual((e as InvalidRequestError).details, { field: 'ttl', value: '3x' });
      assert.equal((e as InvalidRequestError).status, 400);
      return true;
    });
  });
});

describe('formatTtl', () => {
  it('uses the largest exact units', () => {
    assert.equal(formatTtl(90 * M), '1h30m');
    assert.equal(formatTtl(72 * H), '3d');
    assert.equal(formatTtl(7 * D), '1w');
    assert.equal(formatTtl(D + H + M + S), '1d1h1m1s');
    assert.equal(formatTtl(45 * S), '45s');
  });

  it('drops sub-second remainders and shows zero as 0s', () => {
    assert.equal(formatTtl(1500), '1s');
    assert.equal(formatTtl(999), '0s');
    assert.equal(formatTtl(0), '0s');
  });

  it('round-trips with parseTtl', () => {
    for (const ttl of ['30s', '15m', '1h30m', '3d', '2w', '1w2d3h4m5s', '52w1d']) {
      assert.equal(formatTtl(parseTtl(ttl)), ttl);
    }
  });

  it('refuses negative or non-finite durations', () => {
    assert.throws(() => formatTtl(-1), RangeError);
    assert.throws(() => formatTtl(Number.NaN), RangeError);
  });
});

describe('expiresAt', () => {
  it('adds the TTL and writes UTC without milliseconds', () => {
    assert.equal(expiresAt(new Date('2026-11-24T10:00:00.789Z'), '72h'), '2026-11-27T10:00:00Z');
    assert.equal(expiresAt(new Date('2026-11-24T10:00:00Z'), '1h30m'), '2026-11-24T11:30:00Z');
  });

  it('crosses month, year and leap-day boundaries', () => {
    assert.equal(expiresAt(new Date('2026-12-31T23:00:00Z'), '2h'), '2027-01-01T01:00:00Z');
    assert.equal(expiresAt(new Date('2028-02-28T12:00:00Z'), '1d'), '2028-02-29T12:00:00Z');
  });

  it('is always UTC, whatever offset the input was written in', () => {
    assert.equal(expiresAt(new Date('2026-11-24T12:00:00+02:00'), '1h'), '2026-11-24T11:00:00Z');
  });

  it('rejects an invalid TTL', () => {
    assert.throws(() => expiresAt(new Date(), '3x'), InvalidRequestError);
  });
});

describe('isIsoTimestamp', () => {
  it('accepts timestamps with a zone', () => {
    for (const s of ['2026-11-27T10:00:00Z', '2026-11-27T10:00Z', '2026-11-27T10:00:00.5Z', '2026-11-27T12:00:00+02:00', '2028-02-29T00:00:00Z']) {
      assert.equal(isIsoTimestamp(s), true, s);
    }
  });

  it('rejects dates alone, local times, impossible dates and prose', () => {
    for (const s of ['2026-11-27', '2026-11-27T10:00:00', '2026-02-30T10:00:00Z', '2027-02-29T00:00:00Z', '2026-11-27T24:00:00Z', '2026-13-01T00:00:00Z', 'tomorrow', '']) {
      assert.equal(isIsoTimestamp(s), false, s);
    }
  });
});
