// The namespace's entities as code describes them (queues, topics, subscriptions and their
// settings), the service's defaults, and the default topology the gateway needs.
import {
  type Fields,
  readArray,
  readEntityName,
  readObject,
  readOptionalBoolean,
  readOptionalInteger,
  rejectUnknownFields,
  TopologyConfigError,
} from './config-errors.js';
import { type CorrelationFilter, readCorrelationFilter } from './correlation-filter.js';

/** Settings of a queue or subscription (a store of messages a receiver reads). */
export interface EntitySettings {
  /** Peek-lock duration; 60 s by default, as on the real service. */
  readonly lockDurationMs?: number;
  /** Deliveries before a message is dead-lettered with `MaxDeliveryCountExceeded`; 10 by default. */
  readonly maxDeliveryCount?: number;
  /** Time to live for messages that do not set their own (shorter) one; unlimited by default. */
  readonly defaultMessageTimeToLiveMs?: number;
  /** Expired messages go to the dead-letter queue instead of being dropped. */
  readonly deadLetteringOnMessageExpiration?: boolean;
}

/** Duplicate detection of a queue or topic (what senders send to). */
export interface DuplicateDetectionSettings {
  /**
   * Set to turn duplicate detection on: a `messageId` seen within this window is accepted and
   * dropped. Config.json spells it `RequiresDuplicateDetection` + `DuplicateDetectionHistoryTimeWindow`.
   */
  readonly duplicateDetectionHistoryTimeWindowMs?: number;
}

export interface QueueDefinition extends EntitySettings, DuplicateDetectionSettings {
  readonly name: string;
}

export interface SubscriptionDefinition extends EntitySettings {
  readonly name: string;
  /** A message is copied to the subscription when any filter matches; no filters = every message. */
  readonly filters?: readonly CorrelationFilter[];
}

export interface TopicDefinition extends DuplicateDetectionSettings {
  readonly name: string;
  readonly subscriptions: readonly SubscriptionDefinition[];
}

export interface Topology {
  readonly queues?: readonly QueueDefinition[];
  readonly topics?: readonly TopicDefinition[];
}

export const entityDefaults = Object.freeze({
  lockDurationMs: 60_000,
  maxDeliveryCount: 10,
  duplicateDetectionHistoryTimeWindowMs: 600_000,
});

/** What the gateway needs: requests go out on `requests`, backends answer on `replies`. */
export const defaultTopology: Topology = Object.freeze({
  queues: Object.freeze([]),
  topics: Object.freeze([
    Object.freeze({ name: 'requests', subscriptions: Object.freeze([Object.freeze({ name: 'backend' })]) }),
    Object.freeze({ name: 'replies', subscriptions: Object.freeze([Object.freeze({ name: 'gateway' })]) }),
  ]),
});

const settingsFields = ['lockDurationMs', 'maxDeliveryCount', 'defaultMessageTimeToLiveMs', 'deadLetteringOnMessageExpiration'] as const;

function readSettings(fields: Fields, field: string): EntitySettings {
  return {
    lockDurationMs: readOptionalInteger(fields.lockDurationMs, `${field}.lockDurationMs`, 1),
    maxDeliveryCount: readOptionalInteger(fields.maxDeliveryCount, `${field}.maxDeliveryCount`, 1),
    defaultMessageTimeToLiveMs: readOptionalInteger(fields.defaultMessageTimeToLiveMs, `${field}.defaultMessageTimeToLiveMs`, 1),
    deadLetteringOnMessageExpiration: readOptionalBoolean(
      fields.deadLetteringOnMessageExpiration,
      `${field}.deadLetteringOnMessageExpiration`,
    ),
  };
}

export function readQueueDefinition(value: unknown, field: string): QueueDefinition {
  const fields = readObject(value, field);
  rejectUnknownFields(fields, ['name', 'duplicateDetectionHistoryTimeWindowMs', ...settingsFields], field);
  return { name: readEntityName(fields.name, `${field}.name`), ...readSettings(fields, field), ...readDuplicateDetection(fields, field) };
}

export function readSubscriptionDefinition(value: unknown, field: string): SubscriptionDefinition {
  const fields = readObject(value, field);
  rejectUnknownFields(fields, ['name', 'filters', ...settingsFields], field);
  const filters = readArray(fields.filters, `${field}.filters`).map((filter, i) => readCorrelationFilter(filter, `${field}.filters[${i}]`));
  return { name: readEntityName(fields.name, `${field}.name`), ...readSettings(fields, field), filters };
}

export function readTopicDefinition(value: unknown, field: string): TopicDefinition {
  const fields = readObject(value, field);
  rejectUnknownFields(fields, ['name', 'subscriptions', 'duplicateDetectionHistoryTimeWindowMs'], field);
  const subscriptions = readArray(fields.subscriptions, `${field}.subscriptions`).map((sub, i) =>
    readSubscriptionDefinition(sub, `${field}.subscriptions[${i}]`),
  );
  rejectDuplicateNames(subscriptions, `${field}.subscriptions`);
  return { name: readEntityName(fields.name, `${field}.name`), subscriptions, ...readDuplicateDetection(fields, field) };
}

function readDuplicateDetection(fields: Fields, field: string): DuplicateDetectionSettings {
  const windowMs = readOptionalInteger(fields.duplicateDetectionHistoryTimeWindowMs, `${field}.duplicateDetectionHistoryTimeWindowMs`, 1);
  return windowMs === undefined ? {} : { duplicateDetectionHistoryTimeWindowMs: windowMs };
}

/** Checks a topology given in code as strictly as one read from a file. */
export function validateTopology(value: unknown, field = 'topology'): Topology {
  const fields = readObject(value, field);
  rejectUnknownFields(fields, ['queues', 'topics'], field);
  const queues = readArray(fields.queues, `${field}.queues`).map((q, i) => readQueueDefinition(q, `${field}.queues[${i}]`));
  const topics = readArray(fields.topics, `${field}.topics`).map((t, i) => readTopicDefinition(t, `${field}.topics[${i}]`));
  // Queues and topics share one namespace on the real service, compared without case.
  rejectDuplicateNames([...queues, ...topics], `${field}.queues/topics`);
  return { queues, topics };
}

function rejectDuplicateNames(entities: readonly { name: string }[], field: string): void {
  const seen = new Set<string>();
  for (const { name } of entities) {
    const key = name.toLowerCase();
    if (seen.has(key)) throw new TopologyConfigError(field, `the name '${name}' is used twice`);
    seen.add(key);
  }
}
