/**
 * Taking ownership of the task hub before this host's memory becomes its authority: the hub lease
 * (view/hub-lease.ts), with one local shortcut. The lease blob names its holder (host name and
 * process id); when that holder is a process on this machine that no longer exists (SIGKILLed,
 * say), its lease is broken at once instead of waiting up to a lease length for it to run out.
 * A holder on another machine, or one that is alive, is always waited for.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { BlobServiceClient } from '@azure/storage-blob';
import { isAlive } from '../process-alive.js';
import { HubLease } from './view/hub-lease.js';

export interface Ownership {
  lease: HubLease;
  ownerId: string;
}

export async function acquireHub(o: {
  blobs: BlobServiceClient;
  hubName: string;
  leasesContainer: string;
  leaseMs?: number;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
}): Promise<Ownership> {
  const ownerId = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  // Storage grants 15-60 s leases; shorter settings (tests) get the shortest.
  const leaseSeconds = Math.min(60, Math.max(15, Math.round((o.leaseMs ?? 30_000) / 1000)));
  const lease = new HubLease({ blobs: o.blobs, hubName: o.hubName, ownerId, leaseSeconds, log: o.log, pollMs: 250 });
  await breakDeadLocalOwner(o.blobs, o.leasesContainer, o.log);
  await lease.acquire();
  return { lease, ownerId };
}

async function breakDeadLocalOwner(
  blobs: BlobServiceClient,
  container: string,
  log: (level: 'info' | 'warn', message: string) => void,
): Promise<void> {
  const blob = blobs.getContainerClient(container).getBlockBlobClient('owner');
  const props = await blob.getProperties().catch(() => undefined);
  if (!props || props.leaseState !== 'leased') return;
  const [host, pid] = (props.metadata?.owner ?? '').split(':');
  if (host !== os.hostname() || !pid || !/^\d+$/.test(pid) || Number(pid) === process.pid || isAlive(Number(pid))) return;
  log('info', `The task hub's owner (process ${pid} on this machine) is gone; breaking its lease instead of waiting for it to run out.`);
  await blob
    .getBlobLeaseClient()
    .breakLease(0)
    .catch(() => undefined);
}
