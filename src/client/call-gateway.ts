// The client's one call: submit a request to the gateway and resolve with the backend's answer,
// whichever way the gateway gives it: at once (sync) or as 202 → status polls → 303 → result.
// Browser-safe: fetch, Headers, AbortController and crypto.randomUUID from globalThis only.
import { finalAnswer, type GatewayAnswer } from './answer.js';
import { callSignal } from './call-signal.js';
import { CORRELATION_HEADER } from './errors.js';
import { pollToResult, type StatusListener } from './poll.js';
import { clampDelay, parseRetryAfter } from './retry-after.js';
import { exchange, type FetchLike } from './transport.js';

/** A request body: text, bytes, a Blob, or any other value, sent as JSON. */
export type RequestBody = string | Uint8Array | ArrayBuffer | Blob | null | undefined | object | number | boolean;

export interface CallOptions {
  /** `Prefer: wait=N`: how many seconds the gateway holds the call for the reply (it clamps to its maximum). */
  wait?: number;
  /** `Prefer: respond-async`: answer 202 at once (or after `wait` seconds) and poll for the result. */
  respondAsync?: boolean;
  /** `Idempotency-Key`: a key of yours, or `true` to generate one. Sent unchanged on every retry. */
  idempotencyKey?: string | true;
  /** Content type of the body; default from the body's kind (JSON for values, text for strings). */
  contentType?: string;
  /** Extra headers on every request of the call (e.g. `x-functions-key` on Azure). */
  headers?: HeadersInit;
  /** Aborts the call; it rejects with the signal's reason (an AbortError by default). */
  signal?: AbortSignal;
  /** Overall deadline of the call in ms, polls and retries included: then DeadlineExceededError. */
  deadlineMs?: number;
  /** Called once when the gateway answers 202, before the first poll: the request id to show or note. */
  onAccepted?: (info: { requestId: string | undefined; location: string; firstPollMs: number }) => void;
  /** Called after each status poll with the status resource. Awaited; if it throws, the call rejects with that. */
  onStatus?: StatusListener;
  /** Bounds of the wait between polls, whatever `Retry-After` says. Default 250 ms and 30 s. */
  pollFloorMs?: number;
  pollCapMs?: number;
  /** Retries after a connection failure or a 429/503 with Retry-After. Default 3. */
  retries?: number;
  /** First backoff step after a connection failure (doubles, with jitter). Default 200 ms. */
  retryBackoffMs?: number;
  /** Told before each retry. */
  onRetry?: (info: { url: string; attempt: number; delayMs: number; reason: string }) => void;
  /** The fetch to use; default globalThis.fetch. */
  fetch?: FetchLike;
}

const DEFAULTS = { pollFloorMs: 250, pollCapMs: 30_000, retries: 3, retryBackoffMs: 200 };

function encodeBody(body: RequestBody, contentType: string | undefined): { body: BodyInit | undefined; contentType: string | undefined } {
  if (body === undefined || body === null) return { body: undefined, contentType };
  if (typeof body === 'string') return { body, contentType: contentType ?? 'text/plain; charset=utf-8' };
  // Copied so the bytes can't change between a send and its retry.
  if (body instanceof Uint8Array) return { body: new Uint8Array(body), contentType: contentType ?? 'application/octet-stream' };
  if (body instanceof ArrayBuffer) return { body: body.slice(0), contentType: contentType ?? 'application/octet-stream' };
  if (typeof Blob !== 'undefined' && body instanceof Blob)
    return { body, contentType: contentType ?? (body.type || 'application/octet-stream') };
  return { body: JSON.stringify(body), contentType: contentType ?? 'application/json' };
}

function preferHeader(options: CallOptions): string | undefined {
  const parts: string[] = [];
  if (options.respondAsync === true) parts.push('respond-async');
  if (options.wait !== undefined) {
    if (!Number.isInteger(options.wait) || options.wait < 0) throw new RangeError('wait must be a whole number of seconds');
    parts.push(`wait=${options.wait}`);
  }
  return parts.length > 0 ? parts.join(', ') : undefined;
}

