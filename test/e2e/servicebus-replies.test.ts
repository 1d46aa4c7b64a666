// The gateway with Service Bus on, over real HTTP, the local host, Azurite and the local Service
// Bus endpoint: requests go out on the request topic, replies come back on the reply topic (sync
// and async), replies that cannot be delivered are dead-lettered in place on the gateway's
// subscription with their reason (the reply function settles its own message through the host's
// Settlement service), blob replies keep working beside it, and `reply.js --via servicebus` answers.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deadLettered,
  nextRequestMessage,
  peekDeadLetters,
  type ServiceBusStack,
  sendToReplyTopic,
  startServiceBusStack,
} from '../support/servicebus-stack.js';
import { eventually } from '../support/stack.js';
import { call, durableStatus, expectProblem, location, reply, statusBecomes, submit, uniqueOperation } from './gateway-client.js';

let stack: ServiceBusStack;

beforeAll(async () => {
  stack = await startServiceBusStack();
});
afterAll(async () => {
  await stack?.stop();
});

const gateway = () => stack.gateway;

/** A reply message for request `id`: correlationId = id, the given content type and properties. */
function replyFor(id: string, body: string | Buffer, contentType: string, applicationProperties: Record<string, string | number> = {}) {
  return {
    body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
    contentType,
    correlationId: id,
    messageId: randomUUID(),
    applicationProperties,
  };
}

/** A sync request answered over the reply topic with `body`; resolves with its id once the caller has the answer. */
async function answered(body: string): Promise<string> {
  const operation = uniqueOperation('sbanswered');
  const [answer, request] = await Promise.all([
    submit(gateway(), operation),
    nextRequestMessage(stack, operation).then(async (m) => {
      await sendToReplyTopic(stack, replyFor(String(m.correlationId), body, 'application/json'));
      return m;
    }),
  ]);
  expect(answer.status, answer.text()).toBe(200);
  expect(answer.text()).toBe(body);
  return String(request.correlationId);
}

// CR/LF, a tab, trailing blanks, accents and an emoji: anything that trims, normalises or
// re-encodes would show. Not JSON, so every host hands it over as the text it is.
const TEXT = 'line one\r\n\tline two  \r\nÆrø 👋 \n';

