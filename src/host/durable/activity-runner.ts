/**
 * Runs activities in-process, a bounded number at a time. The result goes back to the engine,
 * which commits it as a TaskCompleted/TaskFailed message; the work item stays outstanding in the
 * hub state until that commit, so a crash in between runs the activity again (at-least-once, as
 * in Durable Functions).
 */
import type { Invoker } from '../invoker.js';
import type { Registry } from '../registry.js';
import { EventType, event, type HistoryEvent } from './history.js';
import { workKey } from './log-records.js';
import type { WorkItem } from './messages.js';

type Deliver = (item: WorkItem, result: HistoryEvent) => Promise<void>;

export class ActivityRunner {
  private readonly queue: WorkItem[] = [];
  /** Queued or running, by work key: an item handed in twice (recovery, say) runs once. */
  private readonly known = new Set<string>();
  private running = 0;
  private idleWaiters: (() => void)[] = [];
  private stopping = false;

  constructor(
    private readonly registry: Registry,
    private readonly invoker: Invoker,
    private readonly concurrency: number,
    private readonly deliver: Deliver,
  ) {}

  enqueue(item: WorkItem): void {
    const key = workKey(item);
    // Not started during a stop: the item is still outstanding in the log, the next start runs it.
    if (this.stopping || this.known.has(key)) return;
    this.known.add(key);
    this.queue.push(item);
    this.pump();
  }

  /** No new activities start; resolves when the running ones have delivered their results. */
  async drain(): Promise<void> {
    this.stopping = true;
    this.queue.length = 0;
    if (this.running === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  get inFlight(): number {
    return this.running + this.queue.length;
  }

  private pump(): void {
    while (this.running < this.concurrency && this.queue.length > 0) {
      const item = this.queue.shift() as WorkItem;
      this.running++;
      void this.run(item).finally(() => {
        this.known.delete(workKey(item));
        this.running--;
        if (this.running === 0) this.idleWaiters.splice(0).forEach((w) => w());
        this.pump();
      });
    }
  }

  private async run(item: WorkItem): Promise<void> {
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
    await this.deliver(item, result);
  }
}

function failed(item: WorkItem, reason: string, details: string): HistoryEvent {
  return event(EventType.TaskFailed, { TaskScheduledId: item.taskId, Reason: reason, Details: details });
}
