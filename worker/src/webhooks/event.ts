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
