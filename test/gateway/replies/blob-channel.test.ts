// The races of reply delivery that a real stack cannot be made to produce on demand: the
// end-to-end tests (test/e2e/replies.test.ts, sync.test.ts) cover every other path for real,
// with Azurite and the local host. Here the fakes stop time between two storage or Durable calls:
// two replies both raised into a still-running instance, an instance ending between the look and
// the raise (the client swallows the 410), a blob deleted between the trigger and the read, and
// an instance that never takes a raised event (30 s of confirming, on a fake clock).

import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ReplyEnvelope } from '../../../src/gateway/contract.js';
import { GatewayDurable } from '../../../src/gateway/durable-port.js';
import { type DeliveryDeps, deliverBlobReply, type TriggeredBlob } from '../../../src/gateway/replies/blob-channel.js';
import { CONFIRM_TIMEOUT_MS } from '../../../src/gateway/replies/delivery.js';
import { FakeBlobs } from '../fake-blobs.js';
import { FakeDurableClient } from '../fake-durable.js';

const config = {
  repliesContainer: 'replies',
  rejectedContainer: 'replies-rejected',
  replyBodiesContainer: 'reply-bodies',
  inlineReplyBytes: 16,
  replyGraceMs: 1000,
  pollIntervalMs: 50,
};

let client: FakeDurableClient;
let blobs: FakeBlobs;
let clock: number;
let deps: DeliveryDeps;

beforeEach(() => {
  client = new FakeDurableClient();
  blobs = new FakeBlobs();
  clock = 0;
  deps = {
    durable: new GatewayDurable(client),
    blobs,
    config,
    sleep: (ms) => {
      clock += ms;
      return Promise.resolve();
    },
    now: () => clock,
  };
});

