// Waiting, the one thing every retry and poll does: how long (`Retry-After`, clamped between a
// floor and a cap so a gateway, a proxy or a typo can neither spin the client nor park it for an
// hour) and an abortable sleep. Browser-safe: timers and AbortSignal from globalThis only.

/** `Retry-After` in milliseconds: delta-seconds or an HTTP-date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d{1,9}$/.test(text)) return Number(text) * 1000;
  // A bare number that isn't delta-seconds (negative, fractional) is a broken header, not a date.
  if (/^[-+\d.]+$/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function clampDelay(ms: number, floorMs: number, capMs: number): number {
  return Math.min(Math.max(ms, floorMs), capMs);
}

/** Exponential backoff with jitter (half to full step), so callers that failed together don't retry together. */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const step = Math.min(capMs, baseMs * 2 ** attempt);
  return Math.round(step * (0.5 + random() / 2));
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts (the timer is cleared). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
