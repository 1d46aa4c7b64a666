// Clock and summaries. `now()` is epoch milliseconds with sub-millisecond resolution, so it can
// be compared with the host's history timestamps (ISO, whole milliseconds) as well as with
// itself.

export function now(): number {
  return performance.timeOrigin + performance.now();
}

export interface Summary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  max: number;
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Nearest-rank percentiles, rounded to 0.1 ms. */
export function summarise(values: readonly number[]): Summary {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1))];
  if (sorted.length === 0) return { count: 0, p50: NaN, p95: NaN, p99: NaN, mean: NaN, max: NaN };
  return {
    count: sorted.length,
    p50: round(rank(50) as number),
    p95: round(rank(95) as number),
    p99: round(rank(99) as number),
    mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
    max: round(sorted[sorted.length - 1] as number),
  };
}

/** gateway ÷ floor, for the "× floor" columns; '–' when either side is missing. */
export function ratio(gateway: number | undefined, floor: number | undefined): string {
  if (gateway === undefined || floor === undefined || !Number.isFinite(gateway) || !Number.isFinite(floor) || floor === 0) return '–';
  const r = gateway / floor;
  // Throughput ratios fall far below 1: "1/440" reads better than "0×".
  if (r < 0.1) return `1/${Math.round(1 / r)}`;
  return `${r >= 100 ? Math.round(r) : round(r, r >= 10 ? 0 : 1)}×`;
}

export { round };
