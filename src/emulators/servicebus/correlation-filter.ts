// Correlation filters of subscription rules: which messages a subscription gets a copy of.
import type { AmqpMessage } from './amqp-message.js';
import { readObject, readOptionalString, rejectUnknownFields, TopologyConfigError } from './config-errors.js';

/**
 * A subscription rule's correlation filter: every field given must equal the message's. The real
 * service also has SQL filters; the emulator only accepts the match-all `1=1` (an empty filter).
 */
export interface CorrelationFilter {
  readonly correlationId?: string;
  readonly messageId?: string;
  readonly to?: string;
  readonly replyTo?: string;
  readonly subject?: string;
  readonly sessionId?: string;
  readonly replyToSessionId?: string;
  readonly contentType?: string;
  readonly applicationProperties?: Readonly<Record<string, string | number | boolean>>;
}

// Filter field → the AMQP properties field it compares against.
const systemFields = {
  correlationId: 'correlation_id',
  messageId: 'message_id',
  to: 'to',
  replyTo: 'reply_to',
  subject: 'subject',
  sessionId: 'group_id',
  replyToSessionId: 'reply_to_group_id',
  contentType: 'content_type',
} as const satisfies Record<Exclude<keyof CorrelationFilter, 'applicationProperties'>, keyof AmqpMessage>;

type SystemField = keyof typeof systemFields;
const systemFieldNames = Object.keys(systemFields) as SystemField[];

export function matchesCorrelationFilter(filter: CorrelationFilter, message: AmqpMessage): boolean {
  for (const name of systemFieldNames) {
    const expected = filter[name];
    if (expected !== undefined && String(message[systemFields[name]]) !== expected) return false;
  }
  const actual = message.application_properties ?? {};
  return Object.entries(filter.applicationProperties ?? {}).every(([key, value]) => actual[key] === value);
}

export function readCorrelationFilter(value: unknown, field: string): CorrelationFilter {
  const fields = readObject(value, field);
  rejectUnknownFields(fields, [...systemFieldNames, 'applicationProperties'], field);
  const filter: Record<string, unknown> = {};
  for (const name of systemFieldNames) {
    const text = readOptionalString(fields[name], `${field}.${name}`);
    if (text !== undefined) filter[name] = text;
  }
  if (fields.applicationProperties !== undefined) {
    filter.applicationProperties = readPropertyValues(fields.applicationProperties, `${field}.applicationProperties`);
  }
  return filter;
}

export function readPropertyValues(value: unknown, field: string): Record<string, string | number | boolean> {
  const fields = readObject(value, field);
  const result: Record<string, string | number | boolean> = {};
  for (const [key, item] of Object.entries(fields)) {
    if (typeof item !== 'string' && typeof item !== 'number' && typeof item !== 'boolean') {
      throw new TopologyConfigError(`${field}.${key}`, 'expected a string, number or boolean');
    }
    result[key] = item;
  }
  return result;
}
