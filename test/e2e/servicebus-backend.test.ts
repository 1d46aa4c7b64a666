// The gateway with Service Bus on and the demo backend (scripts/demo-backend.ts --via servicebus)
// answering on the reply topic: a request too large for a message goes by reference, 200 sync
// callers at once with the backend in-process, then the backend as `npm run backend -- --via
// servicebus` runs it, stopped by SIGTERM.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceBusStack, startServiceBusStack } from '../support/servicebus-stack.js';
import { eventually } from '../support/stack.js';
import { type DemoReply, expectEachAnsweredWithItsOwnReply, submit, uniqueOperation } from './gateway-client.js';

let stack: ServiceBusStack;

beforeAll(async () => {
  // 200 callers on a 2-core machine: a wait long enough for the last of them, and status polls
  // at a realistic pace (each poll is an HTTP round trip to the Durable API).
  stack = await startServiceBusStack({
    GATEWAY_SYNC_WAIT_SECONDS: '100',
    GATEWAY_MAX_SYNC_WAIT_SECONDS: '120',
    GATEWAY_POLL_INTERVAL_MS: '250',
  });
});
afterAll(async () => {
  await stack?.stop();
});

describe('a request body larger than a Service Bus message (256 KB here, as on the Standard tier)', () => {
  it('reaches the backend by reference (a blob the message points at) and its reply answers the caller', async () => {
    const stopBackend = stack.startBackend({ delayMs: 0 });
    try {
      const operation = uniqueOperation('sbbig');
      const body = Buffer.alloc(300 * 1024, 0xa5);
      body.write('not text, not JSON', 0);
      const answer = await submit(stack.gateway, operation, body, { 'content-type': 'application/octet-stream' });
      expect(answer.status, answer.text()).toBe(200);
      // The backend read all 300 KB from the blob: the echo is its size summary of what it got.
      expect(answer.json<DemoReply>().echo).toEqual({ bytes: body.length, contentType: 'application/octet-stream' });

      const [message] = stack.requests.filter((m) => m.subject === operation);
      const id = String(message?.correlationId);
      expect(Buffer.isBuffer(message?.body) && message.body.length).toBe(0);
      expect(message?.contentType).toBe('application/octet-stream');
      expect(message?.applicationProperties).toMatchObject({ requestId: id, bodyBlob: `requests/${id}`, bodySize: body.length });
      const stored = await stack.gateway.blobs.getContainerClient('requests').getBlobClient(id).downloadToBuffer();
      expect(stored.equals(body)).toBe(true);
    } finally {
      await stopBackend();
    }
  });

  it('a body that fits goes inline, as before', async () => {
    const operation = uniqueOperation('sbsmall');
    const stopBackend = stack.startBackend({ delayMs: 0 });
    try {
      const answer = await submit(stack.gateway, operation, JSON.stringify({ small: true }));
      expect(answer.status, answer.text()).toBe(200);
      const [message] = stack.requests.filter((m) => m.subject === operation);
      expect(message?.applicationProperties?.bodyBlob).toBeUndefined();
      expect(Buffer.isBuffer(message?.body) && message.body.toString()).toBe('{"small":true}');
    } finally {
      await stopBackend();
    }
  });
});

describe('200 concurrent sync requests over Service Bus', () => {
  it('are all answered, each with the reply to its own request, each dispatched once', async () => {
    const stopBackend = stack.startBackend({ delayMs: 0 });
    try {
      const operation = uniqueOperation('sbload');
      const nonces = Array.from({ length: 200 }, () => randomUUID());
      const answers = await Promise.all(nonces.map((nonce) => submit(stack.gateway, operation, JSON.stringify({ nonce }))));

      // The tap subscription is read one message at a time by a receiver of its own, so it may
      // still be behind when the last caller is answered.
      const tapped = () => stack.requests.filter((m) => m.subject === operation);
      await eventually(() => (tapped().length >= 200 ? true : undefined), 15_000, 'the tap to see every request');
      const dispatchedHere = tapped();
      // Each dispatched once: as many messages as requests, no id twice.
      expect(dispatchedHere).toHaveLength(200);
      expectEachAnsweredWithItsOwnReply(
        operation,
        nonces,
        answers,
        new Map(dispatchedHere.map((m) => [String(m.correlationId), m.body as Buffer])),
      );
      expect(stack.rejected).toEqual([]);
    } finally {
      await stopBackend();
    }
  }, 120_000);
});

describe('npm run backend -- --via servicebus', () => {
  it('answers on the reply topic with the backend status, and stops cleanly on SIGTERM', async () => {
    const script = path.join(__dirname, '../../dist/scripts/demo-backend.js');
    const args = ['--via', 'servicebus', '--connection', stack.bus.connectionString, '--delay', '0', '--status', '203'];
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await eventually(() => (output.includes('receiving from topic requests') ? true : undefined), 15_000, 'the backend to start');
      const operation = uniqueOperation('sbcli');
      const answer = await submit(stack.gateway, operation, '{"from":"cli"}');
      expect(answer.status, answer.text()).toBe(203);
      expect(answer.json<DemoReply>()).toMatchObject({ operation, echo: { from: 'cli' } });
      const id = answer.headers.get('x-correlation-id') ?? '';
      // The backend writes its line once its reply send is acknowledged, which may be after the caller has the answer.
      await eventually(
        () => (output.includes(`${id}: answered → topic replies`) ? true : undefined),
        10_000,
        "the backend's answered line",
      );
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code, output).toBe(0);
    expect(output).toContain('demo backend: stopped');
  });
});
