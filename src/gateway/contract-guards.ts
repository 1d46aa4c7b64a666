// Runtime checks for the contract shapes. Everything read back from Durable state or an event
// crossed a JSON boundary another process wrote, so it is `unknown` until one of these says so.
// (The orchestrator's output is read in one place only: request-state.ts.)
import type { GatewayCustomStatus, GatewayRequest, ReplyEnvelope, ReplyReference } from './contract.js';

type Fields = Record<string, unknown>;

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// A reply's status becomes the final status of an HTTP response, so 1xx (interim only) is out.
export function isHttpStatus(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 200 && value <= 599;
}

export function isReplyReference(value: unknown): value is ReplyReference {
  return (
    isObject(value) &&
    typeof value.container === 'string' &&
    typeof value.blobName === 'string' &&
    typeof value.size === 'number' &&
    typeof value.etag === 'string'
  );
}

export function isReplyEnvelope(value: unknown): value is ReplyEnvelope {
  if (!isObject(value)) return false;
  const hasBody = typeof value.body === 'string';
  const hasRef = value.ref !== undefined;
  return (
    typeof value.replyId === 'string' &&
    isHttpStatus(value.status) &&
    typeof value.contentType === 'string' &&
    typeof value.receivedAt === 'string' &&
    hasBody !== hasRef &&
    (!hasRef || isReplyReference(value.ref))
  );
}

/** A request's attempt number: a positive integer (contract.ts `attemptOf`). */
export function isAttempt(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

export function isGatewayRequest(value: unknown): value is GatewayRequest {
  return (
    isObject(value) &&
    typeof value.id === 'string' &&
    typeof value.operation === 'string' &&
    (value.method === 'GET' || value.method === 'POST') &&
    typeof value.contentType === 'string' &&
    typeof value.body === 'string' &&
    typeof value.bodyHash === 'string' &&
    isObject(value.query) &&
    typeof value.replyTo === 'string' &&
    (value.replyBodiesContainer === undefined || typeof value.replyBodiesContainer === 'string') &&
    (value.waitMode === 'sync' || value.waitMode === 'async') &&
    typeof value.deadlineMs === 'number' &&
    typeof value.createdAt === 'string' &&
    (value.attempt === undefined || isAttempt(value.attempt)) &&
    (value.traceparent === undefined || typeof value.traceparent === 'string')
  );
}

export function isGatewayCustomStatus(value: unknown): value is GatewayCustomStatus {
  return isObject(value) && (value.stage === 'Dispatching' || value.stage === 'AwaitingReply') && typeof value.since === 'string';
}
