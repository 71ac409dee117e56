/**
 * Words typed on the command line, as usage errors may repeat them: a `KEY=value` word shows its key only, and a word
 * that could be a credential (a value typed where a name or command belongs) is not shown at all. A secret pasted into
 * the wrong place must not come back on the terminal, in CI logs or in a screenshot.
 */
import { secretLooking } from '@idp/core/looks-like-secret';

export function shownWord(word: string): string {
  const eq = word.indexOf('=');
  if (eq > 0) return `${word.slice(0, eq)}=…`;
  if (eq === 0 || word.length > 40 || secretLooking('', word)) return '(a value, not shown)';
  return word;
}
