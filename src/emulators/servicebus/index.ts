// The local Service Bus endpoint's entry point: options, start, stop, the connection string.
import { listenForAmqp } from './amqp-listener.js';
import { loadEmulatorConfigFile, parseEmulatorConfig } from './emulator-config-file.js';
import { EntityRegistry } from './entity-registry.js';
import { type Journal, memoryJournal, openFileJournal } from './journal.js';
import { maxMessageSizeInBytes } from './link-router.js';
import {
  defaultTopology,
  type QueueDefinition,
  type SubscriptionDefinition,
  type TopicDefinition,
  type Topology,
  validateTopology,
} from './topology.js';

export { TopologyConfigError } from './config-errors.js';
export type { CorrelationFilter } from './correlation-filter.js';
export { loadEmulatorConfigFile, parseEmulatorConfig } from './emulator-config-file.js';
export { maxMessageSizeInBytes } from './link-router.js';
export type { EntitySettings, QueueDefinition, SubscriptionDefinition, TopicDefinition, Topology } from './topology.js';
export { defaultTopology, entityDefaults, validateTopology } from './topology.js';

export interface ServiceBusEmulatorOptions {
  /** 5672 (the AMQP port the SDK assumes for the development emulator) unless given; 0 = any free port. */
  readonly port?: number;
  /** 127.0.0.1 unless given. */
  readonly host?: string;
  /** Entities in code, or the path of an official-emulator Config.json; `defaultTopology` unless given. */
  readonly topology?: Topology | string;
  /**
   * Folder for the journal that keeps messages, delivery counts, dead-letter queues, scheduled
   * messages and duplicate-detection history across restarts. Absent: memory only.
   */
  readonly dataDir?: string;
  /** Largest message (or batch) a sender may send; 256 KB (Standard tier) unless given. */
  readonly maxMessageSizeInBytes?: number;
  readonly log?: (line: string) => void;
}

export interface ServiceBusEmulator {
  readonly host: string;
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** For `new ServiceBusClient(connectionString)`; the official emulator's string, with the port when not 5672. */
  readonly connectionString: string;
  addQueue(queue: QueueDefinition): void;
  addTopic(topic: TopicDefinition): void;
  addSubscription(topicName: string, subscription: SubscriptionDefinition): void;
  /** Closes every client connection and the listener; without `dataDir` the messages are dropped. */
  stop(): Promise<void>;
}

export const defaultEmulatorPort = 5672;

export async function startServiceBusEmulator(options: ServiceBusEmulatorOptions = {}): Promise<ServiceBusEmulator> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? (() => undefined);
  const topology = await resolveTopology(options.topology ?? defaultTopology);
  const maxBytes = options.maxMessageSizeInBytes ?? maxMessageSizeInBytes;
  if (!(Number.isInteger(maxBytes) && maxBytes > 0))
    throw new RangeError(`maxMessageSizeInBytes: expected a positive integer, got ${maxBytes}`);
  let registry: EntityRegistry | undefined;
  let journal: Journal = memoryJournal;
  if (options.dataDir !== undefined) {
    const opened = openFileJournal(options.dataDir, () => registry?.rows() ?? [], log);
    journal = opened.journal;
    registry = new EntityRegistry(topology, journal);
    try {
      registry.restore(opened.rows);
    } catch (error) {
      registry.close();
      await journal.close();
      throw error;
    }
    log(`Service Bus emulator: ${opened.rows.size} journal rows loaded from ${options.dataDir}`);
  } else {
    registry = new EntityRegistry(topology);
  }
  const loaded = registry;
  const listener = await listenForAmqp({
    host,
    port: options.port ?? defaultEmulatorPort,
    registry: loaded,
    journal,
    maxMessageSizeInBytes: maxBytes,
    log,
  });
  log(`Service Bus emulator listening on ${host}:${listener.port}`);
  let stopped: Promise<void> | undefined;
  return {
    host,
    port: listener.port,
    connectionString: emulatorConnectionString(host, listener.port),
    addQueue: (queue) => loaded.addQueue(queue),
    addTopic: (topic) => loaded.addTopic(topic),
    addSubscription: (topicName, subscription) => loaded.addSubscription(topicName, subscription),
    stop() {
      stopped ??= listener.close().finally(async () => {
        loaded.close();
        await journal.close();
      });
      return stopped;
    },
  };
}

/** The official emulator's documented connection string, pointed at this host and port. */
export function emulatorConnectionString(host: string, port: number): string {
  const clientHost = ['127.0.0.1', '0.0.0.0', '::', '::1', 'localhost'].includes(host) ? 'localhost' : host;
  const endpoint = port === defaultEmulatorPort ? clientHost : `${clientHost === 'localhost' ? '127.0.0.1' : clientHost}:${port}`;
  return `Endpoint=sb://${endpoint};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;`;
}

async function resolveTopology(topology: Topology | string): Promise<Topology> {
  if (typeof topology === 'string') return loadEmulatorConfigFile(topology);
  // A Config.json already parsed by the caller is accepted as it is.
  if (typeof topology === 'object' && topology !== null && 'UserConfig' in topology) return parseEmulatorConfig(topology);
  return validateTopology(topology);
}
