// What a call to the gateway can fail with, as classes a caller can branch on with `instanceof`:
// the gateway's own problems (problem+json, RFC 9457) with their stable `type`, the 504 of an
// expired wait, a request that ended without a result, the caller's own deadline, and a gateway
// that could not be reached. Browser-safe.
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_PREFIX, type ProblemCode } from '../gateway/errors.js';

export const CORRELATION_HEADER = 'X-Correlation-Id';

/** A problem+json answer from the gateway itself (its `type` is one of the gateway's codes). */
export class GatewayProblemError extends Error {
  override readonly name: string = 'GatewayProblemError';
  /** The full problem type, `urn:sync-over-async-gateway:problem:<code>`. */
  readonly type: string;
  /** The `<code>` part of the type: what to branch on. */
  readonly code: ProblemCode;
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  /** From `X-Correlation-Id` (else the problem's `requestId`); absent when the gateway never knew it. */
  readonly requestId: string | undefined;
  readonly instance: string | undefined;
  /** The problem document as received. */
  readonly problem: Readonly<Record<string, unknown>>;

  constructor(problem: Record<string, unknown>, status: number, requestId: string | undefined) {
    const text = (key: string): string => (typeof problem[key] === 'string' ? problem[key] : '');
    super(`${status} ${text('title')}: ${text('detail')}`.trim());
    this.problem = problem;
    this.type = text('type');
    this.code = this.type.slice(PROBLEM_TYPE_PREFIX.length) as ProblemCode;
    this.status = status;
    this.title = text('title');
    this.detail = text('detail');
    this.requestId = requestId ?? (text('requestId') || undefined);
    this.instance = text('instance') || undefined;
  }
}

/**
 * A 504: the wait ran out before the reply (`sync-wait-expired`; the request was ended unless it
 * was an asynchronous one joined through its Idempotency-Key) or the request's own deadline passed
 * (`reply-timed-out`).
 */
export class GatewayTimeoutError extends GatewayProblemError {
  override readonly name: string = 'GatewayTimeoutError';
}

export type EndedStatus = 'Failed' | 'TimedOut' | 'Canceled';

/** Polling found the request finished without a reply to fetch. */
export class RequestEndedError extends Error {
  override readonly name: string = 'RequestEndedError';
  constructor(
    readonly status: EndedStatus,
    readonly requestId: string,
    readonly resource: Readonly<Record<string, unknown>>,
  ) {
    super(`Request ${requestId} ended ${status} without a reply.`);
  }
}

/** The caller's overall deadline (`deadlineMs`) passed; the request itself may still be running. */
export class DeadlineExceededError extends Error {
  override readonly name: string = 'DeadlineExceededError';
  constructor(readonly deadlineMs: number) {
    super(`No answer within the ${deadlineMs} ms deadline.`);
  }
}

/** Connection failures (or 429/503 answers) outlasted the retries, or the call was not safe to retry. */
export class GatewayUnreachableError extends Error {
  override readonly name: string = 'GatewayUnreachableError';
  constructor(
    readonly url: string,
    readonly attempts: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${url}: ${message} (after ${attempts} attempt${attempts === 1 ? '' : 's'})`, options);
  }
}

/** An answer that is neither the gateway's contract nor a backend reply (e.g. a proxy's error page). */
export class UnexpectedAnswerError extends Error {
  override readonly name: string = 'UnexpectedAnswerError';
  constructor(
    readonly url: string,
    readonly status: number,
    readonly body: Uint8Array,
    readonly requestId: string | undefined,
    why: string,
  ) {
    super(`${url} answered ${status}: ${why}`);
  }
}

function isProblemMediaType(contentType: string | null): boolean {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() === PROBLEM_CONTENT_TYPE;
}

/**
 * The gateway problem an answer carries, or undefined. Only problem+json whose `type` is the
 * gateway's counts: a backend may answer problem+json of its own, and that is its reply.
 */
export function gatewayProblem(status: number, headers: Headers, body: Uint8Array): GatewayProblemError | undefined {
  if (!isProblemMediaType(headers.get('content-type'))) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const problem = parsed as Record<string, unknown>;
  if (typeof problem.type !== 'string' || !problem.type.startsWith(PROBLEM_TYPE_PREFIX)) return undefined;
  const requestId = headers.get(CORRELATION_HEADER) ?? undefined;
  return status === 504 ? new GatewayTimeoutError(problem, status, requestId) : new GatewayProblemError(problem, status, requestId);
}
