// The one contract shared by the starters, the orchestrator, the dispatch activity and the reply
// functions: names, id rules and payload shapes. Changing a shape here changes stored Durable
// state, so keep additions optional and never rename a field that running instances carry.
import { createHash, createHmac, randomUUID } from 'node:crypto';

export const ORCHESTRATOR_NAME = 'gatewayOrchestrator';
export const DISPATCH_ACTIVITY_NAME = 'dispatchRequest';
export const CHECK_CLAIM_ACTIVITY_NAME = 'checkClaimCheck';
export const REPLY_EVENT_NAME = 'reply';

// Mirrors host.json `extensions.http.routePrefix`; the app builds its own Location headers.
export const ROUTE_PREFIX = 'api';

// Termination reasons are the only trace a terminate leaves (the output becomes the reason), so
// status derivation and outcome mapping recognise them by exact text.
export const TERMINATE_REASON_SYNC_EXPIRED = 'sync wait expired';
export const TERMINATE_REASON_CANCELED = 'canceled by caller';

// Ids end up in blob names, Service Bus properties and URLs: a closed alphabet keeps `../`,
// slashes, dots and control characters out of every one of them (docs/field-notes.md#n15).
const REQUEST_ID_PATTERN = /^[A-Za-z0-9-]{1,64}$/;
const OPERATION_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** A string that passed isRequestId (branded, so a failed check does not narrow to never). */
export type RequestId = string & { readonly __brand: 'RequestId' };
export type Operation = string & { readonly __brand: 'Operation' };

export function isRequestId(value: unknown): value is RequestId {
  return typeof value === 'string' && REQUEST_ID_PATTERN.test(value);
}

// A name made only of dots would read as a path segment (`.`/`..`) wherever it is echoed.
export function isOperation(value: unknown): value is Operation {
  return typeof value === 'string' && OPERATION_PATTERN.test(value) && !/^\.+$/.test(value);
}

export function newRequestId(): string {
  return randomUUID();
}

