import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubLease } from '../../../src/host/durable/view/hub-lease.js';
import type { RunningAzurite } from '../../../src/host/storage/azurite.js';
import { createStorageClients, type StorageClients } from '../../../src/host/storage/connection.js';
import { captureLog, eventually, startTestAzurite } from '../../support/stack.js';

const BUILT = path.join(__dirname, '../../../dist/src/host/durable/view/hub-lease.js');

let azurite: RunningAzurite;
let storage: StorageClients;
const children: ChildProcess[] = [];

beforeAll(async () => {
  azurite = await startTestAzurite();
  storage = createStorageClients(azurite.connectionString);
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await azurite?.stop();
});

function lease(hubName: string, ownerId: string): HubLease {
  return new HubLease({ blobs: storage.blobs, hubName, ownerId, leaseSeconds: 15, pollMs: 200, log: captureLog().log });
}

/** Starts acquiring and reports, without waiting, whether it has got the lease yet. */
function acquiring(l: HubLease): { held: () => boolean; done: Promise<void> } {
  let held = false;
  const done = l.acquire().then(() => {
    held = true;
  });
  return { held: () => held, done };
}

/** Another process holding the lease with the built module, so a SIGKILL is a real crash. */
async function ownerProcess(hubName: string): Promise<ChildProcess> {
  if (!fs.existsSync(BUILT)) throw new Error(`${BUILT} is missing: run "npm run build" first (npm test does).`);
  const script = `
    const { HubLease } = require(${JSON.stringify(BUILT)});
    const { BlobServiceClient } = require('@azure/storage-blob');
    const l = new HubLease({ blobs: BlobServiceClient.fromConnectionString(process.env.CS), hubName: ${JSON.stringify(hubName)},
      ownerId: 'child', leaseSeconds: 15, log: () => {} });
    l.acquire().then(() => console.log('held'));
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', script], {
    env: { ...process.env, CS: azurite.connectionString },
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: path.join(__dirname, '../../..'),
  });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  await eventually(() => (out.includes('held') ? true : undefined), 20_000, `the child to hold the lease:\n${out}`);
  return child;
}

describe('task hub lease', () => {
  it('a second owner waits while the first renews, and gets the lease once it is released', async () => {
    const first = lease('LeaseHubA', 'first');
    await first.acquire();
    let firstLost = false;
    void first.lost.then(() => (firstLost = true));
    const second = lease('LeaseHubA', 'second');
    const waiting = acquiring(second);
    // Four renewals (every 5 s) outlast the 15 s lease: had renewal not worked, the second owner would have it by now.
    await eventually(() => (first.renewals >= 4 ? true : undefined), 45_000, 'four renewals');
    expect(waiting.held()).toBe(false);
    expect(firstLost).toBe(false);
    await first.release();
    await eventually(() => (waiting.held() ? true : undefined), 10_000, 'the second owner to take over after release');
    await second.release();
  }, 90_000);

  it('takes over from an owner that crashed (SIGKILL) once its lease runs out', async () => {
    const child = await ownerProcess('LeaseHubB');
    const second = lease('LeaseHubB', 'second');
    const waiting = acquiring(second);
    const container = storage.blobs.getContainerClient('leasehubb-leases');
    expect((await container.getBlobClient('owner').getProperties()).leaseState).toBe('leased');
    expect(waiting.held()).toBe(false);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    await eventually(() => (waiting.held() ? true : undefined), 30_000, 'the second owner to take over after the crash');
    expect((await container.getBlobClient('owner').getProperties()).metadata?.owner).toBe('second');
    await second.release();
  }, 90_000);

  it('settles `lost` when another owner takes the lease away', async () => {
    const first = lease('LeaseHubC', 'first');
    await first.acquire();
    // Breaking a lease is what an operator (or a host that decided the owner is gone) can do on Azure too.
    const blob = storage.blobs.getContainerClient('leasehubc-leases').getBlobClient('owner');
    await blob.getBlobLeaseClient().breakLease(0);
    const thief = lease('LeaseHubC', 'thief');
    await thief.acquire();
    await first.lost;
    expect(first.renewals).toBe(0);
    await thief.release();
  }, 30_000);

  it('stops waiting when the caller aborts', async () => {
    const first = lease('LeaseHubD', 'first');
    await first.acquire();
    const log = captureLog();
    const second = new HubLease({
      blobs: storage.blobs,
      hubName: 'LeaseHubD',
      ownerId: 'second',
      leaseSeconds: 15,
      pollMs: 200,
      log: log.log,
    });
    const abort = new AbortController();
    const waiting = second.acquire(abort.signal);
    await eventually(
      () => (log.lines.some((l) => l.message.includes('second waits for its lease')) ? true : undefined),
      10_000,
      'the second owner to wait',
    );
    abort.abort(new Error('host stopping'));
    await expect(waiting).rejects.toThrow('host stopping');
    await first.release();
  });

  it('refuses a lease length storage would not accept', () => {
    expect(() => new HubLease({ blobs: storage.blobs, hubName: 'x', ownerId: 'o', leaseSeconds: 5, log: () => undefined })).toThrow(
      /15 to 60/,
    );
  });
});
