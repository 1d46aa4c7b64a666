// The error catalogue and the one place errors become HTTP (RFC 9457 problem+json). Codes are a
// public contract: clients branch on `type`, so a code is never renamed or reused.

const CATALOGUE = {
  'invalid-request-id': { status: 400, title: 'Invalid request id' },
  'invalid-operation': { status: 400, title: 'Invalid operation name' },
  'invalid-prefer': { status: 400, title: 'Invalid Prefer header' },
  'invalid-idempotency-key': { status: 400, title: 'Invalid Idempotency-Key header' },
  'malformed-json': { status: 400, title: 'Malformed JSON body' },
  'invalid-reply': { status: 400, title: 'Invalid reply' },
  'invalid-query': { status: 400, title: 'Invalid query parameter' },
  'invalid-rejected-name': { status: 400, title: 'Invalid set-aside reply name' },
  'request-not-found': { status: 404, title: 'Unknown request' },
  'result-not-ready': { status: 404, title: 'Result not available' },
  'rejected-not-found': { status: 404, title: 'Unknown set-aside reply' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  'already-finished': { status: 409, title: 'Request already finished' },
  'request-canceled': { status: 409, title: 'Request was canceled' },
  'replay-conflict': { status: 409, title: 'Set-aside reply cannot be replayed now' },
  'payload-too-large': { status: 413, title: 'Request body too large' },
  'idempotency-key-reused': { status: 422, title: 'Idempotency-Key reused with a different request' },
  misconfigured: { status: 500, title: 'Gateway misconfigured' },
  internal: { status: 500, title: 'Internal error' },
  'processing-failed': { status: 502, title: 'Request processing failed' },
  'reply-unavailable': { status: 502, title: 'Reply no longer available' },
  'reply-timed-out': { status: 504, title: 'No reply before the deadline' },
  'sync-wait-expired': { status: 504, title: 'Synchronous wait expired' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof CATALOGUE;

export const PROBLEM_TYPE_PREFIX = 'urn:sync-over-async-gateway:problem:';
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface GatewayErrorOptions {
  cause?: unknown;
  requestId?: string;
  /** Extra response headers the error implies (Allow, Retry-After). */
  headers?: Record<string, string>;
}

/** An error the caller caused or should hear about; its `detail` is safe to show. */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  readonly code: ProblemCode;
  readonly status: number;
  readonly title: string;
  readonly requestId: string | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: ProblemCode, detail: string, options: GatewayErrorOptions = {}) {
    super(detail, { cause: options.cause });
    this.code = code;
    this.status = CATALOGUE[code].status;
    this.title = CATALOGUE[code].title;
    this.requestId = options.requestId;
    this.headers = options.headers ?? {};
  }
}

/** A bad app setting; the message names the setting so the operator knows what to fix. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
  }
}

export function ensureError(value: unknown): Error {
  if (value instanceof Error) return value;
  let text: string;
  try {
    text = typeof value === 'string' ? value : JSON.stringify(value);
  } catch {
    text = String(value);
  }
  return new Error(`Non-error thrown: ${text}`);
}

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  requestId?: string;
  instance?: string;
}

export interface ProblemResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  problem: ProblemDetails;
}

/**
 * Renders any thrown value as problem+json. Only GatewayError details reach the caller: other
 * errors may carry connection strings, URLs with keys or user data, so they become a bare 500
 * (the caller logs the real error beside the request id).
 */
export function renderProblem(error: unknown, at: { requestId?: string; instance?: string } = {}): ProblemResponse {
  let code: ProblemCode;
  let detail: string;
  let headers: Record<string, string> = {};
  let requestId = at.requestId;
  if (error instanceof GatewayError) {
    ({ code, message: detail } = error);
    headers = { ...error.headers };
    requestId ??= error.requestId;
  } else if (error instanceof ConfigError) {
    code = 'misconfigured';
    detail = `App setting ${error.setting} is invalid; see the gateway log.`;
  } else {
    code = 'internal';
    detail = 'An unexpected error occurred.';
  }
  const { status, title } = CATALOGUE[code];
  if (requestId !== undefined && code === 'internal') detail += ` Quote request id ${requestId}.`;
  const problem: ProblemDetails = { type: PROBLEM_TYPE_PREFIX + code, title, status, detail };
  if (requestId !== undefined) problem.requestId = requestId;
  if (at.instance !== undefined) problem.instance = at.instance;
  return {
    status,
    headers: { ...headers, 'Content-Type': PROBLEM_CONTENT_TYPE },
    body: JSON.stringify(problem),
    problem,
  };
}
