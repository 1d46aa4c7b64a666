import type { ServiceBusMessage } from '@azure/service-bus';
import { beforeEach, describe, expect, it } from 'vitest';
import type { WriteOptions } from '../../../src/gateway/blob-store.js';
import type { ReplyEnvelope } from '../../../src/gateway/contract.js';
import { GatewayDurable } from '../../../src/gateway/durable-port.js';
import { parseReplyMessage } from '../../../src/gateway/replies/intake.js';
import {
  deliverServiceBusReply,
  messageBodyBytes,
  messageReplyId,
  type ReceivedReply,
  rejectedMessage,
  type ServiceBusReplyDeps,
  settleServiceBusReply,
} from '../../../src/gateway/replies/servicebus-channel.js';
import { requestMessage } from '../../../src/gateway/request-channel.js';
import { FakeBlobs } from '../fake-blobs.js';
import { FakeDurableClient } from '../fake-durable.js';

class WritableBlobs extends FakeBlobs {
  write(container: string, name: string, bytes: Uint8Array, options: WriteOptions): Promise<void> {
    this.put(container, name, Buffer.from(bytes), options.contentType, options.metadata ?? {});
    return Promise.resolve();
  }
}

const SOURCE = 'replies/Subscriptions/gateway';
const config = {
  inlineReplyBytes: 16,
  replyGraceMs: 1000,
  pollIntervalMs: 50,
  serviceBus: {
    replyTopic: 'replies',
    replySubscription: 'gateway',
    setAside: 'forward' as 'forward' | 'deadletter',
    rejectedQueue: 'replies-rejected',
    replyBodiesContainer: 'reply-bodies',
  },
};

let client: FakeDurableClient;
let blobs: WritableBlobs;
let sent: Array<{ entity: string; message: ServiceBusMessage }>;
let settled: string[];
let clock: number;
let deps: ServiceBusReplyDeps;

function reply(overrides: Partial<ReceivedReply> = {}): ReceivedReply {
  return {
    body: Buffer.from('{"ok":1}'),
    contentType: 'application/json',
    correlationId: 'req-1',
    messageId: 'm-1',
    sequenceNumber: 7,
    subject: undefined,
    applicationProperties: {},
    ...overrides,
  };
}

// Plays the orchestrator: the first reply event completes the instance with that reply.
function orchestratorTakesFirstReply(): void {
  client.afterRaise = (id, data) => {
    const instance = client.instances.get(id);
    if (instance && instance.runtimeStatus !== 'Completed')
      client.set(id, { ...instance, runtimeStatus: 'Completed', output: { outcome: 'replied', reply: data } });
  };
}

beforeEach(() => {
  client = new FakeDurableClient();
  blobs = new WritableBlobs();
  sent = [];
  settled = [];
  clock = 0;
  deps = {
    settlement: {
      complete: () => Promise.resolve(void settled.push('complete')),
      abandon: () => Promise.resolve(void settled.push('abandon')),
      deadLetter: (reason, description) => Promise.resolve(void settled.push(`deadLetter ${reason}: ${description}`)),
    },
    durable: new GatewayDurable(client),
    blobs,
    bus: {
      send: (entity, message) => {
        sent.push({ entity, message });
        return Promise.resolve();
      },
    },
    config,
    sleep: (ms) => {
      clock += ms;
      return Promise.resolve();
    },
    now: () => clock,
  };
});

