// The namespace: queues, topics and subscriptions by name, their stores and send targets, and the
// journal rows they load from and snapshot to.
import { entityNotFound, notAllowed } from './amqp-errors.js';
import { TopologyConfigError } from './config-errors.js';
import { type CorrelationFilter, matchesCorrelationFilter } from './correlation-filter.js';
import { type EntityAddress, formatEntityPath, parseEntityAddress } from './entity-address.js';
import { type Journal, memoryJournal, type Row } from './journal.js';
import { parseRowKey } from './journal-rows.js';
import { MessageStore, type StoreSettings } from './message-store.js';
import { SendTarget } from './send-target.js';
import {
  type EntitySettings,
  entityDefaults,
  type QueueDefinition,
  readQueueDefinition,
  readSubscriptionDefinition,
  readTopicDefinition,
  type SubscriptionDefinition,
  type TopicDefinition,
  type Topology,
} from './topology.js';

export { SendTarget } from './send-target.js';

interface Subscription {
  readonly filters: readonly CorrelationFilter[];
  readonly store: MessageStore;
}

interface Queue {
  readonly target: SendTarget;
  readonly store: MessageStore;
}

interface Topic {
  readonly target: SendTarget;
  readonly subscriptions: Map<string, Subscription>;
}

/** The namespace's queues, topics and subscriptions, looked up without case like the service does. */
export class EntityRegistry {
  private readonly queues = new Map<string, Queue>();
  private readonly topics = new Map<string, Topic>();
  /** Every store (dead-letter queues too) by lower-cased path: where journal rows belong. */
  private readonly stores = new Map<string, MessageStore>();

  constructor(
    topology: Topology,
    private readonly journal: Journal = memoryJournal,
  ) {
    for (const queue of topology.queues ?? []) this.addQueue(queue);
    for (const topic of topology.topics ?? []) this.addTopic(topic);
  }

  addQueue(definition: QueueDefinition): void {
    const { name, duplicateDetectionHistoryTimeWindowMs, ...settings } = readQueueDefinition(definition, 'queue');
    this.assertNameFree(name);
    const store = this.createStore(name, settings);
    const target = new SendTarget({
      path: name,
      journal: this.journal,
      duplicateDetectionWindowMs: duplicateDetectionHistoryTimeWindowMs,
      nextSequenceNumber: () => store.nextSequenceNumber(),
      enqueue: (message, encoded, sequenceNumber) => store.enqueue(message, encoded, sequenceNumber),
    });
    this.queues.set(name.toLowerCase(), { store, target });
  }

  addTopic(definition: TopicDefinition): void {
    const { name, subscriptions, duplicateDetectionHistoryTimeWindowMs } = readTopicDefinition(definition, 'topic');
    this.assertNameFree(name);
    const subscriptionsByName = new Map<string, Subscription>();
    const target = new SendTarget({
      path: name,
      journal: this.journal,
      duplicateDetectionWindowMs: duplicateDetectionHistoryTimeWindowMs,
      enqueue: (message, encoded) => {
        for (const { filters, store } of subscriptionsByName.values()) {
          if (filters.length === 0 || filters.some((filter) => matchesCorrelationFilter(filter, message))) {
            store.enqueue(message, encoded);
          }
        }
      },
    });
    this.topics.set(name.toLowerCase(), { target, subscriptions: subscriptionsByName });
    for (const subscription of subscriptions) this.addSubscription(name, subscription);
  }

  addSubscription(topicName: string, definition: SubscriptionDefinition): void {
    const topic = this.topics.get(topicName.toLowerCase());
    if (!topic) throw new TopologyConfigError('topic', `no topic named '${topicName}'`);
    const { name, filters = [], ...settings } = readSubscriptionDefinition(definition, 'subscription');
    if (topic.subscriptions.has(name.toLowerCase())) {
      throw new TopologyConfigError('subscription.name', `'${topic.target.path}' already has a subscription '${name}'`);
    }
    const store = this.createStore(formatEntityPath({ entity: topic.target.path, subscription: name, deadLetter: false }), settings);
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

  /**
   * Loads what a restarted endpoint's journal held. Rows of an entity the topology no longer has
   * are refused: dropping them would lose messages that were acknowledged to their senders.
   */
  restore(rows: ReadonlyMap<string, Row>): void {
    const orphans = new Set<string>();
    for (const [key, row] of rows) {
      const { kind, owner, id } = parseRowKey(key);
      const store = this.stores.get(owner);
      const target = this.queueOrTopic(owner);
      if (kind === 'message' && store) store.restore(Number(id), row);
      else if (kind === 'counter' && store) store.restoreCounter(Number(row.n));
      else if (kind !== 'message' && target) {
        target.restore(kind, id, row);
        // A queue's scheduled messages hold numbers from its store's sequence.
        if (kind === 'scheduled') this.stores.get(owner)?.restoreCounter(Number(id));
      } else orphans.add(owner);
    }
    if (orphans.size > 0) {
      throw new TopologyConfigError(
        'data folder',
        `it holds messages for ${[...orphans].map((path) => `'${path}'`).join(', ')}, which the topology no longer has; add the entities back, or remove the data folder to drop those messages`,
      );
    }
  }

  /** Every live row, for compacting the journal. */
  *rows(): Generator<[string, Row]> {
    for (const { store, target } of this.queues.values()) {
      yield* store.rows();
      yield* target.rows();
    }
    for (const { target, subscriptions } of this.topics.values()) {
      yield* target.rows();
      for (const { store } of subscriptions.values()) yield* store.rows();
    }
  }

  close(): void {
    for (const queue of this.queues.values()) {
      queue.store.close();
      queue.target.close();
    }
    for (const topic of this.topics.values()) {
      topic.target.close();
      for (const sub of topic.subscriptions.values()) sub.store.close();
    }
  }

  private queueOrTopic(name: string): SendTarget | undefined {
    return (this.queues.get(name.toLowerCase()) ?? this.topics.get(name.toLowerCase()))?.target;
  }

  private createStore(path: string, settings: EntitySettings): MessageStore {
    const resolved: StoreSettings = {
      lockDurationMs: settings.lockDurationMs ?? entityDefaults.lockDurationMs,
      maxDeliveryCount: settings.maxDeliveryCount ?? entityDefaults.maxDeliveryCount,
      defaultMessageTimeToLiveMs: settings.defaultMessageTimeToLiveMs,
      deadLetteringOnMessageExpiration: settings.deadLetteringOnMessageExpiration,
    };
    const deadLetterQueue = new MessageStore(`${path}/$DeadLetterQueue`, resolved, this.journal);
    const store = new MessageStore(path, resolved, this.journal, deadLetterQueue);
    this.stores.set(store.path.toLowerCase(), store);
    this.stores.set(deadLetterQueue.path.toLowerCase(), deadLetterQueue);
    return store;
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
