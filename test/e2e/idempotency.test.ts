// Idempotency-Key on the real stack (the local host, Azurite, real HTTP; stacks from
// idempotency-stack.ts): racing submits with different bodies make exactly one request and the
// others get 422, with one start ever sent to the Durable API (so nothing relies on a second start
// being refused, which the Azure Storage provider does not do); two blocking callers with one key
// share one dispatch and one answer; a retry after a 504, or after a cancel, starts attempt 2 under
// the same id, which the backend sees; a reply to attempt 1 that comes between the attempts is set
// aside as late and never answers attempt 2, and a second reply once attempt 2 is answered is set
// aside as a duplicate (docs/architecture.md#idempotency has the rule); a record left by a submit
// that died before starting is taken over, after the grace, by the next submit with the key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobStoreFor } from '../../src/gateway/blob-store.js';
import { fingerprintRequest } from '../../src/gateway/contract.js';
import { START_CLAIM_GRACE_MS } from '../../src/gateway/idempotency.js';
import { keyRecordsIn } from '../../src/gateway/key-records.js';
import type { GatewayStack } from '../support/gateway-stack.js';
import { eventually } from '../support/stack.js';
import {
  call,
  dispatched,
  expectProblem,
  idForKey,
  nextRequest,
  type RequestBlob,
  reply,
  setAside,
  statusBecomes,
  submit,
  uniqueOperation,
} from './gateway-client.js';
import { countManagementCalls, type ManagementCalls, startIdempotencyStack } from './idempotency-stack.js';

let stack: GatewayStack;
let calls: ManagementCalls;

beforeAll(async () => {
  calls = countManagementCalls(() => stack?.host.port);
  stack = await startIdempotencyStack();
});
afterAll(async () => {
  calls?.stop();
  await stack?.stop();
});

/** A fresh operation, an Idempotency-Key of its own and the request id the gateway derives from it. */
async function keyed(label: string): Promise<{ operation: string; key: string; id: string }> {
  const operation = uniqueOperation(label);
  const key = `${label}-${operation}`;
  return { operation, key, id: await idForKey(stack, key) };
}

/** The request blob once the gateway has dispatched attempt `attempt` of `operation`. */
function dispatchedAttempt(operation: string, attempt: number): Promise<RequestBlob> {
  return eventually(
    async () => (await dispatched(stack, operation)).find((r) => r.metadata.attempt === String(attempt)),
    15_000,
    `attempt ${attempt} of ${operation} to be dispatched`,
  );
}

describe('racing submits with one Idempotency-Key', () => {
  it('different bodies: exactly one request, started once; every caller with the other body gets 422', async () => {
    const { operation, key, id } = await keyed('race');
    const bodies = Array.from({ length: 8 }, (_, i) => `{"body":"${i % 2 === 0 ? 'a' : 'b'}"}`);
    const answering = bodies.map((body) => submit(stack, operation, body, { 'idempotency-key': key }));

    const request = await nextRequest(stack, operation);
    expect(request.id).toBe(id);
    await reply(stack, id, '{"answer":"the one request"}');
    const answers = await Promise.all(answering);

    const winner = request.body.toString();
    answers.forEach((answer, i) => {
      if (bodies[i] === winner) {
        expect(answer.status, answer.text()).toBe(200);
        expect(answer.json()).toEqual({ answer: 'the one request' });
      } else {
        expectProblem(answer, 422, 'idempotency-key-reused', id);
      }
    });
    expect(answers.filter((a) => a.status === 200)).toHaveLength(4);
    expect(await dispatched(stack, operation)).toHaveLength(1);
    expect(calls.starts(id)).toBe(1);
  });
});

describe('two blocking callers with one key and one body', () => {
  it('share one dispatch and both get the answer', async () => {
    const { operation, key, id } = await keyed('attach');
    const first = submit(stack, operation, '{"n":1}', { 'idempotency-key': key });
    await nextRequest(stack, operation);
    const readsBefore = calls.readsWithInput(id);
    const second = submit(stack, operation, '{"n":1}', { 'idempotency-key': key });
    // The second caller has looked the request up (and found it running) before the reply exists.
    await eventually(() => (calls.readsWithInput(id) > readsBefore ? true : undefined), 15_000, 'the second caller to find the request');
    await reply(stack, id, '{"shared":true}');

    for (const answer of await Promise.all([first, second])) {
      expect(answer.status, answer.text()).toBe(200);
      expect(answer.json()).toEqual({ shared: true });
      expect(answer.headers.get('x-correlation-id')).toBe(id);
    }
    expect(await dispatched(stack, operation)).toHaveLength(1);
    expect(calls.starts(id)).toBe(1);
  });

  it('the one that joined does not end the request when its own wait runs out first', async () => {
    const { operation, key, id } = await keyed('joiner');
    const owner = submit(stack, operation, '{}', { 'idempotency-key': key });
    await nextRequest(stack, operation);
    expectProblem(await submit(stack, operation, '{}', { 'idempotency-key': key, prefer: 'wait=1' }), 504, 'sync-wait-expired', id);
    await statusBecomes(stack, id, 'AwaitingReply');
    await reply(stack, id, '"for the owner"');
    expect((await owner).text()).toBe('"for the owner"');
    expect(calls.starts(id)).toBe(1);
  });
});

