// Peek locks of one store: tokens that expire unless renewed, and hand their message back when they do.
import { randomUUID } from 'node:crypto';

/**
 * Peek locks of one store: a token per delivery that expires after the lock duration unless
 * renewed. Taking a lock (to settle it) ends it; an expired lock hands its item back to the store.
 */
export class PeekLocks<T> {
  private readonly held = new Map<string, { readonly item: T; lockedUntil: number; timer: NodeJS.Timeout }>();

  constructor(
    private readonly durationMs: number,
    private readonly onExpired: (item: T) => void,
  ) {}

  lock(item: T): { readonly token: string; readonly lockedUntil: number } {
    const token = randomUUID();
    const lockedUntil = Date.now() + this.durationMs;
    this.held.set(token, { item, lockedUntil, timer: this.expiryTimer(token) });
    return { token, lockedUntil };
  }

  holds(token: string): boolean {
    return this.held.has(token);
  }

  /** Ends the lock and returns what it held; undefined when it expired or was already taken. */
  take(token: string): T | undefined {
    const lock = this.held.get(token);
    if (!lock) return undefined;
    clearTimeout(lock.timer);
    this.held.delete(token);
    return lock.item;
  }

  /** Restarts the lock duration from now; returns the new expiry, or undefined for an unknown token. */
  renew(token: string): number | undefined {
    const lock = this.held.get(token);
    if (!lock) return undefined;
    clearTimeout(lock.timer);
    lock.lockedUntil = Date.now() + this.durationMs;
    lock.timer = this.expiryTimer(token);
    return lock.lockedUntil;
  }

  clear(): void {
    for (const lock of this.held.values()) clearTimeout(lock.timer);
    this.held.clear();
  }

  private expiryTimer(token: string): NodeJS.Timeout {
    const timer = setTimeout(() => {
      const item = this.take(token);
      if (item !== undefined) this.onExpired(item);
    }, this.durationMs);
    // A lock must not keep a process alive on its own; stopping the emulator clears them anyway.
    timer.unref();
    return timer;
  }
}
