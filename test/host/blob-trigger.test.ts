import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BlobClient, BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RunningHost } from '../../src/host/host.js';
import { type CapturedLog, captureLog, eventually, startTestHost, useTestAzurite } from '../support/stack.js';

const appDir = path.join(__dirname, '../fixtures/blob-app');
const SETTING_CONTAINER = 'from-setting';

/** What the fixture app's functions record (see test/fixtures/blob-app/functions). */
interface Call {
  fn: string;
  isBuffer?: boolean;
  content?: string;
  triggerMetadata: Record<string, unknown> & { name?: string; properties?: Record<string, unknown> };
  startedAt?: number;
  endedAt?: number;
  instanceId?: string;
}
const fixture = globalThis as unknown as { __blobCalls?: Call[]; __blobActive?: { now: number; max: number } };
const calls = (fn: string, name?: string): Call[] =>
  (fixture.__blobCalls ?? []).filter((c) => c.fn === fn && (name === undefined || c.triggerMetadata.name === name));

/** Waits until `fn` has run `count` times (for blob `name`, by its {name} token), and returns those calls. */
function waitForCalls(fn: string, name?: string, count = 1, timeoutMs = 10_000): Promise<Call[]> {
  return eventually(
    () => (calls(fn, name).length >= count ? calls(fn, name) : undefined),
    timeoutMs,
    `${count} call(s) of ${fn}${name ? ` for ${name}` : ''}`,
  );
}

const azurite = useTestAzurite();
let blobs: BlobServiceClient;
let host: RunningHost;
let log: CapturedLog;

beforeAll(() => {
  // Set before the first host loads the app: %BLOB_FIXTURE_CONTAINER% is resolved at registration.
  process.env.BLOB_FIXTURE_CONTAINER = SETTING_CONTAINER;
  blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
});
afterAll(() => {
  delete process.env.BLOB_FIXTURE_CONTAINER;
});

beforeEach(async () => {
  fixture.__blobCalls = [];
  log = captureLog();
  host = await startTestHost(azurite, { appDir, log: log.log });
});
afterEach(async () => {
  await host?.stop();
});

async function upload(
  blobPath: string,
  content: string,
  options: { metadata?: Record<string, string>; contentType?: string } = {},
): Promise<string> {
  const [container = '', ...rest] = blobPath.split('/');
  const containerClient = blobs.getContainerClient(container);
  await containerClient.createIfNotExists();
  const res = await containerClient.getBlockBlobClient(rest.join('/')).upload(content, Buffer.byteLength(content), {
    metadata: options.metadata,
    blobHTTPHeaders: { blobContentType: options.contentType },
  });
  return res.etag ?? '';
}

/**
 * Proof that the watcher has listed `container` since now: a fresh blob in it has fired (listing
 * is in name order within one poll), plus two intervals for invocations dispatched beside it.
 * `under` puts the barrier blob where the function's pattern matches.
 */
async function pollHasPassed(fn: string, container: string, under = ''): Promise<void> {
  const barrier = `${container}/${under}zz-barrier-${randomUUID()}.txt`;
  await upload(barrier, 'barrier');
  await eventually(
    () => ((fixture.__blobCalls ?? []).some((c) => c.fn === fn && c.triggerMetadata.blobTrigger === barrier) ? true : undefined),
    10_000,
    `${fn} to see ${barrier}`,
  );
  await sleep(200);
}

/** How often the host downloaded `blobName` while `during` ran (the host shares this process's SDK). */
async function downloadsOf(blobName: string, during: () => Promise<void>): Promise<number> {
  const spy = vi.spyOn(BlobClient.prototype, 'download');
  try {
    await during();
    return spy.mock.contexts.filter((c) => (c as BlobClient).name === blobName).length;
  } finally {
    spy.mockRestore();
  }
}

