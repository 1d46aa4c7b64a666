// The safety poll's gaps: backed off per caller, and all callers of one process within a read budget.
import { describe, expect, it } from 'vitest';
import {
  holdWaiter,
  SAFETY_READS_PER_SECOND,
  safetyPollBoundMs,
  safetyPollCapMs,
  safetyPollGapMs,
  waitersHere,
} from '../../src/gateway/safety-poll.js';

describe('the safety poll', () => {
  it('backs a lone caller off from the interval to the cap', () => {
    expect([0, 1, 2, 3, 4, 9].map((look) => safetyPollGapMs(look, 500, 1))).toEqual([500, 1000, 2000, 4000, 4000, 4000]);
    expect(safetyPollCapMs(500)).toBe(4000);
  });

  it('spreads many callers so that one process keeps to its read budget, whatever their backoff', () => {
    const waiters = 10_000;
    const gap = safetyPollGapMs(0, 500, waiters);
    expect((waiters / gap) * 1000).toBeLessThanOrEqual(SAFETY_READS_PER_SECOND);
    // Up to budget × cap (40) callers, the backoff alone decides.
    expect(safetyPollGapMs(5, 500, 40)).toBe(4000);
  });

  it('states the bound the README gives: the cap, or callers ÷ budget past budget × cap of callers', () => {
    // GATEWAY_POLL_INTERVAL_MS 500: cap 4 s, so the budget decides from 40 callers on.
    expect(SAFETY_READS_PER_SECOND).toBe(10);
    expect(safetyPollBoundMs(500, 1)).toBe(4000);
    expect(safetyPollBoundMs(500, 40)).toBe(4000);
    expect(safetyPollBoundMs(500, 300)).toBe(30_000);
    expect(safetyPollBoundMs(500, 1000)).toBe(100_000);
    // No look of any caller waits longer than the bound.
    for (const look of [0, 1, 5, 40]) expect(safetyPollGapMs(look, 500, 300)).toBeLessThanOrEqual(safetyPollBoundMs(500, 300));
  });

  it('counts the callers waiting in this process until each is released, once', () => {
    const before = waitersHere();
    const release = holdWaiter();
    holdWaiter()();
    expect(waitersHere()).toBe(before + 1);
    release();
    release();
    expect(waitersHere()).toBe(before);
  });
});
