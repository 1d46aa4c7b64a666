// The blob trigger's `source`: EventGrid (the only one on Flex Consumption) is accepted and served
// by the host's own container scan in Event Grid's place, and the start banner and log say so;
// an unknown source is refused by name.
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterEach, describe, expect, it } from 'vitest';
import { describeFunctions } from '../../src/host/function-list.js';
import type { RunningHost } from '../../src/host/host.js';
import { blobTriggerSource } from '../../src/host/triggers/blob-trigger.js';
import { captureLog, eventually, startTestHost, useTestAzurite } from '../support/stack.js';

const appDir = path.join(__dirname, '../fixtures/blob-eventgrid-app');
interface Call {
  content: string;
  triggerMetadata: { name?: string; blobTrigger?: string; uri?: string };
}
const fixture = globalThis as unknown as { __eventGridBlobCalls?: Call[] };

const azurite = useTestAzurite();
let host: RunningHost | undefined;
afterEach(async () => {
  await host?.stop();
  host = undefined;
});

describe('blob trigger source', () => {
  it('EventGrid: the blob is delivered with the trigger metadata, and the banner says who stands in for Event Grid', async () => {
    fixture.__eventGridBlobCalls = [];
    const log = captureLog();
    host = await startTestHost(azurite, { appDir, log: log.log });
    await BlobServiceClient.fromConnectionString(azurite.connectionString)
      .getContainerClient('eg-uploads')
      .getBlockBlobClient('first.txt')
      .upload('hello', 5);
    const [call] = await eventually(() => (fixture.__eventGridBlobCalls?.length ? fixture.__eventGridBlobCalls : undefined));
    expect(call?.content).toBe('hello');
    expect(call?.triggerMetadata).toMatchObject({ name: 'first.txt', blobTrigger: 'eg-uploads/first.txt' });
    expect(log.lines.map((l) => l.message).join('\n')).toMatch(
      /onEventGridUpload: source EventGrid: no Event Grid locally, so this host scans container "eg-uploads".*\/runtime\/webhooks\/blobs\?functionName=Host\.Functions\.onEventGridUpload/,
    );
    expect(describeFunctions(host)).toContain(
      "onEventGridUpload: blobTrigger (source EventGrid: delivered by this host's own container scan",
    );
  });

  it('the source is read as the extension reads it: absent is the scan, any case, anything else refused by name', () => {
    const fn = (source: unknown) => ({ name: 'f', trigger: { type: 'blobTrigger', path: 'c/{name}', source } });
    expect(blobTriggerSource(fn(undefined))).toBe('LogsAndContainerScan');
    expect(blobTriggerSource(fn('eventgrid'))).toBe('EventGrid');
    expect(() => blobTriggerSource(fn('Polling'))).toThrow(/Function f: blob trigger source "Polling"/);
  });
});
