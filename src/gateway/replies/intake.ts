// What to do with an incoming reply, decided without I/O so every branch is unit-tested.
// The rules: a reply is raised only into a waiting instance; a reply for an id not started yet
// is retried for a grace period (docs/field-notes.md#n4); anything that cannot be delivered (unknown,
// late, duplicate, malformed) is set aside with a reason, never dropped and never allowed to
// replace an answer already given (docs/field-notes.md#n5, docs/field-notes.md#n9).

import { isJsonMediaType, isRequestId, isUtf8Json, requestIdOfBlobName, TERMINATE_REASON_SYNC_EXPIRED } from '../contract.js';
import { isHttpStatus } from '../contract-guards.js';
import { classifyRequest, type FinalState, type InstanceSnapshot } from '../request-state.js';

export type SetAsideReason = 'unknown-request' | 'late' | 'duplicate' | 'malformed';

export interface SetAside {
  action: 'setAside';
  reason: SetAsideReason;
  detail: string;
}

export type ParsedReply = { ok: true; requestId: string; status: number } | ({ ok: false } & Omit<SetAside, 'action'>);

// Metadata and application property names are matched case-insensitively: storage lowercases
// metadata names, and backends on other stacks write `Status` or `RequestId`.
function propertyOf(properties: Readonly<Record<string, unknown>>, name: string): unknown {
  const key = Object.keys(properties).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : properties[key];
}

export type Rejected = Extract<ParsedReply, { ok: false }>;

const malformed = (detail: string): Rejected => ({ ok: false, reason: 'malformed', detail });

/**
 * The optional `status` a backend sets beside its reply: a 3-digit string (blob metadata, or a
 * message property written as text) or an integer (a typed message property).
 */
function statusOf(raw: unknown, where: string, size: number): number | Rejected {
  let status = 200;
  if (raw !== undefined) {
    const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
    if (!/^\d{3}$/.test(text) || !isHttpStatus(Number(text))) return malformed(`${where} status is not a final HTTP status (200-599)`);
    status = Number(text);
  }
  // Tools often create a zero-byte blob before the content lands; a backend that really means
  // "no content" says so with a status. Messages follow the same rule, so both channels agree.
  if (size === 0 && raw === undefined) return malformed('empty reply without a status');
  return status;
}

/**
 * A reply's bytes against its content type, the rule requests follow: a JSON media type promises
 * UTF-8 JSON. Empty bodies carry a status instead (statusOf) and are not JSON to check.
 */
export function checkReplyBody(contentType: string, body: Uint8Array): Rejected | undefined {
  if (body.length === 0 || !isJsonMediaType(contentType) || isUtf8Json(body)) return undefined;
  return malformed(`body is not valid UTF-8 JSON, as its content type (${contentType.slice(0, 100)}) says`);
}

/** Reads a reply's id and status from a blob's name and metadata. */
export function parseReplyBlob(facts: { name: string; size: number; metadata: Readonly<Record<string, string>> }): ParsedReply {
  // `abc.json` and `abc` both name request `abc`; a nested path never does.
  const requestId = requestIdOfBlobName(facts.name);
  if (!isRequestId(requestId)) return malformed('blob name does not start with a valid request id');
  // The claim check is named `<this name>/<version>`; a name it could not be derived from is refused.
  if (facts.name.split('/').some((s) => s === '' || /^\.+$/.test(s)) || facts.name.includes('\\')) {
    return malformed('blob name has an empty or dot-only path segment, or a backslash');
  }
  const status = statusOf(propertyOf(facts.metadata, 'status'), 'metadata', facts.size);
  return typeof status === 'number' ? { ok: true, requestId, status } : status;
}

/**
 * Reads a reply's id and status from a Service Bus message: the id is the correlationId the
 * backend copied from the request, or else its `requestId` application property.
 */
export function parseReplyMessage(facts: {
  correlationId: unknown;
  size: number;
  applicationProperties: Readonly<Record<string, unknown>>;
}): ParsedReply {
  const hasCorrelationId = facts.correlationId !== undefined && facts.correlationId !== null && facts.correlationId !== '';
  const requestId = hasCorrelationId ? facts.correlationId : propertyOf(facts.applicationProperties, 'requestId');
  if (requestId === undefined) return malformed('no correlationId and no requestId application property');
  if (!isRequestId(requestId)) {
    return malformed(`${hasCorrelationId ? 'correlationId' : 'requestId application property'} is not a valid request id`);
  }
  const status = statusOf(propertyOf(facts.applicationProperties, 'status'), 'application property', facts.size);
  return typeof status === 'number' ? { ok: true, requestId, status } : status;
}