describe('blob trigger: which blobs fire', () => {
  it("fires once for a new blob, with its bytes as a Buffer and the real host's trigger metadata", async () => {
    const etag = await upload('uploads/hello.txt', 'hello blob', { metadata: { Author: 'ada' }, contentType: 'text/plain' });
    const [call] = await waitForCalls('onUpload', 'hello.txt');
    expect(call?.isBuffer).toBe(true);
    expect(call?.content).toBe('hello blob');
    const md = call?.triggerMetadata;
    expect(md?.blobTrigger).toBe('uploads/hello.txt');
    expect(String(md?.uri)).toMatch(/\/uploads\/hello\.txt$/);
    expect(md?.metadata).toEqual({ author: 'ada' });
    expect(md?.properties).toMatchObject({ contentType: 'text/plain', contentLength: 10, eTag: etag, blobType: 'BlockBlob' });
    expect(Date.parse(String(md?.properties?.lastModified))).not.toBeNaN();

    await pollHasPassed('onUpload', 'uploads');
    expect(calls('onUpload', 'hello.txt')).toHaveLength(1);
  });

  it('binds {name}.{ext} tokens greedily as the real host does, and skips names that do not fit', async () => {
    await upload('documents/README', 'no extension');
    await upload('documents/report.final.pdf', 'pdf bytes');
    const [call] = await waitForCalls('onDocument', 'report.final');
    expect(call?.triggerMetadata).toMatchObject({ name: 'report.final', ext: 'pdf', blobTrigger: 'documents/report.final.pdf' });

    await pollHasPassed('onDocument', 'documents');
    expect(calls('onDocument').map((c) => c.triggerMetadata.blobTrigger)).not.toContain('documents/README');
  });

  it('lists under a literal prefix and binds {folder}/{name}, a token spanning "/" like the real host', async () => {
    await upload('archive/incoming/2024/q1.csv', 'q1');
    await upload('archive/incoming/a/b/c.txt', 'nested');
    await upload('archive/incoming/flat.csv', 'no folder');
    await upload('archive/outgoing/2024/q1.csv', 'outside the prefix');
    await waitForCalls('onArchived', undefined, 2);
    await pollHasPassed('onArchived', 'archive', 'incoming/zz/');

    const seen = calls('onArchived').map((c) => c.triggerMetadata);
    // The worker JSON-parses string binding data, so the folder "2024" arrives as a number, as on Azure.
    expect(seen).toContainEqual(expect.objectContaining({ folder: 2024, name: 'q1.csv', blobTrigger: 'archive/incoming/2024/q1.csv' }));
    expect(seen).toContainEqual(expect.objectContaining({ folder: 'a/b', name: 'c.txt' }));
    expect(seen.map((m) => m.blobTrigger)).not.toContain('archive/incoming/flat.csv');
    expect(seen.map((m) => m.blobTrigger)).not.toContain('archive/outgoing/2024/q1.csv');
  });

  it('fires again when the blob is overwritten with new content', async () => {
    const v1 = await upload('uploads/versioned.txt', 'v1');
    await waitForCalls('onUpload', 'versioned.txt');
    const v2 = await upload('uploads/versioned.txt', 'v2');
    expect(v2).not.toBe(v1);
    await waitForCalls('onUpload', 'versioned.txt', 2);
    expect(calls('onUpload', 'versioned.txt').map((c) => [c.content, c.triggerMetadata.properties?.eTag])).toEqual([
      ['v1', v1],
      ['v2', v2],
    ]);
    // One receipt per version, at the real host's path blobreceipts/{hostId}/{functionId}/{etag}/{container}/{blob}.
    const receipts = await eventually(
      async () => {
        const names: string[] = [];
        for await (const item of blobs.getContainerClient('azure-webjobs-hosts').listBlobsFlat({ prefix: 'blobreceipts/' })) {
          if (item.name.endsWith('/uploads/versioned.txt')) names.push(item.name);
        }
        return names.length === 2 ? names : undefined;
      },
      5_000,
      'two receipts',
    );
    const shape = /^blobreceipts\/[0-9a-f]{16}\/Host\.Functions\.onUpload\/("[^"/]+")\/uploads\/versioned\.txt$/;
    expect(receipts.map((r) => shape.exec(r)?.[1]).sort()).toEqual([v1, v2].sort());
  });

  it('hands token values through the worker\'s conversion: a blob named "42" binds {name} as the number 42', async () => {
    await upload('uploads/42', 'numeric name');
    const [call] = await eventually(
      () => {
        const found = calls('onUpload').filter((c) => c.triggerMetadata.blobTrigger === 'uploads/42');
        return found.length ? found : undefined;
      },
      10_000,
      'uploads/42',
    );
    expect(call?.triggerMetadata.name).toBe(42);
  });

  it('does not fire an unchanged blob again after the host restarts (receipts live in storage)', async () => {
    await upload('uploads/restart.txt', 'before restart');
    await waitForCalls('onUpload', 'restart.txt');
    await host.stop();
    host = await startTestHost(azurite, { appDir, log: log.log });

    // Polls compare listed ETags with the receipts in memory: a handled blob is not even downloaded.
    const downloads = await downloadsOf('restart.txt', async () => {
      await pollHasPassed('onUpload', 'uploads');
      await sleep(300);
    });
    expect(downloads).toBe(0);
    expect(calls('onUpload', 'restart.txt')).toHaveLength(1);
    // The new host does watch the blob: a new version fires there.
    await upload('uploads/restart.txt', 'after restart');
    await waitForCalls('onUpload', 'restart.txt', 2);
    expect(calls('onUpload', 'restart.txt')[1]?.content).toBe('after restart');
  });

  it('resolves a %Setting% container name and creates the container when it does not exist yet', async () => {
    expect(host.functions.find((f) => f.name === 'fromSetting')?.trigger.path).toBe(`${SETTING_CONTAINER}/{name}`);
    // Nothing but the host creates this container.
    expect(await blobs.getContainerClient(SETTING_CONTAINER).exists()).toBe(true);
    await upload(`${SETTING_CONTAINER}/configured.txt`, 'via setting');
    const [call] = await waitForCalls('fromSetting', 'configured.txt');
    expect(call?.triggerMetadata.blobTrigger).toBe(`${SETTING_CONTAINER}/configured.txt`);
    expect(call?.content).toBe('via setting');
  });
});

