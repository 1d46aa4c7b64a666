/**
 * NCRONTAB expressions as the Functions timer trigger reads them (the NCrontab library behind
 * `TimerTriggerAttribute`): `{second} {minute} {hour} {day} {month} {day-of-week}`, or the five
 * fields without seconds. Each field takes `*`, numbers, ranges `a-b`, lists `a,b`, steps `*\/n`,
 * `a-b/n` and `a/n`, and month (`JAN`) / day (`SUN`) names; day-of-week is 0-6 with 0 = Sunday.
 * A day must match both the day-of-month and the day-of-week field (NCrontab intersects them,
 * where Vixie cron would take either). Pure: no clock, no time zone but UTC.
 */
export interface CronSchedule {
  kind: 'cron';
  expression: string;
  /** The first occurrence strictly after `after` (UTC). */
  next(after: Date): Date;
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] as const;
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;
const FIELDS: readonly FieldSpec[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day-of-week', min: 0, max: 6, names: DAYS },
];
/** Far enough for `0 0 0 29 2 1` (Feb 29 on a Monday: up to 28 years apart). */
const SEARCH_DAYS = 366 * 30;

export function parseCron(expression: string): CronSchedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 6 && parts.length !== 5) {
    throw new Error(
      `"${expression}" is not an NCRONTAB expression: it needs 6 fields ({second} {minute} {hour} {day} {month} {day-of-week}), or 5 without seconds; it has ${parts.length}.`,
    );
  }
  const fields = parts.length === 5 ? ['0', ...parts] : parts;
  const [seconds, minutes, hours, days, months, weekdays] = fields.map((text, i) => parseField(text, FIELDS[i] as FieldSpec, expression));
  const sets = { seconds, minutes, hours, days, months, weekdays } as Record<string, boolean[]>;
  if (!someDayExists(sets.days as boolean[], sets.months as boolean[])) {
    throw new Error(`NCRONTAB "${expression}" names no day that exists in its months.`);
  }
  return { kind: 'cron', expression, next: (after) => nextOccurrence(sets, after, expression) };
}

function parseField(text: string, spec: FieldSpec, expression: string): boolean[] {
  const allowed = new Array<boolean>(spec.max + 1).fill(false);
  const bad = (why: string): Error => new Error(`NCRONTAB "${expression}": ${spec.name} field "${text}" ${why}.`);
  for (const item of text.split(',')) {
    const [range = '', stepText, extra] = item.split('/');
    if (extra !== undefined) throw bad('has more than one "/"');
    const step = stepText === undefined ? 1 : toNumber(stepText, spec, bad, false);
    if (step < 1) throw bad('has a step below 1');
    let from: number;
    let to: number;
    if (range === '*') [from, to] = [spec.min, spec.max];
    else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      [from, to] = [toNumber(a, spec, bad), toNumber(b, spec, bad)];
      if (from > to) throw bad(`has a range that runs backwards (${from}-${to})`);
    } else {
      from = toNumber(range, spec, bad);
      // `5/15` means from 5 to the end in steps of 15, as in NCrontab.
      to = stepText === undefined ? from : spec.max;
    }
    for (let v = from; v <= to; v += step) allowed[v] = true;
  }
  return allowed;
}

function toNumber(text: string, spec: FieldSpec, bad: (why: string) => Error, checkRange = true): number {
  const named = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  const value = named >= 0 ? named + spec.min : /^\d+$/.test(text) ? Number(text) : NaN;
  if (Number.isNaN(value)) throw bad(`has "${text}", which is not a number${spec.names ? ' or a name' : ''}`);
  if (checkRange && (value < spec.min || value > spec.max)) throw bad(`has ${value}, outside ${spec.min}-${spec.max}`);
  return value;
}

function someDayExists(days: boolean[], months: boolean[]): boolean {
  const longest = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return longest.some((len, m) => months[m + 1] && days.slice(1, len + 1).some(Boolean));
}

function nextOccurrence(s: Record<string, boolean[]>, after: Date, expression: string): Date {
  // Whole seconds: the occurrence after 10:00:00.400 for "every second" is 10:00:01.
  const start = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
  let day = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate());
  for (let i = 0; i < SEARCH_DAYS; i++, day += 86_400_000) {
    const d = new Date(day);
    if (!s.months?.[d.getUTCMonth() + 1] || !s.days?.[d.getUTCDate()] || !s.weekdays?.[d.getUTCDay()]) continue;
    const from = i === 0 ? start.getTime() - day : 0;
    const time = firstTimeOfDay(s, from);
    if (time !== undefined) return new Date(day + time);
  }
  throw new Error(`NCRONTAB "${expression}" has no occurrence in the next ${SEARCH_DAYS / 366} years.`);
}

/** Milliseconds into the day of the first allowed second at or after `fromMs`. */
function firstTimeOfDay(s: Record<string, boolean[]>, fromMs: number): number | undefined {
  const fromSec = Math.ceil(fromMs / 1000);
  for (let h = Math.floor(fromSec / 3600); h < 24; h++) {
    if (!s.hours?.[h]) continue;
    for (let m = 0; m < 60; m++) {
      if (!s.minutes?.[m]) continue;
      for (let sec = 0; sec < 60; sec++) {
        const total = h * 3600 + m * 60 + sec;
        if (s.seconds?.[sec] && total >= fromSec) return total * 1000;
      }
    }
  }
  return undefined;
}
