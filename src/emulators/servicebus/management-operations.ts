// `<entity>/$management` operations. Replies use the camelCase status keys: the SDK's peek reads
// `statusCode` by that name to tell "no messages" (204) from a list.

import { invalidField, messageSizeExceeded, notImplemented } from './amqp-errors.js';
import { decodeMessage } from './amqp-message.js';
import { dispositionOfManagementRequest } from './dispositions.js';
import type { EntityRegistry } from './entity-registry.js';
import { lockTokenOfUuid } from './lock-tokens.js';
import type { Reply, RequestHandler } from './request-reply.js';

type Body = Readonly<Record<string, unknown>>;
type Operation = (registry: EntityRegistry, entityPath: string, body: Body, maxMessageSizeInBytes: number) => Reply;

const operations: Readonly<Record<string, Operation>> = {
  'com.microsoft:peek-message': (registry, entityPath, body) => {
    const from = toNumber(body['from-sequence-number'], 'from-sequence-number');
    const count = toNumber(body['message-count'], 'message-count');
    const messages = registry.store(entityPath).peek(from, count);
    if (messages.length === 0) return ok(204);
    return ok(200, { messages: messages.map((message) => ({ message })) });
  },
  'com.microsoft:renew-lock': (registry, entityPath, body) => {
    const store = registry.store(entityPath);
    const expirations = lockTokens(body).map((token) => new Date(store.renewLock(token)));
    return ok(200, { expirations });
  },
  // The SDK settles through here when the receiving link has closed since the message arrived.
  'com.microsoft:update-disposition': (registry, entityPath, body) => {
    const store = registry.store(entityPath);
    const disposition = dispositionOfManagementRequest(body);
    for (const token of lockTokens(body)) store.settle(token, disposition);
    return ok(200);
  },
  // Each entry is a whole encoded message carrying its x-opt-scheduled-enqueue-time annotation.
  'com.microsoft:schedule-message': (registry, entityPath, body, maxBytes) => {
    const target = registry.sendTarget(entityPath);
    const entries = Array.isArray(body.messages) ? (body.messages as unknown[]) : undefined;
    if (!entries) throw invalidField('messages', 'expected an array');
    const scheduled = entries.map((entry, i) => {
      const bytes = (entry as Body | null)?.message;
      if (!Buffer.isBuffer(bytes)) throw invalidField(`messages[${i}].message`, 'expected an encoded message');
      if (bytes.length > maxBytes) throw messageSizeExceeded(bytes.length, maxBytes);
      const message = decodeMessage(bytes);
      const dueAt = message.message_annotations?.['x-opt-scheduled-enqueue-time'];
      if (!(dueAt instanceof Date)) throw invalidField(`messages[${i}]`, 'the message has no x-opt-scheduled-enqueue-time annotation');
      return { message, dueAt: dueAt.getTime(), bytes };
    });
    // Checked whole first: either every message is scheduled or none.
    const sequenceNumbers = scheduled.map(({ message, dueAt, bytes }) => target.schedule(message, dueAt, bytes));
    return ok(200, { 'sequence-numbers': sequenceNumbers });
  },
  'com.microsoft:cancel-scheduled-message': (registry, entityPath, body) => {
    const target = registry.sendTarget(entityPath);
    const numbers = body['sequence-numbers'];
    if (!Array.isArray(numbers)) throw invalidField('sequence-numbers', 'expected an array of longs');
    for (const value of numbers) target.cancelScheduled(toNumber(value, 'sequence-numbers'));
    return ok(200);
  },
};

const unsupported: Readonly<Record<string, string>> = {
  'com.microsoft:receive-by-sequence-number': 'Receiving deferred messages (receiveDeferredMessages)',
  'com.microsoft:batch-delete-messages': 'Deleting messages in bulk',
  'com.microsoft:renew-session-lock': 'Sessions (renewSessionLock)',
  'com.microsoft:set-session-state': 'Sessions (setSessionState)',
  'com.microsoft:get-session-state': 'Sessions (getSessionState)',
  'com.microsoft:get-message-sessions': 'Sessions (listing message sessions)',
  'com.microsoft:add-rule': 'Subscription rules at run time (createRule)',
  'com.microsoft:remove-rule': 'Subscription rules at run time (deleteRule)',
  'com.microsoft:enumerate-rules': 'Subscription rules at run time (listRules)',
};

export function managementHandler(registry: EntityRegistry, entityPath: string, maxMessageSizeInBytes: number): RequestHandler {
  return (request) => {
    const operation = String(request.application_properties?.operation);
    const handle = operations[operation];
    if (!handle) throw notImplemented(unsupported[operation] ?? `The management operation '${operation}'`);
    const body = typeof request.body === 'object' && request.body !== null ? (request.body as Body) : {};
    return handle(registry, entityPath, body, maxMessageSizeInBytes);
  };
}

function ok(statusCode: number, body?: unknown): Reply {
  return { applicationProperties: { statusCode, statusDescription: statusCode === 204 ? 'No Content' : 'OK' }, body };
}

function lockTokens(body: Body): string[] {
  const tokens = body['lock-tokens'];
  if (!Array.isArray(tokens) || !tokens.every((token) => Buffer.isBuffer(token))) {
    throw invalidField('lock-tokens', 'expected an array of uuids');
  }
  return tokens.map(lockTokenOfUuid);
}

function toNumber(value: unknown, field: string): number {
  if (typeof value === 'number') return value;
  // Longs beyond 2^53 arrive as raw big-endian bytes.
  if (Buffer.isBuffer(value) && value.length === 8) return Number(value.readBigInt64BE());
  throw invalidField(field, 'expected a number');
}
