// When a waiting sync caller reads its status. The in-process completion signal
// (replies/local-completions.ts) answers it as soon as a reply is delivered in this process; the
// poll is only the safety net for what that signal cannot see: a reply handled by another instance
// of the app (Azure scales out), a cancel, a deadline. So it backs off: the first look one
// `GATEWAY_POLL_INTERVAL_MS` after the start, then gaps that double up to a cap. And the reads of
// all callers one process holds stay within a budget (SAFETY_READS_PER_SECOND): each read is a
// round trip into the management API, about 2–3 ms of the local host's CPU for both ends (the
// bench's holding phase, settled: ~50 reads a second were the host's 12 % of a core, 1 read a
// second 1 %, its idle; Azurite, the Service Bus endpoint and the bench ~0), so the budget is what
// holding costs. At 50 a second the held stack was over twice the 5 % goal; at 10 it is ~4 %.
// The gap is therefore at least `callers waiting here ÷ budget`; the larger of that and the cap
// is the documented bound on how late a completion the signal missed is seen (README, the
// `GATEWAY_POLL_INTERVAL_MS` row; `safetyPollBoundMs`). A caller also reads once more at its
// deadline (durable-port.ts), so a wait shorter than the bound still ends with the outcome as it
// stands then, never with a stale one.

/** Safety reads one process makes per second at most, however many callers it holds (the host's ~3 % of a core here). */
export const SAFETY_READS_PER_SECOND = 10;

let waiting = 0;

/** Counts a caller as waiting in this process until the returned function is called (once). */
export function holdWaiter(): () => void {
  waiting++;
  let released = false;
  return () => {
    if (!released) waiting--;
    released = true;
  };
}

/** Callers waiting in this process now. */
export function waitersHere(): number {
  return waiting;
}

/** The longest gap between two safety polls: 8 × the interval, at most 5 s, never below the interval. */
export function safetyPollCapMs(pollIntervalMs: number): number {
  return Math.max(pollIntervalMs, Math.min(pollIntervalMs * 8, 5_000));
}

/**
 * The gap before look number `look` (0 = the first look after the start) while `waiters` callers
 * wait in this process: the backoff, or longer, so that all of them together keep to the budget.
 */
export function safetyPollGapMs(look: number, pollIntervalMs: number, waiters = 1): number {
  const backoff = Math.min(pollIntervalMs * 2 ** Math.min(look, 30), safetyPollCapMs(pollIntervalMs));
  return Math.max(backoff, Math.ceil((waiters * 1000) / SAFETY_READS_PER_SECOND));
}

/**
 * The bound on how late a completion the in-process signal missed (a reply handled on another
 * instance, a cancel) is seen by a caller that has waited long enough to be at its steady gap,
 * while `waiters` callers wait in this process: the cap, or callers ÷ budget when that is longer.
 */
export function safetyPollBoundMs(pollIntervalMs: number, waiters: number): number {
  return safetyPollGapMs(Number.POSITIVE_INFINITY, pollIntervalMs, waiters);
}

/** How many safety polls one caller makes at most in any `windowMs` of its wait (the budget only lowers it). */
export function safetyPollsWithin(windowMs: number, pollIntervalMs: number): number {
  // The gaps only grow, so the densest window starts at the first look.
  let count = 0;
  for (let look = 0, at = 0; ; look++) {
    at += safetyPollGapMs(look, pollIntervalMs);
    if (at > windowMs + pollIntervalMs) return count;
    count++;
  }
}
