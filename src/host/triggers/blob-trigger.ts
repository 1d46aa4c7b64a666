// The blob trigger, by container scan, with the real host's receipts and poison queue; for the
// `EventGrid` source the same scan stands in for Event Grid, which does not exist locally.
import type { ContainerClient } from '@azure/storage-blob';
import { type BlobPathPattern, parseBlobPath } from './blob/blob-path.js';
import { type BlobVersion, blobTriggerMetadata, readBlob } from './blob/blob-read.js';
import { BlobReceipts, bareEtag, dotnetBlobType, type Outcome, POISON_QUEUE, sendToPoisonQueue, versionKey } from './blob/receipts.js';
import type { TriggerContext, TriggerFactory, TriggerListener } from './trigger-listener.js';

/** Blobs listed per poll: one listing page at the service's largest (the real scan lists up to 10 000 per poll). */
const SCAN_PAGE = 5000;

export const createBlobTriggerListener: TriggerFactory = (ctx) => new BlobTriggerListener(ctx);

export type BlobTriggerSource = 'LogsAndContainerScan' | 'EventGrid';

/**
 * The binding's `source`, as the blobs extension parses it (case-insensitive enum; absent is the
 * scan). Anything else is refused at start: on Azure the function would not index.
 */
export function blobTriggerSource(fn: { name: string; trigger: Record<string, unknown> }): BlobTriggerSource {
  const raw = fn.trigger.source;
  if (raw === undefined || raw === null || raw === '') return 'LogsAndContainerScan';
  const source = (['LogsAndContainerScan', 'EventGrid'] as const).find(
    (s) => typeof raw === 'string' && s.toLowerCase() === raw.toLowerCase(),
  );
  if (source === undefined) {
    throw new Error(`Function ${fn.name}: blob trigger source ${JSON.stringify(raw)} is neither "LogsAndContainerScan" nor "EventGrid".`);
  }
  return source;
}

/**
 * What the start banner says about a blob trigger's source. With `EventGrid` nothing on this
 * machine publishes BlobCreated events, so the host's own scan delivers them in Event Grid's
 * place: the function sees the same blob and metadata; on Azure only the Event Grid subscription
 * to `/runtime/webhooks/blobs?functionName=Host.Functions.<name>` does.
 */
export function describeBlobTriggerSource(fn: { name: string; trigger: Record<string, unknown> }, pollIntervalMs: number): string {
  const container = parseBlobPath(typeof fn.trigger.path === 'string' ? fn.trigger.path : '', fn.name).container;
  if (blobTriggerSource(fn) === 'LogsAndContainerScan')
    return `source LogsAndContainerScan: container "${container}" scanned every ${pollIntervalMs} ms`;
  return `source EventGrid: no Event Grid locally, so this host scans container "${container}" every ${pollIntervalMs} ms in its place; on Azure, deliveries come from the Event Grid subscription to /runtime/webhooks/blobs?functionName=${functionId(fn.name)}`;
}

/**
 * `blobTrigger` by container scan, as the real host's default (`LogsAndContainerScan`) source does
 * without the logs. Each poll lists one page of the container under the path's literal prefix,
 * going on from where the last poll stopped (the real scan's budget per poll and continuation
 * token), and queues every blob version (name + ETag) it has not handled; invocations work
 * through that queue in the slots all blob functions share (host.json
 * `extensions.blobs.maxDegreeOfParallelism`), as the real host's blob-trigger queue is worked by
 * its queue listener. While found blobs are still waiting, no new page is listed: anything it
 * found would wait behind them, and on a container of thousands of blobs a listing every poll
 * was most of the storage's work (2000 held replies drained at ~14 a second). Handled versions
 * are kept as receipts in the host's storage so a restart does not fire them again; a version that
 * fails `poisonBlobThreshold` times (default 5) goes to the poison queue and is not retried until the blob changes.
 * Retries wait for a later scan, like a dequeue after the real host's visibility timeout.
 */
