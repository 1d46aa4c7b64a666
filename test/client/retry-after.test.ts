// The waits the client takes between retries and polls: Retry-After read both ways RFC 9110
// allows, clamped, and backoff that grows but never past its cap.
import { describe, expect, it } from 'vitest';
import { backoffDelay, clampDelay, parseRetryAfter, sleep } from '../../src/client/retry-after.js';

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP-dates; absent or broken headers are undefined', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('1', now)).toBe(1000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
    for (const broken of ['-1', '1.5', 'soon', '']) expect(parseRetryAfter(broken, now), broken).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('clampDelay and backoffDelay', () => {
  it('keep every wait between the floor and the cap', () => {
    expect(clampDelay(0, 250, 30_000)).toBe(250);
    expect(clampDelay(3_600_000, 250, 30_000)).toBe(30_000);
    expect(clampDelay(1000, 250, 30_000)).toBe(1000);
  });

  it('doubles per attempt, jittered between half and the full step, capped', () => {
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, 200, 1000, () => 1))).toEqual([200, 400, 800, 1000]);
    expect(backoffDelay(2, 200, 1000, () => 0)).toBe(400);
  });
});

describe('sleep', () => {
  it('rejects with the abort reason, at once when already aborted', async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    const pending = sleep(60_000, controller.signal);
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    await expect(sleep(60_000, controller.signal)).rejects.toBe(reason);
  });
});
