/**
 * The messages between the engine's thread and the view's worker thread (view-thread.ts ↔
 * view-worker.ts). Plain data only: each message is structured-cloned across the boundary, so the
 * engine posts no more than the writer needs, the latest snapshot and the events appended since,
 * and a commit's changes travel as one message.
 */
import type { StorageConnection } from '../../../connections/storage-connection.js';
import type { HistoryEvent } from '../history.js';
import type { InstanceSnapshot } from './view-rows.js';
import type { ViewLag } from './view-writer.js';

/** What the worker builds its own storage clients and writer from (`workerData`). */
export interface ViewWorkerData {
  connection: StorageConnection;
  hubName: string;
  instancesTable: string;
  historyTable: string;
  largeMessagesContainer: string;
  delayMs?: number;
  maxConcurrency?: number;
  busyShare?: number;
}

export type ViewChange =
  | { kind: 'update'; snapshot: InstanceSnapshot; appended: HistoryEvent[]; firstSequence: number }
  | { kind: 'remove'; instanceId: string };

export type ToViewWorker =
  | { kind: 'changes'; changes: ViewChange[] }
  | { kind: 'start' }
  /** Whether the engine's event loop is saturated: sent when it changes. */
  | { kind: 'load'; saturated: boolean }
  | { kind: 'flush'; id: number }
  | { kind: 'lag'; id: number }
  /** Flush, then answer `stopped`; the engine's side ends the thread then. */
  | { kind: 'stop' };

export type FromViewWorker =
  | { kind: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { kind: 'flushed'; id: number }
  | { kind: 'lag'; id: number; lag: ViewLag }
  | { kind: 'stopped' };
