import { describe, expect, it } from 'vitest';
import { type GatewayRequest, isJsonMediaType } from '../../src/gateway/contract.js';
import { GatewayError } from '../../src/gateway/errors.js';
import { startOrReuse } from '../../src/gateway/submission.js';

// startOrReuse is tested end to end (test/e2e/async.test.ts: reuse, 422, and five concurrent
// submits with one key, four of which lose the start race). What a real stack cannot be made to
// do on demand is fail a start for another reason while the instance does not exist; a stub
// port stands in for the Durable API here.
describe('startOrReuse', () => {
  it('a start failure that is not a lost race is rethrown, not taken for reuse', async () => {
    const request = {
      id: 'k-id',
      operation: 'echo',
      method: 'POST',
      contentType: 'application/json',
      body: '',
      bodyHash: 'h1',
      query: {},
      replyTo: 'replies',
      waitMode: 'sync',
      deadlineMs: 1000,
      createdAt: 't',
    } satisfies GatewayRequest;
    const port = {
      inspectWithInput: () => Promise.resolve(undefined),
      start: () => Promise.reject(new Error('storage unavailable')),
    };
    const submission = { request, plan: { mode: 'sync' as const, waitMs: 1000 }, idempotent: true };
    await expect(startOrReuse(port, submission)).rejects.toThrow('storage unavailable');
    await expect(startOrReuse(port, submission)).rejects.not.toBeInstanceOf(GatewayError);
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