describe('a request over Service Bus', () => {
  it('goes out on the request topic and is answered by a reply message: body, content type and status as sent', async () => {
    const operation = uniqueOperation('sbsync');
    const requestBody = '{"q": [1, 2, 3]}';
    const [answer, request] = await Promise.all([
      submit(gateway(), operation, requestBody),
      nextRequestMessage(stack, operation).then(async (m) => {
        await sendToReplyTopic(stack, replyFor(String(m.correlationId), TEXT, 'text/plain; charset=utf-8', { status: 201 }));
        return m;
      }),
    ]);
    const id = String(request.correlationId);
    expect(answer.status, answer.text()).toBe(201);
    expect(answer.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(answer.body.equals(Buffer.from(TEXT, 'utf8'))).toBe(true);
    expect(answer.headers.get('x-correlation-id')).toBe(id);

    // What the backend received: the body bytes as sent, and where and how to answer.
    expect(Buffer.isBuffer(request.body) && request.body.toString('utf8')).toBe(requestBody);
    expect(request).toMatchObject({
      messageId: id,
      correlationId: id,
      subject: operation,
      replyTo: 'replies',
      contentType: 'application/json',
    });
    expect(request.applicationProperties).toMatchObject({ requestId: id, operation, method: 'POST' });
    expect(Date.parse(String(request.applicationProperties?.deadline))).toBeGreaterThan(Date.now());
  });

  it('a reply may name its request by the requestId property; a status given as text is read', async () => {
    const operation = uniqueOperation('sbprop');
    const [answer] = await Promise.all([
      submit(gateway(), operation),
      nextRequestMessage(stack, operation).then((m) =>
        sendToReplyTopic(stack, {
          body: Buffer.from('{"via":"property"}'),
          contentType: 'application/json',
          applicationProperties: { requestId: String(m.correlationId), status: '202' },
        }),
      ),
    ]);
    expect(answer.status).toBe(202);
    expect(answer.text()).toBe('{"via":"property"}');
  });

  it('a reply too large for Durable state travels by claim check and comes back byte for byte', async () => {
    const operation = uniqueOperation('sblarge');
    const large = `${'0123456789abcdef\r\n'.repeat(2500)}Ærø`;
    const [answer, request] = await Promise.all([
      submit(gateway(), operation),
      nextRequestMessage(stack, operation).then(async (m) => {
        await sendToReplyTopic(stack, replyFor(String(m.correlationId), large, 'text/plain; charset=utf-8'));
        return m;
      }),
    ]);
    expect(answer.status).toBe(200);
    expect(answer.body.equals(Buffer.from(large, 'utf8'))).toBe(true);
    const state = await durableStatus(gateway(), String(request.correlationId));
    expect(state.raw).toContain('reply-bodies');
    expect(state.raw).not.toContain('0123456789abcdef');
  });

  it('a transient failure abandons the reply message: it comes back with its delivery count raised and then answers the caller', async () => {
    // The claim-check container goes away under the running gateway (which created it before), so
    // storing this large reply fails until it is back: a failure that passes, on real storage.
    const bodies = stack.gateway.blobs.getContainerClient('reply-bodies');
    await answered(JSON.stringify('y'.repeat(40_000)));
    await bodies.delete();
    const operation = uniqueOperation('sbtransient');
    const large = 'z'.repeat(40_000);
    const messageId = randomUUID();
    const failures = () => gateway().log.lines.filter((line) => line.message.includes(`message ${messageId} failed (delivery `));
    const [answer] = await Promise.all([
      submit(gateway(), operation),
      nextRequestMessage(stack, operation).then(async (m) => {
        await sendToReplyTopic(stack, { ...replyFor(String(m.correlationId), large, 'text/plain'), messageId });
        // Abandoned messages come back at once, so the container is put back as soon as the first
        // failure is logged (polled every turn of the event loop, not on a timer).
        const deadline = Date.now() + 15_000;
        while (!failures().length) {
          if (Date.now() > deadline) throw new Error('the first delivery did not fail');
          await new Promise((resolve) => setImmediate(resolve));
        }
        await bodies.create();
      }),
    ]);
    expect(answer.status, answer.text()).toBe(200);
    expect(answer.text()).toBe(large);
    // Each failed delivery was abandoned and came back counted one higher; one after them answered.
    const counts = failures().map((line) => Number(/failed \(delivery (\d+)\)/.exec(line.message)?.[1]));
    expect(counts).toEqual(counts.map((_, i) => i + 1));
    expect((await peekDeadLetters(stack)).filter((m) => m.messageId === messageId)).toEqual([]);
  });

  it('arbitrary bytes come back exact: the function reads the data section the extension decoded, not its text', async () => {
    // A malformed reply is dead-lettered as it came.
    const probeId = `probe-${randomUUID()}`;
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x0d, 0x0a, 0x80, 0x7b]);
    await sendToReplyTopic(stack, {
      body: bytes,
      contentType: 'application/octet-stream',
      messageId: probeId,
      applicationProperties: { requestId: '../probe' },
    });
    const [probe] = await deadLettered(stack, probeId);
    expect(Buffer.isBuffer(probe?.body) && probe.body.equals(bytes)).toBe(true);
    const operation = uniqueOperation('sbbinary');
    const [answer] = await Promise.all([
      submit(gateway(), operation),
      nextRequestMessage(stack, operation).then((m) =>
        sendToReplyTopic(stack, replyFor(String(m.correlationId), bytes, 'application/octet-stream')),
      ),
    ]);
    expect(answer.body.equals(bytes)).toBe(true);
  });

  it('async: 202 → AwaitingReply → `reply.js --via servicebus` → 303 → the result', async () => {
    const operation = uniqueOperation('sbasync');
    const accepted = await submit(gateway(), operation, '{"n":1}', { prefer: 'respond-async' });
    expect(accepted.status, accepted.text()).toBe(202);
    const id = accepted.headers.get('x-correlation-id') ?? '';
    expect(accepted.headers.get('location')).toBe(location('status', id));
    expect((await nextRequestMessage(stack, operation)).correlationId).toBe(id);
    await statusBecomes(gateway(), id, 'AwaitingReply');
    expectProblem(await call(gateway(), `results/${id}`), 404, 'result-not-ready', id);

    const script = path.join(__dirname, '../../dist/scripts/reply.js');
    const cli = ['--via', 'servicebus', '--connection', stack.bus.connectionString, '--status', '201'];
    // Compact JSON: a host that parses JSON bodies (the local one does) hands back exactly these bytes.
    const { stdout } = await promisify(execFile)(process.execPath, [script, id, '{"done":true}', ...cli]);
    expect(stdout).toContain(`topic replies, correlationId ${id}`);

    const done = await statusBecomes(gateway(), id, 'Completed');
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe(location('results', id));
    const result = await call(gateway(), done.headers.get('location') ?? '');
    expect(result.status).toBe(201);
    expect(result.headers.get('content-type')).toBe('application/json');
    expect(result.text()).toBe('{"done":true}');
  });

  it('blob replies keep working while requests go out over Service Bus', async () => {
    const operation = uniqueOperation('sbblob');
    const [answer] = await Promise.all([
      submit(gateway(), operation),
      nextRequestMessage(stack, operation).then((m) => reply(gateway(), String(m.correlationId), '{"by":"blob"}')),
    ]);
    expect(answer.status).toBe(200);
    expect(answer.text()).toBe('{"by":"blob"}');
  });
});

