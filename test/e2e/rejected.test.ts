// Set-aside blob replies as a resource, over the real stack: GET /api/rejected lists them (paged,
// filtered, counted by reason), GET /api/rejected/{name} shows one whole, and a replay hands it
// back to the normal intake, which decides again: a duplicate whose request was purged is still
// refused, an unknown reply whose request started later is delivered.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';
import { eventually } from '../support/stack.js';
import {
  call,
  expectProblem,
  idForKey,
  nextRequest,
  reply,
  replyExists,
  setAside,
  statusBecomes,
  submit,
  uniqueOperation,
} from './gateway-client.js';
import { listRejected, purged, type RejectedPage, rejectedFor, replay } from './rejected-api.js';

let stack: GatewayStack;

// Finished requests are purged a second after they finish, so one test can purge an original;
// set-aside replies are kept (0) so nothing else disappears under the other tests.
const RETENTION_HOURS = 1 / 3600;

beforeAll(async () => {
  stack = await startGatewayStack({
    settings: { GATEWAY_RETENTION_HOURS: String(RETENTION_HOURS), GATEWAY_REJECTED_RETENTION_HOURS: '0' },
  });
});
afterAll(async () => {
  await stack?.stop();
});

/** A sync request answered with `body` under `{id}.json`; resolves with its id. */
async function answered(body: string): Promise<string> {
  const operation = uniqueOperation('rejected');
  const [answer, request] = await Promise.all([
    submit(stack, operation),
    nextRequest(stack, operation).then(async (r) => {
      await reply(stack, r.id, body, { name: `${r.id}.json` });
      return r;
    }),
  ]);
  expect(answer.status, answer.text()).toBe(200);
  return request.id;
}

/** A second reply to an answered request: set aside as a duplicate. Answers the request id and the listed reply. */
async function duplicate(body: Buffer) {
  const id = await answered('{"first":true}');
  await eventually(async () => ((await replyExists(stack, `${id}.json`)) ? undefined : true), 10_000, 'the answer blob to go');
  await reply(stack, id, body, { name: `${id}.xml`, contentType: 'application/xml', status: 500 });
  return { id, listed: await rejectedFor(stack, id, 'duplicate') };
}

describe('GET /api/rejected', () => {
  it('lists a set-aside reply with the request it names, shows it whole, and counts by reason', async () => {
    const body = Buffer.from('<second attempt="1"/>');
    const { id, listed } = await duplicate(body);
    expect(listed).toMatchObject({
      channel: 'blob',
      reason: 'duplicate',
      requestId: id,
      size: body.length,
      contentType: 'application/xml',
    });
    expect(listed.description).toContain(`${id}.json`);
    expect(Date.parse(listed.receivedAt)).toBeGreaterThan(Date.now() - 120_000);

    const page = await listRejected(stack, { requestId: id });
    expect(page.items.map((i) => i.name)).toEqual([listed.name]);
    expect(page.counts).toEqual({ duplicate: 1 });
    expect(page.continuation).toBeUndefined();

    const shown = await call(stack, `rejected/${listed.name}`);
    expect(shown.status, shown.text()).toBe(200);
    expect(shown.headers.get('x-correlation-id')).toBe(id);
    const detail = shown.json<Record<string, unknown>>();
    expect(detail).toMatchObject({
      ...listed,
      text: body.toString(),
      properties: { reason: 'duplicate', status: '500', originalname: `${id}.xml` },
    });
    expect(Buffer.from(String(detail.body), 'base64').equals(body)).toBe(true);
  });

  it('filters by reason and pages with a continuation that neither repeats nor skips', async () => {
    // Three unknown replies (no such request, after the 1 s grace) beside the duplicates of the other tests.
    const unknown = [randomUUID(), randomUUID(), randomUUID()];
    await Promise.all(unknown.map((id) => reply(stack, id, `{"for":"${id}"}`)));
    for (const id of unknown) await rejectedFor(stack, id, 'unknown-request');

    const all = await listRejected(stack, { reason: 'unknown-request' });
    expect(all.items.every((i) => i.reason === 'unknown-request')).toBe(true);
    expect(all.items.map((i) => i.requestId)).toEqual(expect.arrayContaining(unknown));
    // Counts ignore the reason filter: every reason held is counted.
    expect(all.counts['unknown-request']).toBe(all.items.length);
    expect(all.counts.duplicate).toBeGreaterThanOrEqual(1);

    const paged: string[] = [];
    let continuation: string | undefined;
    let pages = 0;
    do {
      const page: RejectedPage = await listRejected(stack, {
        reason: 'unknown-request',
        limit: '2',
        ...(continuation ? { continuation } : {}),
      });
      expect(page.items.length).toBeLessThanOrEqual(2);
      paged.push(...page.items.map((i) => i.name));
      continuation = page.continuation;
      pages++;
    } while (continuation !== undefined);
    expect(paged).toEqual(all.items.map((i) => i.name));
    expect(pages).toBe(Math.ceil(all.items.length / 2));
  });

  it('refuses bad parameters and unknown names with problem+json', async () => {
    expectProblem(await call(stack, 'rejected?limit=0'), 400, 'invalid-query');
    expectProblem(await call(stack, 'rejected?requestId=..%2Fx'), 400, 'invalid-query');
    expectProblem(await call(stack, 'rejected?continuation=nope'), 400, 'invalid-query');
    expectProblem(await call(stack, 'rejected/not-a-name'), 400, 'invalid-rejected-name');
    const missing = `blob.${Buffer.from(`${randomUUID()}/0x1`).toString('base64url')}`;
    expectProblem(await call(stack, `rejected/${missing}`), 404, 'rejected-not-found');
    expectProblem(await replay(stack, missing), 404, 'rejected-not-found');
    // No Service Bus on this gateway: its names name nothing.
    expectProblem(await call(stack, 'rejected/dlq.1'), 404, 'rejected-not-found');
  });
});

