// A gateway that isn't there: a real port that refuses connections (a server opened and closed
// again). Shows the retry budget is spent and then reported, and that bad options fail at once.

import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { beforeAll, expect, it } from 'vitest';
import { callGateway, GatewayUnreachableError } from '../../src/client/index.js';

let closedUrl = '';

beforeAll(async () => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  closedUrl = `http://127.0.0.1:${port}`;
});

it('retries a keyed submit on refused connections (default budget even when passed undefined), then reports every attempt', async () => {
  const retried: number[] = [];
  const error: unknown = await callGateway(
    closedUrl,
    'op',
    {},
    {
      idempotencyKey: 'k-1',
      retries: undefined,
      retryBackoffMs: 1,
      onRetry: (r) => retried.push(r.attempt),
    },
  ).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(GatewayUnreachableError);
  expect(error).toMatchObject({ attempts: 4, url: `${closedUrl}/api/requests/op` });
  expect(retried).toEqual([1, 2, 3]);
});

it('rejects options that make no sense before sending anything', async () => {
  await expect(callGateway(closedUrl, 'op', {}, { pollFloorMs: 5000, pollCapMs: 100 })).rejects.toBeInstanceOf(RangeError);
  await expect(callGateway(closedUrl, 'op', {}, { wait: 1.5 })).rejects.toThrow('wait must be a whole number');
});
