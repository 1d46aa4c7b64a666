// Turns a final HTTP answer into what the caller gets: the backend's reply (status, content type,
// exact bytes, request id) or a thrown error. One place decides which answers are replies and
// which are failures, for the sync answer and the followed 303 alike. Browser-safe.
import { CORRELATION_HEADER, gatewayProblem, UnexpectedAnswerError } from './errors.js';

/** The backend's answer, however the gateway delivered it. */
export interface GatewayAnswer {
  /** The backend's status (200 unless its reply said otherwise). */
  status: number;
  /** The reply's content type as the backend set it; undefined when it set none. */
  contentType: string | undefined;
  /** The reply, byte for byte. */
  body: Uint8Array;
  /** The gateway's request id (`X-Correlation-Id`). */
  requestId: string;
  headers: Headers;
  /** `sync`: the submit call answered; `async`: it answered 202 and the result was polled for. */
  mode: 'sync' | 'async';
  /** Status polls made (0 for a sync answer). */
  polls: number;
  /** The Idempotency-Key sent (the generated one when `idempotencyKey: true`). */
  idempotencyKey: string | undefined;
  /** The body decoded as UTF-8. */
  text(): string;
  /** The body parsed as JSON. */
  json<T = unknown>(): T;
}

export async function readBytes(response: Response): Promise<Uint8Array> {
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * The answer of a submit or a result fetch. Gateway problems throw; so does an error status
 * without `X-Correlation-Id`, which every gateway answer carries: that came from something in
 * between (a proxy, the platform) and is no backend's reply.
 */
export async function finalAnswer(
  response: Response,
  context: Pick<GatewayAnswer, 'mode' | 'polls' | 'idempotencyKey'>,
): Promise<GatewayAnswer> {
  const body = await readBytes(response);
  const problem = gatewayProblem(response.status, response.headers, body);
  if (problem !== undefined) throw problem;
  const requestId = response.headers.get(CORRELATION_HEADER);
  if (requestId === null) {
    throw new UnexpectedAnswerError(
      response.url,
      response.status,
      body,
      undefined,
      `no ${CORRELATION_HEADER}: not an answer from the gateway`,
    );
  }
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? undefined,
    body,
    requestId,
    headers: response.headers,
    ...context,
    text: () => new TextDecoder().decode(body),
    json: <T>() => JSON.parse(new TextDecoder().decode(body)) as T,
  };
}
