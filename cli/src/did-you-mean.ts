/**
 * "Did you mean `idp env list`?" for a mistyped command, as gh and heroku say it.
 *
 * Loaded on every start (main.ts imports it statically), so it is a dozen lines
 * of optimal string alignment distance rather than a library: the inputs are a
 * few short words, and start-up must stay light.
 */

/** Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`: "lst" → "list" is 1, "shwo" → "show" is 1. */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** How far a typed word may be from a command's word: one edit for short words (`pr`, `env`), two otherwise. */
const close = (typed: string, word: string) => editDistance(typed, word) <= (word.length <= 3 ? 1 : 2);

/**
 * The command the words typed most likely meant, from `names` (command names such as
 * `env list`, and nouns alone such as `releases`), or undefined when none is close.
 * Each word of a name must be close to the word typed at its place; the name matching
 * the most words wins (`env lst` → `env list`, not `env`), then the fewest edits.
 * A name typed exactly (a known noun with an unknown verb) is no suggestion.
 */
export function didYouMean(words: string[], names: string[]): string | undefined {
  let best: { name: string; words: number; edits: number } | undefined;
  for (const name of names) {
    const parts = name.split(' ');
    if (parts.length > words.length || !parts.every((p, i) => close(words[i]!, p))) continue;
    const edits = parts.reduce((sum, p, i) => sum + editDistance(words[i]!, p), 0);
    if (edits === 0) continue;
    if (!best || parts.length > best.words || (parts.length === best.words && edits < best.edits)) best = { name, words: parts.length, edits };
  }
  return best?.name;
}
