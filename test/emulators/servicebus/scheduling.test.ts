import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEmulatorConfig } from '../../../src/emulators/servicebus/index.js';
import {
  bodyOf,
  countMessages,
  type EmulatorWithClient,
  noLockRenewal,
  receiveExactly,
  receiveNothing,
  startEmulatorWithClient,
} from './support.js';

// Scheduled messages and duplicate detection, through the unmodified SDK. Each test owns its entities.
let sb: EmulatorWithClient;
beforeAll(async () => {
  sb = await startEmulatorWithClient({
    queues: [
      { name: 'scheduled' },
      { name: 'cancelled' },
      { name: 'dedupe', duplicateDetectionHistoryTimeWindowMs: 60_000 },
      { name: 'no-dedupe' },
    ],
    topics: [
      { name: 'scheduled-topic', subscriptions: [{ name: 'a' }, { name: 'b' }] },
      { name: 'dedupe-topic', duplicateDetectionHistoryTimeWindowMs: 60_000, subscriptions: [{ name: 'only' }] },
    ],
  });
});
afterAll(async () => {
  await sb?.stop();
});

describe('scheduled messages', () => {
  it('scheduleMessages holds a message until its time, then delivers it under the sequence number it returned', async () => {
    const due = new Date(Date.now() + 1_500);
    const [sequenceNumber] = await sb.client.createSender('scheduled').scheduleMessages({ body: 'later', messageId: 'm-1' }, due);
    const receiver = sb.client.createReceiver('scheduled', noLockRenewal);
    expect(await receiveNothing(receiver)).toEqual([]);

    const [message] = await receiveExactly(receiver, 1);
    expect(bodyOf(message!)).toBe('later');
    expect(message?.messageId).toBe('m-1');
    expect(message?.sequenceNumber?.toNumber()).toBe(sequenceNumber?.toNumber());
    expect(message?.scheduledEnqueueTimeUtc?.getTime()).toBe(due.getTime());
    expect(message?.enqueuedTimeUtc?.getTime()).toBeGreaterThanOrEqual(due.getTime());
    await receiver.completeMessage(message!);
  });

  it('cancelScheduledMessages removes a scheduled message before it is delivered', async () => {
    const sender = sb.client.createSender('cancelled');
    const due = new Date(Date.now() + 1_000);
    const [kept, cancelled] = await sender.scheduleMessages([{ body: 'kept' }, { body: 'cancelled' }], due);
    expect(cancelled?.toNumber()).toBe((kept?.toNumber() ?? 0) + 1);
    await sender.cancelScheduledMessages(cancelled!);

    const receiver = sb.client.createReceiver('cancelled', { receiveMode: 'receiveAndDelete' });
    expect((await receiveExactly(receiver, 1)).map(bodyOf)).toEqual(['kept']);
    // Past the due time of both: the cancelled one never comes.
    expect(await receiveNothing(receiver, 500)).toEqual([]);
  });

  it('a plain send with scheduledEnqueueTimeUtc in the future waits, and a topic copies it to each subscription when due', async () => {
    const due = new Date(Date.now() + 1_000);
    await sb.client.createSender('scheduled-topic').sendMessages([{ body: 'now' }, { body: 'later', scheduledEnqueueTimeUtc: due }]);
    const a = sb.client.createReceiver('scheduled-topic', 'a', { receiveMode: 'receiveAndDelete' });
    const b = sb.client.createReceiver('scheduled-topic', 'b', { receiveMode: 'receiveAndDelete' });
    expect((await receiveExactly(a, 1)).map(bodyOf)).toEqual(['now']);
    const [later] = await receiveExactly(a, 1);
    expect(bodyOf(later!)).toBe('later');
    expect(later?.enqueuedTimeUtc?.getTime()).toBeGreaterThanOrEqual(due.getTime());
    expect((await receiveExactly(b, 2)).map(bodyOf)).toEqual(['now', 'later']);
  });
});

describe('duplicate detection', () => {
  it('accepts a repeated messageId within the window and drops it, on a queue', async () => {
    const sender = sb.client.createSender('dedupe');
    await sender.sendMessages({ body: 'first', messageId: 'order-1' });
    await sender.sendMessages({ body: 'again', messageId: 'order-1' });
    await sender.sendMessages([
      { body: 'other', messageId: 'order-2' },
      { body: 'batch repeat', messageId: 'order-2' },
    ]);
    expect(await countMessages(sb.client, 'dedupe')).toBe(2);
    const receiver = sb.client.createReceiver('dedupe', { receiveMode: 'receiveAndDelete' });
    expect((await receiveExactly(receiver, 2)).map(bodyOf)).toEqual(['first', 'other']);
  });

  it('drops repeats on a topic before they reach its subscriptions, and keeps repeats where detection is off', async () => {
    await sb.client.createSender('dedupe-topic').sendMessages([
      { body: 1, messageId: 'x' },
      { body: 2, messageId: 'x' },
    ]);
    expect(await countMessages(sb.client, 'dedupe-topic', 'only')).toBe(1);
    await sb.client.createSender('no-dedupe').sendMessages([
      { body: 1, messageId: 'x' },
      { body: 2, messageId: 'x' },
    ]);
    expect(await countMessages(sb.client, 'no-dedupe')).toBe(2);
  });

  it('reads RequiresDuplicateDetection and the history window from Config.json (ten minutes by default)', () => {
    const topology = parseEmulatorConfig({
      UserConfig: {
        Namespaces: [
          {
            Name: 'sbemulatorns',
            Queues: [
              { Name: 'q1', Properties: { RequiresDuplicateDetection: true, DuplicateDetectionHistoryTimeWindow: 'PT20S' } },
              { Name: 'q2', Properties: { RequiresDuplicateDetection: true } },
              { Name: 'q3', Properties: { RequiresDuplicateDetection: false, DuplicateDetectionHistoryTimeWindow: 'PT20S' } },
            ],
            Topics: [{ Name: 't', Properties: { RequiresDuplicateDetection: true }, Subscriptions: [] }],
          },
        ],
      },
    });
    expect(topology.queues?.map((queue) => queue.duplicateDetectionHistoryTimeWindowMs)).toEqual([20_000, 600_000, undefined]);
    expect(topology.topics?.[0]?.duplicateDetectionHistoryTimeWindowMs).toBe(600_000);
  });
});
