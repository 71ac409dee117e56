/**
 * One error type per failure a user can act on. Every error carries a stable
 * `code` (part of the API contract), the HTTP status the Platform API answers
 * with, and a message that says what to do. The CLI maps them to exit codes.
 */
export type ErrorCode =
  | 'invalid_request'
  | 'invalid_paws'
  | 'not_found'
  | 'conflict'
  | 'unauthenticated'
  | 'forbidden'
  | 'provider_error'
  | 'unavailable'
  | 'internal';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

export class IdpError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details?: unknown;
  constructor(code: ErrorCode, status: number, message: string, details?: unknown) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.details = details;
  }
  toJSON(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) } };
  }
}

/** The request itself is wrong (bad name, bad TTL, missing field). */
export class InvalidRequestError extends IdpError {
  constructor(message: string, details?: unknown) {
    super('invalid_request', 400, message, details);
  }
}

/** One problem found in a paws.yaml, with its position when known. */
export interface PawsIssue {
  message: string;
  path?: (string | number)[];
  line?: number;
  column?: number;
}

/** paws.yaml cannot be parsed or does not satisfy the schema/rules. */
export class InvalidPawsError extends IdpError {
  readonly issues: PawsIssue[];
  constructor(file: string, issues: PawsIssue[]) {
    const lines = issues.map((i) => `  ${file}${i.line ? `:${i.line}:${i.column ?? 1}` : ''}: ${i.message}`);
    super('invalid_paws', 422, `${file} is not valid:\n${lines.join('\n')}\nFix the file and try again.`, issues);
    this.issues = issues;
  }
}

export class NotFoundError extends IdpError {
  constructor(message: string, details?: unknown) {
    super('not_found', 404, message, details);
  }
}

export class ConflictError extends IdpError {
  constructor(message: string, details?: unknown) {
    super('conflict', 409, message, details);
  }
}

export class ProviderError extends IdpError {
  constructor(message: string, details?: unknown) {
    super('provider_error', 502, message, details);
  }
}

/**
 * The request was not recorded, for now (Temporal busy or unreachable): the
 * API answers 503 with `Retry-After`; sending the same request again (same
 * Idempotency-Key) is safe, and the typed client does so by itself.
 */
export class UnavailableError extends IdpError {
  constructor(
    message: string,
    /** Seconds to wait before trying again (the Retry-After header). */
    readonly retryAfterSeconds = 2,
  ) {
    super('unavailable', 503, message);
  }
}

const byCode: Record<ErrorCode, (m: string, d?: unknown) => IdpError> = {
  invalid_request: (m, d) => new InvalidRequestError(m, d),
  invalid_paws: (m, d) => new IdpError('invalid_paws', 422, m, d),
  not_found: (m, d) => new NotFoundError(m, d),
  conflict: (m, d) => new ConflictError(m, d),
  unauthenticated: (m, d) => new IdpError('unauthenticated', 401, m, d),
  forbidden: (m, d) => new IdpError('forbidden', 403, m, d),
  provider_error: (m, d) => new ProviderError(m, d),
  unavailable: (m) => new UnavailableError(m),
  internal: (m, d) => new IdpError('internal', 500, m, d),
};

/** Rebuild a typed error from its JSON body (client side, or across a Temporal failure). */
export function errorFromBody(body: ErrorBody): IdpError {
  const make = byCode[body.error.code] ?? byCode.internal;
  return make(body.error.message, body.error.details);
}

export function isIdpError(e: unknown): e is IdpError {
  return e instanceof IdpError;
}
