/**
 * Ownership of a task hub by one host at a time: a blob lease on `{hub}-leases/owner`. While a host
 * holds it, its memory is the hub's authority; a second host waits in `acquire()` and gets the
 * lease once the first releases it (at once) or stops renewing it (crash: when the lease runs out,
 * within `leaseSeconds` + one poll). Storage's lease is the arbiter, so two hosts never both
 * believe they own the hub for longer than a renewal interval.
 *
 * Renewal runs every third of the lease. A renewal refused by storage (409/412: the lease is gone
 * or someone else's) settles `lost` at once; transient failures are retried until the lease would
 * have expired since the last good renewal, and then `lost` settles too, because by then another
 * host may hold it. The engine must stop acting as owner when `lost` settles.
 */
import { randomUUID } from 'node:crypto';
import type { BlobLeaseClient, BlobServiceClient, BlockBlobClient, ContainerClient } from '@azure/storage-blob';

export interface HubLeaseOptions {
  blobs: BlobServiceClient;
  hubName: string;
  ownerId: string;
  /** 15–60 (the range storage accepts); default 30. */
  leaseSeconds?: number;
  log: (level: 'info' | 'warn' | 'error', m: string) => void;
  /** How often a waiting owner tries again; default 1000 ms. */
  pollMs?: number;
}

const BLOB_NAME = 'owner';

export class HubLease {
  readonly lost: Promise<void>;
  private readonly leaseSeconds: number;
  private readonly pollMs: number;
  private readonly container: ContainerClient;
  private readonly blob: BlockBlobClient;
  private readonly lease: BlobLeaseClient;
  private renewTimer: NodeJS.Timeout | undefined;
  private lastRenewed = 0;
  private renewed = 0;
  private held = false;
  private signalLost: () => void = () => undefined;

  constructor(private readonly o: HubLeaseOptions) {
    const seconds = o.leaseSeconds ?? 30;
    if (!Number.isInteger(seconds) || seconds < 15 || seconds > 60)
      throw new RangeError(`leaseSeconds must be a whole number from 15 to 60, not ${seconds}`);
    this.leaseSeconds = seconds;
    this.pollMs = Math.max(50, o.pollMs ?? 1000);
    this.container = o.blobs.getContainerClient(`${o.hubName.toLowerCase()}-leases`);
    this.blob = this.container.getBlockBlobClient(BLOB_NAME);
    this.lease = this.blob.getBlobLeaseClient(randomUUID());
    this.lost = new Promise((resolve) => (this.signalLost = resolve));
  }

  /** Successful renewals so far: for diagnostics, and for tests that must see renewal happen. */
  get renewals(): number {
    return this.renewed;
  }

  async acquire(signal?: AbortSignal): Promise<void> {
    let waitingLogged = false;
    for (;;) {
      signal?.throwIfAborted();
      try {
        await this.lease.acquireLease(this.leaseSeconds, { abortSignal: signal });
        break;
      } catch (err) {
        signal?.throwIfAborted();
        const status = statusOf(err);
        if (status === 404) await this.createBlob();
        else if (status === 409) {
          if (!waitingLogged)
            this.o.log('info', `task hub ${this.o.hubName} is owned by another host; ${this.o.ownerId} waits for its lease`);
          waitingLogged = true;
          await sleep(this.pollMs, signal);
        } else {
          this.o.log('warn', `task hub lease: acquiring failed, retrying: ${String(err)}`);
          await sleep(this.pollMs, signal);
        }
      }
    }
    this.held = true;
    this.lastRenewed = Date.now();
    this.o.log('info', `task hub ${this.o.hubName} lease acquired by ${this.o.ownerId}`);
    // Diagnostic only (who holds it, for Storage Explorer); never read to decide anything.
    await this.blob
      .setMetadata({ owner: this.o.ownerId.replace(/[^\x20-\x7e]/g, '?') }, { conditions: { leaseId: this.lease.leaseId } })
      .catch(() => undefined);
    this.scheduleRenewal();
  }

  async release(): Promise<void> {
    if (!this.held) return;
    this.held = false;
    clearTimeout(this.renewTimer);
    try {
      await this.lease.releaseLease();
      this.o.log('info', `task hub ${this.o.hubName} lease released by ${this.o.ownerId}`);
    } catch (err) {
      this.o.log('warn', `task hub lease: release failed (it runs out within ${this.leaseSeconds} s): ${String(err)}`);
    }
  }

  private scheduleRenewal(): void {
    this.renewTimer = setTimeout(() => void this.renew(), (this.leaseSeconds * 1000) / 3);
    this.renewTimer.unref();
  }

  private async renew(): Promise<void> {
    if (!this.held) return;
    try {
      await this.lease.renewLease();
      this.lastRenewed = Date.now();
      this.renewed++;
    } catch (err) {
      const status = statusOf(err);
      const expired = Date.now() - this.lastRenewed >= this.leaseSeconds * 1000;
      if (status === 409 || status === 412 || expired) {
        if (!this.held) return;
        this.held = false;
        this.o.log('error', `task hub ${this.o.hubName} lease lost by ${this.o.ownerId}: ${String(err)}`);
        this.signalLost();
        return;
      }
      this.o.log('warn', `task hub lease: renewal failed, retrying: ${String(err)}`);
    }
    if (this.held) this.scheduleRenewal();
  }

  private async createBlob(): Promise<void> {
    await this.container.createIfNotExists();
    try {
      await this.blob.upload('', 0, { conditions: { ifNoneMatch: '*' } });
    } catch (err) {
      // Another host created it first (409), or holds a lease on it already (412): either way it exists.
      if (statusOf(err) !== 409 && statusOf(err) !== 412) throw err;
    }
  }
}

function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number } | null)?.statusCode;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      signal?.removeEventListener('abort', abort);
      resolve();
    }
    function abort(): void {
      clearTimeout(timer);
      const reason: unknown = signal?.reason;
      reject(reason instanceof Error ? reason : new Error(String(reason)));
    }
    signal?.addEventListener('abort', abort, { once: true });
  });
}
