// What the SIGKILL tests of both channels do: requests pending in every way a caller can have
// one (async ones accepted, sync ones held open under an Idempotency-Key), all dispatched and
// waiting for the backend, when the host dies by SIGKILL; the backend answers while no host
// runs; a new host starts on the same data folder. Nothing may be lost: every sync caller's
// retry with its key gets its own answer, every async request completes with its own.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RejectedList } from '../../src/gateway/rejected/rejected-item.js';
import { eventually } from '../support/stack.js';
import { type Channel, type KillableGateway, startKillableGateway } from './killable-gateway.js';

interface Answer {
  status: number;
  json: Record<string, unknown>;
}

async function post(url: string, body: unknown, headers: Record<string, string>): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function statusOf(base: string, id: string): Promise<string> {
  const response = await fetch(`${base}/api/status/${id}`, { redirect: 'manual' });
  if (response.status === 303) return 'Completed';
  return ((await response.json()) as { status?: string }).status ?? `HTTP ${response.status}`;
}

/** Runs `fn` over `items`, `limit` at a time. */
async function all<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i] as T);
      }
    }),
  );
  return out;
}

export interface KillOutcome {
  /** How many sync callers lost their connection to the kill (all of them, if it struck in time). */
  syncCut: number;
  setAside: RejectedList;
}

export async function killWhilePending(g: KillableGateway, counts: { async: number; sync: number }): Promise<KillOutcome> {
  const run = randomUUID().slice(0, 8);
  const operation = `kill-${g.channel}`;
  const base1 = await g.startHost();
  const submit = (base: string, nonce: string, headers: Record<string, string>) =>
    post(`${base}/api/requests/${operation}`, { nonce }, headers);

  const asyncNonces = Array.from({ length: counts.async }, (_, i) => `${run}-async-${i}`);
  const asyncIds = await all(asyncNonces, 10, async (nonce) => {
    const answer = await submit(base1, nonce, { prefer: 'respond-async' });
    expect(answer.status).toBe(202);
    return answer.json.id as string;
  });
  const syncNonces = Array.from({ length: counts.sync }, (_, i) => `${run}-sync-${i}`);
  const keyOf = (nonce: string) => `key-${nonce}`;
  // Held open until the kill cuts them: each caller then only knows its key.
  const held = syncNonces.map((nonce) =>
    submit(base1, nonce, { 'idempotency-key': keyOf(nonce), prefer: 'wait=60' }).then(
      (a) => a,
      () => 'cut' as const,
    ),
  );
  const syncIds = await all(syncNonces, 10, (nonce) => eventually(async () => g.idForKey(keyOf(nonce)), 10_000, 'the key secret'));
  // Every request dispatched and waiting for the backend: the worst moment, nothing answered yet.
  await eventually(
    async () => {
      const states = await all([...asyncIds, ...syncIds], 10, (id) => statusOf(base1, id));
      return states.every((s) => s === 'AwaitingReply') ? true : undefined;
    },
    40_000,
    `all ${counts.async + counts.sync} requests to await their replies`,
  );
  await g.killHost();
  const cut = await Promise.all(held);
  // The backend answers while no host runs: its replies wait in the channel.
  g.startBackend();
  const base2 = await g.startHost();

  const retried = await all(syncNonces, 10, (nonce) => submit(base2, nonce, { 'idempotency-key': keyOf(nonce), prefer: 'wait=60' }));
  retried.forEach((answer, i) => {
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    expect(answer.json).toMatchObject({ operation, echo: { nonce: syncNonces[i] } });
  });
  await all(asyncIds, 10, (id) =>
    eventually(async () => ((await statusOf(base2, id)) === 'Completed' ? true : undefined), 40_000, `${id} to complete`),
  );
  await all(asyncIds, 10, async (id) => {
    const response = await fetch(`${base2}/api/results/${id}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ operation, echo: { nonce: asyncNonces[asyncIds.indexOf(id)] } });
  });
  const listed = await fetch(`${base2}/api/rejected`);
  expect(listed.status).toBe(200);
  return { syncCut: cut.filter((c) => c === 'cut').length, setAside: (await listed.json()) as RejectedList };
}

/** The test file of one channel: its stack (stopped in afterAll, every process by PID) and the test. */
export function killSuite(channel: Channel): void {
  let gateway: KillableGateway | undefined;
  beforeAll(async () => {
    gateway = await startKillableGateway(channel);
  });
  afterAll(async () => {
    // Every host process by PID (SIGKILL if SIGTERM hangs), the backend, the endpoint, Azurite by PID.
    await gateway?.stop();
  });

  describe(`SIGKILL of the host with requests pending (${channel} channel)`, () => {
    it('loses none: 60 async requests complete and 20 sync callers retrying with their Idempotency-Key get their own answers', async () => {
      if (gateway === undefined) throw new Error('the stack did not start');
      const outcome = await killWhilePending(gateway, { async: 60, sync: 20 });
      // The kill struck while every sync caller was still held.
      expect(outcome.syncCut).toBe(20);
      // No reply was set aside (none late, none duplicate): each one answered its request.
      expect(outcome.setAside.items).toEqual([]);
    }, 120_000);
  });
}
