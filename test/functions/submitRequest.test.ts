// The one submit path a real stack cannot be made to take on demand: a reply that completes the
// request between the wait's last look and the terminate. Everything else the submit function
// does is tested end to end (test/e2e/), over real HTTP, the local host and Azurite; here a fake
// DurableClient lets the test put the reply exactly into that gap.
import { HttpRequest, InvocationContext } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { submitRequest } from '../../src/functions/submitRequest.js';
import type { ReplyEnvelope } from '../../src/gateway/contract.js';
import { FakeDurableClient } from '../gateway/fake-durable.js';

// The handler reads its settings on first use.
process.env.AzureWebJobsStorage ??= 'UseDevelopmentStorage=true';
process.env.GATEWAY_SYNC_WAIT_SECONDS ??= '2';

const reply: ReplyEnvelope = {
  replyId: 'blob:replies/x@"0x1"',
  status: 201,
  contentType: 'application/vnd.test+json',
  body: Buffer.from('{"answer":42}').toString('base64'),
  receivedAt: '2025-01-01T00:00:02.000Z',
};

describe('submitRequest, sync', () => {
  it('a reply that lands as the wait expires is answered, and the request is not terminated', async () => {
    const client = new FakeDurableClient();
    let looks = 0;
    const getStatus = client.getStatus.bind(client);
    client.getStatus = (id) => {
      // The wait's look sees it running; the look before terminating sees the reply.
      if (++looks === 2) client.set(id, { runtimeStatus: 'Completed', output: { outcome: 'replied', reply } });
      return getStatus(id);
    };
    const request = new HttpRequest({
      method: 'POST',
      url: 'http://gateway.test:7071/api/requests/echo',
      headers: { 'content-type': 'application/json' },
      params: { operation: 'echo' },
      body: { string: '{}' },
    });
    const response = await submitRequest(request, client.asClient(), new InvocationContext({ logHandler: () => undefined }));
    expect(response.status).toBe(201);
    expect(Buffer.from(await response.arrayBuffer()).toString()).toBe('{"answer":42}');
    expect(client.terminated).toEqual([]);
  });
});
