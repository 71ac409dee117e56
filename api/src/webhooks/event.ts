/**
 * A forge webhook delivery, once verified and understood: what the receiver
 * turns into workflow signals. Each forge has one parser file beside this one
 * (github.ts, gitlab.ts) that verifies the delivery and produces this shape.
 */
export type ForgeEventAction = 'opened' | 'updated' | 'reviewed' | 'merged' | 'closed' | 'reopened' | 'checks' | 'pushed';

export interface ForgeEvent {
  /** The forge's delivery id (GitHub X-GitHub-Delivery, GitLab X-Gitlab-Event-UUID / Idempotency-Key), for deduplication. */
  deliveryId: string;
  forge: 'github' | 'gitlab';
  /** The provider id of the repository (same as GitProvider.id: `github:<host>/<owner>/<repo>`, `gitlab:<host>/<project path>`), lower-case. */
  repoId: string;
  action: ForgeEventAction;
  /** PR/MR number (GitLab iid) when the event is about one. */
  number?: number;
  /** Source branch of the PR/MR, or the pushed branch. */
  branch?: string;
  /** Head commit the event is about, when known. */
  sha?: string;
}

/** Why a delivery was refused: 401 (not signed/verified) or 400 (unreadable); nothing is signalled. */
export class WebhookRejected extends Error {
  constructor(readonly status: 401 | 400, message: string) {
    super(message);
  }
}

// ---- reading a delivery: what both forges' parsers share ---------------------

/** Request headers as node:http gives them (lower-case names); other casings are accepted too. */
export type WebhookHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** One header, whatever the casing of its name; the first value when repeated. */
export function header(headers: WebhookHeaders, name: string): string | undefined {
  const lower = name.toLowerCase();
  let value = headers[lower];
  if (value === undefined) {
    for (const [k, v] of Object.entries(headers)) {
      if (k.toLowerCase() === lower) {
        value = v;
        break;
      }
    }
  }
  return Array.isArray(value) ? value[0] : value;
}

/** A delivery's JSON body, which must be an object; WebhookRejected(400) otherwise. */
export function jsonObject<T>(text: string): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new WebhookRejected(400, 'The delivery body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new WebhookRejected(400, 'The delivery body is not a JSON object.');
  return parsed as T;
}

/** A non-empty string field, or undefined. */
export const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
/** A positive integer field (a PR/MR number), or undefined. */
export const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined);

/** The all-zero sha a push reports for a deleted branch. */
export const ZERO_SHA = /^0+$/;

/** Drop undefined fields, so events compare and print cleanly. */
export function compact(e: ForgeEvent): ForgeEvent {
  return Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) as unknown as ForgeEvent;
}
