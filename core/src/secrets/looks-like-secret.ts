/**
 * Whether a variable is really a secret: by its name (`*_KEY`, `*_TOKEN`, `*PASSWORD*`, `*SECRET*` …) or by a value
 * shaped like a credential (provider token prefixes, private keys, JWTs, long random strings). Variables live in git
 * in the clear, so `idp variables set` refuses these and points at `idp secrets set`. The answer names the rule,
 * never the value.
 */

const SECRET_NAME = [/_KEY$/, /_TOKEN$/, /PASSWORD/, /SECRET/, /PASSWD/, /PRIVATE_KEY/, /CREDENTIALS?$/, /^API_?KEY$/, /_PAT$/, /_DSN$/];
/** Names that end like a secret but are not one. */
const NOT_SECRET_NAME = [/_PUBLIC_KEY$/, /_PUBLISHABLE_KEY$/, /^KEY$/, /_KEY_ID$/, /_SORT_KEY$/, /_PARTITION_KEY$/, /_CACHE_KEY$/, /_TOKEN_URL$/, /_SECRET_NAME$/];

const CREDENTIAL_VALUES: [RegExp, string][] = [
  [/\bsk_(live|test)_[A-Za-z0-9]{10,}/, 'a Stripe secret key'],
  [/\brk_(live|test)_[A-Za-z0-9]{10,}/, 'a Stripe restricted key'],
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/, 'an AWS access key'],
  [/\b(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}/, 'a GitHub token'],
  [/\bgithub_pat_[A-Za-z0-9_]{30,}/, 'a GitHub token'],
  [/\bglpat-[A-Za-z0-9_-]{16,}/, 'a GitLab token'],
  [/\bxox[abprs]-[A-Za-z0-9-]{10,}/, 'a Slack token'],
  [/\bAIza[0-9A-Za-z_-]{35}\b/, 'a Google API key'],
  [/\bhvs\.[A-Za-z0-9_-]{20,}/, 'a Vault token'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'a private key'],
  [/\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/, 'a JWT'],
  [/\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/, 'a URL with a password in it'],
];

/** Shannon entropy per character, in bits. */
function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) h -= (n / s.length) * Math.log2(n / s.length);
  return h;
}

/** A long token of mixed letters and digits with no spaces, random-looking: an API key or password generator's output. */
function looksRandom(value: string): boolean {
  if (value.length < 32 || /\s/.test(value) || /^[a-z][a-z0-9+.-]*:\/\//.test(value) || value.includes('${')) return false;
  if (!/[0-9]/.test(value) || !/[A-Za-z]/.test(value)) return false;
  // Hex digests (commit shas, image digests) are common, harmless variable values: only mixed-case/base64-like tokens count.
  if (/^(sha256:)?[0-9a-f]+$/.test(value)) return false;
  return entropy(value) >= 4.2;
}

/** Why `key`/`value` look like a secret ("its name ends in _TOKEN", "the value looks like a GitHub token"), or null. */
export function secretLooking(key: string, value: string): string | null {
  const name = key.toUpperCase();
  if (!NOT_SECRET_NAME.some((re) => re.test(name))) {
    const hit = SECRET_NAME.find((re) => re.test(name));
    if (hit) return 'its name says so';
  }
  const kind = CREDENTIAL_VALUES.find(([re]) => re.test(value));
  if (kind) return `its value looks like ${kind[1]}`;
  if (looksRandom(value)) return 'its value looks like a generated credential (a long random string)';
  return null;
}
