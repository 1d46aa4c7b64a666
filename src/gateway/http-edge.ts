// The one wrapper every HTTP function goes through: it turns every thrown value into
// problem+json (errors.ts decides what is safe to show), logs what callers cannot see, and tags
// every answer, errors included, with the request id once it is known.
import { type HttpRequest, HttpResponse, type InvocationContext } from '@azure/functions';
import type { DurableClient } from 'durable-functions';
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
  /** Methods another function on the same route takes (e.g. DELETE on status/{id}): named in Allow too. */
  siblings?: readonly string[];
}

/**
 * What every gateway HTTP function registers (less a sibling's methods on a shared route), so a
 * wrong method reaches the edge and is a 405 problem with Allow. Otherwise the host answers an
 * empty 404 (as Azure does for a method the route doesn't take), which says nothing.
 */
export const ROUTED_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
export type RoutedMethod = (typeof ROUTED_METHODS)[number];

/** ROUTED_METHODS less those another function on the route takes. */
export function routedMethodsBut(...taken: RoutedMethod[]): RoutedMethod[] {
  return ROUTED_METHODS.filter((m) => !taken.includes(m));
}

export function httpEdge(handler: EdgeHandler, options: EdgeOptions = {}) {
  // `client` is the process's one for this binding data (client-functions.ts).
  return (request: HttpRequest, client: DurableClient, context: InvocationContext): Promise<HttpResponse> =>
    edgeCall(handler, options, request, client, context);
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
      const allow = [...allowed, ...(options.siblings ?? [])];
      throw new GatewayError('method-not-allowed', `${request.method} is not supported here; use ${allow.join(' or ')}.`, {
        headers: { Allow: allow.join(', ') },
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
