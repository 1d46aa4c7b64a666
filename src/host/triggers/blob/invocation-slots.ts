// The blob trigger's concurrency, shared by every blob function of the app: the real host works
// all blob-triggered functions through one queue listener sized by host.json
// `extensions.blobs.maxDegreeOfParallelism` (default 8 per core), not a limit per function.
import os from 'node:os';

/** Invocations at once across all blob functions when host.json sets none: the blobs extension's 8 × cores. */
export function defaultBlobParallelism(): number {
  return 8 * os.availableParallelism();
}

export class InvocationSlots {
  private used = 0;
  private readonly waiters = new Set<() => void>();

  constructor(readonly size: number) {}

  get free(): number {
    return this.size - this.used;
  }

  /** Takes a slot if one is free; the caller gives it back with `release`. */
  take(): boolean {
    if (this.used >= this.size) return false;
    this.used++;
    return true;
  }

  /** Gives a slot back and tells every listener, so the one with blobs waiting can start one. */
  release(): void {
    this.used--;
    for (const wake of this.waiters) wake();
  }

  /** `wake` runs whenever a slot is given back; returns the unsubscribe. */
  onFree(wake: () => void): () => void {
    this.waiters.add(wake);
    return () => this.waiters.delete(wake);
  }
}
