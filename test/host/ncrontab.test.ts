import { describe, expect, it } from 'vitest';
import { parseCron } from '../../src/host/triggers/timer/ncrontab.js';
import { defaultUseMonitor, parseSchedule } from '../../src/host/triggers/timer/timer-schedule.js';

/** Occurrences after `from`, as ISO strings, for compact expectations. */
function occurrences(expression: string, from: string, count: number): string[] {
  const schedule = parseCron(expression);
  const out: string[] = [];
  let at = new Date(from);
  for (let i = 0; i < count; i++) {
    at = schedule.next(at);
    out.push(at.toISOString().replace('.000Z', 'Z'));
  }
  return out;
}

// Expectations follow the NCRONTAB examples in the Functions timer trigger documentation.
describe('NCRONTAB parser', () => {
  it('"*/5 * * * * *" fires every five seconds, strictly after the given time', () => {
    expect(occurrences('*/5 * * * * *', '2026-01-01T10:00:00Z', 3)).toEqual([
      '2026-01-01T10:00:05Z',
      '2026-01-01T10:00:10Z',
      '2026-01-01T10:00:15Z',
    ]);
    expect(occurrences('*/5 * * * * *', '2026-01-01T10:00:03.500Z', 1)).toEqual(['2026-01-01T10:00:05Z']);
  });

  it('"0 */5 * * * *" fires on every fifth minute and "0 0 * * * *" on the hour', () => {
    expect(occurrences('0 */5 * * * *', '2026-01-01T10:03:00Z', 2)).toEqual(['2026-01-01T10:05:00Z', '2026-01-01T10:10:00Z']);
    expect(occurrences('0 0 * * * *', '2026-01-01T23:30:00Z', 2)).toEqual(['2026-01-02T00:00:00Z', '2026-01-02T01:00:00Z']);
  });

  it('ranges, lists and stepped ranges: "0 0 9-17/4 * * *", "0 5,8,10 * * * *"', () => {
    expect(occurrences('0 0 9-17/4 * * *', '2026-01-01T00:00:00Z', 4)).toEqual([
      '2026-01-01T09:00:00Z',
      '2026-01-01T13:00:00Z',
      '2026-01-01T17:00:00Z',
      '2026-01-02T09:00:00Z',
    ]);
    expect(occurrences('0 5,8,10 * * * *', '2026-01-01T00:06:00Z', 3)).toEqual([
      '2026-01-01T00:08:00Z',
      '2026-01-01T00:10:00Z',
      '2026-01-01T01:05:00Z',
    ]);
  });

  it('"a/n" runs from a to the end of the field in steps of n', () => {
    expect(occurrences('10/20 * * * * *', '2026-01-01T00:00:00Z', 4)).toEqual([
      '2026-01-01T00:00:10Z',
      '2026-01-01T00:00:30Z',
      '2026-01-01T00:00:50Z',
      '2026-01-01T00:01:10Z',
    ]);
  });

  it('day-of-week is 0-6 with 0 = Sunday, and takes names: "0 30 9 * * 1-5" skips the weekend', () => {
    // 2026-01-02 is a Friday.
    expect(occurrences('0 30 9 * * 1-5', '2026-01-02T10:00:00Z', 2)).toEqual(['2026-01-05T09:30:00Z', '2026-01-06T09:30:00Z']);
    expect(occurrences('0 0 12 * * 0', '2026-01-01T00:00:00Z', 1)).toEqual(['2026-01-04T12:00:00Z']);
    expect(occurrences('0 0 12 * * SUN', '2026-01-01T00:00:00Z', 1)).toEqual(['2026-01-04T12:00:00Z']);
    expect(() => parseCron('0 0 12 * * 7')).toThrow(/day-of-week field "7" has 7, outside 0-6/);
  });

  it('month names and "0 0 0 1 JAN *" (once a year) cross the year end', () => {
    expect(occurrences('0 0 0 1 JAN *', '2026-06-01T00:00:00Z', 2)).toEqual(['2027-01-01T00:00:00Z', '2028-01-01T00:00:00Z']);
    expect(occurrences('0 0 0 1 jan-mar/2 *', '2026-01-15T00:00:00Z', 2)).toEqual(['2026-03-01T00:00:00Z', '2027-01-01T00:00:00Z']);
  });

  it('next occurrence across month ends: day 31 skips short months, Feb 29 waits for a leap year', () => {
    expect(occurrences('0 0 0 31 * *', '2026-01-31T12:00:00Z', 3)).toEqual([
      '2026-03-31T00:00:00Z',
      '2026-05-31T00:00:00Z',
      '2026-07-31T00:00:00Z',
    ]);
    expect(occurrences('0 0 0 29 2 *', '2026-01-01T00:00:00Z', 1)).toEqual(['2028-02-29T00:00:00Z']);
    expect(occurrences('59 59 23 * * *', '2026-02-28T23:59:59Z', 1)).toEqual(['2026-03-01T23:59:59Z']);
  });

  it('day-of-month and day-of-week must both match (NCrontab intersects them)', () => {
    // The 13th that is a Friday: 2026-02-13, then 2026-03-13.
    expect(occurrences('0 0 0 13 * 5', '2026-01-01T00:00:00Z', 2)).toEqual(['2026-02-13T00:00:00Z', '2026-03-13T00:00:00Z']);
  });

  it('five fields (no seconds) are accepted, seconds at 0', () => {
    expect(occurrences('*/15 * * * *', '2026-01-01T00:01:00Z', 1)).toEqual(['2026-01-01T00:15:00Z']);
  });

  it('refuses malformed expressions with the field named', () => {
    expect(() => parseCron('* * * *')).toThrow(/needs 6 fields/);
    expect(() => parseCron('60 * * * * *')).toThrow(/second field "60" has 60, outside 0-59/);
    expect(() => parseCron('0 0 5-1 * * *')).toThrow(/hour field "5-1" has a range that runs backwards/);
    expect(() => parseCron('0 0 * * FOO *')).toThrow(/month field "FOO" has "FOO", which is not a number or a name/);
    expect(() => parseCron('*/0 * * * * *')).toThrow(/step below 1/);
    expect(() => parseCron('0 0 0 31 2 *')).toThrow(/names no day that exists/);
  });
});

describe('timer schedules', () => {
  it('a TimeSpan "hh:mm:ss" is a constant interval; "d.hh:mm:ss" takes days', () => {
    const every = parseSchedule('00:00:10', 'f');
    expect(every.kind).toBe('timespan');
    expect(every.next(new Date('2026-01-01T00:00:03Z')).toISOString()).toBe('2026-01-01T00:00:13.000Z');
    expect(parseSchedule('1.02:00:00', 'f').next(new Date('2026-01-01T00:00:00Z')).toISOString()).toBe('2026-01-02T02:00:00.000Z');
    expect(() => parseSchedule('00:61:00', 'cleanup')).toThrow(/cleanup: timer schedule "00:61:00" is not a valid TimeSpan/);
  });

  it('names the function when the schedule is invalid', () => {
    expect(() => parseSchedule('every day', 'nightly')).toThrow(/Function nightly: timer schedule is invalid/);
  });

  it('useMonitor defaults on for schedules of a minute or more, off below', () => {
    expect(defaultUseMonitor(parseSchedule('0 */5 * * * *', 'f'))).toBe(true);
    expect(defaultUseMonitor(parseSchedule('*/10 * * * * *', 'f'))).toBe(false);
    expect(defaultUseMonitor(parseSchedule('00:00:30', 'f'))).toBe(false);
    expect(defaultUseMonitor(parseSchedule('00:01:00', 'f'))).toBe(true);
  });
});
