// Calls a registered HTTP handler directly, with a fake DurableClient in place of the binding's.
// Sets the app settings before the handlers first read them.
import { HttpRequest, InvocationContext, type HttpResponse } from '@azure/functions';
import type { DurableClient } from 'durable-functions';
import type { FakeDurableClient } from '../gateway/fake-durable.js';

process.env.AzureWebJobsStorage ??= 'UseDevelopmentStorage=true';
process.env.GATEWAY_SYNC_WAIT_SECONDS ??= '2';

export interface Call {
  method?: string;
  path: string;
  params?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

type Handler = (request: HttpRequest, client: DurableClient, context: InvocationContext) => Promise<HttpResponse>;

export function call(handler: Handler, client: FakeDurableClient, c: Call): Promise<HttpResponse> {
  const request = new HttpRequest({
    method: c.method ?? 'GET',
    url: `http://gateway.test:7071${c.path}`,
    headers: c.headers ?? {},
    params: c.params ?? {},
    body: c.body === undefined ? undefined : typeof c.body === 'string' ? { string: c.body } : { bytes: c.body },
  });
  const context = new InvocationContext({ functionName: 'test', logHandler: () => undefined });
  return handler(request, client.asClient(), context);
}

export async function problemOf(response: HttpResponse): Promise<Record<string, unknown>> {
  if (response.headers.get('content-type') !== 'application/problem+json') {
    throw new Error(`expected problem+json, got ${response.status} ${response.headers.get('content-type')}`);
  }
  return (await response.json()) as Record<string, unknown>;
}