export type IntakeDecision = { action: 'raise' } | { action: 'retry'; afterMs: number } | { action: 'alreadyDelivered' } | SetAside;

export interface IntakeTiming {
  /** Time since this reply was first looked at. */
  elapsedMs: number;
  graceMs: number;
  /** 0 for the first look. */
  attempt: number;
}

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 1000;

export function retryDelayMs(attempt: number, remainingMs: number): number {
  return Math.max(0, Math.min(FIRST_RETRY_MS * 2 ** attempt, MAX_RETRY_MS, remainingMs));
}

/** Before raising: `instance` is undefined when the runtime does not know the id (yet). */
export function decideReply(instance: InstanceSnapshot | undefined, replyId: string, timing: IntakeTiming): IntakeDecision {
  if (instance === undefined) {
    const remaining = timing.graceMs - timing.elapsedMs;
    if (remaining > 0) return { action: 'retry', afterMs: retryDelayMs(timing.attempt, remaining) };
    return { action: 'setAside', reason: 'unknown-request', detail: `no request with this id after ${timing.graceMs} ms` };
  }
  return judge(instance, replyId) ?? { action: 'raise' };
}

export type Confirmation =
  /** `state`: what the instance completed with, for the caller waiting in this process. */
  | { result: 'delivered'; state: Extract<FinalState, { kind: 'answered' }> }
  /** Answered with this reply by an earlier delivery's raise (the trigger fired again). */
  | { result: 'alreadyDelivered' }
  /** The instance is suspended: the runtime keeps the raised event for it until it is resumed. */
  | { result: 'held' }
  | { result: 'pending' }
  | ({ result: 'setAside' } & Omit<SetAside, 'action'>);

/**
 * After raising: the event is at-least-once and two replies can race, so only the instance's
 * output says whose reply won. Still running means the event is not processed yet. `delivery`
 * marks this delivery's raise (ReplyEnvelope.delivery): the same reply taken under another mark
 * was delivered before, by an earlier trigger of it.
 */
export function confirmDelivery(instance: InstanceSnapshot | undefined, replyId: string, delivery?: string): Confirmation {
  if (instance === undefined)
    return { result: 'setAside', reason: 'unknown-request', detail: 'request vanished after the reply was raised' };
  const state = classifyRequest(instance);
  if (state.kind === 'answered' && state.reply.replyId === replyId) {
    const earlier = delivery !== undefined && state.reply.delivery !== delivery;
    return earlier ? { result: 'alreadyDelivered' } : { result: 'delivered', state };
  }
  const verdict = judge(instance, replyId);
  if (verdict === undefined) return state.kind === 'suspended' ? { result: 'held' } : { result: 'pending' };
  // Answered with this reply was handled above, so what is left is a reason to set it aside.
  if (verdict.action === 'alreadyDelivered') throw new Error(`reply ${replyId}: judged delivered but not answered with it`);
  return { result: 'setAside', reason: verdict.reason, detail: verdict.detail };
}

// undefined: the instance is still waiting.
function judge(instance: InstanceSnapshot, replyId: string): { action: 'alreadyDelivered' } | SetAside | undefined {
  const state = classifyRequest(instance);
  const late = (detail: string): SetAside => ({ action: 'setAside', reason: 'late', detail });
  switch (state.kind) {
    case 'pending':
    case 'awaitingReply':
    case 'suspended':
      return undefined;
    case 'answered':
      if (state.reply.replyId === replyId) return { action: 'alreadyDelivered' };
      return { action: 'setAside', reason: 'duplicate', detail: `request already answered by ${state.reply.replyId}` };
    case 'timedOut':
      return late(
        state.by === 'syncWait'
          ? `request was terminated before this reply (${TERMINATE_REASON_SYNC_EXPIRED})`
          : 'request timed out before this reply',
      );
    case 'canceled':
      // A terminate's reason says who ended it; the runtime's own cancel has none.
      return late(state.reason ? `request was terminated before this reply (${state.reason})` : 'request was canceled before this reply');
    case 'failed':
      return late(state.noResult ? 'request ended without a result' : 'request failed before this reply');
  }
}
