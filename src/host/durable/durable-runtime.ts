/**
 * Assembles the Durable runtime of one task hub: the storage it shows itself in (tables, the
 * large-payload container), the data folder with its commit log and checkpoints, the recovered
 * hub state, the table view, and the engine over them; and stops them in order.
 */

import type { Invoker } from '../invoker.js';
import type { Registry } from '../registry.js';
import type { StorageClients } from '../storage/connection.js';
import { readCheckpointLines, writeCheckpoint } from './checkpoint.js';
import { CommitLog, deleteSegmentsBefore, readLog } from './commit-log.js';
import { claimDataFolder, defaultDataFolder } from './data-folder.js';
import { DurableEngine } from './engine.js';
import { acquireHub } from './hub-ownership.js';
import { HubState } from './hub-state.js';
import type { LogRecord } from './log-records.js';
import { ViewThread } from './view/view-thread.js';
import { snapshotOf } from './view-sink.js';

export interface DurableRuntimeOptions {
  storage: StorageClients;
  hubName: string;
  registry: Registry;
  invoker: Invoker;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** The app folder: the data folder defaults to `.durable/<hub>-<storage>` under it. */
  appDir: string;
  dataDir?: string;
  /** The task hub lease length (storage allows 15-60 s): how long a crashed owner's hub stays locked. */
  leaseMs?: number;
  /** Azure timing: client operations reach their instance this long after they are acknowledged. */
  clientDelayMs?: number;
}