describe('parseReplyMessage', () => {
  const parse = (facts: Partial<Parameters<typeof parseReplyMessage>[0]>) =>
    parseReplyMessage({ correlationId: undefined, size: 2, applicationProperties: {}, ...facts });

  it('takes the request id from correlationId, else from the requestId property', () => {
    expect(parse({ correlationId: 'abc-1' })).toEqual({ ok: true, requestId: 'abc-1', status: 200 });
    expect(parse({ applicationProperties: { RequestId: 'abc-2' } })).toEqual({ ok: true, requestId: 'abc-2', status: 200 });
  });

  it('reads status as an integer or as text, in any case', () => {
    expect(parse({ correlationId: 'a', applicationProperties: { status: 201 } })).toMatchObject({ ok: true, status: 201 });
    expect(parse({ correlationId: 'a', applicationProperties: { Status: ' 422 ' } })).toMatchObject({ ok: true, status: 422 });
  });

  it.each([
    [{}, /no correlationId/],
    [{ correlationId: '../etc' }, /correlationId is not a valid request id/],
    [{ correlationId: Buffer.from('abc') }, /correlationId is not a valid request id/],
    [{ applicationProperties: { requestId: 'a'.repeat(65) } }, /requestId application property is not a valid/],
    [{ correlationId: 'a', applicationProperties: { status: 199 } }, /status is not a final HTTP status/],
    [{ correlationId: 'a', applicationProperties: { status: 200.5 } }, /status is not a final HTTP status/],
    [{ correlationId: 'a', applicationProperties: { status: true } }, /status is not a final HTTP status/],
    [{ correlationId: 'a', size: 0 }, /empty reply without a status/],
  ])('%j is malformed', (facts, detail) => {
    const parsed = parse(facts);
    expect(parsed).toMatchObject({ ok: false, reason: 'malformed' });
    expect(parsed.ok ? '' : parsed.detail).toMatch(detail);
  });

  it('an empty reply with a status is a reply ("no content")', () => {
    expect(parse({ correlationId: 'a', size: 0, applicationProperties: { status: 204 } })).toMatchObject({ ok: true, status: 204 });
  });
});

describe('messageBodyBytes', () => {
  it('keeps bytes as they came when the host hands them over', () => {
    const bytes = Buffer.from([0xff, 0x00, 0x0d, 0x0a]);
    expect(messageBodyBytes(bytes, 'application/octet-stream').equals(bytes)).toBe(true);
    expect(messageBodyBytes(new Uint8Array([1, 2, 3]).subarray(1), undefined)).toEqual(Buffer.from([2, 3]));
  });

  it('rebuilds what a decoding host handed over: text as UTF-8, parsed JSON compact', () => {
    expect(messageBodyBytes('héllo\r\n', 'text/plain').toString('utf8')).toBe('héllo\r\n');
    expect(messageBodyBytes({ a: [1, 'x'] }, 'application/json').toString()).toBe('{"a":[1,"x"]}');
    expect(messageBodyBytes(42, 'application/json').toString()).toBe('42');
    expect(messageBodyBytes(null, 'application/json').toString()).toBe('null');
    // A JSON string literal arrives parsed; the content type says to quote it again.
    expect(messageBodyBytes('abc', 'application/problem+json').toString()).toBe('"abc"');
    expect(messageBodyBytes(undefined, undefined).length).toBe(0);
  });
});

describe('messages on the wire', () => {
  const request = {
    id: 'req-1',
    operation: 'quote',
    method: 'POST' as const,
    contentType: 'application/xml',
    body: Buffer.from('<q/>').toString('base64'),
    bodyHash: 'h',
    query: {},
    replyTo: 'replies',
    waitMode: 'sync' as const,
    deadlineMs: 25_000,
    createdAt: '2025-01-01T00:00:00.000Z',
  };

  it('a request carries the id as messageId and correlationId, the operation as subject, the reply topic as replyTo', () => {
    const message = requestMessage(request, 'answers');
    expect(message).toEqual({
      body: Buffer.from('<q/>'),
      contentType: 'application/xml',
      messageId: 'req-1',
      correlationId: 'req-1',
      subject: 'quote',
      replyTo: 'answers',
      applicationProperties: { requestId: 'req-1', operation: 'quote', method: 'POST', deadline: '2025-01-01T00:00:25.000Z', attempt: 1 },
    });
  });

  it('a request sent by reference carries no body, its own content type, and where the body is', () => {
    const message = requestMessage(request, 'answers', { blob: 'requests/req-1', size: 4 });
    expect(message.body).toEqual(Buffer.alloc(0));
    expect(message.contentType).toBe('application/xml');
    expect(message.applicationProperties).toMatchObject({ requestId: 'req-1', bodyBlob: 'requests/req-1', bodySize: 4 });
  });

  it('a rejected copy keeps the reply and says why, under the names a dead-lettered message uses', () => {
    const original = reply({ subject: 'quote', applicationProperties: { status: 201, nested: { no: 1 }, at: new Date(0) } });
    const copy = rejectedMessage(original, 'late', 'request timed out before this reply', SOURCE, new Date('2025-01-01T00:00:00Z'));
    expect(copy).toEqual({
      body: original.body,
      contentType: 'application/json',
      messageId: 'm-1',
      correlationId: 'req-1',
      subject: 'quote',
      applicationProperties: {
        status: 201,
        at: new Date(0),
        DeadLetterReason: 'late',
        DeadLetterErrorDescription: 'request timed out before this reply',
        DeadLetterSource: SOURCE,
        RejectedAt: '2025-01-01T00:00:00.000Z',
        OriginalSequenceNumber: 7,
      },
    });
  });

  it('a reply is known across redeliveries by its sequence number', () => {
    expect(messageReplyId({ sequenceNumber: 7, messageId: 'm' }, SOURCE)).toBe(`servicebus:${SOURCE}#7`);
    expect(messageReplyId({ sequenceNumber: undefined, messageId: 'm' }, SOURCE)).not.toBe(
      messageReplyId({ sequenceNumber: undefined, messageId: 'm' }, SOURCE),
    );
  });
});

