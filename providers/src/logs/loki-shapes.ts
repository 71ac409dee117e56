/**
 * Loki's HTTP API as documented — the requests and responses idp's Loki source sends and reads, written once from
 * the reference (https://grafana.com/docs/loki/latest/reference/loki-http-api/, the source of which is
 * grafana/loki docs/sources/reference/loki-http-api.md) and the code it names where the page is silent. Loki
 * publishes no OpenAPI document, so these zod schemas are that document for the parts idp uses:
 *
 * - the Loki source (loki.ts) reads every response through the lenient schemas (unknown fields ignored, as a newer
 *   Loki may add some);
 * - the test fake (testing/loki-fake.ts) checks every request it receives and every response it sends against the
 *   strict ones (nothing undocumented either way), so the fake cannot drift from the docs unnoticed.
 */
import { z } from 'zod';

export const LOKI_API_DOCS = 'https://grafana.com/docs/loki/latest/reference/loki-http-api/';
export const LOKI_DOCS = {
  timestamps: `${LOKI_API_DOCS}#timestamps`,
  queryRange: `${LOKI_API_DOCS}#query-logs-within-a-range-of-time`,
  tail: `${LOKI_API_DOCS}#stream-logs`,
  push: `${LOKI_API_DOCS}#ingest-logs`,
  /** "Loki exposes an HTTP API …": errors are written by WriteError (grafana/loki pkg/util/server/error.go). */
  errors: 'https://github.com/grafana/loki/blob/main/pkg/util/server/error.go',
  /** Multi-tenancy: the `X-Scope-OrgID` header names the tenant; without auth_enabled every request is tenant `fake`. */
  tenants: 'https://grafana.com/docs/loki/latest/operations/multi-tenancy/',
  /** "If the incoming line exactly matches the previously received line (… timestamp and log text) … ignored." */
  duplicates: 'https://grafana.com/docs/loki/latest/get-started/components/',
} as const;

/** #timestamps: a nanosecond Unix epoch (10 digits or fewer: seconds), a float of seconds, or RFC 3339 (Nano). */
export const TIMESTAMP = /^(\d+|\d+\.\d+|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d))$/;
/** "<string: nanosecond unix epoch>" in responses and pushes. */
export const NS_EPOCH = /^\d+$/;
/** Prometheus durations (`5m`, `1h30m`) or a float of seconds (`step`, `interval`, `since`). */
export const DURATION = /^((\d+(ms|s|m|h|d|w|y))+|\d+(\.\d+)?)$/;

/** The error body of every endpoint: plain text (WriteError sets this content type), never JSON. */
export const LOKI_ERROR_CONTENT_TYPE = 'text/plain; charset=utf-8';
export const LOKI_JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** A decimal integer parameter (`limit`, `delay_for`), as Go's strconv.Atoi reads it. */
const int = (name: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.string().regex(/^\d+$/, { error: `${name} must be a decimal integer` }).refine((v) => Number(v) >= min && Number(v) <= max, { error: `${name} must be between ${min} and ${max}` });

export function lokiShapes(strict: boolean) {
  const obj = <T extends z.ZodRawShape>(shape: T) => (strict ? z.strictObject(shape) : z.object(shape));
  const labels = z.record(z.string(), z.string());
  const ns = z.string().regex(NS_EPOCH, { error: 'a timestamp here is a string of nanoseconds since the epoch' });
  /** `[ "<ns>", "<line>" ]`, or with structured metadata (string → string) as a third element (#ingest-logs). */
  const value = z.union([z.tuple([ns, z.string()]), z.tuple([ns, z.string(), labels])]);
  const stream = obj({ stream: labels, values: z.array(value) });

  return {
    /** GET /loki/api/v1/query_range (#query-logs-within-a-range-of-time): the query parameters. */
    queryRangeParams: obj({
      query: z.string().min(1),
      limit: int('limit', 1).optional(),
      start: z.string().regex(TIMESTAMP).optional(),
      end: z.string().regex(TIMESTAMP).optional(),
      since: z.string().regex(DURATION).optional(),
      step: z.string().regex(DURATION).optional(),
      interval: z.string().regex(DURATION).optional(),
      direction: z.enum(['forward', 'backward']).optional(),
    }),
    /**
     * Its answer for a log query: `resultType: "streams"`, each stream's values sorted by time (newest first when
     * backward); streams are not sorted among themselves. `stats` is the statistics object (#statistics).
     */
    queryRangeStreams: obj({
      status: z.literal('success'),
      data: obj({
        resultType: z.literal('streams'),
        result: z.array(stream),
        // Always there in Loki's answers; a Loki-compatible proxy may leave it out.
        stats: strict ? z.record(z.string(), z.unknown()) : z.record(z.string(), z.unknown()).optional(),
      }),
    }),
    /** GET /loki/api/v1/tail (#stream-logs), a WebSocket: the query parameters (`delay_for` at most 5). */
    tailParams: obj({
      query: z.string().min(1),
      delay_for: int('delay_for', 0, 5).optional(),
      limit: int('limit', 1).optional(),
      start: z.string().regex(TIMESTAMP).optional(),
    }),
    /** One text frame of the tail: new entries, and entries the server dropped (both omitted when empty). */
    tailFrame: obj({
      streams: z.array(stream).optional(),
      dropped_entries: z.array(obj({ labels: labels.optional(), timestamp: ns })).optional(),
    }),
    /** POST /loki/api/v1/push with `Content-Type: application/json` (#ingest-logs): the timestamp must be a string. */
    push: obj({ streams: z.array(obj({ stream: labels, values: z.array(value) })) }),
  };
}

export const LOKI_STRICT = lokiShapes(true);
export const LOKI_LENIENT = lokiShapes(false);
export type LokiStream = z.infer<typeof LOKI_STRICT.queryRangeStreams>['data']['result'][number];
export type LokiTailFrame = z.infer<typeof LOKI_STRICT.tailFrame>;
export type LokiPush = z.infer<typeof LOKI_STRICT.push>;

/** Zod's issues as one line: `data.result.0.values.1.0: a timestamp here is …`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}