// The same Idempotency-Key must always map to the same instance id, on any instance of the app,
// so the id is computed from the key, not looked up. An HMAC under the gateway's own secret (kept
// in storage, see id-secret.ts): a plain hash would let anyone who knows or guesses a key compute
// its id and read its result. Shaped like a UUID so logs look uniform.
export function requestIdFromIdempotencyKey(key: string, secret: Uint8Array): string {
  const hex = createHmac('sha256', secret).update(`idempotency-key\n${key}`, 'utf8').digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

// Visible ASCII only: the key is echoed in logs and hashed; anything else is a client mistake.
const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export function isIdempotencyKey(value: string): boolean {
  return IDEMPOTENCY_KEY_PATTERN.test(value);
}

// What "the same request" means for Idempotency-Key: method, operation, query and body bytes.
// Headers are left out so a client retrying through a different proxy still matches.
export function fingerprintRequest(parts: {
  method: string;
  operation: string;
  query: Readonly<Record<string, string>>;
  body: Uint8Array;
}): string {
  const query = Object.keys(parts.query)
    .sort()
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(parts.query[k] ?? '')}`)
    .join('&');
  return createHash('sha256').update(`${parts.method}\n${parts.operation}\n${query}\n`, 'utf8').update(parts.body).digest('hex');
}

/** `application/json` or any `+json` type: the bodies the gateway checks parse as JSON. */
export function isJsonMediaType(contentType: string): boolean {
  const media = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return media === 'application/json' || media.endsWith('+json');
}

/** Strict: UTF-8 without a single bad byte, then JSON. What a JSON media type promises. */
export function isUtf8Json(bytes: Uint8Array): boolean {
  try {
    JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    return true;
  } catch {
    return false;
  }
}

export type WaitMode = 'sync' | 'async';

/** Orchestrator input; also what the dispatch activity receives. */
export interface GatewayRequest {
  id: string;
  operation: string;
  method: 'GET' | 'POST';
  contentType: string;
  /** Request body, base64. For GET: the query string as a JSON object. */
  body: string;
  /** fingerprintRequest() of the submit call, compared on Idempotency-Key reuse. */
  bodyHash: string;
  query: Record<string, string>;
  /** Where the backend should answer (the replies container or topic). */
  replyTo: string;
  /**
   * The container the gateway keeps claim checks in (GatewayConfig.replyBodiesContainer), so the
   * orchestrator can refuse a reply reference into any other without reading settings. Absent in
   * requests started before it existed; the claim-check activity checks the container then.
   */
  replyBodiesContainer?: string;
  waitMode: WaitMode;
  /** How long the orchestrator waits for the reply, counted from when it starts waiting. */
  deadlineMs: number;
  /** ISO 8601, the starter's clock (of this attempt). */
  createdAt: string;
  /**
   * Which start of this request id this is (1 when absent, as in requests started before attempts
   * existed). An Idempotency-Key whose request ended by a sync caller's expiry or a cancel starts
   * the next attempt under the same id (idempotency.ts); the backend sees the number.
   */
  attempt?: number;
  /**
   * W3C traceparent of the submit call's span (telemetry/spans.ts), absent when telemetry is off:
   * the dispatch span continues this trace, and the orchestrator copies it into its custom status
   * for the reply intake. Read back as untrusted (telemetry/traceparent.ts validates it).
   */
  traceparent?: string;
}

/** The attempt a request is (1 for requests that do not say). */
export function attemptOf(request: Pick<GatewayRequest, 'attempt'>): number {
  return request.attempt ?? 1;
}

/** Where a reply too large for Durable state stays (claim check); `etag` pins the exact bytes. */
export interface ReplyReference {
  container: string;
  blobName: string;
  size: number;
  etag: string;
}

/** The request id a reply blob's name gives: `abc` and `abc.json` both name request `abc`. */
export function requestIdOfBlobName(name: string): string {
  const dot = name.indexOf('.');
  return dot < 0 ? name : name.slice(0, dot);
}

/**
 * Whether a claim-check name is one the gateway derives for this request: `<reply blob name>/<ETag>`
 * (blob replies) or `<id>/<uuid>` (Service Bus), so its first segment names the request. A `reply`
 * event can be raised by anything that reaches the Durable management API; a reference it carries
 * is followed only if it passes this (and, where it is read, the container and ETag match).
 */
export function isClaimCheckNameFor(blobName: string, requestId: string): boolean {
  const segments = blobName.split('/');
  if (segments.length < 2 || segments.some((s) => s === '' || /^\.+$/.test(s)) || blobName.includes('\\')) return false;
  return isRequestId(requestId) && requestIdOfBlobName(segments[0] ?? '') === requestId;
}

/**
 * The part of the claim-check rule the orchestrator can decide without I/O: the reference is in
 * the request's claim-check container (when its input names one) under a name derived from its
 * id. The stored blob's ETag and size are the claim-check activity's to confirm.
 */
export function isClaimCheckFor(
  ref: Pick<ReplyReference, 'container' | 'blobName'>,
  request: Pick<GatewayRequest, 'id' | 'replyBodiesContainer'>,
): boolean {
  const container = request.replyBodiesContainer;
  return (container === undefined || ref.container === container) && isClaimCheckNameFor(ref.blobName, request.id);
}

/** Input of the claim-check activity: the reference a reply event carries, and whose it claims to be. */
export interface ClaimCheckQuestion {
  requestId: string;
  ref: ReplyReference;
}

/** Its answer: `held` when that exact blob version is there, else why not (for the log). */
export type ClaimCheckVerdict = { held: true } | { held: false; reason: string };

/** The payload of the `reply` event. Exactly one of `body` (base64) and `ref` is set. */
export interface ReplyEnvelope {
  /** Identifies this reply among duplicates, e.g. `blob:replies/abc.json@"0x8D..."`. */
  replyId: string;
  status: number;
  contentType: string;
  body?: string;
  ref?: ReplyReference;
  receivedAt: string;
  /**
   * A random id of the delivery that raised it (replies/delivery.ts): a redelivery of a reply that
   * was taken already tells that earlier raise from its own. Absent in events raised before it.
   */
  delivery?: string;
}

export type OrchestratorOutput = { outcome: 'replied'; reply: ReplyEnvelope } | { outcome: 'timedOut' };

export type GatewayStage = 'Dispatching' | 'AwaitingReply';

export interface GatewayCustomStatus {
  stage: GatewayStage;
  /** When the stage began (orchestration clock): the "pending age" operators look at. */
  since: string;
  /** Present once awaiting: when the orchestrator stops waiting. */
  deadline?: string;
  /** Reply events refused because their claim check was not this request's own (or not there as described). */
  refusedReplies?: number;
  /** The request's traceparent (GatewayRequest.traceparent), where readers without the input find it. */
  traceparent?: string;
}
