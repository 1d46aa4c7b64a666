// The contract between the host and each non-HTTP trigger source.

import type { Invoker } from '../invoker.js';
import type { RegisteredFunction } from '../registry.js';
import type { StorageClients } from '../storage/connection.js';
import type { InvocationSlots } from './blob/invocation-slots.js';

/** A source of invocations for one non-HTTP function (blob container watcher, Service Bus receiver). */
export interface TriggerListener {
  start(): Promise<void>;
  /** Stops taking new work and waits for invocations in flight. */
  stop(): Promise<void>;
  /** `POST /admin/functions/{name}`: runs the function once with the admin body's `input`. */
  invokeFromAdmin?(input: string): Promise<void>;
}

export interface TriggerContext {
  fn: RegisteredFunction;
  invoker: Invoker;
  /** Storage clients for a connection setting name (`connection` binding option; default AzureWebJobsStorage). */
  storage(connectionSetting: string | undefined): StorageClients;
  /** The host's own storage, for its receipts and poison records. */
  hostStorage: StorageClients;
  /** The app's folder: its packages, for bindings that need them (Service Bus `sdkBinding`). */
  appDir: string;
  /** Identifies this app's host in storage (receipts), stable across restarts. */
  hostId: string;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  /** Poll interval for sources that are polled (blob containers). */
  pollIntervalMs: number;
  /** Blobs one scan of a container lists (default: the service's largest page). */
  scanPageSize?: number;
  /** host.json `extensions.serviceBus` settings the Service Bus listener applies. */
  serviceBus?: { maxConcurrentCalls?: number; maxAutoLockRenewalMs?: number };
  /** host.json `extensions.blobs`: the slots every blob function shares, and attempts on one blob version before poison. */
  blobs: { slots: InvocationSlots; poisonThreshold: number };
}

export type TriggerFactory = (ctx: TriggerContext) => TriggerListener;
