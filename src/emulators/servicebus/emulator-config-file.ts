// Reads the official emulator's Config.json (UserConfig.Namespaces[0].Queues / Topics). Every
// field of its schema is known; a setting this emulator cannot honour is refused by name instead
// of being ignored, so a config that works here behaves the same against the official emulator.
import { readFile } from 'node:fs/promises';
import {
  type Fields,
  readArray,
  readEntityName,
  readObject,
  readOptionalBoolean,
  readOptionalInteger,
  readOptionalString,
  rejectUnknownFields,
  TopologyConfigError,
} from './config-errors.js';
import { readConfigRule } from './config-rules.js';
import { parseOptionalIsoDuration } from './iso-duration.js';
import {
  type DuplicateDetectionSettings,
  type EntitySettings,
  entityDefaults,
  type QueueDefinition,
  type SubscriptionDefinition,
  type TopicDefinition,
  type Topology,
} from './topology.js';

const queueFields = [
  'DeadLetteringOnMessageExpiration',
  'DefaultMessageTimeToLive',
  'DuplicateDetectionHistoryTimeWindow',
  'ForwardDeadLetteredMessagesTo',
  'ForwardTo',
  'LockDuration',
  'MaxDeliveryCount',
  'RequiresDuplicateDetection',
  'RequiresSession',
] as const;
const topicFields = ['DefaultMessageTimeToLive', 'DuplicateDetectionHistoryTimeWindow', 'RequiresDuplicateDetection'] as const;
const subscriptionFields = [
  'DeadLetteringOnMessageExpiration',
  'DefaultMessageTimeToLive',
  'LockDuration',
  'MaxDeliveryCount',
  'ForwardDeadLetteredMessagesTo',
  'ForwardTo',
  'RequiresSession',
] as const;

