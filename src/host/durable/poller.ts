import type { Received, WorkQueue } from './work-queue.js';

const MIN_WAIT_MS = 50;
const BATCH = 32;

/**
 * Polls a queue for what this process did not put there itself: messages left by a previous run
 * (crash recovery), timers that come due after a restart. The hot path never waits for it, so it
 * backs off to `maxWaitMs` when the queue is quiet.
 */
export class Poller<T> {
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;
  private stopped = true;
  private wait = MIN_WAIT_MS;

  constructor(
    private readonly queue: WorkQueue<T>,
    private readonly leaseMs: number,
    private readonly maxWaitMs: number,
    private readonly onMessage: (m: Received<T>) => void,
    private readonly onError: (message: string) => void,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.current;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.current = this.poll().finally(() => (this.current = undefined));
    }, ms);
  }

  private async poll(): Promise<void> {
    try {
      const messages = await this.queue.receive(BATCH, this.leaseMs);
      if (this.stopped) {
        // Received during stop: hand them straight back rather than hold them for a lease.
        await Promise.all(messages.map((m) => this.queue.release(m.receipt)));
        return;
      }
      for (const m of messages) this.onMessage(m);
      this.wait = messages.length > 0 ? MIN_WAIT_MS : Math.min(this.maxWaitMs, this.wait * 2);
      this.schedule(messages.length === BATCH ? 0 : this.wait);
    } catch (err) {
      this.onError(err instanceof Error ? err.message : String(err));
      this.wait = this.maxWaitMs;
      this.schedule(this.wait);
    }
  }
}
