import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  fingerprintRequest,
  isClaimCheckNameFor,
  isIdempotencyKey,
  isOperation,
  isRequestId,
  newRequestId,
  requestIdFromIdempotencyKey,
} from '../../src/gateway/contract.js';
import { isReplyEnvelope } from '../../src/gateway/contract-guards.js';

describe('request ids', () => {
  it('accepts letters, digits and hyphens up to 64', () => {
    expect(isRequestId('abc-DEF-123')).toBe(true);
    expect(isRequestId('a'.repeat(64))).toBe(true);
  });

  it.each(['', 'a'.repeat(65), '../x', '..', 'a/b', 'a.json', 'a b', 'a%2Fb', 'a\nb', 'a\\b', 'ä', 'a_b'])(
    'rejects %j (injection and odd characters)',
    (id) => expect(isRequestId(id)).toBe(false),
  );

  it('rejects non-strings', () => {
    expect(isRequestId(undefined)).toBe(false);
    expect(isRequestId(42)).toBe(false);
  });

  it('generated ids are valid and distinct', () => {
    const a = newRequestId();
    expect(isRequestId(a)).toBe(true);
    expect(newRequestId()).not.toBe(a);
  });

  it('an Idempotency-Key always maps to the same valid id under one secret, different keys to different ids', () => {
    const secret = Buffer.alloc(32, 7);
    const id = requestIdFromIdempotencyKey('order-42', secret);
    expect(requestIdFromIdempotencyKey('order-42', Buffer.alloc(32, 7))).toBe(id);
    expect(requestIdFromIdempotencyKey('order-43', secret)).not.toBe(id);
    // Unknowable without the secret: another secret, or the old public hash, gives another id.
    expect(requestIdFromIdempotencyKey('order-42', Buffer.alloc(32, 8))).not.toBe(id);
    const publicHash = createHash('sha256').update('idempotency-key\norder-42', 'utf8').digest('hex');
    expect(id.replace(/-/g, '')).not.toBe(publicHash.slice(0, 32));
    expect(isRequestId(id)).toBe(true);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('Idempotency-Key: visible ASCII, 1-255', () => {
    expect(isIdempotencyKey('8e03978e-40d5-43e8-bc93-6894a57f9324')).toBe(true);
    expect(isIdempotencyKey('')).toBe(false);
    expect(isIdempotencyKey('has space')).toBe(false);
    expect(isIdempotencyKey('x'.repeat(256))).toBe(false);
  });
});

describe('operations', () => {
  it.each(['echo', 'orders.create', 'a_b-c', 'v1.2'])('accepts %j', (op) => expect(isOperation(op)).toBe(true));
  it.each(['', '.', '..', '../etc', 'a/b', 'a b', 'x'.repeat(65)])('rejects %j', (op) => expect(isOperation(op)).toBe(false));
});

describe('fingerprintRequest', () => {
  const base = { method: 'POST', operation: 'echo', query: { a: '1', b: '2' }, body: Buffer.from('{"x":1}') };
  it('is stable and ignores query order', () => {
    expect(fingerprintRequest(base)).toBe(fingerprintRequest({ ...base, query: { b: '2', a: '1' } }));
  });
  it.each([
    ['body', { body: Buffer.from('{"x":2}') }],
    ['operation', { operation: 'other' }],
    ['method', { method: 'GET' }],
    ['query', { query: { a: '1' } }],
  ])('changes with the %s', (_what, change) => {
    expect(fingerprintRequest({ ...base, ...change })).not.toBe(fingerprintRequest(base));
  });
});

describe('claim-check names', () => {
  it('are derived from the request id: <reply blob name>/<etag> or <id>/<uuid>', () => {
    expect(isClaimCheckNameFor('req-1.json/0x8D1', 'req-1')).toBe(true);
    expect(isClaimCheckNameFor('req-1/0x8D1', 'req-1')).toBe(true);
    expect(isClaimCheckNameFor('req-1/8e03978e-40d5-43e8-bc93-6894a57f9324', 'req-1')).toBe(true);
  });
  it.each([
    ['req-2/0x8D1', 'another request'],
    ['req-1', 'no version segment (a reply or request blob itself)'],
    ['req-10/x', 'a longer id with the same prefix'],
    ['req-1.json/../req-2/x', 'a dot segment'],
    ['req-1//x', 'an empty segment'],
    ['req-1/x\\..', 'a backslash'],
  ])('%s is refused (%s)', (name) => {
    expect(isClaimCheckNameFor(name, 'req-1')).toBe(false);
  });
});

describe('guards', () => {
  const reply = { replyId: 'r', status: 200, contentType: 'text/plain', body: 'aGk=', receivedAt: 'now' };
  it('reply envelopes carry exactly one of body and ref', () => {
    expect(isReplyEnvelope(reply)).toBe(true);
    expect(isReplyEnvelope({ ...reply, body: undefined, ref: { container: 'c', blobName: 'b', size: 1, etag: 'e' } })).toBe(true);
    expect(isReplyEnvelope({ ...reply, ref: { container: 'c', blobName: 'b', size: 1, etag: 'e' } })).toBe(false);
    expect(isReplyEnvelope({ ...reply, body: undefined })).toBe(false);
    expect(isReplyEnvelope({ ...reply, status: 150 })).toBe(false);
  });
});