export async function loadEmulatorConfigFile(path: string): Promise<Topology> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new TopologyConfigError(path, `cannot read the config file: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseEmulatorConfig(json);
}

export function parseEmulatorConfig(json: unknown): Topology {
  const root = readObject(json, 'Config.json');
  rejectUnknownFields(root, ['UserConfig'], 'Config.json');
  const userConfig = readObject(root.UserConfig, 'UserConfig');
  rejectUnknownFields(userConfig, ['Namespaces', 'Logging'], 'UserConfig');
  if (userConfig.Logging !== undefined) {
    rejectUnknownFields(readObject(userConfig.Logging, 'UserConfig.Logging'), ['Type'], 'UserConfig.Logging');
  }
  const namespaces = readArray(userConfig.Namespaces, 'UserConfig.Namespaces');
  if (namespaces.length !== 1) {
    throw new TopologyConfigError('UserConfig.Namespaces', `expected exactly one namespace, got ${namespaces.length}`);
  }
  const field = 'UserConfig.Namespaces[0]';
  const namespace = readObject(namespaces[0], field);
  rejectUnknownFields(namespace, ['Name', 'Queues', 'Topics'], field);
  readOptionalString(namespace.Name, `${field}.Name`);
  return {
    queues: readArray(namespace.Queues, `${field}.Queues`).map((queue, i) => readQueue(queue, `${field}.Queues[${i}]`)),
    topics: readArray(namespace.Topics, `${field}.Topics`).map((topic, i) => readTopic(topic, `${field}.Topics[${i}]`)),
  };
}

function readQueue(value: unknown, field: string): QueueDefinition {
  const queue = readObject(value, field);
  rejectUnknownFields(queue, ['Name', 'Properties'], field);
  const properties = queue.Properties === undefined ? {} : readObject(queue.Properties, `${field}.Properties`);
  return {
    name: readEntityName(queue.Name, `${field}.Name`),
    ...readStoreProperties(queue.Properties, `${field}.Properties`, queueFields),
    ...readDuplicateDetection(properties, `${field}.Properties`),
  };
}

function readTopic(value: unknown, field: string): TopicDefinition {
  const topic = readObject(value, field);
  rejectUnknownFields(topic, ['Name', 'Properties', 'Subscriptions'], field);
  const properties = readProperties(topic.Properties, `${field}.Properties`, topicFields);
  // A topic's time to live caps its subscriptions' own.
  const topicTtl = parseOptionalIsoDuration(properties.DefaultMessageTimeToLive, `${field}.Properties.DefaultMessageTimeToLive`);
  const subscriptions = readArray(topic.Subscriptions, `${field}.Subscriptions`).map((sub, i) =>
    readSubscription(sub, `${field}.Subscriptions[${i}]`, topicTtl),
  );
  return { name: readEntityName(topic.Name, `${field}.Name`), subscriptions, ...readDuplicateDetection(properties, `${field}.Properties`) };
}

/** As on the service: off unless required; the window defaults to ten minutes. */
function readDuplicateDetection(properties: Fields, field: string): DuplicateDetectionSettings {
  const window = parseOptionalIsoDuration(properties.DuplicateDetectionHistoryTimeWindow, `${field}.DuplicateDetectionHistoryTimeWindow`);
  if (!readOptionalBoolean(properties.RequiresDuplicateDetection, `${field}.RequiresDuplicateDetection`)) return {};
  return { duplicateDetectionHistoryTimeWindowMs: window ?? entityDefaults.duplicateDetectionHistoryTimeWindowMs };
}

function readSubscription(value: unknown, field: string, topicTtl: number | undefined): SubscriptionDefinition {
  const subscription = readObject(value, field);
  rejectUnknownFields(subscription, ['Name', 'Properties', 'Rules'], field);
  const settings = readStoreProperties(subscription.Properties, `${field}.Properties`, subscriptionFields);
  const ownTtl = settings.defaultMessageTimeToLiveMs;
  const ttl = ownTtl === undefined || topicTtl === undefined ? (ownTtl ?? topicTtl) : Math.min(ownTtl, topicTtl);
  const filters = readArray(subscription.Rules, `${field}.Rules`).map((rule, i) => readConfigRule(rule, `${field}.Rules[${i}]`));
  return { name: readEntityName(subscription.Name, `${field}.Name`), ...settings, defaultMessageTimeToLiveMs: ttl, filters };
}

function readProperties(value: unknown, field: string, known: readonly string[]): Fields {
  if (value === undefined) return {};
  const properties = readObject(value, field);
  rejectUnknownFields(properties, known, field);
  rejectUnsupported(properties, field);
  return properties;
}

function readStoreProperties(value: unknown, field: string, known: readonly string[]): EntitySettings {
  const properties = readProperties(value, field, known);
  return {
    lockDurationMs: parseOptionalIsoDuration(properties.LockDuration, `${field}.LockDuration`),
    maxDeliveryCount: readOptionalInteger(properties.MaxDeliveryCount, `${field}.MaxDeliveryCount`, 1),
    defaultMessageTimeToLiveMs: parseOptionalIsoDuration(properties.DefaultMessageTimeToLive, `${field}.DefaultMessageTimeToLive`),
    deadLetteringOnMessageExpiration: readOptionalBoolean(
      properties.DeadLetteringOnMessageExpiration,
      `${field}.DeadLetteringOnMessageExpiration`,
    ),
  };
}

function rejectUnsupported(properties: Fields, field: string): void {
  if (readOptionalBoolean(properties.RequiresSession, `${field}.RequiresSession`)) {
    throw new TopologyConfigError(`${field}.RequiresSession`, 'true is not supported by the local emulator (use false or leave it out)');
  }
  for (const forward of ['ForwardTo', 'ForwardDeadLetteredMessagesTo']) {
    if (readOptionalString(properties[forward], `${field}.${forward}`)) {
      throw new TopologyConfigError(
        `${field}.${forward}`,
        'auto-forwarding is not supported by the local emulator (use "" or leave it out)',
      );
    }
  }
}
