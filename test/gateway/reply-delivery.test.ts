import { beforeEach, describe, expect, it } from 'vitest';
import type { ReplyEnvelope } from '../../src/gateway/contract.js';
import { GatewayDurable } from '../../src/gateway/durable-port.js';
import { CONFIRM_TIMEOUT_MS, deliverBlobReply, type DeliveryDeps } from '../../src/gateway/reply-delivery.js';
import { FakeBlobs } from './fake-blobs.js';
import { FakeDurableClient } from './fake-durable.js';

const config = { repliesContainer: 'replies', rejectedContainer: 'replies-rejected', inlineReplyBytes: 16, replyGraceMs: 1000, pollIntervalMs: 50 };

let client: FakeDurableClient;
let blobs: FakeBlobs;
let clock: number;
let deps: DeliveryDeps;

// Plays the orchestrator: the first reply event completes the instance with that reply.
function orchestratorTakesFirstReply(): void {
  client.afterRaise = (id, data) => {
    const instance = client.instances.get(id);
    if (instance && instance.runtimeStatus !== 'Completed') client.set(id, { ...instance, runtimeStatus: 'Completed', output: { outcome: 'replied', reply: data } });
  };
}

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
  it('raises a small reply inline, confirms it, then removes the blob', async () => {
    client.set('req-1', { runtimeStatus: 'Running' });
    orchestratorTakesFirstReply();
    const etag = blobs.put('replies', 'req-1.json', '{"ok":1}', 'application/json', { status: '201' });
    const result = await deliverBlobReply('req-1.json', deps);
    expect(result).toEqual({ result: 'delivered', requestId: 'req-1', replyId: `blob:replies/req-1.json@${etag}` });
    const envelope = client.raised[0]?.data as ReplyEnvelope;
    expect(envelope).toMatchObject({ status: 201, contentType: 'application/json', body: Buffer.from('{"ok":1}').toString('base64') });
    expect(envelope.ref).toBeUndefined();
    expect(blobs.get('replies', 'req-1.json')).toBeUndefined();
  });

  it('passes a large reply by reference and keeps the blob (claim check)', async () => {
    client.set('req-1', { runtimeStatus: 'Running' });
    orchestratorTakesFirstReply();
    const etag = blobs.put('replies', 'req-1', 'x'.repeat(17), 'text/plain');
    await deliverBlobReply('req-1', deps);
    const envelope = client.raised[0]?.data as ReplyEnvelope;
    expect(envelope.body).toBeUndefined();
    expect(envelope.ref).toEqual({ container: 'replies', blobName: 'req-1', size: 17, etag });
    expect(blobs.get('replies', 'req-1')).toBeDefined();
  });

  it('retries a not-yet-started id, then delivers once it exists (field note #4)', async () => {
    orchestratorTakesFirstReply();
    let looks = 0;
    const inspect = deps.durable.inspect.bind(deps.durable);
    deps.durable = {
      raiseReply: deps.durable.raiseReply.bind(deps.durable),
      inspect: (id) => {
        if (++looks === 3) client.set('req-1', { runtimeStatus: 'Running' });
        return inspect(id);
      },
    };
    blobs.put('replies', 'req-1.json', '{}');
    expect(await deliverBlobReply('req-1.json', deps)).toMatchObject({ result: 'delivered' });
    expect(clock).toBeGreaterThan(0);
  });

  it('sets an unknown id aside after the grace period', async () => {
    blobs.put('replies', 'nobody.json', '{}');
    const result = await deliverBlobReply('nobody.json', deps);
    expect(result).toMatchObject({ result: 'setAside', reason: 'unknown-request' });
    expect(clock).toBeGreaterThanOrEqual(config.replyGraceMs);
    expect(blobs.get('replies-rejected', `nobody.json/0x1`)?.metadata).toMatchObject({
      reason: 'unknown-request',
      originalcontainer: 'replies',
      originalname: 'nobody.json',
    });
    expect(client.raised).toEqual([]);
  });

  it('sets a malformed reply aside without looking anything up', async () => {
    blobs.put('replies', 'req-1.json', '{}', 'application/json', { status: 'nope' });
    expect(await deliverBlobReply('req-1.json', deps)).toMatchObject({ result: 'setAside', reason: 'malformed' });
  });

  it('sets a late reply aside and never raises it', async () => {
    client.set('req-1', { runtimeStatus: 'Terminated', output: 'sync wait expired' });
    blobs.put('replies', 'req-1.json', '{}');
    expect(await deliverBlobReply('req-1.json', deps)).toMatchObject({ result: 'setAside', reason: 'late' });
    expect(client.raised).toEqual([]);
  });

  it('sets a second reply for an answered request aside as duplicate; the answer stays', async () => {
    const answer = { replyId: 'blob:replies/req-1.json@"0x9"', status: 200, contentType: 'text/plain', body: 'aGk=', receivedAt: 'now' };
    client.set('req-1', { runtimeStatus: 'Completed', output: { outcome: 'replied', reply: answer } });
    blobs.put('replies', 'req-1.xml', '<x/>');
    expect(await deliverBlobReply('req-1.xml', deps)).toMatchObject({ result: 'setAside', reason: 'duplicate' });
    expect(client.instances.get('req-1')?.output).toEqual({ outcome: 'replied', reply: answer });
  });

  it('two replies racing into a running instance: the loser is set aside as duplicate', async () => {
    client.set('req-1', { runtimeStatus: 'Running' });
    blobs.put('replies', 'req-1.json', '{"a":1}');
    blobs.put('replies', 'req-1.txt', 'b');
    // Both are raised while Running; once both are in, the orchestrator takes the .json one.
    client.afterRaise = () => {
      const winner = client.raised.find((r) => (r.data as ReplyEnvelope).replyId.includes('req-1.json'));
      if (client.raised.length === 2) client.set('req-1', { runtimeStatus: 'Completed', output: { outcome: 'replied', reply: winner?.data } });
    };
    const [txt, json] = await Promise.all([deliverBlobReply('req-1.txt', deps), deliverBlobReply('req-1.json', deps)]);
    expect(client.raised).toHaveLength(2);
    expect(txt).toMatchObject({ result: 'setAside', reason: 'duplicate' });
    expect(json).toMatchObject({ result: 'delivered' });
    expect(blobs.get('replies-rejected', 'req-1.txt/0x2')?.metadata.reason).toBe('duplicate');
  });

  it('a raise swallowed as 410 (instance ended meanwhile) is set aside as late', async () => {
    client.set('req-1', { runtimeStatus: 'Running' });
    client.afterRaise = (id) => client.set(id, { runtimeStatus: 'Terminated', output: 'canceled by caller' });
    blobs.put('replies', 'req-1.json', '{}');
    expect(await deliverBlobReply('req-1.json', deps)).toMatchObject({ result: 'setAside', reason: 'late' });
  });

  it('a trigger firing again for a delivered reply does nothing', async () => {
    const etag = blobs.put('replies', 'req-1', 'x'.repeat(20));
    const reply = { replyId: `blob:replies/req-1@${etag}`, status: 200, contentType: 'x', ref: {}, receivedAt: 'now' };
    client.set('req-1', { runtimeStatus: 'Completed', output: { outcome: 'replied', reply: { ...reply, ref: { container: 'replies', blobName: 'req-1', size: 20, etag } } } });
    expect(await deliverBlobReply('req-1', deps)).toMatchObject({ result: 'alreadyDelivered' });
    expect(blobs.get('replies', 'req-1')).toBeDefined();
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
});
