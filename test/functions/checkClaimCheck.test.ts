// The claim-check activity's verdict, branch by branch, over a stand-in for storage's describe():
// the reference must be in the reply-bodies container, named for the request, and match the
// stored blob's ETag and size. The e2e side (real Azurite, forged events) is test/faults/forged-replies.test.ts.
import { describe, expect, it } from 'vitest';
import { verdictOn } from '../../src/functions/checkClaimCheck.js';
import type { StoredBlob } from '../../src/gateway/blob-store.js';

const stored: StoredBlob = {
  container: 'reply-bodies',
  name: 'req-1/0x1',
  size: 40_000,
  contentType: 'application/json',
  metadata: {},
  etag: '"0x1"',
};
const store = {
  replyBodiesContainer: 'reply-bodies',
  blobs: {
    describe: (container: string, name: string) =>
      Promise.resolve(container === stored.container && name === stored.name ? stored : undefined),
  },
};
const ref = { container: 'reply-bodies', blobName: 'req-1/0x1', size: 40_000, etag: '"0x1"' };

describe('checkClaimCheck verdict', () => {
  it('holds for the blob exactly as the reference describes it', async () => {
    expect(await verdictOn({ requestId: 'req-1', ref }, store)).toEqual({ held: true });
  });

  it.each([
    ['another container (a request whose input did not name one)', { ...ref, container: 'requests' }, /container "requests"/],
    ["another request's name", { ...ref, blobName: 'req-2/0x1' }, /not one made for this request/],
    ['another ETag', { ...ref, etag: '"0x2"' }, /ETag is "0x1", not "0x2"/],
    ['another size', { ...ref, size: 40_001 }, /40000 bytes, not 40001/],
    ['no blob there', { ...ref, blobName: 'req-1/0x9' }, /no such blob/],
  ])('refuses %s, saying why', async (_what, doctored, reason) => {
    const verdict = await verdictOn({ requestId: 'req-1', ref: doctored }, store);
    expect(verdict.held).toBe(false);
    expect(verdict.held === false ? verdict.reason : '').toMatch(reason);
  });
});
