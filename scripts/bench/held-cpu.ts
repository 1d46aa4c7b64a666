// The holding phase's "CPU while all are held": what merely holding the clients costs, measured
// once the stack has settled, not the work a phase left behind. Settled means three things, each
// waited for on its own: every instance is committed as AwaitingReply (the management API's list,
// scenarios.ts `settled`); the Durable view (`{hub}Instances`, written in the background, oldest
// change first) shows every held instance waiting, so whatever an earlier phase queued for it has
// been written too; and every held caller has had time to reach its safety poll's steady gap (the
// backoff cap, or callers ÷ budget), so the window sees the steady read rate rather than the first
// looks. The status reads the host's management API served in the window are counted beside the
// CPU, which is what the held figure is mostly made of.
import { safetyPollBoundMs, safetyPollCapMs } from '../../src/gateway/safety-poll.js';
import { CpuMeter } from './processes.js';
import { round } from './stats.js';
import type { Target } from './target.js';
import { delta } from './trips.js';

/** The counts file lags the host by up to this (count-calls.ts flushes every 100 ms, then renames). */
const COUNTS_LAG_MS = 300;

export interface HeldCpu {
  /** Share of a core per process over the window (100 = a whole core), and the machine's other processes. */
  cpuPercent: Record<string, number>;
  windowSeconds: number;
  /** From every instance committed as AwaitingReply until the view showed every held instance waiting. */
  viewWrittenAfterSeconds: number;
  /** Management API calls per second in the window, by call (`GET instances/{id}` are the status reads). */
  managementPerSecond: Record<string, number>;
  /** Set when the view had not caught up when the bench stopped waiting for it. */
  viewStillBehind?: number;
}

/** The longest the bench waits for the safety poll's steady gap before it measures. */
const STEADY_WAIT_CAP_MS = 20_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits for the stack to settle over `heldIds`, then measures `windowMs` of holding (more than COUNTS_LAG_MS). */
export async function heldCpu(target: Target, heldIds: readonly string[], pollMs: number, windowMs: number): Promise<HeldCpu> {
  const t0 = performance.now();
  let behind = 0;
  if (target.viewBehind) {
    const giveUpAt = t0 + 30_000 + heldIds.length * 30;
    for (;;) {
      behind = await target.viewBehind(heldIds, 'waiting');
      if (behind === 0 || performance.now() > giveUpAt) break;
      await sleep(250);
    }
  }
  const viewWrittenAfterSeconds = round((performance.now() - t0) / 1000, 2);
  // Every caller's gap has reached its steady length once one such gap has passed since it blocked
  // (waited for up to STEADY_WAIT_CAP_MS: past that the budget's gaps are long and the rate is the budget's anyway).
  const steadyGapMs = Math.min(safetyPollBoundMs(pollMs, heldIds.length), Math.max(safetyPollCapMs(pollMs), STEADY_WAIT_CAP_MS));
  // The floor has no safety poll to wait for.
  if (target.managementBase !== undefined) await sleep(Math.max(0, steadyGapMs - (performance.now() - t0)));

  const meter = new CpuMeter([...target.processes, { name: 'bench process', pid: process.pid }]);
  // Both ends of the count are read the same lag late, so the counted span is as long as the window.
  meter.begin();
  await sleep(COUNTS_LAG_MS);
  const countsFrom = target.callCounts?.();
  await sleep(windowMs - COUNTS_LAG_MS);
  const cpuPercent = meter.end();
  await sleep(COUNTS_LAG_MS);
  const countsTo = target.callCounts?.();
  const managementPerSecond: Record<string, number> = {};
  if (countsFrom && countsTo) {
    for (const [op, n] of delta(countsFrom, countsTo)) {
      if (op.startsWith('management ') && n > 0) managementPerSecond[op.replace(/^management /, '')] = round(n / (windowMs / 1000));
    }
  }
  return {
    cpuPercent,
    windowSeconds: windowMs / 1000,
    viewWrittenAfterSeconds,
    managementPerSecond,
    ...(behind > 0 ? { viewStillBehind: behind } : {}),
  };
}

/** `servicebus: 5 s window, view written 1.2 s after the instances settled; management calls/s GET instances/{id} 49.8`. */
export function heldLine(target: string, h: HeldCpu): string {
  const calls = Object.entries(h.managementPerSecond)
    .map(([op, n]) => `${op} ${n}`)
    .join(', ');
  const view = h.viewStillBehind
    ? `view still ${h.viewStillBehind} behind`
    : `view written ${h.viewWrittenAfterSeconds} s after the instances settled`;
  return `- ${target}: ${h.windowSeconds} s window, ${view}; management calls per second: ${calls || 'none'}`;
}
