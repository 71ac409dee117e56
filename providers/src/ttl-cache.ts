/**
 * A forge's answers kept for a while, by key (team members, write permissions):
 * a release re-evaluates its policy on every webhook, and these rarely change.
 * Concurrent callers share one pending read; a failure is not an answer, so it
 * is not kept and the next call asks again.
 */
export class TtlCache<T> {
  private readonly entries = new Map<string, { at: number; value: Promise<T> }>();

  constructor(private readonly ttlMs: number) {}

  get(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.value;
    const entry = { at: Date.now(), value: load() };
    this.entries.set(key, entry);
    entry.value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return entry.value;
  }
}
