/** How an environment's expiry reads: "in 3 h", "expired 2 h ago", and whether it deserves a warning. */

const DAY_MS = 24 * 3600_000;

// Rounded to the nearest unit: a 3 h TTL reads "in 3 h" a minute after it started, not "in 2 h".
function amount(ms: number): string {
  const m = Math.round(ms / 60_000);
  if (m < 60) return `${Math.max(m, 1)} min`;
  if (m < 48 * 60) return `${Math.round(m / 60)} h`;
  return `${Math.round(m / 1440)} d`;
}

export interface Expiry {
  text: string;
  /** expiring: under 24 h left; expired: past its expiry, its teardown not yet merged. */
  level: 'ok' | 'expiring' | 'expired';
}

export function expiry(expiresAt: string, now = Date.now()): Expiry {
  const left = Date.parse(expiresAt) - now;
  if (Number.isNaN(left)) return { text: expiresAt, level: 'ok' };
  if (left <= 0) return { text: `expired ${amount(-left)} ago`, level: 'expired' };
  return { text: `in ${amount(left)}`, level: left < DAY_MS ? 'expiring' : 'ok' };
}
