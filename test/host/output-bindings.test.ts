import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFunctions } from '../../src/host/function-list.js';
import type { RunningHost } from '../../src/host/host.js';
import { loadConnectionStrings, readHostSettings } from '../../src/host/host-settings.js';
import type { RunningAzurite } from '../../src/host/storage/azurite.js';
import { type CapturedLog, captureLog, eventually, startTestAzurite, startTestHost } from '../support/stack.js';

const appDir = path.join(__dirname, '../fixtures/outputs-app');
const fixture = globalThis as unknown as { __outputCalls?: { fn: string }[] };

let azurite: RunningAzurite;
let blobs: BlobServiceClient;
let queues: QueueServiceClient;
let host: RunningHost;
let log: CapturedLog;

beforeAll(async () => {
  azurite = await startTestAzurite();
  // What local.settings.json ConnectionStrings.OutputStorage becomes (see loadConnectionStrings).
  process.env['ConnectionStrings:OutputStorage'] = azurite.connectionString;
  blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
  queues = QueueServiceClient.fromConnectionString(azurite.connectionString);
  log = captureLog();
  host = await startTestHost(azurite, { appDir, log: log.log });
});
afterAll(async () => {
  await host?.stop();
  await azurite?.stop();
  delete process.env['ConnectionStrings:OutputStorage'];
  delete process.env['ConnectionStrings:FromFile'];
});

async function upload(blobPath: string, content: string): Promise<void> {
  const [container = '', ...rest] = blobPath.split('/');
  const client = blobs.getContainerClient(container);
  await client.createIfNotExists();
  await client.getBlockBlobClient(rest.join('/')).upload(content, Buffer.byteLength(content));
}

/** Queue messages as the queue extension wrote them (base64), decoded. */
async function queueTexts(queue: string, count: number): Promise<string[]> {
  const client = queues.getQueueClient(queue);
  return eventually(
    async () => {
      if (!(await client.exists())) return undefined;
      const peeked = await client.peekMessages({ numberOfMessages: 32 });
      const texts = peeked.peekedMessageItems.map((m) => Buffer.from(m.messageText, 'base64').toString('utf8'));
      return texts.length >= count ? texts : undefined;
    },
    10_000,
    `${count} message(s) on ${queue}`,
  );
}

describe('output bindings (blob and queue, real Azurite)', () => {
  it('writes extraOutputs after the function returns: a blob at the {name}-resolved path and a base64 queue message', async () => {
    await upload('outputs-in/report.txt', 'hello');
    const copy = await eventually(
      async () => {
        const blob = blobs.getContainerClient('outputs-out').getBlobClient('report.txt.copy');
        return (await blob.exists()) ? (await blob.downloadToBuffer()).toString() : undefined;
      },
      10_000,
      'the copied blob',
    );
    expect(copy).toBe('copy of: hello');
    expect(await queueTexts('copied', 1)).toEqual([JSON.stringify({ copied: 'report.txt' })]);
  });

  it('writes a return binding, one queue message per array element', async () => {
    await upload('returns-in/r1', 'body');
    const texts = await queueTexts('returned', 2);
    expect(texts).toEqual(['first:r1', JSON.stringify({ second: 'body' })]);
  });

  it('writes nothing for a failed invocation', async () => {
    await upload('failing-in/f1', 'x');
    await eventually(
      () => ((fixture.__outputCalls ?? []).filter((c) => c.fn === 'failsAfterSetting').length >= 2 ? true : undefined),
      10_000,
      'two failed attempts',
    );
    expect(await blobs.getContainerClient('outputs-out').getBlobClient('lost-f1').exists()).toBe(false);
  });

  it("fails an invocation that runs past host.json functionTimeout, with the host's message", async () => {
    await upload('slow-in/s1', 'x');
    const line = await eventually(
      () =>
        log.lines.find((l) =>
          /^Timeout value of 00:00:02 exceeded by function 'Functions.tooSlow' \(Id: '[0-9a-f-]+'\)\. Initiating cancellation\.$/.test(
            l.message,
          ),
        ),
      10_000,
      'the timeout',
    );
    expect(line.level).toBe('error');
    await eventually(
      () => log.lines.find((l) => /Function tooSlow failed on blob slow-in\/s1 \(attempt 1 of 5\): Timeout value/.test(l.message)),
      5_000,
      'the failed attempt',
    );
  });
});

