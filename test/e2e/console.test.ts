// The console's routes over real HTTP against the local stack, without a browser (that is
// test/browser): the page and its policy, the JSON listing as requests move from pending to
// finished, and the reply form's answer going through the reply trigger like a backend's.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';
import { eventually } from '../support/stack.js';
import { call, expectProblem, nextRequest, reply, statusBecomes, submit, uniqueOperation } from './gateway-client.js';

let stack: GatewayStack;

beforeAll(async () => {
  stack = await startGatewayStack();
});
afterAll(async () => {
  await stack?.stop();
});

interface Lists {
  now: string;
  pending: { id: string; operation: string; mode: string; status: string; ageMs: number; createdAt: string; deadline?: string }[];
  finished: { id: string; operation: string; mode: string; status: string; httpStatus?: number; latencyMs: number }[];
  replyChannels: { channels: string[]; preferred: string };
}

async function lists(): Promise<Lists> {
  const answer = await call(stack, 'console/requests');
  expect(answer.status, answer.text()).toBe(200);
  expect(answer.headers.get('content-type')).toBe('application/json');
  return answer.json<Lists>();
}

function answerForm(id: string, form: unknown, contentType = 'application/json') {
  return call(stack, `console/requests/${id}/reply`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof form === 'string' ? form : JSON.stringify(form),
  });
}

async function acceptedAsync(operation: string): Promise<string> {
  const answer = await submit(stack, operation, '{"n":1}', { prefer: 'respond-async' });
  expect(answer.status, answer.text()).toBe(202);
  return answer.headers.get('x-correlation-id') ?? '';
}

describe('the console page', () => {
  it('is one HTML document whose inline script and style are the only ones its policy lets run', async () => {
    const answer = await call(stack, 'console');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(answer.headers.get('referrer-policy')).toBe('no-referrer');
    const html = answer.text();
    const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1] ?? '';
    const style = /<style>([\s\S]*)<\/style>/.exec(html)?.[1] ?? '';
    expect(script).toContain('fetch(apiBase + path');
    expect(style).toContain('@media (max-width: 40rem)');
    const hash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
    const policy = answer.headers.get('content-security-policy') ?? '';
    expect(policy).toContain(`script-src ${hash(script)}`);
    expect(policy).toContain(`style-src ${hash(style)}`);
    expect(policy).toContain("default-src 'none'");
  });

  it('takes only GET: another method is a 405 problem with Allow', async () => {
    // Every method is routed to the function, so the gateway answers it, not the host's empty 404.
    const answer = await call(stack, 'console', { method: 'POST', body: '{}' });
    expectProblem(answer, 405, 'method-not-allowed');
    expect(answer.headers.get('allow')).toBe('GET');
  });
});

describe('GET /api/console/requests', () => {
  it('lists a request as pending with its operation, mode and age, then as finished with the backend status', async () => {
    const operation = uniqueOperation('console-list');
    const startedAt = Date.now();
    const id = await acceptedAsync(operation);
    const pending = await eventually(async () => (await lists()).pending.find((r) => r.id === id && r.status === 'AwaitingReply'), 15_000);
    expect(pending).toMatchObject({ operation, mode: 'async' });
    expect(pending.ageMs).toBeGreaterThanOrEqual(0);
    expect(Date.parse(pending.deadline ?? '')).toBeGreaterThan(Date.now());
    expect((await lists()).replyChannels).toEqual({ channels: ['blob'], preferred: 'blob' });

    await reply(stack, id, '{"ok":true}', { status: 207 });
    await statusBecomes(stack, id, 'Completed');
    const after = await lists();
    expect(after.pending.some((r) => r.id === id)).toBe(false);
    const finished = after.finished.find((r) => r.id === id);
    expect(finished).toMatchObject({ operation, mode: 'async', status: 'Completed', httpStatus: 207 });
    // The management API gives whole-second times, as the extension does (HttpApiHandler writes
    // "s" + "Z"), so the latency is whole seconds, 0 when created and finished fall in one second,
    // and never more than the test's own wall clock allows.
    const latencyMs = finished?.latencyMs ?? Number.NaN;
    expect(latencyMs % 1000).toBe(0);
    expect(latencyMs).toBeGreaterThanOrEqual(0);
    expect(latencyMs).toBeLessThanOrEqual(Date.now() - startedAt + 1000);
  });

  it('shows a sync caller whose wait ran out as TimedOut, without an HTTP status', async () => {
    const operation = uniqueOperation('console-expired');
    const answer = await submit(stack, operation, '{}', { prefer: 'wait=1' });
    expect(answer.status).toBe(504);
    const id = answer.headers.get('x-correlation-id') ?? '';
    const finished = await eventually(async () => (await lists()).finished.find((r) => r.id === id), 15_000);
    expect(finished).toMatchObject({ operation, mode: 'sync', status: 'TimedOut' });
    expect(finished.httpStatus).toBeUndefined();
  });
});

