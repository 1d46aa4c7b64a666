// Config.json writes durations the way the official emulator does: ISO 8601, e.g. PT1M, PT30S,
// P1DT2H. Years and months have no fixed length, so they are refused rather than guessed.
import { TopologyConfigError } from './config-errors.js';

const pattern = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

export function parseIsoDuration(value: unknown, field: string): number {
  if (typeof value !== 'string') throw new TopologyConfigError(field, 'expected an ISO 8601 duration such as "PT1M"');
  const match = pattern.exec(value);
  if (!match || value === 'P' || value.endsWith('T')) {
    throw new TopologyConfigError(
      field,
      `'${value}' is not an ISO 8601 duration of weeks, days, hours, minutes and seconds (e.g. "PT1M", "PT30S")`,
    );
  }
  const [, weeks, days, hours, minutes, seconds] = match;
  const totalSeconds =
    Number(weeks ?? 0) * 604_800 +
    Number(days ?? 0) * 86_400 +
    Number(hours ?? 0) * 3_600 +
    Number(minutes ?? 0) * 60 +
    Number(seconds ?? 0);
  const ms = Math.round(totalSeconds * 1_000);
  if (ms <= 0) throw new TopologyConfigError(field, `'${value}' must be longer than zero`);
  return ms;
}

export function parseOptionalIsoDuration(value: unknown, field: string): number | undefined {
  return value === undefined ? undefined : parseIsoDuration(value, field);
}
