import type { AmqpMessage } from './amqp-message.js';
import { entityNotFound, notAllowed } from './amqp-errors.js';
import { TopologyConfigError } from './config-errors.js';
import { matchesCorrelationFilter, type CorrelationFilter } from './correlation-filter.js';
import { formatEntityPath, parseEntityAddress, type EntityAddress } from './entity-address.js';
import { MessageStore, type StoreSettings } from './message-store.js';
import {
  entityDefaults,
  readQueueDefinition,
  readSubscriptionDefinition,
  readTopicDefinition,
  type EntitySettings,
  type QueueDefinition,
  type SubscriptionDefinition,
  type TopicDefinition,
  type Topology,
} from './topology.js';

/** Where a sender's messages go: a queue, or a topic that copies them to its subscriptions. */
export interface SendTarget {
  readonly path: string;
  send(message: AmqpMessage): void;
}

interface Subscription {
  readonly filters: readonly CorrelationFilter[];
  readonly store: MessageStore;
}

interface Topic extends SendTarget {
  readonly subscriptions: Map<string, Subscription>;
}

/** The namespace's queues, topics and subscriptions, looked up without case like the service does. */
export class EntityRegistry {
  private readonly queues = new Map<string, SendTarget & { readonly store: MessageStore }>();
  private readonly topics = new Map<string, Topic>();

  constructor(topology: Topology) {
    for (const queue of topology.queues ?? []) this.addQueue(queue);
    for (const topic of topology.topics ?? []) this.addTopic(topic);
  }

  addQueue(definition: QueueDefinition): void {
    const { name, ...settings } = readQueueDefinition(definition, 'queue');
    this.assertNameFree(name);
    const store = createStore(name, settings);
    this.queues.set(name.toLowerCase(), { path: name, store, send: (message) => store.enqueue(message) });
  }

  addTopic(definition: TopicDefinition): void {
    const { name, subscriptions } = readTopicDefinition(definition, 'topic');
    this.assertNameFree(name);
    const topic: Topic = {
      path: name,
      subscriptions: new Map(),
      send(message) {
        for (const { filters, store } of this.subscriptions.values()) {
          if (filters.length === 0 || filters.some((filter) => matchesCorrelationFilter(filter, message))) {
            store.enqueue(message);
          }
        }
      },
    };
    this.topics.set(name.toLowerCase(), topic);
    for (const subscription of subscriptions) this.addSubscription(name, subscription);
  }

  addSubscription(topicName: string, definition: SubscriptionDefinition): void {
    const topic = this.topics.get(topicName.toLowerCase());
    if (!topic) throw new TopologyConfigError('topic', `no topic named '${topicName}'`);
    const { name, filters = [], ...settings } = readSubscriptionDefinition(definition, 'subscription');
    if (topic.subscriptions.has(name.toLowerCase())) {
      throw new TopologyConfigError('subscription.name', `'${topic.path}' already has a subscription '${name}'`);
    }
    const store = createStore(formatEntityPath({ entity: topic.path, subscription: name, deadLetter: false }), settings);
    topic.subscriptions.set(name.toLowerCase(), { filters, store });
  }

  /** Entity path for sending; throws the AMQP failure the link is refused with. */
  sendTarget(address: string): SendTarget {
    const parsed = parseEntityAddress(address);
    const target = parsed.subscription === undefined && !parsed.deadLetter ? this.queueOrTopic(parsed.entity) : undefined;
    if (target) return target;
    if (!this.findStore(parsed)) throw entityNotFound(address);
    throw notAllowed(`Cannot send to '${address}': messages are sent to a queue or a topic.`);
  }

  /** The store a receiver reads or a management request inspects. */
  store(address: string): MessageStore {
    const parsed = parseEntityAddress(address);
    const store = this.findStore(parsed);
    if (store) return store;
    if (parsed.subscription === undefined && this.topics.has(parsed.entity.toLowerCase())) {
      throw notAllowed(`Cannot receive from topic '${address}': receive from one of its subscriptions.`);
    }
    throw entityNotFound(address);
  }

  /** Whether a management link may attach: any queue, topic, subscription or dead-letter queue. */
  hasEntity(address: string): boolean {
    const parsed = parseEntityAddress(address);
    return Boolean(this.findStore(parsed) ?? (parsed.subscription === undefined ? this.queueOrTopic(parsed.entity) : undefined));
  }

  close(): void {
    for (const queue of this.queues.values()) queue.store.close();
    for (const topic of this.topics.values()) for (const sub of topic.subscriptions.values()) sub.store.close();
  }

  private queueOrTopic(name: string): SendTarget | undefined {
    return this.queues.get(name.toLowerCase()) ?? this.topics.get(name.toLowerCase());
  }

  private findStore(parsed: EntityAddress): MessageStore | undefined {
    const base =
      parsed.subscription === undefined
        ? this.queues.get(parsed.entity.toLowerCase())?.store
        : this.topics.get(parsed.entity.toLowerCase())?.subscriptions.get(parsed.subscription.toLowerCase())?.store;
    return parsed.deadLetter ? base?.deadLetterQueue : base;
  }

  private assertNameFree(name: string): void {
    if (this.queues.has(name.toLowerCase()) || this.topics.has(name.toLowerCase())) {
      throw new TopologyConfigError('name', `an entity named '${name}' already exists`);
    }
  }
}

function createStore(path: string, settings: EntitySettings): MessageStore {
  const resolved: StoreSettings = {
    lockDurationMs: settings.lockDurationMs ?? entityDefaults.lockDurationMs,
    maxDeliveryCount: settings.maxDeliveryCount ?? entityDefaults.maxDeliveryCount,
    defaultMessageTimeToLiveMs: settings.defaultMessageTimeToLiveMs,
    deadLetteringOnMessageExpiration: settings.deadLetteringOnMessageExpiration,
  };
  return new MessageStore(path, resolved, new MessageStore(`${path}/$DeadLetterQueue`, resolved));
}
