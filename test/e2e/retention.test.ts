// Retention over the real stack, with a retention of 20 s and the timer run through the host's
// admin API: exactly the finished requests (answered, answered by claim check, timed out,
// canceled) older than the setting are purged with every blob that is theirs; pending and recent
// ones stay, and so does a blob whose name only starts like an id. Set-aside replies older than
// their own retention go; recent ones stay.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';
import { type Answer, call, expectProblem, nextRequest, readBlobs, reply, submit, uniqueOperation } from './gateway-client.js';
import { listRejected, rejectedFor, runRetention } from './rejected-api.js';

// 19.8 s: long enough that what the test makes after the wait is still recent when the run ends,
// even on a loaded machine (asserted below, not assumed).
const RETENTION = '0.0055';
const RETENTION_MS = Number(RETENTION) * 3_600_000;

let stack: GatewayStack;

beforeAll(async () => {
  stack = await startGatewayStack({ settings: { GATEWAY_RETENTION_HOURS: RETENTION, GATEWAY_REJECTED_RETENTION_HOURS: RETENTION } });
});
afterAll(async () => {
  await stack?.stop();
});

const idOf = (answer: Answer) => answer.headers.get('x-correlation-id') ?? '';

/** A sync request answered by a reply blob with `body`; answers its id. */
async function answered(body: string | Buffer): Promise<string> {
  const operation = uniqueOperation('kept');
  const [answer] = await Promise.all([
    submit(stack, operation),
    nextRequest(stack, operation).then((r) => reply(stack, r.id, body, { contentType: 'text/plain' })),
  ]);
  expect(answer.status, answer.text()).toBe(200);
  return idOf(answer);
}

async function timedOut(): Promise<string> {
  const answer = await submit(stack, uniqueOperation('expires'), '{}', { Prefer: 'wait=1' });
  expect(answer.status, answer.text()).toBe(504);
  return idOf(answer);
}

async function canceled(): Promise<string> {
  const started = await submit(stack, uniqueOperation('canceled'), '{}', { Prefer: 'respond-async' });
  const id = idOf(started);
  expect((await call(stack, `status/${id}`, { method: 'DELETE' })).status).toBe(202);
  return id;
}

async function pending(): Promise<string> {
  const started = await submit(stack, uniqueOperation('pending'), '{}', { Prefer: 'respond-async' });
  expect(started.status).toBe(202);
  return idOf(started);
}

/** An unknown reply, set aside; answers its request id. */
async function setAsideReply(): Promise<string> {
  const id = randomUUID();
  await reply(stack, id, '{"unknown":true}');
  await rejectedFor(stack, id, 'unknown-request');
  return id;
}

/** Stands in for the Idempotency-Key record a keyed submit keeps in the gateway container. */
async function writeRecord(id: string): Promise<void> {
  const container = stack.blobs.getContainerClient('gateway');
  await container.createIfNotExists();
  await container.getBlockBlobClient(`idempotency/${id}`).uploadData(Buffer.from('{}'));
}

const names = async (container: string, prefix: string) => (await readBlobs(stack, container, { prefix })).map((b) => b.name);

describe('the retention timer', () => {
  it('purges exactly the finished requests older than GATEWAY_RETENTION_HOURS, with their blobs; pending and recent ones stay', async () => {
    const large = Buffer.alloc(Number(stack.settings.GATEWAY_INLINE_REPLY_BYTES) + 1, 0x42);
    const waiting = await pending();
    const old = {
      answered: await answered('old answer'),
      byClaimCheck: await answered(large),
      timedOut: await timedOut(),
      canceled: await canceled(),
    };
    await writeRecord(old.answered);
    // Not the request's: its name only starts with the id.
    await stack.blobs.getContainerClient('requests').getBlockBlobClient(`${old.answered}0`).uploadData(Buffer.from('x'));
    const oldAside = await setAsideReply();
    expect(await names('reply-bodies', `${old.byClaimCheck}/`)).toHaveLength(1);
    for (const id of Object.values(old)) expect(await names('requests', id)).toContain(id);

    await sleep(RETENTION_MS + 500);
    const recentFrom = Date.now();
    const recent = await answered('recent answer');
    await writeRecord(recent);
    const recentAside = await setAsideReply();

    await runRetention(stack, { rejectedToo: true });
    // What the test made after the wait was still recent when the run ended.
    expect(Date.now() - recentFrom).toBeLessThan(RETENTION_MS);

    for (const id of Object.values(old)) {
      expectProblem(await call(stack, `status/${id}`), 404, 'request-not-found', id);
      expectProblem(await call(stack, `results/${id}`), 404, 'request-not-found', id);
      expect(await names('requests', id)).toEqual(id === old.answered ? [`${id}0`] : []);
    }
    expect(await names('reply-bodies', `${old.byClaimCheck}/`)).toEqual([]);
    expect(await names('gateway', `idempotency/${old.answered}`)).toEqual([]);

    const stillWaiting = await call(stack, `status/${waiting}`);
    expect(stillWaiting.status).toBe(200);
    expect(stillWaiting.json()).toMatchObject({ id: waiting, status: 'AwaitingReply' });
    expect(await names('requests', waiting)).toEqual([waiting]);
    expect((await call(stack, `status/${recent}`)).status).toBe(303);
    expect((await call(stack, `results/${recent}`)).text()).toBe('recent answer');
    expect(await names('requests', recent)).toEqual([recent]);
    expect(await names('gateway', `idempotency/${recent}`)).toEqual([`idempotency/${recent}`]);

    // Set-aside replies by their own retention: the old one went, the recent one stayed.
    expect((await listRejected(stack, { requestId: oldAside })).items).toEqual([]);
    expect((await listRejected(stack, { requestId: recentAside })).items).toHaveLength(1);

    // Every run this file caused (the schedule may have added one) purged these four and nothing else.
    const purged = stack.log.lines
      .map((l) => /retention: purged (\d+) finished requests/.exec(l.message)?.[1])
      .filter((n) => n !== undefined)
      .reduce((sum, n) => sum + Number(n), 0);
    expect(purged).toBe(4);
    // The wait for the retention to pass is part of the test: its time limit allows for it.
  }, 120_000);
});
