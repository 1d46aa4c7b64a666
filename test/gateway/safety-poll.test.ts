// The safety poll's gaps: backed off per caller, and all callers of one process within a read budget.
import { describe, expect, it } from 'vitest';
import { holdWaiter, SAFETY_READS_PER_SECOND, safetyPollCapMs, safetyPollGapMs, waitersHere } from '../../src/gateway/safety-poll.js';

describe('the safety poll', () => {
  it('backs a lone caller off from the interval to the cap', () => {
    expect([0, 1, 2, 3, 4, 9].map((look) => safetyPollGapMs(look, 500, 1))).toEqual([500, 1000, 2000, 4000, 4000, 4000]);
    expect(safetyPollCapMs(500)).toBe(4000);
  });

  it('spreads many callers so that one process keeps to its read budget, whatever their backoff', () => {
    const waiters = 10_000;
    const gap = safetyPollGapMs(0, 500, waiters);
    expect((waiters / gap) * 1000).toBeLessThanOrEqual(SAFETY_READS_PER_SECOND);
    expect(safetyPollGapMs(5, 500, 100)).toBe(4000);
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