// The end-to-end suite (test/e2e/servicebus-replies.test.ts) delivers, claim-checks and sets
// aside late, duplicate, unknown and malformed replies for real. Here, with fakes, only what a
// real stack cannot be made to do on demand: a request that starts while its reply waits, two
// large replies racing, a redelivery of a delivered reply, and a rejected-replies queue that
// refuses the copy.
describe('deliverServiceBusReply', () => {
  it('waits out the grace period in the function for a request not started yet, then delivers', async () => {
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
    expect(await deliverServiceBusReply(reply(), deps)).toMatchObject({ result: 'delivered' });
    expect(clock).toBeGreaterThan(0);
    expect(clock).toBeLessThan(config.replyGraceMs);
    expect(sent).toEqual([]);
  });

  it('a reply to a waiting request costs one raise and one status read when it is taken in time', async () => {
    client.set('req-1', { runtimeStatus: 'Running' });
    orchestratorTakesFirstReply();
    const calls: string[] = [];
    deps.durable = {
      inspect: (id) => (calls.push('read'), new GatewayDurable(client).inspect(id)),
      raiseReply: (id, envelope) => (calls.push('raise'), new GatewayDurable(client).raiseReply(id, envelope)),
    };
    expect(await deliverServiceBusReply(reply(), deps)).toMatchObject({ result: 'delivered' });
    expect(calls).toEqual(['raise', 'read']);
  });

  it('a reply raised into an instance that finished meanwhile is judged by the look after the raise, as strictly', async () => {
    client.set('req-1', { runtimeStatus: 'Completed', output: { outcome: 'timedOut' } });
    expect(await deliverServiceBusReply(reply(), deps)).toMatchObject({ result: 'setAside', reason: 'late' });
    expect(client.raised).toEqual([]);
    expect(sent.map((s) => s.message.applicationProperties?.DeadLetterReason)).toEqual(['late']);
  });

  it('a large reply that loses a race is forwarded and its claim-check blob removed', async () => {
    client.set('req-1', { runtimeStatus: 'Running' });
    // Both are raised while Running; once both are in, the orchestrator takes sequence number 1.
    client.afterRaise = () => {
      const winner = client.raised.find((r) => (r.data as ReplyEnvelope).replyId.endsWith('#1'));
      if (client.raised.length === 2)
        client.set('req-1', { runtimeStatus: 'Completed', output: { outcome: 'replied', reply: winner?.data } });
    };
    const big = Buffer.from(JSON.stringify('x'.repeat(20)));
    const [first, second] = await Promise.all([
      deliverServiceBusReply(reply({ sequenceNumber: 1, body: big }), deps),
      deliverServiceBusReply(reply({ sequenceNumber: 2, body: big }), deps),
    ]);
    expect(first).toMatchObject({ result: 'delivered' });
    expect(second).toMatchObject({ result: 'setAside', reason: 'duplicate' });
    expect(sent.map((s) => s.message.applicationProperties?.OriginalSequenceNumber)).toEqual([2]);
    const winnerRef = (client.instances.get('req-1')?.output as { reply: ReplyEnvelope }).reply.ref;
    expect([...(blobs.containers.get('reply-bodies')?.keys() ?? [])]).toEqual([winnerRef?.blobName]);
  });

  it('a JSON reply message whose bytes are not UTF-8 JSON is forwarded as malformed, nothing raised', async () => {
    client.set('req-1', { runtimeStatus: 'Running' });
    const outcome = await deliverServiceBusReply(reply({ body: Buffer.from([0x7b, 0xff, 0x7d]) }), deps);
    expect(outcome).toMatchObject({ result: 'setAside', reason: 'malformed' });
    expect(client.raised).toEqual([]);
    expect(sent[0]?.message.applicationProperties?.DeadLetterReason).toBe('malformed');
  });

  it('a redelivered reply that was delivered already is recognised and not set aside', async () => {
    client.set('req-1', { runtimeStatus: 'Running' });
    orchestratorTakesFirstReply();
    await deliverServiceBusReply(reply(), deps);
    expect(await deliverServiceBusReply(reply(), deps)).toMatchObject({ result: 'alreadyDelivered' });
    expect(sent).toEqual([]);
  });

  it('throws when the rejected copy cannot be sent, so the broker redelivers rather than the reply being dropped', async () => {
    deps.bus = { send: () => Promise.reject(new Error('queue not found')) };
    await expect(deliverServiceBusReply(reply({ correlationId: '' }), deps)).rejects.toThrow(/queue not found/);
  });
});