class BlobTriggerListener implements TriggerListener {
  private readonly path: BlobPathPattern;
  private readonly container: ContainerClient;
  private readonly receipts: BlobReceipts;
  /** Versions handled (`versionKey`; receipts loaded at start, then kept current): polls compare in memory. */
  private handled = new Set<string>();
  private readonly failures = new Map<string, { etag: string; attempts: number }>();
  /** By blob path: one invocation per blob at a time; admin calls queue behind the poller's. */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Found by a scan and not started yet, by blob path, oldest first (a Map keeps insertion order). */
  private readonly waiting = new Map<string, { name: string; tokens: Record<string, string> }>();
  /** Where the next poll's listing goes on; undefined starts a new sweep from the first blob. */
  private continuation: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private state: 'new' | 'running' | 'stopping' = 'new';
  private lastPollError: string | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly ctx: TriggerContext) {
    const { path } = ctx.fn.trigger;
    this.path = parseBlobPath(typeof path === 'string' ? path : '', ctx.fn.name);
    // Refuses an unknown source before anything is watched.
    blobTriggerSource(ctx.fn);
    this.container = this.clients().blobs.getContainerClient(this.path.container);
    this.receipts = new BlobReceipts(ctx.hostStorage, ctx.hostId, functionId(ctx.fn.name), this.path.container);
  }

  async start(): Promise<void> {
    try {
      // The real host creates a watched container that does not exist yet.
      await this.container.createIfNotExists();
      this.handled = await this.receipts.load();
    } catch (err) {
      throw new Error(`Function ${this.ctx.fn.name}: cannot watch container "${this.path.container}": ${errorMessage(err)}`, {
        cause: err,
      });
    }
    this.state = 'running';
    // Another blob function's invocation that ends frees a slot this one may use.
    this.unsubscribe = this.ctx.blobs.slots.onFree(() => this.pump());
    this.ctx.log('info', `Function ${this.ctx.fn.name}: ${describeBlobTriggerSource(this.ctx.fn, this.ctx.pollIntervalMs)}.`);
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.state = 'stopping';
    clearTimeout(this.timer);
    this.unsubscribe?.();
    // Not started, so not handled: a later start finds them again.
    this.waiting.clear();
    await this.polling;
    while (this.inFlight.size > 0) await Promise.all(this.inFlight.values());
  }

  /** The admin API's input for a blob function is a blob path, `container/name`; no receipt is written. */
  async invokeFromAdmin(input: string): Promise<void> {
    const slash = input.indexOf('/');
    const containerName = input.slice(0, slash);
    const name = input.slice(slash + 1);
    if (slash <= 0 || !name) {
      this.ctx.log('error', `Function ${this.ctx.fn.name}: admin input "${input}" is not a blob path like "container/name".`);
      return;
    }
    if (this.state === 'stopping') throw new Error(`Function ${this.ctx.fn.name}: the host is stopping.`);
    const container = containerName === this.path.container ? this.container : this.clients().blobs.getContainerClient(containerName);
    await this.exclusive(input, async () => {
      const version = await readBlob(container.getBlobClient(name));
      if (!version) {
        this.ctx.log('error', `Function ${this.ctx.fn.name}: admin call for blob ${input}, which does not exist.`);
        return;
      }
      const tokens = container === this.container ? (this.path.match(name) ?? {}) : {};
      try {
        await this.invoke(
          input,
          container.getBlobClient(name).url,
          tokens,
          version,
          'This function was programmatically called via the host APIs.',
        );
      } catch (err) {
        this.ctx.log('error', `Function ${this.ctx.fn.name} failed on blob ${input} (admin call): ${errorMessage(err)}`);
      }
    });
  }

  private clients(): ReturnType<TriggerContext['storage']> {
    const setting = this.ctx.fn.trigger.connection;
    try {
      return this.ctx.storage(typeof setting === 'string' ? setting : undefined);
    } catch (err) {
      throw new Error(`Function ${this.ctx.fn.name}: ${errorMessage(err)}`, { cause: err });
    }
  }

  private schedule(ms: number): void {
    if (this.state !== 'running') return;
    this.timer = setTimeout(() => {
      this.polling = this.poll().finally(() => {
        this.polling = undefined;
        this.schedule(this.ctx.pollIntervalMs);
      });
    }, ms);
  }

  /** One page of the sweep, queued; skipped while every slot is busy or found blobs still wait for one. */
  private async poll(): Promise<void> {
    if (this.waiting.size > 0 || this.ctx.blobs.slots.free <= 0) return;
    try {
      // Pages by hand: leaving the SDK's item iterator early (`break` in `for await`) can hang in its `return()`.
      const pages = this.container.listBlobsFlat({ prefix: this.path.prefix }).byPage({
        maxPageSize: this.ctx.scanPageSize ?? SCAN_PAGE,
        ...(this.continuation ? { continuationToken: this.continuation } : {}),
      });
      const page = await pages.next();
      this.continuation = page.done ? undefined : page.value.continuationToken || undefined;
      if (this.state !== 'running' || page.done) return;
      for (const item of page.value.segment.blobItems) {
        const key = `${this.path.container}/${item.name}`;
        if (this.handled.has(versionKey(item.name, item.properties.etag)) || this.inFlight.has(key) || this.waiting.has(key)) continue;
        const tokens = this.path.match(item.name);
        if (!tokens) continue;
        this.waiting.set(key, { name: item.name, tokens });
      }
      this.lastPollError = undefined;
    } catch (err) {
      // A listing that failed starts its sweep over; logged once per distinct failure: a poll every interval would otherwise flood the log.
      this.continuation = undefined;
      const message = errorMessage(err);
      if (message !== this.lastPollError)
        this.ctx.log('warn', `Function ${this.ctx.fn.name}: listing container "${this.path.container}" failed: ${message}`);
      this.lastPollError = message;
    }
    this.pump();
  }

  /** Starts waiting blobs while invocation slots are free; each one that ends starts the next. */
  private pump(): void {
    const slots = this.ctx.blobs.slots;
    for (const [key, found] of this.waiting) {
      if (this.state !== 'running' || !slots.take()) break;
      this.waiting.delete(key);
      // An admin call on the same blob may have started meanwhile: it runs first, this one after it.
      void this.exclusive(key, () => this.process(found.name, found.tokens)).then(() => slots.release());
    }
  }

  private async process(name: string, tokens: Record<string, string>): Promise<void> {
    const blobPath = `${this.path.container}/${name}`;
    const blob = this.container.getBlobClient(name);
    const version = await readBlob(blob);
    // Gone since the listing, or the listing saw an older ETag than the one already handled.
    if (!version || this.handled.has(versionKey(name, version.etag))) return;
    let outcome: Outcome;
    try {
      await this.invoke(blobPath, blob.url, tokens, version, `New blob detected: ${blobPath}`);
      outcome = 'completed';
    } catch (err) {
      const prior = this.failures.get(name);
      const attempts = prior?.etag === bareEtag(version.etag) ? prior.attempts + 1 : 1;
      this.failures.set(name, { etag: bareEtag(version.etag), attempts });
      this.ctx.log(
        'error',
        `Function ${this.ctx.fn.name} failed on blob ${blobPath} (attempt ${attempts} of ${this.ctx.blobs.poisonThreshold}): ${errorMessage(err)}`,
      );
      if (attempts < this.ctx.blobs.poisonThreshold) return;
      await sendToPoisonQueue(this.ctx.hostStorage, {
        Type: 'BlobTrigger',
        FunctionId: functionId(this.ctx.fn.name),
        BlobType: dotnetBlobType(version.blobType),
        ContainerName: this.path.container,
        BlobName: name,
        ETag: version.etag,
      });
      this.ctx.log(
        'warn',
        `Blob ${blobPath} (ETag ${version.etag}) failed ${attempts} times in ${this.ctx.fn.name}: sent to queue ${POISON_QUEUE}; not retried unless the blob changes.`,
      );
      outcome = 'poisoned';
    }
    this.failures.delete(name);
    // In memory first: if the receipt cannot be written, this host still won't fire it again.
    this.handled.add(versionKey(name, version.etag));
    await this.receipts.record(name, bareEtag(version.etag), outcome);
  }

  private invoke(blobPath: string, uri: string, tokens: Record<string, string>, version: BlobVersion, reason: string): Promise<unknown> {
    this.ctx.log('info', `Executing '${this.ctx.fn.name}' (Reason='${reason}')`);
    return this.ctx.invoker.invoke(this.ctx.fn, version.content, { triggerMetadata: blobTriggerMetadata(blobPath, uri, tokens, version) });
  }

  /** Runs `work` once nothing else runs for `key`; never rejects (storage failures are logged, retried next poll). */
  private exclusive(key: string, work: () => Promise<void>): Promise<void> {
    const run: Promise<void> = (this.inFlight.get(key) ?? Promise.resolve())
      .then(work)
      .catch((err: unknown) => this.ctx.log('error', `Function ${this.ctx.fn.name}: handling blob ${key} failed: ${errorMessage(err)}`))
      .finally(() => {
        if (this.inFlight.get(key) === run) this.inFlight.delete(key);
      });
    this.inFlight.set(key, run);
    return run;
  }
}

/** The Functions host's id for an app function, as in its receipts and poison messages. */
function functionId(name: string): string {
  return `Host.Functions.${name}`;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
