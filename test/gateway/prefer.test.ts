import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/gateway/errors.js';
import { parsePrefer, planWait, preferenceApplied } from '../../src/gateway/prefer.js';

const config = { syncWaitSeconds: 30, maxSyncWaitSeconds: 200 };

describe('parsePrefer', () => {
  it.each([
    [null, { respondAsync: false }],
    ['', { respondAsync: false }],
    ['respond-async', { respondAsync: true }],
    ['Respond-Async', { respondAsync: true }],
    ['wait=10', { respondAsync: false, waitSeconds: 10 }],
    ['respond-async, wait=10', { respondAsync: true, waitSeconds: 10 }],
    ['wait="7"', { respondAsync: false, waitSeconds: 7 }],
    ['wait = 5', { respondAsync: false, waitSeconds: 5 }],
    ['wait=5, wait=9', { respondAsync: false, waitSeconds: 5 }],
    ['return=minimal, handling=lenient', { respondAsync: false }],
    ['foo="a,b", respond-async', { respondAsync: true }],
    ['respond-async; foo=bar, , wait=3', { respondAsync: true, waitSeconds: 3 }],
  ])('%j', (header, expected) => {
    expect(parsePrefer(header)).toEqual(expected);
  });

  it.each(['wait=abc', 'wait=-1', 'wait=', 'wait', 'wait=1.5', 'foo="unterminated', 'b@d=1'])('%j is a 400', (header) => {
    const error = (() => {
      try {
        parsePrefer(header);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).status).toBe(400);
    expect((error as GatewayError).code).toBe('invalid-prefer');
  });
});

describe('planWait', () => {
  it('sync by default, with the configured wait', () => {
    expect(planWait({ respondAsync: false }, config)).toEqual({ mode: 'sync', waitMs: 30_000 });
  });
  it('wait=N sets the sync wait, clamped to 1..max', () => {
    expect(planWait({ respondAsync: false, waitSeconds: 5 }, config)).toEqual({ mode: 'sync', waitMs: 5000, appliedWaitSeconds: 5 });
    expect(planWait({ respondAsync: false, waitSeconds: 999 }, config)).toMatchObject({ waitMs: 200_000, appliedWaitSeconds: 200 });
    expect(planWait({ respondAsync: false, waitSeconds: 0 }, config)).toMatchObject({ waitMs: 1000, appliedWaitSeconds: 1 });
  });
  it('respond-async answers at once; with wait=N it waits first (RFC 7240 §4.1)', () => {
    expect(planWait({ respondAsync: true }, config)).toEqual({ mode: 'async', waitMs: 0 });
    expect(planWait({ respondAsync: true, waitSeconds: 3 }, config)).toEqual({ mode: 'async', waitMs: 3000, appliedWaitSeconds: 3 });
  });
});

describe('preferenceApplied', () => {
  it('names what was honoured', () => {
    expect(preferenceApplied({ mode: 'sync', waitMs: 30_000 }, false)).toBeUndefined();
    expect(preferenceApplied({ mode: 'sync', waitMs: 5000, appliedWaitSeconds: 5 }, false)).toBe('wait=5');
    expect(preferenceApplied({ mode: 'async', waitMs: 0 }, true)).toBe('respond-async');
    expect(preferenceApplied({ mode: 'async', waitMs: 3000, appliedWaitSeconds: 3 }, true)).toBe('respond-async, wait=3');
  });
});