describe("reply messages that cannot be delivered are dead-lettered on the gateway's subscription with their reason", () => {
  it('late: the request timed out before the reply', async () => {
    const operation = uniqueOperation('sblate');
    const expired = await submit(gateway(), operation, '{}', { prefer: 'wait=1' });
    const id = expired.headers.get('x-correlation-id') ?? '';
    expectProblem(expired, 504, 'sync-wait-expired', id);
    await sendToReplyTopic(stack, replyFor(id, '{"too":"late"}', 'application/json', { status: 200 }));
    const [late] = await deadLettered(stack, id);
    expect(late?.deadLetterReason).toBe('late');
    expect(late?.deadLetterErrorDescription).toMatch(/terminated/);
    expect(Buffer.isBuffer(late?.body) && late.body.toString()).toBe('{"too":"late"}');
    // The message itself, not a copy: its own properties and the two the broker adds, no copy's markers.
    expect(late?.applicationProperties).toEqual({
      status: 200,
      DeadLetterReason: 'late',
      DeadLetterErrorDescription: late?.deadLetterErrorDescription,
    });
  });

  it('duplicate: a second reply to an answered request; the answer stays the first', async () => {
    const id = await answered('{"first":true}');
    await sendToReplyTopic(stack, replyFor(id, '<second/>', 'application/xml', { status: 500 }));
    const [duplicate] = await deadLettered(stack, id);
    expect(duplicate?.deadLetterReason).toBe('duplicate');
    expect(duplicate?.deadLetterErrorDescription).toContain('replies/Subscriptions/gateway');
    expect(duplicate?.contentType).toBe('application/xml');
    const result = await call(gateway(), `results/${id}`);
    expect(result.text()).toBe('{"first":true}');
  });

  it('unknown-request: no such request, after the grace period', async () => {
    const id = randomUUID();
    const sent = Date.now();
    await sendToReplyTopic(stack, replyFor(id, '{}', 'application/json'));
    const [unknown] = await deadLettered(stack, id);
    expect(unknown?.deadLetterReason).toBe('unknown-request');
    expect(Date.now() - sent).toBeGreaterThanOrEqual(Number(gateway().settings.GATEWAY_REPLY_GRACE_MS));
  });

  it.each([
    ['an id outside the alphabet', { correlationId: 'abc/../def' }, /correlationId is not a valid request id/],
    ['no id at all', {}, /no correlationId and no requestId/],
    [
      'a status that is not an HTTP final status',
      { correlationId: 'abc', applicationProperties: { status: 'soon' } },
      /status is not a final HTTP status/,
    ],
  ])('malformed: %s', async (_label, fields, description) => {
    const messageId = randomUUID();
    await sendToReplyTopic(stack, { body: Buffer.from('{}'), contentType: 'application/json', messageId, ...fields });
    const [malformed] = await deadLettered(stack, (fields as { correlationId?: string }).correlationId ?? messageId);
    expect(malformed?.messageId).toBe(messageId);
    expect(malformed?.deadLetterReason).toBe('malformed');
    expect(malformed?.deadLetterErrorDescription).toMatch(description);
  });

  it('malformed: JSON by its content type but not UTF-8 JSON by its bytes (the rule requests follow); the request keeps waiting', async () => {
    const operation = uniqueOperation('sbbadjson');
    const accepted = await submit(gateway(), operation, '{}', { prefer: 'respond-async' });
    const id = accepted.headers.get('x-correlation-id') ?? '';
    const request = await nextRequestMessage(stack, operation);
    await sendToReplyTopic(stack, replyFor(String(request.correlationId), Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]), 'application/json'));
    const [malformed] = await deadLettered(stack, id);
    expect(malformed?.deadLetterReason).toBe('malformed');
    expect(malformed?.deadLetterErrorDescription).toMatch(/UTF-8 JSON/);
    expect((await call(gateway(), `status/${id}`)).json().status).toBe('AwaitingReply');
  });

  it('each was dead-lettered by the function on its first delivery (not by redelivery), the forward queue stayed empty, the subscription is drained', async () => {
    const reasons = new Set((await peekDeadLetters(stack)).map((m) => m.deadLetterReason));
    expect([...reasons].sort()).toEqual(['duplicate', 'late', 'malformed', 'unknown-request']);
    expect(stack.rejected).toEqual([]);
    const live = stack.client.createReceiver('replies', 'gateway');
    try {
      await eventually(
        async () => ((await live.peekMessages(10)).length === 0 ? true : undefined),
        10_000,
        'the gateway subscription to be drained',
      );
    } finally {
      await live.close();
    }
  });
});
