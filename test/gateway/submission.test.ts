import { describe, expect, it } from 'vitest';
import type { GatewayRequest } from '../../src/gateway/contract.js';
import { GatewayError } from '../../src/gateway/errors.js';
import type { InstanceSnapshot } from '../../src/gateway/outcome.js';
import { isJsonMediaType, startOrReuse, type Submission } from '../../src/gateway/submission.js';
import { snapshot } from './fake-durable.js';

const request: GatewayRequest = {
  id: 'k-id', operation: 'echo', method: 'POST', contentType: 'application/json', body: '', bodyHash: 'h1', query: {},
  replyTo: 'replies', waitMode: 'sync', deadlineMs: 1000, createdAt: 't',
};
const submission = (idempotent: boolean): Submission => ({ request, plan: { mode: 'sync', waitMs: 1000 }, idempotent });

function durable(lookups: Array<InstanceSnapshot | undefined>, startFails = false) {
  const started: string[] = [];
  return {
    started,
    inspect: () => Promise.resolve(lookups.shift()),
    start: (r: GatewayRequest) => {
      if (startFails) return Promise.reject(new Error('An instance with ID k-id already exists'));
      started.push(r.id);
      return Promise.resolve();
    },
  };
}

describe('startOrReuse', () => {
  it('without a key: always starts, never looks', async () => {
    const port = durable([snapshot()]);
    expect(await startOrReuse(port, submission(false))).toBe(request);
    expect(port.started).toEqual(['k-id']);
  });

  it('a key seen before with the same request: reuses it, starts nothing', async () => {
    const earlier = { ...request, createdAt: 'earlier' };
    const port = durable([snapshot({ input: earlier })]);
    expect(await startOrReuse(port, submission(true))).toEqual(earlier);
    expect(port.started).toEqual([]);
  });

  it('a key seen before with a different request: 422', async () => {
    const port = durable([snapshot({ input: { ...request, bodyHash: 'h2' } })]);
    await expect(startOrReuse(port, submission(true))).rejects.toMatchObject({ status: 422, code: 'idempotency-key-reused' });
  });

  it('losing a start race to the same request: reuses the winner', async () => {
    const port = durable([undefined, snapshot({ input: request })], true);
    expect(await startOrReuse(port, submission(true))).toEqual(request);
  });

  it('a start failure that is not a race is rethrown', async () => {
    const port = durable([undefined, undefined], true);
    await expect(startOrReuse(port, submission(true))).rejects.not.toBeInstanceOf(GatewayError);
  });
});

describe('isJsonMediaType', () => {
  it.each([
    ['application/json', true],
    ['Application/JSON; charset=utf-8', true],
    ['application/problem+json', true],
    ['text/json', false],
    ['text/plain', false],
  ])('%s → %s', (type, expected) => expect(isJsonMediaType(type)).toBe(expected));
});
