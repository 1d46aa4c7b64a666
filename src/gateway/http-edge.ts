// The one wrapper every HTTP function goes through: it turns every thrown value into
// problem+json (errors.ts decides what is safe to show), logs what callers cannot see, and tags
// every answer, errors included, with the request id once it is known.
import { type HttpRequest, HttpResponse, type InvocationContext } from '@azure/functions';
import type { DurableClient } from 'durable-functions';
import { sharedDurableClient } from './durable-clients.js';
import { ensureError, GatewayError, renderProblem } from './errors.js';

export const CORRELATION_HEADER = 'X-Correlation-Id';

export interface EdgeResponse {
  status: number;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
}

/** Per-call state the handler fills in as it learns it. */
export interface EdgeScope {
  requestId?: string;
}

export type EdgeHandler = (
  request: HttpRequest,
  client: DurableClient,
  context: InvocationContext,
  scope: EdgeScope,
) => Promise<EdgeResponse>;

export interface EdgeOptions {
  /** Methods the handler accepts; anything else is a 405 before the handler runs. */
  methods?: readonly string[];
}

export function httpEdge(handler: EdgeHandler, options: EdgeOptions = {}) {
  // Not async itself: the client made for this call is swapped for the process's shared one
  // before any frame that lives through the call's wait could keep it (durable-clients.ts).
  return (request: HttpRequest, client: DurableClient, context: InvocationContext): Promise<HttpResponse> =>
    edgeCall(handler, options, request, sharedDurableClient(client), context);
}

async function edgeCall(
  handler: EdgeHandler,
  options: EdgeOptions,
  request: HttpRequest,
  client: DurableClient,
  context: InvocationContext,
): Promise<HttpResponse> {
  const scope: EdgeScope = {};
  let answer: EdgeResponse;
  try {
    const allowed = options.methods;
    if (allowed !== undefined && !allowed.includes(request.method.toUpperCase())) {
      throw new GatewayError('method-not-allowed', `${request.method} is not supported here; use ${allowed.join(' or ')}.`, {
        headers: { Allow: allowed.join(', ') },
      });
    }
    answer = await handler(request, client, context, scope);
  } catch (thrown) {
    const error = ensureError(thrown);
    const requestId = scope.requestId ?? (error instanceof GatewayError ? error.requestId : undefined);
    const problem = renderProblem(error, { requestId, instance: new URL(request.url).pathname });
    const line = `${request.method} ${request.url}: ${problem.status} ${problem.problem.type} (request ${requestId ?? 'unknown'})`;
    // Unexpected errors are the ones whose detail the caller never sees: log them whole.
    if (!(error instanceof GatewayError)) context.error(line, error);
    else if (problem.status >= 500) context.warn(`${line}: ${error.message}`);
    else context.log(line);
    if (requestId !== undefined) scope.requestId = requestId;
    answer = problem;
  }
  const headers = { ...answer.headers };
  if (scope.requestId !== undefined) headers[CORRELATION_HEADER] = scope.requestId;
  return new HttpResponse({ status: answer.status, headers, body: answer.body });
}