describe('deliverBlobReply', () => {
  it.each([
    ['inline', '{"a":1}', '"b"'],
    ['by reference', JSON.stringify('x'.repeat(20)), JSON.stringify('y'.repeat(20))],
  ])('two replies (%s) racing into a running instance: the loser is set aside as duplicate', async (_how, winnerBody, loserBody) => {
    client.set('req-1', { runtimeStatus: 'Running' });
    blobs.put('replies', 'req-1.json', winnerBody);
    blobs.put('replies', 'req-1.txt', loserBody);
    // Both are raised while Running; once both are in, the orchestrator takes the .json one.
    const winner = () =>
      client.raised.find((r) => (r.data as ReplyEnvelope).replyId.includes('req-1.json'))?.data as ReplyEnvelope | undefined;
    client.afterRaise = () => {
      if (client.raised.length === 2) client.set('req-1', { runtimeStatus: 'Completed', output: { outcome: 'replied', reply: winner() } });
    };
    const [txt, json] = await Promise.all([deliverBlobReply('req-1.txt', deps), deliverBlobReply('req-1.json', deps)]);
    expect(client.raised).toHaveLength(2);
    expect(txt).toMatchObject({ result: 'setAside', reason: 'duplicate' });
    expect(json).toMatchObject({ result: 'delivered' });
    expect(blobs.get('replies-rejected', 'req-1.txt/0x2')?.metadata.reason).toBe('duplicate');
    expect(blobs.containers.get('replies')?.size).toBe(0);
    // Only the winner's claim check is kept; the loser's bytes live in its set-aside copy.
    const claimChecks = [...(blobs.containers.get('reply-bodies')?.keys() ?? [])];
    expect(claimChecks).toEqual(winner()?.ref ? [winner()?.ref?.blobName] : []);
  });

  it.each([
    ['not UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d])],
    ['not JSON', Buffer.from('{"a":')],
    ['not JSON, too large to inline', Buffer.from(`{"a":"${'x'.repeat(40)}"`)],
  ])('a JSON reply whose bytes are %s is set aside as malformed, before anything is raised', async (_what, bytes) => {
    client.set('req-1', { runtimeStatus: 'Running' });
    blobs.put('replies', 'req-1.json', bytes, 'application/json; charset=utf-8');
    const outcome = await deliverBlobReply('req-1.json', deps);
    expect(outcome).toMatchObject({ result: 'setAside', reason: 'malformed' });
    expect(outcome.result === 'setAside' ? outcome.detail : '').toMatch(/UTF-8 JSON/);
    expect(client.raised).toEqual([]);
    expect(blobs.containers.get('reply-bodies')?.size ?? 0).toBe(0);
  });

  it('the same bytes under a non-JSON content type are delivered as they are', async () => {
    client.set('req-1', { runtimeStatus: 'Running' });
    client.afterRaise = (id, data) => client.set(id, { runtimeStatus: 'Completed', output: { outcome: 'replied', reply: data } });
    blobs.put('replies', 'req-1.bin', Buffer.from([0x7b, 0xff]), 'application/octet-stream');
    expect(await deliverBlobReply('req-1.bin', deps)).toMatchObject({ result: 'delivered' });
  });

  it('a reply for a suspended request is raised and held, its blob removed; nothing waits for a confirmation', async () => {
    client.set('req-1', { runtimeStatus: 'Suspended', customStatus: { stage: 'AwaitingReply', since: 't' } });
    blobs.put('replies', 'req-1.json', '{"a":1}');
    expect(await deliverBlobReply('req-1.json', deps)).toMatchObject({ result: 'held', requestId: 'req-1' });
    expect(client.raised).toHaveLength(1);
    expect(blobs.containers.get('replies')?.size).toBe(0);
    expect(clock).toBeLessThan(1000);
  });

  it('a raise swallowed as 410 (instance ended meanwhile) is set aside as late', async () => {
    client.set('req-1', { runtimeStatus: 'Running' });
    client.afterRaise = (id) => client.set(id, { runtimeStatus: 'Terminated', output: 'canceled by caller' });
    blobs.put('replies', 'req-1.json', '{}');
    expect(await deliverBlobReply('req-1.json', deps)).toMatchObject({ result: 'setAside', reason: 'late' });
  });

  it('a blob already gone is nothing to do', async () => {
    expect(await deliverBlobReply('req-1.json', deps)).toEqual({ result: 'gone' });
  });

  it('throws (so the platform retries) when a raised reply is not taken in time; the blob stays', async () => {
    client.set('req-1', { runtimeStatus: 'Running' });
    blobs.put('replies', 'req-1.json', '{}');
    await expect(deliverBlobReply('req-1.json', deps)).rejects.toThrow(/has not taken it yet/);
    expect(clock).toBeGreaterThan(CONFIRM_TIMEOUT_MS);
    expect(blobs.get('replies', 'req-1.json')).toBeDefined();
  });

  // What the trigger bound: the bytes it read and the properties of the version it saw.
  function triggered(bytes: Buffer, etag: string, md5Of: Buffer = bytes): TriggeredBlob {
    const contentHash = createHash('md5').update(md5Of).digest('base64');
    return {
      content: bytes,
      properties: { eTag: etag, contentType: 'application/json', contentLength: md5Of.length, contentHash },
      metadata: {},
    };
  }

  function counting(): string[] {
    const calls: string[] = [];
    const describe = blobs.describe.bind(blobs);
    const read = blobs.read.bind(blobs);
    blobs.describe = (c, n) => (calls.push(`describe ${n}`), describe(c, n));
    blobs.read = (c, n, e) => (calls.push(`read ${n}`), read(c, n, e));
    return calls;
  }

  it("delivers the trigger's bytes without reading the blob again when their MD5 ties them to the version", async () => {
    client.set('req-1', { runtimeStatus: 'Running' });
    client.afterRaise = (id, data) => client.set(id, { runtimeStatus: 'Completed', output: { outcome: 'replied', reply: data } });
    const etag = blobs.put('replies', 'req-1.json', '{"a":1}');
    const calls = counting();
    expect(await deliverBlobReply('req-1.json', deps, triggered(Buffer.from('{"a":1}'), etag))).toMatchObject({ result: 'delivered' });
    expect(calls).toEqual([]);
    expect((client.raised[0]?.data as ReplyEnvelope).replyId).toBe(`blob:replies/req-1.json@${etag}`);
    expect(blobs.containers.get('replies')?.size).toBe(0);
  });

  it('reads the blob by ETag when the bytes the trigger read are not the version its properties name', async () => {
    client.set('req-1', { runtimeStatus: 'Running' });
    client.afterRaise = (id, data) => client.set(id, { runtimeStatus: 'Completed', output: { outcome: 'replied', reply: data } });
    blobs.put('replies', 'req-1.json', '{"v":1}');
    const second = blobs.put('replies', 'req-1.json', '{"v":2}');
    // Overwritten between the trigger's HEAD (version 2's properties) and its GET (bytes of version 1).
    const calls = counting();
    const outcome = await deliverBlobReply('req-1.json', deps, triggered(Buffer.from('{"v":1}'), second, Buffer.from('{"v":2}')));
    expect(outcome).toMatchObject({ result: 'delivered' });
    expect(calls).toEqual(['describe req-1.json', 'read req-1.json']);
    expect(Buffer.from((client.raised[0]?.data as ReplyEnvelope).body ?? '', 'base64').toString()).toBe('{"v":2}');
  });
});