/** `{baseUrl}/api/requests/{operation}`; `baseUrl` is the app's root, e.g. http://127.0.0.1:7071. */
export function requestUrl(baseUrl: string, operation: string): string {
  const root = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return new URL(`api/requests/${encodeURIComponent(operation)}`, root).href;
}

/**
 * Sends `body` to `operation` and resolves with the backend's answer. Rejects with
 * GatewayProblemError (GatewayTimeoutError for a 504), RequestEndedError, DeadlineExceededError,
 * GatewayUnreachableError, UnexpectedAnswerError, or the signal's reason when aborted.
 */
export async function callGateway(
  baseUrl: string,
  operation: string,
  body?: RequestBody,
  options: CallOptions = {},
): Promise<GatewayAnswer> {
  // Field by field, so an option passed as `undefined` still gets its default (a spread would not).
  const o = {
    ...options,
    pollFloorMs: options.pollFloorMs ?? DEFAULTS.pollFloorMs,
    pollCapMs: options.pollCapMs ?? DEFAULTS.pollCapMs,
    retries: options.retries ?? DEFAULTS.retries,
    retryBackoffMs: options.retryBackoffMs ?? DEFAULTS.retryBackoffMs,
  };
  if (!(o.pollFloorMs >= 0 && o.pollCapMs >= o.pollFloorMs && o.retries >= 0 && o.retryBackoffMs >= 0)) {
    throw new RangeError('pollFloorMs, pollCapMs, retries and retryBackoffMs must be >= 0, with pollCapMs >= pollFloorMs');
  }
  const idempotencyKey = o.idempotencyKey === true ? globalThis.crypto.randomUUID() : o.idempotencyKey;
  const payload = encodeBody(body, o.contentType);
  const prefer = preferHeader(o);
  const common = new Headers(o.headers);
  const headers = new Headers(common);
  if (payload.contentType !== undefined) headers.set('content-type', payload.contentType);
  if (prefer !== undefined) headers.set('prefer', prefer);
  if (idempotencyKey !== undefined) headers.set('idempotency-key', idempotencyKey);

  const { signal, dispose } = callSignal(o.signal, o.deadlineMs);
  const maxDelayMs = o.pollCapMs;
  const via = {
    fetch: o.fetch ?? ((input: string, init: RequestInit) => globalThis.fetch(input, init)),
    signal,
    policy: { retries: o.retries, backoffMs: o.retryBackoffMs, maxDelayMs, minDelayMs: o.pollFloorMs },
    ...(o.onRetry !== undefined ? { onRetry: o.onRetry } : {}),
  };
  try {
    const url = requestUrl(baseUrl, operation);
    // A submit is retried only with an Idempotency-Key: the gateway maps the key to the same
    // request, so a retry after a lost answer joins it; without one, a retry could dispatch twice.
    const response = await exchange(url, { method: 'POST', headers, body: payload.body }, via, idempotencyKey !== undefined);
    const location = response.headers.get('location');
    // The gateway's own 202 always names the status resource; a 202 without Location is a
    // backend that replied 202, and that is its answer.
    if (response.status !== 202 || location === null) return await finalAnswer(response, { mode: 'sync', polls: 0, idempotencyKey });
    await response.body?.cancel();
    const firstDelayMs = clampDelay(parseRetryAfter(response.headers.get('retry-after')) ?? o.pollFloorMs, o.pollFloorMs, o.pollCapMs);
    const statusUrl = new URL(location, url).href;
    o.onAccepted?.({ requestId: response.headers.get(CORRELATION_HEADER) ?? undefined, location: statusUrl, firstPollMs: firstDelayMs });
    return await pollToResult(statusUrl, firstDelayMs, {
      via,
      headers: common,
      floorMs: o.pollFloorMs,
      capMs: o.pollCapMs,
      onStatus: o.onStatus,
      idempotencyKey,
    });
  } finally {
    dispose();
  }
}
