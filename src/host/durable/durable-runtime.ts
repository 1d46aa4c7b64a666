import type { StorageClients } from '../storage/connection.js';
import type { Invoker } from '../invoker.js';
import type { Registry } from '../registry.js';
import { DurableEngine } from './engine.js';
import { InstanceStore } from './instance-store.js';
import type { ControlMessage, WorkItem } from './messages.js';
import { PayloadStore } from './payloads.js';
import { WorkQueue } from './work-queue.js';

export interface DurableRuntimeOptions {
  storage: StorageClients;
  hubName: string;
  registry: Registry;
  invoker: Invoker;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  leaseMs?: number;
  pollMaxMs?: number;
}

/** Names of the task hub's storage, as the Azure Storage provider names them. */
export function hubResources(hubName: string) {
  const lower = hubName.toLowerCase();
  return {
    instancesTable: `${hubName}Instances`,
    historyTable: `${hubName}History`,
    controlQueue: `${lower}-control-00`,
    workItemQueue: `${lower}-workitems`,
    largeMessages: `${lower}-largemessages`,
  };
}

/** Creates the task hub's tables, queues and container if needed, and the engine over them. */
export async function createDurableRuntime(o: DurableRuntimeOptions): Promise<DurableEngine> {
  if (!/^[A-Za-z][A-Za-z0-9]{2,44}$/.test(o.hubName)) {
    throw new Error(`Task hub name "${o.hubName}" (host.json extensions.durableTask.hubName) must be 3-45 letters and digits, starting with a letter.`);
  }
  const names = hubResources(o.hubName);
  const container = o.storage.blobs.getContainerClient(names.largeMessages);
  const control = o.storage.queues.getQueueClient(names.controlQueue);
  const work = o.storage.queues.getQueueClient(names.workItemQueue);
  await Promise.all([
    o.storage.tables.createTable(names.instancesTable),
    o.storage.tables.createTable(names.historyTable),
    control.createIfNotExists(),
    work.createIfNotExists(),
    container.createIfNotExists(),
  ]);
  const payloads = new PayloadStore(container);
  const store = new InstanceStore(o.storage.table(names.instancesTable), o.storage.table(names.historyTable), payloads);
  return new DurableEngine({
    registry: o.registry,
    invoker: o.invoker,
    store,
    control: new WorkQueue<ControlMessage>(control, payloads),
    work: new WorkQueue<WorkItem>(work, payloads),
    log: o.log,
    leaseMs: o.leaseMs,
    pollMaxMs: o.pollMaxMs,
  });
}
