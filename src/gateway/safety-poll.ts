// When a waiting sync caller reads its status. The in-process completion signal
// (replies/local-completions.ts) answers it as soon as a reply is delivered in this process; the
// poll is only the safety net for what that signal cannot see: a reply handled by another instance
// of the app (Azure scales out), a cancel, a deadline. So it backs off: the first look one
// `GATEWAY_POLL_INTERVAL_MS` after the start, then gaps that double up to a cap. The cap is the
// documented bound on how late a completion the signal missed is seen (README, the
// `GATEWAY_POLL_INTERVAL_MS` row).

/** The longest gap between two safety polls: 8 × the interval, at most 5 s, never below the interval. */
export function safetyPollCapMs(pollIntervalMs: number): number {
  return Math.max(pollIntervalMs, Math.min(pollIntervalMs * 8, 5_000));
}

/** The gap before look number `look` (0 = the first look after the start). */
export function safetyPollGapMs(look: number, pollIntervalMs: number): number {
  return Math.min(pollIntervalMs * 2 ** Math.min(look, 30), safetyPollCapMs(pollIntervalMs));
}

/** How many safety polls one caller makes at most in any `windowMs` of its wait. */
export function safetyPollsWithin(windowMs: number, pollIntervalMs: number): number {
  // The gaps only grow, so the densest window starts at the first look.
  let count = 0;
  for (let look = 0, at = 0; ; look++) {
    at += safetyPollGapMs(look, pollIntervalMs);
    if (at > windowMs + pollIntervalMs) return count;
    count++;
  }
}
