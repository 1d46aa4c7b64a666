import { parseCron } from './ncrontab.js';

/**
 * A timer trigger's `schedule` as the Functions host reads it (`TimerTriggerAttribute`): an
 * NCRONTAB expression, or a TimeSpan `hh:mm:ss` / `d.hh:mm:ss` (a constant interval from the
 * previous run). `%Setting%` references were resolved when the app registered. Also decides the
 * host's `useMonitor` default: on unless the schedule recurs more often than once a minute.
 */
export interface TimerSchedule {
  kind: 'cron' | 'timespan';
  text: string;
  next(after: Date): Date;
}

const TIMESPAN = /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?$/;

export function parseSchedule(text: string, functionName: string): TimerSchedule {
  const span = TIMESPAN.exec(text.trim());
  if (span) {
    const [, days = '0', h = '0', m = '0', s = '0'] = span;
    if (Number(h) > 23 || Number(m) > 59 || Number(s) > 59) {
      throw new Error(
        `Function ${functionName}: timer schedule "${text}" is not a valid TimeSpan (hh:mm:ss with hh < 24, mm and ss < 60).`,
      );
    }
    const ms = (((Number(days) * 24 + Number(h)) * 60 + Number(m)) * 60 + Number(s)) * 1000;
    if (ms <= 0) throw new Error(`Function ${functionName}: timer schedule "${text}" must be a positive interval.`);
    return { kind: 'timespan', text, next: (after) => new Date(after.getTime() + ms) };
  }
  try {
    const cron = parseCron(text);
    return { kind: 'cron', text, next: (after) => cron.next(after) };
  } catch (err) {
    throw new Error(`Function ${functionName}: timer schedule is invalid: ${(err as Error).message}`, { cause: err });
  }
}

/** `useMonitor` when the app leaves it unset: the host turns it off for schedules under a minute. */
export function defaultUseMonitor(schedule: TimerSchedule, now = new Date()): boolean {
  const first = schedule.next(now);
  const second = schedule.next(first);
  return second.getTime() - first.getTime() >= 60_000;
}