export interface DurableRuntime {
  engine: DurableEngine;
  dataDir: string;
  logStats: CommitLog<LogRecord>['stats'];
  flushView(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

/**
 * Records between checkpoints, at least: bounds what a start-up replays (a few MB of log). A hub
 * with more instances than that checkpoints once per instance count of records instead, so the
 * cost of serialising the whole state stays a fixed share of the records committed.
 */
const CHECKPOINT_EVERY = 20_000;
/** Test hook read only here: a pause between a durable log write and its acknowledgement. */
const COMMIT_DELAY_ENV = 'DURABLE_HOST_TEST_COMMIT_DELAY_MS';

/** Names of the task hub's storage, as the Azure Storage provider names them. */
export function hubResources(hubName: string) {
  const lower = hubName.toLowerCase();
  return {
    instancesTable: `${hubName}Instances`,
    historyTable: `${hubName}History`,
    controlQueue: `${lower}-control-00`,
    workItemQueue: `${lower}-workitems`,
    largeMessages: `${lower}-largemessages`,
    leases: `${lower}-leases`,
  };
}

export async function createDurableRuntime(o: DurableRuntimeOptions): Promise<DurableRuntime> {
  if (!/^[A-Za-z][A-Za-z0-9]{2,44}$/.test(o.hubName)) {
    throw new Error(
      `Task hub name "${o.hubName}" (host.json extensions.durableTask.hubName) must be 3-45 letters and digits, starting with a letter.`,
    );
  }
  const names = hubResources(o.hubName);
  const container = o.storage.blobs.getContainerClient(names.largeMessages);
  const leases = o.storage.blobs.getContainerClient(names.leases);
  await Promise.all([
    o.storage.tables.createTable(names.instancesTable),
    o.storage.tables.createTable(names.historyTable),
    // The queues the Azure Storage provider has; nothing writes them here (see docs/local-host.md).
    o.storage.queues.getQueueClient(names.controlQueue).createIfNotExists(),
    o.storage.queues.getQueueClient(names.workItemQueue).createIfNotExists(),
    container.createIfNotExists(),
    leases.createIfNotExists(),
  ]);
  // Nothing of the data folder is read before the hub is ours: a second host waits here, serving nothing.
  const { lease } = await acquireHub({
    blobs: o.storage.blobs,
    hubName: o.hubName,
    leasesContainer: names.leases,
    leaseMs: o.leaseMs,
    log: o.log,
  });
  const dataDir = o.dataDir ?? defaultDataFolder(o.appDir, o.hubName, o.storage.blobs.url);
  await claimDataFolder(dataDir, leases, o.log);

  // On a worker thread of its own: the view's writes cost the engine's thread only a posted message.
  const view = new ViewThread({
    connection: o.storage.connection,
    instancesTable: names.instancesTable,
    historyTable: names.historyTable,
    hubName: o.hubName,
    largeMessagesContainer: names.largeMessages,
    log: o.log,
  });
  const state = new HubState();
  const started = Date.now();
  const checkpointLsn = readCheckpointLines(dataDir, (line) => state.restore(line));
  const { records, nextLsn } = readLog<LogRecord>(dataDir, checkpointLsn);
  const touched = new Set<string>();
  for (const r of records) for (const a of state.apply(r)) touched.add(a.instanceId);
  o.log(
    'info',
    `Task hub ${o.hubName}: ${state.instances.size} instances recovered from ${dataDir} (checkpoint + ${records.length} log records) in ${Date.now() - started} ms.`,
  );
  // The view may have missed what the log tail holds (a crash before it caught up): write those instances whole.
  for (const id of touched) {
    const entry = state.get(id);
    if (entry) view.update(snapshotOf(entry.record), entry.history, 0);
    else view.remove(id);
  }

  let lastCheckpoint = checkpointLsn;
  let checkpointing: Promise<void> | undefined;
  const checkpoint = (lsn: number): void => {
    lastCheckpoint = lsn;
    // Serialised now, at the segment boundary: the state holds exactly the records before `lsn`.
    const lines = state.snapshot();
    checkpointing = writeCheckpoint(dataDir, lsn, lines)
      .then(() => void deleteSegmentsBefore(dataDir, lsn))
      .catch((err: unknown) => o.log('warn', `Checkpoint at ${lsn} failed (the log still holds everything): ${String(err)}`))
      .finally(() => (checkpointing = undefined));
  };
  const delay = Number(process.env[COMMIT_DELAY_ENV] ?? 0);
  const log: CommitLog<LogRecord> = new CommitLog<LogRecord>({
    dir: dataDir,
    nextLsn,
    commitDelayMs: Number.isFinite(delay) && delay > 0 ? delay : undefined,
    onCommitted: (committed) => {
      for (const r of committed) {
        for (const a of state.apply(r)) {
          if (a.entry) view.update(snapshotOf(a.entry.record), a.appended, a.firstSequence);
          else view.remove(a.instanceId);
        }
      }
      if (!checkpointing && log.nextLsn - lastCheckpoint >= Math.max(CHECKPOINT_EVERY, state.instances.size)) log.requestRotation();
    },
    onRotated: (lsn) => {
      if (!checkpointing) checkpoint(lsn);
    },
  });
  // The segments a checkpoint covers (from the last run) can go now that the new segment exists.
  if (checkpointLsn > 0) deleteSegmentsBefore(dataDir, checkpointLsn);

  const engine = new DurableEngine({
    registry: o.registry,
    invoker: o.invoker,
    state,
    log,
    logger: o.log,
    clientDelayMs: o.clientDelayMs,
  });
  void lease.lost.then(() => {
    // Another host may own the hub now: this one must not commit another change.
    log.fence(new Error(`Task hub ${o.hubName}: this host lost its lease; it no longer owns the hub.`));
    void engine.stop();
  });
  return {
    engine,
    dataDir,
    logStats: log.stats,
    flushView: () => view.flush(),
    start: () => {
      view.start();
      engine.start();
    },
    stop: async () => {
      await engine.stop();
      await log.close();
      await checkpointing;
      // A checkpoint at the end makes the next start read one file instead of replaying the log.
      if (log.nextLsn > lastCheckpoint) checkpoint(log.nextLsn);
      await checkpointing;
      // The view catches up before the lease goes (bounded: a storage that no longer answers must not hold the stop).
      await view.stop();
      await lease.release();
    },
  };
}