// The function settles its own trigger message; these pin which settlement each outcome gets.
describe('settleServiceBusReply', () => {
  beforeEach(() => {
    deps.config = { ...deps.config, serviceBus: { ...deps.config.serviceBus, setAside: 'deadletter' } };
  });

  it('completes a delivered reply, once', async () => {
    client.set('req-1', { runtimeStatus: 'Running' });
    orchestratorTakesFirstReply();
    expect(await settleServiceBusReply(reply(), deps)).toMatchObject({ result: 'delivered' });
    expect(settled).toEqual(['complete']);
  });

  it('dead-letters a rejected reply in place with its reason and description, and sends nothing', async () => {
    const outcome = await settleServiceBusReply(reply({ correlationId: '../x' }), deps);
    expect(outcome).toMatchObject({ result: 'setAside', reason: 'malformed', movedTo: `${SOURCE}/$DeadLetterQueue` });
    expect(settled).toEqual(['deadLetter malformed: correlationId is not a valid request id']);
    expect(sent).toEqual([]);
  });

  it('abandons on a failure that may pass and rethrows it, so the message is delivered again', async () => {
    // The raise comes first (no look before it), so it is the call that fails here.
    const down = () => Promise.reject(new Error('storage is down'));
    deps.durable = { inspect: down, raiseReply: down };
    await expect(settleServiceBusReply(reply(), deps)).rejects.toThrow(/storage is down/);
    expect(settled).toEqual(['abandon']);
  });

  it('in forward mode (the fallback) sends the rejected copy to the queue, then completes the message', async () => {
    deps.config = { ...deps.config, serviceBus: { ...deps.config.serviceBus, setAside: 'forward' } };
    await settleServiceBusReply(reply({ correlationId: '' }), deps);
    expect(sent.map((s) => s.entity)).toEqual(['replies-rejected']);
    expect(settled).toEqual(['complete']);
  });

  it('a dead-letter that fails is a failure: abandoned for a redelivery, never completed', async () => {
    deps.settlement.deadLetter = () => Promise.reject(new Error('lock lost'));
    await expect(settleServiceBusReply(reply({ correlationId: '' }), deps)).rejects.toThrow(/lock lost/);
    expect(settled).toEqual(['abandon']);
  });
});
