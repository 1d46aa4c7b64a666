import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type EmulatorWithClient, noLockRenewal, receiveExactly, receiveNothing, startEmulatorWithClient } from './support.js';

// Settlements whose answer cannot reach the client: with a data folder the endpoint answers only
// once the change is on disk, so a client that closes its link at once is gone by then. Every
// message must still end up settled or back in the queue, never stuck or lost.
const lockDurationMs = 1_000;
let dataDir: string;
let sb: EmulatorWithClient;
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'sb-settle-edges-'));
  sb = await startEmulatorWithClient(
    { queues: ['gone-complete', 'gone-refusal', 'gone-undisposed'].map((name) => ({ name, lockDurationMs })) },
    { dataDir },
  );
});
afterAll(async () => {
  await sb?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

it('applies a completion whose answer the closed link can no longer carry: the message is not delivered again', async () => {
  await sb.client.createSender('gone-complete').sendMessages({ body: 'done', messageId: 'gc1' });
  const receiver = sb.client.createReceiver('gone-complete', noLockRenewal);
  const [message] = await receiveExactly(receiver, 1);
  const completed = receiver.completeMessage(message!).catch(() => undefined);
  await receiver.close();
  await completed;

  await sleep(lockDurationMs * 2);
  const again = sb.client.createReceiver('gone-complete', noLockRenewal);
  expect(await receiveNothing(again)).toEqual([]);
  expect(await again.peekMessages(1)).toEqual([]);
});

it('keeps a message whose settlement was refused after its link closed, and delivers it again once its lock expires', async () => {
  await sb.client.createSender('gone-refusal').sendMessages({ body: 'defer me', messageId: 'gr1' });
  const receiver = sb.client.createReceiver('gone-refusal', noLockRenewal);
  const [message] = await receiveExactly(receiver, 1);
  // Defer is refused, a tick later than the disposition arrives; the link is closed by then.
  const deferred = receiver.deferMessage(message!).catch(() => undefined);
  await receiver.close();
  await deferred;

  const again = sb.client.createReceiver('gone-refusal', noLockRenewal);
  const [back] = await receiveExactly(again, 1, lockDurationMs * 5);
  expect(back?.messageId).toBe('gr1');
  expect(back?.deliveryCount).toBe(1);
  await again.completeMessage(back!);
});

it('delivers again, once their locks expire, messages a link took and closed without settling', async () => {
  await sb.client.createSender('gone-undisposed').sendMessages(['u1', 'u2', 'u3'].map((messageId) => ({ body: messageId, messageId })));
  const receiver = sb.client.createReceiver('gone-undisposed', noLockRenewal);
  expect(await receiveExactly(receiver, 3)).toHaveLength(3);
  await receiver.close();

  const again = sb.client.createReceiver('gone-undisposed', noLockRenewal);
  const back = await receiveExactly(again, 3, lockDurationMs * 5);
  expect(back.map((m) => m.messageId).sort()).toEqual(['u1', 'u2', 'u3']);
  expect(back.map((m) => m.deliveryCount)).toEqual([1, 1, 1]);
  for (const m of back) await again.completeMessage(m);
});