describe('POST /api/console/requests/{id}/reply', () => {
  it('answers a blocked sync caller through the replies container and the blob trigger', async () => {
    const operation = uniqueOperation('console-answer');
    const caller = submit(stack, operation, '{"order":42}', { prefer: 'wait=50' });
    const { id } = await nextRequest(stack, operation);
    const sent = await answerForm(id, { body: '{"price": 9.5}', contentType: 'application/json', status: 201 });
    expect(sent.status, sent.text()).toBe(202);
    expect(sent.json()).toEqual({ id, via: 'blob', sentTo: `replies/${id}.json` });
    const answer = await caller;
    expect(answer.status).toBe(201);
    expect(answer.headers.get('content-type')).toBe('application/json');
    expect(answer.text()).toBe('{"price": 9.5}');
    expect(answer.headers.get('x-correlation-id')).toBe(id);
  });

  it('sends a non-JSON reply byte for byte, under a blob named by the bare id', async () => {
    const operation = uniqueOperation('console-text');
    const id = await acceptedAsync(operation);
    const sent = await answerForm(id, { body: 'plain ✓', contentType: 'text/plain; charset=utf-8' });
    expect(sent.json()).toMatchObject({ sentTo: `replies/${id}` });
    await statusBecomes(stack, id, 'Completed');
    const result = await call(stack, `results/${id}`);
    expect(result.status).toBe(200);
    expect(result.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(result.text()).toBe('plain ✓');
  });

  it('refuses what it can see is wrong, as problems naming the request, and sends nothing', async () => {
    const id = await acceptedAsync(uniqueOperation('console-refuse'));
    const problem = (answer: Awaited<ReturnType<typeof answerForm>>, status: number, code: string) =>
      expectProblem(answer, status, code, id);
    // A cross-site form post can't send application/json without a preflight the gateway never grants.
    problem(await answerForm(id, 'body=x', 'application/x-www-form-urlencoded'), 400, 'invalid-reply');
    problem(await answerForm(id, '{"body":', 'application/json'), 400, 'malformed-json');
    problem(await answerForm(id, [1]), 400, 'invalid-reply');
    problem(await answerForm(id, { body: 42 }), 400, 'invalid-reply');
    problem(await answerForm(id, { body: 'not json' }), 400, 'invalid-reply');
    problem(await answerForm(id, { body: '{}', contentType: 'text/plain\r\nX-Evil: 1' }), 400, 'invalid-reply');
    problem(await answerForm(id, { body: '{}', status: 600 }), 400, 'invalid-reply');
    problem(await answerForm(id, { body: '{}', status: '201' }), 400, 'invalid-reply');
    const noBus = problem(await answerForm(id, { body: '{}', via: 'servicebus' }), 400, 'invalid-reply');
    expect(noBus.detail).toContain('ServiceBusConnection');
    // Nothing of the above reached the replies container: the request is still waiting.
    expect((await call(stack, `status/${id}`)).json()).toMatchObject({ status: 'AwaitingReply' });
    const names: string[] = [];
    for await (const blob of stack.blobs.getContainerClient('replies').listBlobsFlat({ prefix: id })) names.push(blob.name);
    expect(names).toEqual([]);
  });

  it('answers 404 for an unknown request, 400 for an invalid id and 409 once the request is finished', async () => {
    expectProblem(await answerForm('no-such-request', { body: '{}' }), 404, 'request-not-found', 'no-such-request');
    expectProblem(await answerForm('bad.id', { body: '{}' }), 400, 'invalid-request-id');
    const id = await acceptedAsync(uniqueOperation('console-finished'));
    await reply(stack, id, '{}');
    await statusBecomes(stack, id, 'Completed');
    expectProblem(await answerForm(id, { body: '{}' }), 409, 'already-finished', id);
  });
});
