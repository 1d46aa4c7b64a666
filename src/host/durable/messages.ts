import type { HistoryEvent } from './history.js';
import type { Receipt, WorkQueue } from './work-queue.js';

/** A control-queue message: one history event for an instance (the Azure Storage provider's TaskMessage). */
export interface ControlMessage {
  instanceId: string;
  /** Set for replies to something this execution scheduled; events from clients go to whatever execution is current. */
  executionId?: string;
  event: HistoryEvent;
}

/** A work-item-queue message: one activity to run. */
export interface WorkItem {
  instanceId: string;
  executionId: string;
  taskId: number;
  name: string;
  input: unknown;
}

/** Anything settled together with a held message. */
export interface Settleable {
  ack(): Promise<void>;
  abandon(): void;
  release(): Promise<void>;
}

/**
 * A message the engine holds in memory until its effect is committed. The receipt may be
 * replaced while it waits (the poller re-leases a message that outlived its lease).
 */
export class Held<T> implements Settleable {
  /** How it was settled, once it is: its effect committed, forgotten (to be redelivered), or handed back. */
  settled: 'acked' | 'abandoned' | 'released' | undefined;

  constructor(
    readonly body: T,
    private readonly queue: WorkQueue<T> | undefined,
    public receipt: Receipt | undefined,
    private readonly onSettled: (held: Held<T>) => void = () => undefined,
    /** Settled together with this one: an activity's result and the work item it answers. */
    private readonly linked?: Settleable,
  ) {}

  /** Has a queue copy (or answers one): it survives a crash, so it may wait in memory. */
  get isDurable(): boolean {
    return (!!this.queue && !!this.receipt) || !!this.linked;
  }

  /** The effect is durable: the queue copy can go. */
  async ack(): Promise<void> {
    if (this.settled) return;
    this.settled = 'acked';
    this.onSettled(this);
    if (this.queue && this.receipt) await this.queue.delete(this.receipt);
    await this.linked?.ack();
  }

  /** Forget it in memory only: the queue copy reappears after its lease and is delivered again. */
  abandon(): void {
    if (this.settled) return;
    this.settled = 'abandoned';
    this.onSettled(this);
    this.linked?.abandon();
  }

  /** Not handled here after all: let the next poll (or the next host) take it without waiting for the lease. */
  async release(): Promise<void> {
    if (this.settled) return;
    this.settled = 'released';
    this.onSettled(this);
    if (this.queue && this.receipt) await this.queue.release(this.receipt);
    await this.linked?.release();
  }
}