describe('a retry with the same key after the request ended unanswered', () => {
  it('after a 504: attempt 2 starts under the same id, the backend sees it, and the next reply answers', async () => {
    const { operation, key, id } = await keyed('retry');
    const headers = { 'idempotency-key': key };
    expectProblem(await submit(stack, operation, '{"order":7}', { ...headers, prefer: 'wait=1' }), 504, 'sync-wait-expired', id);
    expect((await dispatchedAttempt(operation, 1)).metadata.requestid).toBe(id);

    const retry = submit(stack, operation, '{"order":7}', headers);
    const second = await dispatchedAttempt(operation, 2);
    expect(second.metadata.requestid).toBe(id);
    expect(second.body.toString()).toBe('{"order":7}');
    await reply(stack, id, '{"answered":"attempt 2"}');
    const answer = await retry;
    expect(answer.status, answer.text()).toBe(200);
    expect(answer.json()).toEqual({ answered: 'attempt 2' });
    expect(answer.headers.get('x-correlation-id')).toBe(id);
    expect(calls.starts(id)).toBe(2);

    // The reply to the other attempt comes too: one answer was given, so it is set aside, not lost.
    await reply(stack, id, '{"answered":"attempt 1, late"}');
    const [other] = await setAside(stack, id);
    expect(other?.metadata.reason).toBe('duplicate');

    // Answered now: the key's final word, not restarted by a third call.
    const again = await submit(stack, operation, '{"order":7}', headers);
    expect(again.json()).toEqual({ answered: 'attempt 2' });
    expect(calls.starts(id)).toBe(2);
  });

  it('a reply to attempt 1 that comes after its 504 is set aside as late and never answers attempt 2', async () => {
    const { operation, key, id } = await keyed('late1');
    const headers = { 'idempotency-key': key };
    expectProblem(await submit(stack, operation, '{}', { ...headers, prefer: 'wait=1' }), 504, 'sync-wait-expired', id);
    await reply(stack, id, '"late, for attempt 1"');
    const [late] = await setAside(stack, id);
    expect(late?.metadata.reason).toBe('late');

    const retry = submit(stack, operation, '{}', headers);
    await dispatchedAttempt(operation, 2);
    await reply(stack, id, '"for attempt 2"');
    expect((await retry).text()).toBe('"for attempt 2"');
  });

  it('a caller that joined an attempt and still waits when its owner gives up is answered by the next attempt', async () => {
    const { operation, key, id } = await keyed('moveon');
    const owner = submit(stack, operation, '{}', { 'idempotency-key': key, prefer: 'wait=2' });
    await dispatchedAttempt(operation, 1);
    const joined = submit(stack, operation, '{}', { 'idempotency-key': key });
    expectProblem(await owner, 504, 'sync-wait-expired', id);
    await dispatchedAttempt(operation, 2);
    await reply(stack, id, '"for whoever still waits"');
    const answer = await joined;
    expect(answer.status, answer.text()).toBe(200);
    expect(answer.text()).toBe('"for whoever still waits"');
  });

  it('after a cancel: the next submit starts attempt 2 under the same id', async () => {
    const operation = uniqueOperation('recancel');
    const headers = { 'idempotency-key': `recancel-${operation}`, prefer: 'respond-async' };
    const id = (await submit(stack, operation, '{}', headers)).headers.get('x-correlation-id') ?? '';
    await dispatchedAttempt(operation, 1);
    expect((await call(stack, `status/${id}`, { method: 'DELETE' })).status).toBe(202);
    await statusBecomes(stack, id, 'Canceled');

    expect((await submit(stack, operation, '{}', headers)).status).toBe(202);
    await dispatchedAttempt(operation, 2);
    await statusBecomes(stack, id, 'AwaitingReply');
    expect(calls.starts(id)).toBe(2);
  });

  it('a claim left by a submit that died between its record and its start is taken over after the grace', async () => {
    const { operation, key, id } = await keyed('orphan');
    const body = '{"left":"behind"}';
    // What the dead submit left: the record, at attempt 1, and no instance.
    const bodyHash = fingerprintRequest({ method: 'POST', operation, query: {}, body: Buffer.from(body) });
    const records = keyRecordsIn(blobStoreFor(stack.connectionString), stack.settings.GATEWAY_CONTAINER ?? 'gateway');
    expect(await records.create(id, bodyHash)).toBeDefined();
    const claimedAt = Date.now();

    const retry = submit(stack, operation, body, { 'idempotency-key': key });
    const started = await dispatchedAttempt(operation, 2);
    expect(Date.now() - claimedAt).toBeGreaterThanOrEqual(START_CLAIM_GRACE_MS - 1_000);
    expect(started.metadata.requestid).toBe(id);
    await reply(stack, id, '"taken over"');
    expect((await retry).text()).toBe('"taken over"');
    expect(calls.starts(id)).toBe(1);
  }, 40_000);
});
