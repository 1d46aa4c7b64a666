// One HTTP exchange with retries: connection failures back off exponentially, 429/503 answers
// that carry `Retry-After` wait as told. Whether a request may be retried at all is the caller's
// decision (`retryable`): a status poll always may, a submit only with an Idempotency-Key.
// Browser-safe: the global `fetch` unless the caller passes its own.
import { GatewayUnreachableError } from './errors.js';
import { backoffDelay, clampDelay, parseRetryAfter, sleep } from './retry-after.js';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface RetryPolicy {
  /** Further attempts after the first. */
  retries: number;
  /** First backoff step after a connection failure; doubles per attempt, with jitter. */
  backoffMs: number;
  /** Upper bound of every wait: backoff steps and `Retry-After` alike. */
  maxDelayMs: number;
  /** Lower bound of a `Retry-After` wait. */
  minDelayMs: number;
}

export interface Exchange {
  fetch: FetchLike;
  signal: AbortSignal;
  policy: RetryPolicy;
  /** Told before each retry, e.g. to print it. */
  onRetry?: (info: { url: string; attempt: number; delayMs: number; reason: string }) => void;
}

// A 429 or 503 with Retry-After says "not now, try then"; without it, it is an answer (a backend
// may reply 503 itself, and the gateway passes that through without Retry-After).
function retryAfterMs(response: Response): number | undefined {
  if (response.status !== 429 && response.status !== 503) return undefined;
  return parseRetryAfter(response.headers.get('retry-after'));
}

export async function exchange(url: string, init: RequestInit, via: Exchange, retryable: boolean): Promise<Response> {
  const { signal, policy } = via;
  for (let attempt = 0; ; attempt++) {
    signal.throwIfAborted();
    let response: Response;
    try {
      response = await via.fetch(url, { ...init, signal });
    } catch (error) {
      // An abort surfaces from fetch as an error too; it is the caller's, never retried.
      if (signal.aborted) throw signal.reason;
      const reason = error instanceof Error ? error.message : String(error);
      if (!retryable)
        throw new GatewayUnreachableError(
          url,
          attempt + 1,
          `${reason}; not retried: a repeated submit without an Idempotency-Key could dispatch twice`,
          { cause: error },
        );
      if (attempt >= policy.retries) throw new GatewayUnreachableError(url, attempt + 1, reason, { cause: error });
      const delayMs = backoffDelay(attempt, policy.backoffMs, policy.maxDelayMs);
      via.onRetry?.({ url, attempt: attempt + 1, delayMs, reason });
      await sleep(delayMs, signal);
      continue;
    }
    const waitMs = retryAfterMs(response);
    if (waitMs === undefined || !retryable || attempt >= policy.retries) return response;
    await response.body?.cancel();
    const delayMs = clampDelay(waitMs, policy.minDelayMs, policy.maxDelayMs);
    via.onRetry?.({ url, attempt: attempt + 1, delayMs, reason: `HTTP ${response.status}` });
    await sleep(delayMs, signal);
  }
}
