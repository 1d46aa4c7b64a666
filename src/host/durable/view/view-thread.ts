/**
 * The table view, seen from the engine's thread: the same `update`/`remove`/`flush` the view
 * writer has, with the writer itself on a worker thread (view-worker.ts). A CPU profile of the host
 * under load put the writer (row building and the storage SDKs' request pipeline) at a tenth of the
 * main thread's busy time; here all that is left of it is a copy of each change and one
 * structured-cloned message per commit (a few µs per change, measured).
 *
 * - Ordered and never lost while the process lives: changes are posted in the order they come, one
 *   message per turn of the event loop, and the writer coalesces, retries and yields as before.
 *   A worker that dies is replaced, and the log says what that costs.
 * - Yields to the engine: this thread samples its own event loop (saturation.ts) and tells the
 *   worker when it is saturated, so the writer rests as it did when it ran here.
 * - `flush()` and `stop()` hold the process while they wait (the thread alone does not); `stop()`
 *   is bounded, then ends the thread whatever it still holds.
 * - The worker's log lines come out through this thread's `log`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { StorageConnection } from '../../../connections/storage-connection.js';
import { atMost } from '../at-most.js';
import type { HistoryEvent } from '../history.js';
import { eventLoopSaturation } from './saturation.js';
import type { FromViewWorker, ToViewWorker, ViewChange, ViewWorkerData } from './view-protocol.js';
import type { InstanceSnapshot } from './view-rows.js';
import type { ViewLag } from './view-writer.js';

export interface ViewThreadOptions extends Omit<ViewWorkerData, 'connection'> {
  connection: StorageConnection;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** How long `stop()` waits for the view to catch up before it ends the thread; default 5000 ms. */
  stopBoundMs?: number;
}

type Ask = ({ kind: 'flush'; resolve: () => void } | { kind: 'lag'; resolve: (lag: ViewLag) => void }) & { reject: (err: Error) => void };

const LOAD_SAMPLE_MS = 250;

/**
 * The worker's young generation, held small: with V8's default (up to 3 × 16 MiB, as on the main
 * thread) the thread cost ~32 MiB of the host's RSS. Its garbage is its own batches and the SDKs'
 * requests, a tenth of the main thread's work, so more frequent scavenges there should cost little;
 * the throughput A/B showed no loss it could resolve (docs/local-host.md, *Memory*). No old-space limit: reaching one ends the thread, and a view far behind
 * is no reason to lose it.
 */
export const VIEW_WORKER_LIMITS = { maxYoungGenerationSizeMb: 6 } as const;

export class ViewThread {
  private worker: Worker;
  private online = false;
  private started = false;
  private stopped = false;
  private gaveUp: Error | undefined;
  private buffer: ViewChange[] = [];
  private nextAsk = 0;
  private readonly asks = new Map<number, Ask>();
  private readonly loadTimer: NodeJS.Timeout;
  private saturated = false;
  private stopping: (() => void) | undefined;

  constructor(private readonly o: ViewThreadOptions) {
    this.worker = this.spawn();
    const sample = eventLoopSaturation(0.7, LOAD_SAMPLE_MS);
    this.loadTimer = setInterval(() => {
      const now = sample();
      if (now === this.saturated) return;
      this.saturated = now;
      this.send({ kind: 'load', saturated: now });
    }, LOAD_SAMPLE_MS);
    this.loadTimer.unref();
  }

  update(s: InstanceSnapshot, appended: HistoryEvent[], firstSequence: number): void {
    // Copies: the engine may mutate what it handed over before the batch is posted.
    this.queue({ kind: 'update', snapshot: { ...s }, appended: appended.map((e) => ({ ...e })), firstSequence });
  }

  remove(instanceId: string): void {
    this.queue({ kind: 'remove', instanceId });
  }