describe('blob trigger: failures, admin calls, concurrency', () => {
  it("retries a failing function 5 times, then writes the real host's poison message and leaves the blob", async () => {
    const etag = await upload('failing/bad.txt', 'poison me');
    const poison = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient('webjobs-blobtrigger-poison');
    const message = await eventually(
      async () => {
        if (!(await poison.exists())) return undefined;
        const { peekedMessageItems } = await poison.peekMessages({ numberOfMessages: 32 });
        const bodies = peekedMessageItems.map(
          (m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as Record<string, unknown>,
        );
        return bodies.find((b) => b.BlobName === 'bad.txt');
      },
      15_000,
      'a poison message for failing/bad.txt',
    );

    expect(message).toEqual({
      Type: 'BlobTrigger',
      FunctionId: 'Host.Functions.alwaysFails',
      BlobType: 'BlockBlob',
      ContainerName: 'failing',
      BlobName: 'bad.txt',
      ETag: etag,
    });
    expect(calls('alwaysFails', 'bad.txt')).toHaveLength(5);
    const failures = log.lines.filter((l) => l.level === 'error' && l.message.includes('failing/bad.txt'));
    expect(failures.map((l) => /attempt (\d) of 5/.exec(l.message)?.[1])).toEqual(['1', '2', '3', '4', '5']);
    expect(failures[0]?.message).toContain('cannot handle bad.txt');

    await sleep(600); // six poll intervals: a poisoned version is not retried
    expect(calls('alwaysFails', 'bad.txt')).toHaveLength(5);
    expect(await blobs.getContainerClient('failing').getBlobClient('bad.txt').exists()).toBe(true);
  });

  it('runs a blob function once for the blob path given to the admin API', async () => {
    await upload('uploads/admin.txt', 'by admin');
    await waitForCalls('onUpload', 'admin.txt');
    const res = await fetch(`${host.url}/admin/functions/onUpload`, {
      method: 'POST',
      body: JSON.stringify({ input: 'uploads/admin.txt' }),
    });
    expect(res.status).toBe(202);
    await waitForCalls('onUpload', 'admin.txt', 2);
    expect(calls('onUpload', 'admin.txt')[1]).toMatchObject({
      content: 'by admin',
      triggerMetadata: { name: 'admin.txt', blobTrigger: 'uploads/admin.txt' },
    });
  });

  it("runs at most host.json's extensions.blobs.maxDegreeOfParallelism (12 here) invocations at once and each blob once", async () => {
    const active = (fixture.__blobActive ??= { now: 0, max: 0 });
    active.max = 0;
    const names = Array.from({ length: 24 }, (_, i) => `b${String(i).padStart(2, '0')}`);
    await Promise.all(names.map((n) => upload(`slow/${n}`, n)));
    await waitForCalls('slow', undefined, names.length, 15_000);
    expect(active.max).toBeGreaterThan(1);
    expect(active.max).toBeLessThanOrEqual(12);
    expect(
      calls('slow')
        .map((c) => c.triggerMetadata.name)
        .sort(),
    ).toEqual(names);
  });

  it('fires every one of many blobs present at once, each once, when they span several scans', async () => {
    // Pages of 40: the 300 blobs take several polls' pages, each page queued and worked through
    // before the next is listed, the sweep going on from where the last page stopped.
    await host.stop();
    host = await startTestHost(azurite, { appDir, log: log.log, blobScanPageSize: 40 });
    const names = Array.from({ length: 300 }, (_, i) => `many-${String(i).padStart(3, '0')}.txt`);
    const container = blobs.getContainerClient('uploads');
    for (let i = 0; i < names.length; i += 50)
      await Promise.all(names.slice(i, i + 50).map((n) => container.getBlockBlobClient(n).upload(n, n.length)));
    const fired = await eventually(
      () => {
        const seen = calls('onUpload').filter((c) => String(c.triggerMetadata.name).startsWith('many-'));
        return seen.length >= names.length ? seen : undefined;
      },
      60_000,
      `${names.length} blobs to fire`,
    );
    await pollHasPassed('onUpload', 'uploads');
    const fires = calls('onUpload').filter((c) => String(c.triggerMetadata.name).startsWith('many-'));
    expect(fires).toHaveLength(names.length);
    expect(fired.map((c) => [c.triggerMetadata.name, c.content]).sort()).toEqual(names.map((n) => [n, n]));
  });

  it('never runs the same blob twice at once: an overwrite during an invocation fires after it', async () => {
    const active = (fixture.__blobActive ??= { now: 0, max: 0 });
    await upload('slow/same.txt', 'first');
    await eventually(() => (active.now > 0 ? true : undefined), 10_000, 'the first version to start');
    await upload('slow/same.txt', 'second');
    await waitForCalls('slow', 'same.txt', 2);
    const [first, second] = calls('slow', 'same.txt');
    expect([first?.content, second?.content]).toEqual(['first', 'second']);
    expect(second?.startedAt).toBeGreaterThanOrEqual(first?.endedAt ?? Infinity);
  });

  it('stop() waits for invocations in flight', async () => {
    const active = (fixture.__blobActive ??= { now: 0, max: 0 });
    await upload('slow/stop-me.txt', 'in flight at stop');
    await eventually(() => (active.now > 0 ? true : undefined), 10_000, 'the invocation to start');
    await host.stop();
    expect(active.now).toBe(0);
    expect(calls('slow', 'stop-me.txt')).toHaveLength(1);
  });

  it('gives df.app.client.storageBlob functions a durable client that starts orchestrations', async () => {
    await upload('orders/o1.json', '{"qty":2}');
    const [call] = await waitForCalls('startOrder');
    const status = await eventually(async () => {
      const res = await fetch(`${host.url}/runtime/webhooks/durabletask/instances/${call?.instanceId}`);
      const body = (await res.json()) as { runtimeStatus: string; output: unknown };
      return body.runtimeStatus === 'Completed' ? body : undefined;
    });
    expect(status.output).toEqual({ name: 'o1.json', body: '{"qty":2}' });
  });
});