describe('POST /api/rejected/{name}/replay', () => {
  it('a duplicate whose original was purged is still refused: set aside anew, as unknown', async () => {
    const body = Buffer.from('<late-duplicate/>');
    const { id, listed } = await duplicate(body);
    await purged(stack, id);
    // The set-aside reply has its own retention: it outlives its request.
    expect((await listRejected(stack, { requestId: id })).items.map((i) => i.name)).toEqual([listed.name]);

    const replayed = await replay(stack, listed.name);
    expect(replayed.status, replayed.text()).toBe(202);
    expect(replayed.json()).toEqual({ name: listed.name, requestId: id, replayedTo: `replies/${id}.xml` });
    const again = await rejectedFor(stack, id, 'unknown-request');
    expect(again.name).not.toBe(listed.name);
    const [copy] = await setAside(stack, `${id}.xml`);
    expect(copy?.body.equals(body)).toBe(true);
    expect(copy?.metadata).toMatchObject({ reason: 'unknown-request', status: '500' });
    const page = await listRejected(stack, { requestId: id });
    expect(page.items.map((i) => i.name)).toEqual([again.name]);
    expect(page.counts).toEqual({ 'unknown-request': 1 });
    expect((await call(stack, `status/${id}`)).status).toBe(404);
    expectProblem(await call(stack, `rejected/${listed.name}`), 404, 'rejected-not-found');
    // It waits for the request to be finished longer than the retention, then for a purge run.
  }, 90_000);

  it('an unknown reply whose request was started later is delivered', async () => {
    const key = `replay-${randomUUID()}`;
    const id = await idForKey(stack, key);
    await reply(stack, id, '{"came":"early"}', { status: 201 });
    const listed = await rejectedFor(stack, id, 'unknown-request');

    const started = await submit(stack, uniqueOperation('later'), '{}', { 'Idempotency-Key': key, Prefer: 'respond-async' });
    expect(started.status, started.text()).toBe(202);
    expect(started.headers.get('x-correlation-id')).toBe(id);

    const replayed = await replay(stack, listed.name);
    expect(replayed.status, replayed.text()).toBe(202);
    expect(replayed.headers.get('x-correlation-id')).toBe(id);
    await statusBecomes(stack, id, 'Completed');
    const result = await call(stack, `results/${id}`);
    expect(result.status).toBe(201);
    expect(result.text()).toBe('{"came":"early"}');
    expect((await listRejected(stack, { requestId: id })).items).toEqual([]);
    // Replayed once: the name is gone.
    expectProblem(await replay(stack, listed.name), 404, 'rejected-not-found');
  });
});
