import type { Invoker } from '../invoker.js';
import type { Registry } from '../registry.js';
import { event, EventType, type HistoryEvent } from './history.js';
import type { Held, WorkItem } from './messages.js';

type Deliver = (item: WorkItem, result: HistoryEvent, held: Held<WorkItem>) => void;

/**
 * Runs activities in-process, a bounded number at a time. The result goes to the instance as a
 * TaskCompleted/TaskFailed event; the work item is deleted only when that event is committed, so a
 * crash in between runs the activity again (at-least-once, as in Durable Functions).
 */
export class ActivityRunner {
  private readonly queue: Held<WorkItem>[] = [];
  private running = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly registry: Registry,
    private readonly invoker: Invoker,
    private readonly concurrency: number,
    private readonly deliver: Deliver,
  ) {}

  enqueue(held: Held<WorkItem>, stopping: boolean): void {
    if (stopping) {
      void held.release();
      return;
    }
    this.queue.push(held);
    this.pump();
  }

  /** Waits for running activities; queued ones are not started. */
  async drain(): Promise<void> {
    if (this.running === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  takeQueued(): Held<WorkItem>[] {
    return this.queue.splice(0);
  }

  private pump(): void {
    while (this.running < this.concurrency && this.queue.length > 0) {
      const held = this.queue.shift() as Held<WorkItem>;
      this.running++;
      void this.run(held).finally(() => {
        this.running--;
        if (this.running === 0) this.idleWaiters.splice(0).forEach((w) => w());
        this.pump();
      });
    }
  }

  private async run(held: Held<WorkItem>): Promise<void> {
    const item = held.body;
    const fn = this.registry.find(item.name);
    let result: HistoryEvent;
    if (!fn || fn.trigger.type !== 'activityTrigger') {
      result = failed(item, `The activity function '${item.name}' does not exist.`, '');
    } else {
      try {
        const output = await this.invoker.invoke(fn, item.input, { triggerMetadata: { instanceId: item.instanceId } });
        result = event(EventType.TaskCompleted, { TaskScheduledId: item.taskId, Result: JSON.stringify(output ?? null) });
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        result = failed(item, e.message, e.stack ?? '');
      }
    }
    this.deliver(item, result, held);
  }
}

function failed(item: WorkItem, reason: string, details: string): HistoryEvent {
  return event(EventType.TaskFailed, { TaskScheduledId: item.taskId, Reason: reason, Details: details });
}
