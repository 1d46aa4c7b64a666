// Storage going away under load: Azurite (on disk, as `npm start` runs it) stopped while 50
// requests wait for their replies, 10 of them sync callers held open, then started again on the
// same data and ports. The host is not restarted: it must ride out the outage (its Durable log
// is on local disk; blob polls, status reads and writes fail meanwhile) and answer every one,
// the held sync callers included, once the backend replies.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackend } from '../../scripts/demo-backend.js';
import { type RunningAzurite, startAzurite } from '../../src/host/storage/azurite.js';
import { type Answer, call, type DemoReply, submit, uniqueOperation } from '../e2e/gateway-client.js';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';
import { eventually } from '../support/stack.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fault-azurite-'));
/** The Azurite running now (the first, then its restart): afterAll stops it by PID. */
let azurite: RunningAzurite | undefined;
let stack: GatewayStack | undefined;
const stopBackend = new AbortController();
let backend: Promise<void> | undefined;

beforeAll(async () => {
  azurite = await startAzurite({ location: dataDir });
  stack = await startGatewayStack({ azurite });
});
afterAll(async () => {
  stopBackend.abort();
  await backend;
  await stack?.stop();
  await azurite?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function statusOf(s: GatewayStack, id: string): Promise<string> {
  const answer = await call(s, `status/${id}`);
  return answer.status === 303 ? 'Completed' : (answer.json().status as string);
}

describe('Azurite stopped and restarted under load', () => {
  it('the host recovers without a restart: all 50 pending requests are answered, the 10 held sync callers too', async () => {
    if (stack === undefined || azurite === undefined) throw new Error('the stack did not start');
    const s = stack;
    const operation = uniqueOperation('outage');
    const asyncIds = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const answer = await submit(s, operation, JSON.stringify({ nonce: `async-${i}` }), { prefer: 'respond-async' });
        expect(answer.status).toBe(202);
        return answer.headers.get('x-correlation-id') ?? '';
      }),
    );
    const held: Promise<Answer>[] = Array.from({ length: 10 }, (_, i) =>
      submit(s, operation, JSON.stringify({ nonce: `sync-${i}` }), { prefer: 'wait=60', 'idempotency-key': `outage-${operation}-${i}` }),
    );
    await eventually(
      async () => {
        const states = await Promise.all(asyncIds.map((id) => statusOf(s, id)));
        return states.every((st) => st === 'AwaitingReply') ? true : undefined;
      },
      30_000,
      'the async requests to await their replies',
    );

    const { ports } = azurite;
    const before = s.log.lines.length;
    await azurite.stop();
    azurite = undefined;
    // Long enough for every poll, lease renewal and held caller's safety poll to fail at least once.
    await sleep(3_000);
    azurite = await startAzurite({ location: dataDir, blobPort: ports.blob, queuePort: ports.queue, tablePort: ports.table });
    expect(azurite.connectionString).toBe(s.connectionString);
    // The outage was felt: the host logged failed storage calls while Azurite was gone.
    const felt = s.log.lines.slice(before).filter((l) => l.level === 'error' || l.level === 'warn');
    expect(felt.length).toBeGreaterThan(0);

    backend = runBackend(
      { delayMs: 0, intervalMs: 50, connection: s.connectionString, requests: 'requests', handled: 'requests-handled' },
      stopBackend.signal,
      () => undefined,
    );
    const answers = await Promise.all(held);
    answers.forEach((answer, i) => {
      expect(answer.status, answer.text()).toBe(200);
      expect(answer.json<DemoReply>()).toMatchObject({ operation, echo: { nonce: `sync-${i}` } });
    });
    await Promise.all(
      asyncIds.map(async (id, i) => {
        await eventually(async () => ((await statusOf(s, id)) === 'Completed' ? true : undefined), 30_000, `${id} to complete`);
        const result = await call(s, `results/${id}`);
        expect(result.status).toBe(200);
        expect(result.json<DemoReply>()).toMatchObject({ operation, echo: { nonce: `async-${i}` } });
      }),
    );
    const rejected = await call(s, 'rejected');
    expect(rejected.json().items).toEqual([]);
  }, 120_000);
});
