// The first look after a raise follows how long raises in this process took to be taken.
import { describe, expect, it } from 'vitest';
import { firstLookMs, learnTake } from '../../../src/gateway/replies/take-estimate.js';

describe('the first look after a raise', () => {
  it('moves later after looks that came too early, sooner after first looks that found it taken, within [0 ms (at once), cap]', () => {
    const cap = 500;
    for (let i = 0; i < 20; i++) learnTake(3, 40, cap);
    expect(firstLookMs(cap)).toBeGreaterThanOrEqual(35);
    expect(firstLookMs(cap)).toBeLessThanOrEqual(40);
    const before = firstLookMs(cap);
    learnTake(1, before, cap);
    expect(firstLookMs(cap)).toBeLessThan(before);
    for (let i = 0; i < 100; i++) learnTake(2, 10_000, cap);
    expect(firstLookMs(cap)).toBe(cap);
    expect(firstLookMs(20)).toBe(20);
    for (let i = 0; i < 200; i++) learnTake(1, 1, cap);
    expect(firstLookMs(cap)).toBe(0);
  });
});
