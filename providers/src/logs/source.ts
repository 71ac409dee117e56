/**
 * A log source: where an environment's lines are read back from (VictoriaLogs, Loki, OpenSearch/Elasticsearch), one
 * file per backend behind this interface, each run through the contract suite (contract.ts). Which source serves a
 * (component, environment) is platform config (core's LogsConfig, routed like secret stores).
 */
export interface LogTarget {
  component: string;
  environment: string;
  /** `web` matches `web` and `web.*` (every dyno of the web process); `web.1` matches that one. */
  process?: string;
  /** A plain substring of the message (not a regex, not a word match): what `heroku logs | grep` finds. */
  grep?: string;
}

export interface LogHistoryQuery extends LogTarget {
  /** At most this many lines: the newest ones. */
  limit: number;
  /** Lines at or after it. */
  since?: Date;
  /** Lines before it (so `--until` of one query and `--since` of the next do not overlap). */
  until?: Date;
}

export interface LogLine {
  /** RFC 3339 with the source's precision (up to ns), UTC, `Z`. */
  time: string;
  /** The process the line came from (`web.1`); empty when the source has no such field. */
  process: string;
  message: string;
  /**
   * Identifies the line within its source across queries, so a resumed tail drops what it already showed and a line a
   * shipper sent twice is shown once (e.g. stream + time + a shipper's sequence number).
   */
  id: string;
}

export type TailEvent =
  /** `cursor`: where a tail resumed from it starts: no line before it again, none after it missed. */
  | { type: 'line'; line: LogLine; cursor: string }
  /** Nothing new; still connected (the cursor of the last line, or of the start). */
  | { type: 'heartbeat'; cursor: string }
  /** Something the user should know mid-tail: the source was unreachable and came back, lines were dropped. */
  | { type: 'notice'; message: string };

export interface TailOptions {
  /** From a TailEvent: resume after it. Unset: start with the last `backlog` lines. */
  cursor?: string;
  /** Lines shown before following (like `heroku logs --tail`'s recent lines). Default 10. */
  backlog?: number;
  signal: AbortSignal;
}

export interface LogSource {
  /** The config's name for it (`local`). */
  readonly name: string;
  /** `log source "local" (victorialogs at http://127.0.0.1:9428)`: what errors and notices name. */
  readonly description: string;
  /** The newest `limit` lines matching, oldest first. */
  history(query: LogHistoryQuery): Promise<LogLine[]>;
  /**
   * Lines as they arrive, in order, each once; ends only when `signal` aborts. While the source is unreachable the
   * tail retries and yields a notice (SourceError only when the very first query fails, so a bad config fails fast).
   */
  tail(target: LogTarget, options: TailOptions): AsyncIterable<TailEvent>;
}
