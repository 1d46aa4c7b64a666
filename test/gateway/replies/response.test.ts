import { describe, expect, it } from 'vitest';
import type { ReplyEnvelope } from '../../../src/gateway/contract.js';
import { GatewayError } from '../../../src/gateway/errors.js';
import { replyResponse } from '../../../src/gateway/replies/response.js';
import { FakeBlobs } from '../fake-blobs.js';

const base = { replyId: 'r', status: 200, contentType: 'application/json', receivedAt: 'now' };

async function problemOf(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof GatewayError)) throw new Error(`expected a GatewayError, got ${String(error)}`);
  return error;
}

describe('replyResponse', () => {
  const blobs = new FakeBlobs();
  const etag = blobs.put('reply-bodies', 'req-1.json/0x1', '{"big":true}');
  const victim = blobs.put('requests', 'req-2', '{"card":"4111"}');
  const store = { blobs, replyBodiesContainer: 'reply-bodies' };
  const byRef = (ref: NonNullable<ReplyEnvelope['ref']>): ReplyEnvelope => ({ ...base, ref });

  it('streams its own claim check, byte for byte', async () => {
    const answer = await replyResponse(byRef({ container: 'reply-bodies', blobName: 'req-1.json/0x1', size: 12, etag }), store, 'req-1');
    expect(answer).toMatchObject({ status: 200, headers: { 'Content-Type': 'application/json' } });
    expect(Buffer.from(answer.body as Uint8Array).toString()).toBe('{"big":true}');
  });

  it.each([
    ['another container', { container: 'requests', blobName: 'req-2', size: 15, etag: victim }],
    ["another request's name", { container: 'reply-bodies', blobName: 'req-2/0x1', size: 12, etag }],
    ['another size than recorded', { container: 'reply-bodies', blobName: 'req-1.json/0x1', size: 11, etag }],
    ['another version', { container: 'reply-bodies', blobName: 'req-1.json/0x1', size: 12, etag: '"0x99"' }],
  ])('never follows a reference to %s: 502 reply-unavailable', async (_what, ref) => {
    const error = await problemOf(replyResponse(byRef(ref), store, 'req-1'));
    expect([error.status, error.code, error.requestId]).toEqual([502, 'reply-unavailable', 'req-1']);
  });
});
