// What a held sync caller costs while nothing happens, counted through the host's Durable
// management API (every status read the gateway makes is a GET under /runtime/webhooks/durabletask/
// on the host's HTTP front): 300 callers blocked at once read their status no more often than the
// backed-off safety poll allows, and are all answered, each with its own reply, after the release.
// And the path the in-process signal cannot see: a reply raised straight into the instance (as a
// reply function on another instance of the app would) is still found by the safety poll.
// Counting uses Node's own `http.server.request.start` diagnostics channel, so the host is unchanged.
import diagnostics from 'node:diagnostics_channel';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPLY_EVENT_NAME } from '../../src/gateway/contract.js';
import { SAFETY_READS_PER_SECOND, safetyPollBoundMs, safetyPollCapMs, safetyPollsWithin } from '../../src/gateway/safety-poll.js';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';
import { eventually } from '../support/stack.js';
import { dispatched, nextRequest, reply, submit, uniqueOperation } from './gateway-client.js';

const POLL_MS = 100;
const CALLERS = 300;
const HOLD_MS = 3_000;

let stack: GatewayStack;
/** Status reads (GET instances/<id>) the host's front received, by instance id. */
const statusReads = new Map<string, number>();

/** Status reads that did not ask to leave the input out (the extension's default is to include it). */
const readsWithInput: string[] = [];

const STATUS_READ = /^\/runtime\/webhooks\/durabletask\/instances\/([^/?]+)(?:\?|$)/;
function countRequest(message: unknown): void {
  const { request, server } = message as { request: IncomingMessage; server: Server };
  if (stack === undefined || (server.address() as AddressInfo | null)?.port !== stack.host.port) return;
  const id = request.method === 'GET' ? STATUS_READ.exec(request.url ?? '')?.[1] : undefined;
  if (id === undefined) return;
  statusReads.set(id, (statusReads.get(id) ?? 0) + 1);
  if (!/[?&]showInput=false(?:&|$)/.test(request.url ?? '')) readsWithInput.push(request.url ?? '');
}
const total = (ids?: Iterable<string>) =>
  ids === undefined ? [...statusReads.values()].reduce((a, b) => a + b, 0) : [...ids].reduce((a, id) => a + (statusReads.get(id) ?? 0), 0);

beforeAll(async () => {
  diagnostics.subscribe('http.server.request.start', countRequest);
  // The longest sync wait, so a loaded machine's slow dispatch of 300 requests can't end one.
  stack = await startGatewayStack({
    settings: { GATEWAY_POLL_INTERVAL_MS: String(POLL_MS), GATEWAY_SYNC_WAIT_SECONDS: '60', GATEWAY_MAX_SYNC_WAIT_SECONDS: '60' },
  });
}, 60_000);
afterAll(async () => {
  // Every read the waiting callers and the reply function made, the SDK's wait helper's own among
  // them, asked for no input: on Azure each read of a large input is a blob download.
  expect(readsWithInput).toEqual([]);
  diagnostics.unsubscribe('http.server.request.start', countRequest);
  await stack?.stop();
});

describe('held sync callers', () => {
  it(`${CALLERS} blocked at once make no status reads beyond the backed-off safety poll, and all get their own reply`, async () => {
    const operation = uniqueOperation('held');
    const answers = Array.from({ length: CALLERS }, (_, n) => submit(stack, operation, JSON.stringify({ n })));
    const requests = await eventually(
      async () => {
        const found = await dispatched(stack, operation);
        return found.length === CALLERS ? found : undefined;
      },
      90_000,
      `${CALLERS} dispatched requests`,
    );
    const ids = requests.map((r) => r.id);
    // Every caller has waited long enough to be polling at the cap, then a quiet hold is counted.
    await new Promise((r) => setTimeout(r, 2 * safetyPollCapMs(POLL_MS)));
    const before = total(ids);
    const beforeEach = new Map(ids.map((id) => [id, statusReads.get(id) ?? 0]));
    await new Promise((r) => setTimeout(r, HOLD_MS));
    const during = total(ids) - before;
    const allowed = CALLERS * safetyPollsWithin(HOLD_MS, POLL_MS);
    expect(during).toBeLessThanOrEqual(allowed);
    // The process's read budget, per caller: with all of them waiting, every gap is at least
    // callers ÷ budget (30 s here), so no caller reads twice in the hold, where its backoff alone
    // (800 ms cap) would read ~4 times. The figure "CPU while all are held" rests on this.
    expect(safetyPollBoundMs(POLL_MS, CALLERS)).toBe((CALLERS * 1000) / SAFETY_READS_PER_SECOND);
    const mostByOne = Math.max(...ids.map((id) => (statusReads.get(id) ?? 0) - (beforeEach.get(id) ?? 0)));
    expect(mostByOne).toBeLessThanOrEqual(Math.ceil(HOLD_MS / safetyPollBoundMs(POLL_MS, CALLERS)));
    // What polling at the interval would have cost, for scale: the backoff is far below it.
    expect(during).toBeLessThan((CALLERS * HOLD_MS) / POLL_MS / 4);

    // The release: each reply echoes its request's body, so a mix-up would show.
    await Promise.all(requests.map((r) => reply(stack, r.id, r.body)));
    const settled = await Promise.all(answers);
    settled.forEach((answer, n) => {
      expect(answer.status, answer.text()).toBe(200);
      expect(answer.json()).toEqual({ n });
    });
    expect(new Set(settled.map((a) => a.headers.get('x-correlation-id')))).toEqual(new Set(ids));
  }, 240_000);

  it('a reply raised where no caller waits (no in-process signal) is still found by the safety poll', async () => {
    const operation = uniqueOperation('elsewhere');
    const answer = submit(stack, operation, '{"where":"elsewhere"}');
    const request = await nextRequest(stack, operation);
    const body = Buffer.from('{"from":"another instance"}');
    // Straight into the instance through the management API, bypassing this process's reply function.
    const raised = await fetch(stack.management(`instances/${request.id}/raiseEvent/${REPLY_EVENT_NAME}`), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        replyId: 'elsewhere-1',
        status: 200,
        contentType: 'application/json',
        receivedAt: new Date().toISOString(),
        body: body.toString('base64'),
      }),
    });
    expect(raised.status).toBe(202);
    const readsAtRaise = statusReads.get(request.id) ?? 0;
    const got = await answer;
    // Answered with the raised reply, not the sync wait's 504, and through a status read.
    expect(got.status, got.text()).toBe(200);
    expect(got.body.equals(body)).toBe(true);
    expect(statusReads.get(request.id) ?? 0).toBeGreaterThan(readsAtRaise);
  }, 120_000);
});
