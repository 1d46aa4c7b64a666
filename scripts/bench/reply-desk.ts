// The part every backend simulator shares (blob, Service Bus, the floor's in-process one): it is
// told when a request arrives, decides when to answer (at once, after a fixed delay, or held
// until released) and stamps `replySent` just before the reply goes on the wire. Stamps use
// `now()`, the same clock as the clients, so reply → response needs no clock sync.
import { now } from './stats.js';

export type ReplyPolicy = { kind: 'immediate' } | { kind: 'delay'; ms: number } | { kind: 'hold' };

export class ReplyDesk {
  policy: ReplyPolicy = { kind: 'immediate' };
  /** Request id → when the backend first saw it. */
  readonly seen = new Map<string, number>();
  /** Request id → just before its reply was sent. */
  readonly replySent = new Map<string, number>();
  readonly sendErrors: string[] = [];
  private held: Array<() => Promise<void>> = [];
  private readonly sends = new Set<Promise<void>>();
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  /** Called by a backend for each request it takes in; false (and ignored) for a known id. */
  receive(id: string, send: () => Promise<void>): boolean {
    if (this.seen.has(id)) return false;
    this.seen.set(id, now());
    this.waiters = this.waiters.filter((w) => (this.seen.size >= w.count ? (w.resolve(), false) : true));
    const reply = () => this.track(id, send);
    const policy = this.policy;
    if (policy.kind === 'immediate') void reply();
    else if (policy.kind === 'delay') setTimeout(() => void reply(), policy.ms);
    else this.held.push(reply);
    return true;
  }

  private track(id: string, send: () => Promise<void>): Promise<void> {
    this.replySent.set(id, now());
    const run = send()
      .catch((error: unknown) => {
        this.sendErrors.push(`${id}: ${error instanceof Error ? error.message : String(error)}`);
      })
      .finally(() => this.sends.delete(run));
    this.sends.add(run);
    return run;
  }

  /** Resolves once `count` distinct requests have been seen, or rejects after `timeoutMs`. */
  waitSeen(count: number, timeoutMs: number): Promise<void> {
    if (this.seen.size >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`backend saw ${this.seen.size} of ${count} requests within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  /** Sends every held reply, `concurrency` at a time. */
  async release(concurrency: number): Promise<void> {
    const queue = this.held.splice(0);
    await Promise.all(
      Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) await next();
      }),
    );
  }

  /** Waits for replies still on their way (bounded: each send has its SDK's own timeout). */
  async drain(): Promise<void> {
    while (this.sends.size > 0) await Promise.all(this.sends);
  }
}
