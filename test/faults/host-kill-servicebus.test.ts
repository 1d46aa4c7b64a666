// SIGKILL of the host on the Service Bus channel (request topic, reply topic): a real host process killed with
// requests pending, sync and async, all dispatched and unanswered; the backend answers while no
// host runs; a new host on the same Durable data folder answers every one (test/faults/host-kill.ts).
// Azurite, the Service Bus endpoint and the backend outlive the host, as they would on Azure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killWhilePending } from './host-kill.js';
import { type KillableGateway, startKillableGateway } from './killable-gateway.js';

let gateway: KillableGateway | undefined;

beforeAll(async () => {
  gateway = await startKillableGateway('servicebus');
});
afterAll(async () => {
  // Every host process by PID (SIGKILL if SIGTERM hangs), the backend, the endpoint, Azurite by PID.
  await gateway?.stop();
});

describe('SIGKILL of the host with requests pending (servicebus channel)', () => {
  it('loses none: 60 async requests complete and 20 sync callers retrying with their Idempotency-Key get their own answers', async () => {
    if (gateway === undefined) throw new Error('the stack did not start');
    const outcome = await killWhilePending(gateway, { async: 60, sync: 20 });
    // The kill struck while every sync caller was still held.
    expect(outcome.syncCut).toBe(20);
    // No reply was set aside (none late, none duplicate): each one answered its request.
    expect(outcome.setAside.items).toEqual([]);
  }, 120_000);
});
