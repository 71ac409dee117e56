/**
 * Exit codes and the CLI's own errors. The server's errors arrive as IdpError
 * (with the API's stable `code`); an unreachable server as UnreachableError.
 * Both modules are tiny (no zod, no yaml), so importing them here is cheap.
 */
import { UnreachableError } from '@idp/core/client';
import { IdpError, type ErrorCode } from '@idp/core/errors';

export const ExitCode = {
  ok: 0,
  /** Unexpected error, or the workflow failed (with --wait). */
  failure: 1,
  /** Bad arguments, invalid name (checked locally), no or ambiguous context. Nothing was sent. */
  usage: 2,
  notFound: 3,
  conflict: 4,
  /** invalid_request, invalid_paws, forbidden, unauthenticated (not signed in, or the sign-in expired: run `idp login`). */
  rejected: 5,
  unreachable: 6,
  /** With --wait: the PR was closed without being merged. */
  prClosed: 7,
  /** With --wait: an allowed approver requested changes on the release's PR (idp closed it). */
  releaseRejected: 8,
  /** With --wait: the release got no approval under its policy before the policy's timeout (idp closed its PR). */
  releaseTimedOut: 9,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Shown by `idp --help` and documented in README.md. */
export const EXIT_CODES_HELP: [number, string][] = [
  [ExitCode.ok, 'success (with --wait: the PR was merged)'],
  [ExitCode.failure, 'unexpected error, or the workflow or template task failed (with --wait), or `idp secrets check` found references that do not resolve'],
  [ExitCode.usage, 'usage error: bad arguments, invalid name, no or ambiguous component context (nothing was sent)'],
  [ExitCode.notFound, 'not found (environment, PR, repository...)'],
  [ExitCode.conflict, 'conflict (e.g. the environment already exists, the PR changed)'],
  [ExitCode.rejected, 'rejected by the server: invalid request or paws.yaml, forbidden, or not signed in (run `idp login`)'],
  [ExitCode.unreachable, 'the Platform API could not be reached, or could not record the request for now (try again)'],
  [ExitCode.prClosed, 'the PR was closed without being merged (with --wait)'],
  [ExitCode.releaseRejected, 'the release was rejected: an allowed approver requested changes (with --wait)'],
  [ExitCode.releaseTimedOut, 'the release timed out: no approval under its policy in time (with --wait)'],
];

/** CLI-side error codes, in the same `{"error":{"code","message"}}` shape as the API's. */
export type CliErrorCode = 'usage' | 'unreachable' | OutcomeCode | 'internal';

/** How a followed workflow ended without its change applied; the code of the JSON error body. */
export type OutcomeCode = 'pr_closed' | 'release_rejected' | 'release_timed_out' | 'workflow_failed' | 'task_failed' | 'secrets_unresolved';

const byOutcome: Record<OutcomeCode, ExitCode> = {
  pr_closed: ExitCode.prClosed,
  release_rejected: ExitCode.releaseRejected,
  release_timed_out: ExitCode.releaseTimedOut,
  workflow_failed: ExitCode.failure,
  /** A Scaffolder task (idp create --wait, idp tasks logs) failed or was cancelled. */
  task_failed: ExitCode.failure,
  /** idp secrets check: a reference does not resolve in its store (or its store could not say). */
  secrets_unresolved: ExitCode.failure,
};

/** Wrong arguments or no usable context: nothing was sent to the server. */
export class UsageError extends Error {
  readonly code = 'usage';
  constructor(
    message: string,
    /** A line telling what to run for help, e.g. "Run `idp env clone --help` for usage." */
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A followed workflow ended without the change being applied. */
export class OutcomeError extends Error {
  constructor(
    readonly code: OutcomeCode,
    message: string,
  ) {
    super(message);
    this.name = 'OutcomeError';
  }
}

const byServerCode: Record<ErrorCode, ExitCode> = {
  invalid_request: ExitCode.rejected,
  invalid_paws: ExitCode.rejected,
  forbidden: ExitCode.rejected,
  unauthenticated: ExitCode.rejected,
  not_found: ExitCode.notFound,
  conflict: ExitCode.conflict,
  provider_error: ExitCode.failure,
  // Still 503 after the client's own retries: nothing was recorded, try again later (like unreachable).
  unavailable: ExitCode.unreachable,
  internal: ExitCode.failure,
};

export function exitCodeFor(err: unknown): ExitCode {
  if (err instanceof UsageError) return ExitCode.usage;
  if (err instanceof UnreachableError) return ExitCode.unreachable;
  if (err instanceof OutcomeError) return byOutcome[err.code] ?? ExitCode.failure;
  if (err instanceof IdpError) return byServerCode[err.code] ?? ExitCode.failure;
  return ExitCode.failure;
}

/** The `{"error":{...}}` body printed on stderr in --json mode. */
export function errorBody(err: unknown): { error: { code: string; message: string; details?: unknown } } {
  if (err instanceof IdpError) return err.toJSON();
  if (err instanceof UsageError) return { error: { code: err.code, message: err.message } };
  if (err instanceof UnreachableError) return { error: { code: 'unreachable', message: err.message } };
  if (err instanceof OutcomeError) return { error: { code: err.code, message: err.message } };
  return { error: { code: 'internal', message: err instanceof Error ? err.message : String(err) } };
}
