import type { BlobLeaseClient, ContainerClient } from '@azure/storage-blob';
import type { StorageClients } from '../../storage/connection.js';

/**
 * Where a timer's schedule state lives, as the timer extension's `StorageScheduleMonitor` keeps
 * it: `azure-webjobs-hosts/timers/{hostId}/{timerName}/status`, JSON `{Last, Next, LastUpdated}`.
 * Reading it at start is what makes `isPastDue` true after a restart that slept through an
 * occurrence. The blob's contents are input (anyone with the account can edit it): a status that
 * does not parse is treated as absent, with a warning, never trusted into the schedule.
 */
export interface ScheduleStatus {
  last: string;
  next: string;
  lastUpdated: string;
}

const HOSTS_CONTAINER = 'azure-webjobs-hosts';

export class TimerStatusStore {
  private readonly container: ContainerClient;
  private readonly path: string;

  constructor(hostStorage: StorageClients, hostId: string, timerName: string) {
    this.container = hostStorage.blobs.getContainerClient(HOSTS_CONTAINER);
    this.path = `timers/${hostId}/${timerName}/status`;
  }

  async read(warn: (message: string) => void): Promise<ScheduleStatus | undefined> {
    await this.container.createIfNotExists();
    let text: string;
    try {
      text = (await this.container.getBlobClient(this.path).downloadToBuffer()).toString('utf8');
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw err;
    }
    const parsed = parseStatus(text);
    if (!parsed) warn(`timer status ${HOSTS_CONTAINER}/${this.path} is not a valid status record; starting the schedule afresh.`);
    return parsed;
  }

  async write(status: ScheduleStatus): Promise<void> {
    const body = JSON.stringify({ Last: status.last, Next: status.next, LastUpdated: status.lastUpdated });
    await this.container
      .getBlockBlobClient(this.path)
      .upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: 'application/json' } });
  }
}

function parseStatus(text: string): ScheduleStatus | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const { Last, Next, LastUpdated } = json as Record<string, unknown>;
  const iso = (v: unknown): string | undefined =>
    typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? new Date(v).toISOString() : undefined;
  const next = iso(Next);
  const lastUpdated = iso(LastUpdated);
  if (!next || !lastUpdated) return undefined;
  // `Last` is DateTime.MinValue before the first run on the real host.
  return { last: iso(Last) ?? '0001-01-01T00:00:00.000Z', next, lastUpdated };
}

/**
 * One host fires a timer: the real host holds a singleton lease on
 * `azure-webjobs-hosts/locks/{hostId}/{timerName}.Listener`; so do we, renewed while running.
 */
export class TimerSingleton {
  private readonly container: ContainerClient;
  private readonly path: string;
  private lease: BlobLeaseClient | undefined;

  constructor(hostStorage: StorageClients, hostId: string, timerName: string) {
    this.container = hostStorage.blobs.getContainerClient(HOSTS_CONTAINER);
    this.path = `locks/${hostId}/${timerName}.Listener`;
  }

  /** True when this host now holds (or still holds) the lease. */
  async tryHold(seconds: number): Promise<boolean> {
    const blob = this.container.getBlockBlobClient(this.path);
    if (this.lease) {
      try {
        await this.lease.renewLease();
        return true;
      } catch {
        this.lease = undefined;
      }
    }
    await this.container.createIfNotExists();
    try {
      await blob.upload('', 0, { conditions: { ifNoneMatch: '*' } });
    } catch (err) {
      if (![409, 412].includes((err as { statusCode?: number }).statusCode ?? 0)) throw err;
    }
    const lease = blob.getBlobLeaseClient();
    try {
      await lease.acquireLease(seconds);
      this.lease = lease;
      return true;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 409) return false;
      throw err;
    }
  }

  async release(): Promise<void> {
    const lease = this.lease;
    this.lease = undefined;
    await lease?.releaseLease().catch(() => undefined);
  }
}