  /** Resolves once everything handed over so far is written (retrying as long as it takes). */
  flush(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve, reject) => this.ask({ kind: 'flush', resolve, reject }));
  }

  /** How far the view is behind: instances not yet written, and how long the oldest has waited. */
  lag(): Promise<ViewLag> {
    if (this.stopped) return Promise.resolve({ pendingInstances: 0, oldestMs: 0 });
    return new Promise((resolve, reject) => this.ask({ kind: 'lag', resolve, reject }));
  }

  /** The V8 limits the running worker has (for the test that they are applied). */
  get resourceLimits(): Worker['resourceLimits'] {
    return this.worker.resourceLimits;
  }

  start(): void {
    this.started = true;
    this.send({ kind: 'start' });
  }

  /** Lets the view catch up (bounded by `stopBoundMs`), then ends the thread. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.loadTimer);
    if (this.gaveUp) return;
    this.post();
    this.worker.ref();
    const bound = this.o.stopBoundMs ?? 5_000;
    const stopped = new Promise<void>((resolve) => {
      this.stopping = resolve;
      this.worker.postMessage({ kind: 'stop' } satisfies ToViewWorker);
    });
    // The worker is held (ref) meanwhile, so the unref'd bound still fires while it hangs.
    const caughtUp = await atMost(stopped, bound);
    if (!caughtUp) this.o.log('warn', `view: not caught up within ${bound} ms of the stop; what it had not written is not in the view`);
    await this.worker.terminate();
  }

  private queue(change: ViewChange): void {
    if (this.stopped || this.gaveUp) return;
    // One message per turn: the engine's commit hands over its changes together.
    if (this.buffer.length === 0) queueMicrotask(() => this.post());
    this.buffer.push(change);
  }

  private post(): void {
    if (this.buffer.length === 0) return;
    const changes = this.buffer;
    this.buffer = [];
    this.send({ kind: 'changes', changes });
  }

  private send(m: ToViewWorker): void {
    if (!this.gaveUp) this.worker.postMessage(m);
  }

  private ask(a: Ask): void {
    if (this.gaveUp) {
      a.reject(this.gaveUp);
      return;
    }
    this.post();
    const id = ++this.nextAsk;
    this.asks.set(id, a);
    this.worker.ref();
    this.worker.postMessage({ kind: a.kind, id } satisfies ToViewWorker);
  }

  private spawn(): Worker {
    const { log: _log, stopBoundMs: _bound, ...data } = this.o;
    const worker = new Worker(workerScript(), {
      workerData: data satisfies ViewWorkerData,
      name: 'durable view',
      resourceLimits: VIEW_WORKER_LIMITS,
    });
    worker.unref();
    worker.on('online', () => (this.online = true));
    worker.on('message', (m: FromViewWorker) => this.received(m));
    worker.on('error', (err) => this.o.log('error', `view: its worker thread failed: ${err.stack ?? String(err)}`));
    worker.on('exit', (code) => this.exited(worker, code));
    return worker;
  }

  private received(m: FromViewWorker): void {
    switch (m.kind) {
      case 'log':
        this.o.log(m.level, m.message);
        return;
      case 'stopped':
        this.stopping?.();
        return;
      case 'flushed':
      case 'lag': {
        const a = this.asks.get(m.id);
        this.asks.delete(m.id);
        if (a?.kind === 'flush') a.resolve();
        else if (a?.kind === 'lag' && m.kind === 'lag') a.resolve(m.lag);
        if (this.asks.size === 0 && !this.stopped) this.worker.unref();
      }
    }
  }

  /**
   * A worker that ran and died is replaced, and what is waiting on it is asked again of the new one.
   * One that never came online would fail the same way again: then the view stops here, said once.
   */
  private exited(worker: Worker, code: number): void {
    if (worker !== this.worker) return;
    if (this.stopped) {
      this.stopping?.();
      return;
    }
    if (!this.online) {
      this.gaveUp = new Error(`view: its worker thread did not start (exit code ${code}); the tables are not written from now on`);
      this.o.log('error', this.gaveUp.message);
      clearInterval(this.loadTimer);
      for (const a of this.asks.values()) a.reject(this.gaveUp);
      this.asks.clear();
      return;
    }
    this.o.log(
      'error',
      `view: its worker thread stopped (exit code ${code}); a new one takes over, and what the old one had not written is missing from the view until those instances change again`,
    );
    this.online = false;
    this.worker = this.spawn();
    if (this.started) this.send({ kind: 'start' });
    if (this.saturated) this.send({ kind: 'load', saturated: true });
    for (const [id, a] of this.asks) {
      this.worker.ref();
      this.worker.postMessage({ kind: a.kind, id } satisfies ToViewWorker);
    }
  }
}

/**
 * The worker runs compiled JavaScript: the sibling `view-worker.js` in `dist/`, and the same file
 * of the build when this module runs from its TypeScript source (the tests), as the host process
 * tests run the built CLI.
 */
function workerScript(): string {
  const root = path.resolve(__dirname, '../../../..');
  const dir = path.extname(__filename) === '.ts' ? path.join(root, 'dist', path.relative(root, __dirname)) : __dirname;
  const script = path.join(dir, 'view-worker.js');
  if (!fs.existsSync(script)) throw new Error(`${script} is missing: run "npm run build" (the table view's worker thread runs it)`);
  return script;
}
