// When a delivery first looks whether the instance took the reply it raised (replies/delivery.ts).
// Each look is a status read, a round trip into the Durable management API: a look right after
// the raise nearly always finds the instance still running, and a backoff from a few milliseconds
// overshoots an instance that needs more than one episode (a reply that came while the dispatch was
// still committing) or a busy one. So the first look waits about as long as recent raises in this
// process took to be taken, learned as it goes: shorter after a first look that found it taken,
// longer after one that came too early. The common path is one read; the later looks back off.
// Where a status read waits for the episodes already due (the local host does), the first look
// always finds the reply taken and the estimate falls to zero: the look goes out at once, and the
// read is answered as soon as the episode that took the reply is committed.

/** Where the estimate starts: at once, which costs one early read where the runtime lags (Azure). */
const INITIAL_MS = 0;
const MIN_MS = 0;
/** A first look that found the reply taken: the next one comes a little sooner. */
const SHRINK = 0.9;

let estimateMs = INITIAL_MS;

/** The wait before the first look after a raise (0: at once); never past `capMs` (GATEWAY_POLL_INTERVAL_MS). */
export function firstLookMs(capMs: number): number {
  return Math.max(MIN_MS, Math.min(Math.round(estimateMs), capMs));
}

/**
 * A raised reply was seen taken at look number `looks` (1 = the first), `seenAfterMs` after the
 * raise. Too early a first look moves the estimate halfway to when it was seen.
 */
export function learnTake(looks: number, seenAfterMs: number, capMs: number): void {
  const next = looks <= 1 ? estimateMs * SHRINK : estimateMs + (seenAfterMs - estimateMs) / 2;
  estimateMs = Math.max(MIN_MS, Math.min(next, capMs));
}
