// Sync mode over real HTTP, the local host and real Azurite: the reply as the backend wrote it,
// the backend's status, the 504 on expiry (instance ended, late reply set aside), a reply that
// arrives before the orchestrator waits, and the other ways a sync wait ends.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYNC_DEADLINE_MARGIN_MS } from '../../src/gateway/submission.js';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';
import { eventually } from '../support/stack.js';
import {
  answerNext,
  call,
  durableStatus,
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

let stack: GatewayStack;

beforeAll(async () => {
  // A longer grace than the other files: the reply-before-start test must not depend on how
  // quickly a loaded machine gets from the upload to the start.
  stack = await startGatewayStack({ settings: { GATEWAY_REPLY_GRACE_MS: '5000' } });
});
afterAll(async () => {
  await stack?.stop();
});

// Every byte value, CR/LF and a NUL: anything that decodes, re-encodes or trims would show.
const BINARY = Buffer.concat([Buffer.from('\r\n\0'), Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i)), Buffer.from(' \n')]);

describe('a sync request answered in time', () => {
  it('gets the reply byte for byte with its content type, tagged with the request id', async () => {
    const operation = uniqueOperation('exact');
    const contentType = 'application/vnd.acme.report; charset=iso-8859-1';
    const [answer, request] = await Promise.all([
      submit(stack, operation, '{"q": [1, 2, 3]}'),
      answerNext(stack, operation, BINARY, { contentType }),
    ]);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe(contentType);
    expect(answer.body.equals(BINARY)).toBe(true);
    expect(answer.headers.get('x-correlation-id')).toBe(request.id);
    // What the backend received: the body as sent, its content type, where to answer.
    expect(request.body.toString()).toBe('{"q": [1, 2, 3]}');
    expect(request.contentType).toBe('application/json');
    expect(request.metadata).toMatchObject({ requestid: request.id, operation, method: 'POST', replyto: 'replies' });
  });

  it.each([201, 422])('gets the status the backend set on its reply (%i)', async (status) => {
    const operation = uniqueOperation(`status${status}`);
    const body = JSON.stringify({ status, note: 'set by the backend' });
    const [answer] = await Promise.all([
      submit(stack, operation),
      answerNext(stack, operation, body, { status, contentType: 'application/json' }),
    ]);
    expect(answer.status).toBe(status);
    expect(answer.text()).toBe(body);
  });

  it('gets a 204 without a body when the backend says "no content"', async () => {
    const operation = uniqueOperation('nocontent');
    const [answer] = await Promise.all([submit(stack, operation), answerNext(stack, operation, '', { status: 204 })]);
    expect(answer.status).toBe(204);
    expect(answer.body.length).toBe(0);
  });

  it('GET carries the query string to the backend as JSON; Prefer: wait=N is applied and acknowledged', async () => {
    const operation = uniqueOperation('lookup');
    const sentAt = Date.now();
    const [answer, request] = await Promise.all([
      call(stack, `requests/${operation}?city=Oslo&n=3`, { headers: { prefer: 'wait=7' } }),
      answerNext(stack, operation, '"sunny"'),
    ]);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('preference-applied')).toBe('wait=7');
    expect(JSON.parse(request.body.toString())).toEqual({ city: 'Oslo', n: '3' });
    expect(request.contentType).toBe('application/json');
    expect(request.metadata.method).toBe('GET');
    // The orchestrator waits as long as the caller does, plus the margin that lets the caller's
    // own expiry come first.
    const deadlineMs = Date.parse(request.metadata.deadline ?? '') - sentAt;
    expect(deadlineMs).toBeGreaterThan(7_000 + SYNC_DEADLINE_MARGIN_MS - 1_000);
    expect(deadlineMs).toBeLessThanOrEqual(7_000 + SYNC_DEADLINE_MARGIN_MS + 1_000);
  });

  it('passes a body that is not JSON through untouched, however it looks', async () => {
    const operation = uniqueOperation('upload');
    const [answer, request] = await Promise.all([
      submit(stack, operation, BINARY, { 'content-type': 'application/octet-stream' }),
      answerNext(stack, operation, '{}'),
    ]);
    expect(answer.status).toBe(200);
    expect(request.body.equals(BINARY)).toBe(true);
    expect(request.contentType).toBe('application/octet-stream');
  });
});