describe('what the host does not implement is refused loudly, never ignored', () => {
  it('does not load functions with bindings it does not implement, naming the function and binding', () => {
    const names = host.functions.map((f) => f.name).sort();
    expect(names).toEqual(['copyBlob', 'failsAfterSetting', 'plainHttp', 'returnToQueue', 'tooSlow']);
    expect(host.notSupported).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^Function withBlobInput is not loaded: binding \S+ \(blob\): input binding type blob is not filled by the local host\.$/,
        ),
        expect.stringMatching(
          /^Function withTableOutput is not loaded: binding \S+ \(table\): output binding type table is not written by the local host\.$/,
        ),
        expect.stringMatching(
          /^Function onQueue is not loaded: binding \S+ \(queueTrigger\): trigger type queueTrigger is not run by the local host\.$/,
        ),
      ]),
    );
  });

  it('does not serve the route of a refused HTTP function', async () => {
    expect((await fetch(`${host.url}/api/with-blob-input`)).status).toBe(404);
    expect((await fetch(`${host.url}/api/plain`)).status).toBe(200);
  });

  it('names host.json settings it does not apply, and durable limits the engine has no option for', () => {
    expect(host.notSupported).toEqual(
      expect.arrayContaining([
        'host.json singleton: not applied by the local host.',
        'host.json extensions.queues: not applied by the local host.',
        'host.json extensions.http.maxConcurrentRequests: not applied by the local host.',
        expect.stringMatching(/^host\.json extensions\.durableTask\.maxConcurrentActivityFunctions \(4\): not applied/),
      ]),
    );
    for (const line of host.notSupported) expect(log.lines).toContainEqual({ level: 'warn', message: line });
  });

  it('lists all of it in the start banner', () => {
    const banner = describeFunctions(host);
    expect(banner).toContain('Not supported by the local host');
    for (const line of host.notSupported) expect(banner).toContain(line);
  });
});

describe('settings files', () => {
  it("loads local.settings.json ConnectionStrings; a variable already set (the test's Azurite) wins", () => {
    expect(process.env['ConnectionStrings:FromFile']).toBe('UseDevelopmentStorage=true');
    expect(process.env['ConnectionStrings:OutputStorage']).toBe(azurite.connectionString);
  });

  it('answers CORS as Core Tools does for Host.CORS: allowed origin echoed with credentials, preflight 204, other origins get nothing', async () => {
    const simple = await fetch(`${host.url}/api/plain`, { headers: { Origin: 'http://allowed.example' } });
    expect(simple.status).toBe(200);
    expect(simple.headers.get('access-control-allow-origin')).toBe('http://allowed.example');
    expect(simple.headers.get('access-control-allow-credentials')).toBe('true');
    expect(simple.headers.get('vary')).toContain('Origin');

    const preflight = await fetch(`${host.url}/api/plain`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'http://allowed.example',
        'Access-Control-Request-Method': 'PUT',
        'Access-Control-Request-Headers': 'x-custom, content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toBe('PUT');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('x-custom, content-type');

    const other = await fetch(`${host.url}/api/plain`, { headers: { Origin: 'http://evil.example' } });
    expect(other.status).toBe(200);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('reads local.settings.json ConnectionStrings (plain or {ConnectionString}) and Host.LocalHttpPort / Host.CORS', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'settings-'));
    try {
      fs.writeFileSync(
        path.join(dir, 'local.settings.json'),
        JSON.stringify({
          Values: {},
          Host: { LocalHttpPort: 7199, CORS: 'http://a.example, http://b.example', CORSCredentials: true, Unknown: 1 },
          ConnectionStrings: {
            Plain: 'UseDevelopmentStorage=true',
            Shaped: { ConnectionString: 'x=y', ProviderName: 'System.Data.SqlClient' },
          },
        }),
      );
      const env: NodeJS.ProcessEnv = { 'ConnectionStrings:Shaped': 'already set' };
      expect(loadConnectionStrings(dir, env)).toEqual(['Plain']);
      expect(env['ConnectionStrings:Plain']).toBe('UseDevelopmentStorage=true');
      expect(env['ConnectionStrings:Shaped']).toBe('already set');
      const settings = readHostSettings(dir);
      expect(settings.localHttpPort).toBe(7199);
      expect(settings.cors).toEqual({ origins: ['http://a.example', 'http://b.example'], credentials: true });
      expect(settings.notApplied).toContain('local.settings.json Host.Unknown');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a functionTimeout that is not a TimeSpan, naming the setting', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'settings-'));
    try {
      fs.writeFileSync(
        path.join(dir, 'host.json'),
        JSON.stringify({
          version: '2.0',
          functionTimeout: '5 minutes',
          extensions: { serviceBus: { maxConcurrentCalls: 4, prefetchCount: 10 } },
        }),
      );
      expect(() => readHostSettings(dir)).toThrow('host.json functionTimeout must be a TimeSpan like "00:05:00", got "5 minutes".');
      fs.writeFileSync(
        path.join(dir, 'host.json'),
        JSON.stringify({
          version: '2.0',
          functionTimeout: '00:10:00',
          extensions: {
            serviceBus: { maxConcurrentCalls: 4, prefetchCount: 10 },
            blobs: { maxDegreeOfParallelism: 48, poisonBlobThreshold: 3 },
          },
        }),
      );
      expect(readHostSettings(dir)).toMatchObject({
        functionTimeoutMs: 600_000,
        serviceBus: { maxConcurrentCalls: 4, prefetchCount: 10 },
        blobs: { maxDegreeOfParallelism: 48, poisonBlobThreshold: 3 },
        notApplied: [],
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
