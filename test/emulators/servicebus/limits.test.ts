import { isServiceBusError } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxMessageSizeInBytes, startServiceBusEmulator } from '../../../src/emulators/servicebus/index.js';
import { bodyOf, countMessages, type EmulatorWithClient, receiveExactly, startEmulatorWithClient } from './support.js';

// The message size limit, as the SDK meets it on Standard-tier Service Bus.
let sb: EmulatorWithClient;
beforeAll(async () => {
  sb = await startEmulatorWithClient({ queues: [{ name: 'sized' }, { name: 'sized-batch' }] });
});
afterAll(async () => {
  await sb?.stop();
});

describe('maximum message size (256 KB by default, the Standard tier)', () => {
  it('refuses a larger message with the code MessageSizeExceeded and keeps nothing of it', async () => {
    expect(maxMessageSizeInBytes).toBe(256 * 1024);
    const sender = sb.client.createSender('sized');
    const error: unknown = await sender.sendMessages({ body: Buffer.alloc(300 * 1024, 1) }).catch((caught: unknown) => caught);
    expect(isServiceBusError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'MessageSizeExceeded' });
    expect(String((error as Error).message)).toMatch(/exceeds the limit \(262144 bytes\)/);
    expect(await countMessages(sb.client, 'sized')).toBe(0);

    // Just under the limit goes through, bytes intact.
    const body = Buffer.alloc(250 * 1024, 7);
    await sender.sendMessages({ body });
    const [message] = await receiveExactly(sb.client.createReceiver('sized', { receiveMode: 'receiveAndDelete' }), 1);
    expect(Buffer.compare(bodyOf(message!) as Buffer, body)).toBe(0);
  });

  it('advertises the limit on the attach, so createMessageBatch stops at it', async () => {
    const sender = sb.client.createSender('sized-batch');
    const batch = await sender.createMessageBatch();
    expect(batch.maxSizeInBytes).toBe(256 * 1024);
    let added = 0;
    while (batch.tryAddMessage({ body: Buffer.alloc(50 * 1024, added) })) added++;
    expect(added).toBe(5);
    await sender.sendMessages(batch);
    expect(await countMessages(sb.client, 'sized-batch')).toBe(5);
    // An array too large for one batch is refused by the SDK itself, under the same code.
    await expect(sender.sendMessages([{ body: Buffer.alloc(200 * 1024) }, { body: Buffer.alloc(200 * 1024) }])).rejects.toMatchObject({
      code: 'MessageSizeExceeded',
    });
  });

  it('takes another limit from the options (e.g. a Premium namespace configured for 1 MB)', async () => {
    const big = await startEmulatorWithClient({ queues: [{ name: 'premium' }] }, { maxMessageSizeInBytes: 1024 * 1024 });
    try {
      const sender = big.client.createSender('premium');
      expect((await sender.createMessageBatch()).maxSizeInBytes).toBe(1024 * 1024);
      await sender.sendMessages({ body: Buffer.alloc(600 * 1024) });
      await expect(sender.sendMessages({ body: Buffer.alloc(1100 * 1024) })).rejects.toMatchObject({ code: 'MessageSizeExceeded' });
      expect(await countMessages(big.client, 'premium')).toBe(1);
    } finally {
      await big.stop();
    }
    await expect(startServiceBusEmulator({ port: 0, maxMessageSizeInBytes: 0 })).rejects.toThrow(
      /maxMessageSizeInBytes: expected a positive integer/,
    );
  });
});