describe('a sync wait that runs out', () => {
  it('answers 504 naming the request, ends the instance, and sets a later reply aside as late', async () => {
    const operation = uniqueOperation('expire');
    const answer = await submit(stack, operation, '{}', { prefer: 'wait=1' });
    const { id } = await nextRequest(stack, operation);
    const problem = expectProblem(answer, 504, 'sync-wait-expired', id);
    expect(String(problem.detail)).toContain(id);

    // The caller's view and the runtime's: over, not left running until its own timer.
    const status = await statusBecomes(stack, id, 'TimedOut');
    expect(status.headers.get('retry-after')).toBeNull();
    expect(await durableStatus(stack, id)).toMatchObject({ runtimeStatus: 'Terminated' });

    const late = Buffer.from('<late/>');
    await reply(stack, id, late, { contentType: 'application/xml', status: 201, name: `${id}.xml` });
    const [aside] = await setAside(stack, `${id}.xml`);
    expect(aside?.metadata).toMatchObject({ reason: 'late', originalcontainer: 'replies', originalname: `${id}.xml`, status: '201' });
    expect(aside?.body.equals(late)).toBe(true);
    expect(aside?.contentType).toBe('application/xml');
    // Set aside is copy, then delete: the copy can be seen a moment before the original is gone.
    await eventually(async () => ((await replyExists(stack, `${id}.xml`)) ? undefined : true), 15_000, `reply ${id}.xml to leave replies`);
    expectProblem(await call(stack, `results/${id}`), 404, 'result-not-ready', id);
  });

  it('answers 409 when the request is canceled while the caller waits', async () => {
    const operation = uniqueOperation('cancelsync');
    const waiting = submit(stack, operation, '{}', { prefer: 'wait=20' });
    const { id } = await nextRequest(stack, operation);
    const cancel = await call(stack, `status/${id}`, { method: 'DELETE' });
    expect(cancel.status).toBe(202);
    expectProblem(await waiting, 409, 'request-canceled', id);
    await statusBecomes(stack, id, 'Canceled');
  });

  it('answers 502 when the orchestration fails, and says Failed from then on', async () => {
    const operation = uniqueOperation('fails');
    const waiting = submit(stack, operation, '{}', { prefer: 'wait=20' });
    const { id } = await nextRequest(stack, operation);
    // Only the gateway's reply functions raise `reply`; a payload that is not a reply envelope
    // (here raised by hand through the management API) must fail the request loudly.
    const raised = await fetch(stack.management(`instances/${id}/raiseEvent/reply`), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"not":"an envelope"}',
    });
    expect(raised.status).toBe(202);
    expectProblem(await waiting, 502, 'processing-failed', id);
    await statusBecomes(stack, id, 'Failed');
  });
});

describe('a reply that comes before the orchestrator waits for it', () => {
  it('is still delivered (Idempotency-Key gives the id before the request exists)', async () => {
    const key = `early-${Date.now()}`;
    const id = await idForKey(stack, key);
    await reply(stack, id, '{"early":true}');
    const answer = await submit(stack, uniqueOperation('early'), '{}', { 'idempotency-key': key });
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ early: true });
    expect(answer.headers.get('x-correlation-id')).toBe(id);
  });
});

describe('scripts/reply.ts', () => {
  it('answers a waiting request from the command line: file body, content type by extension, --status', async () => {
    const operation = uniqueOperation('cli');
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'reply-'));
    try {
      const file = path.join(folder, 'answer.csv');
      fs.writeFileSync(file, 'a,b\r\n1,2\r\n');
      const waiting = submit(stack, operation);
      const { id } = await nextRequest(stack, operation);
      const script = path.join(__dirname, '../../dist/scripts/reply.js');
      const { stdout } = await promisify(execFile)(process.execPath, [
        script,
        id,
        `@${file}`,
        '--status',
        '203',
        '--connection',
        stack.connectionString,
      ]);
      expect(stdout).toContain(`replies/${id}`);
      const answer = await waiting;
      expect(answer.status).toBe(203);
      expect(answer.headers.get('content-type')).toBe('text/csv');
      expect(answer.text()).toBe('a,b\r\n1,2\r\n');
    } finally {
      fs.rmSync(folder, { recursive: true });
    }
  });
});
