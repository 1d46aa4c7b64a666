// The measurements, each against any Target (a gateway stack or the floor), so both answer
// exactly the same load.
import { breakdown, type Stage } from './breakdown.js';
import type { EarlierPhases } from './earlier-phases.js';
import { type HeldCpu, heldCpu } from './held-cpu.js';
import { closedLoop, fireAll, LoadClient, type Sample } from './load.js';
import type { BenchOptions } from './options.js';
import { CpuMeter, memoryOf, openFilesLimit, openFilesOf } from './processes.js';
import type { ReplyPolicy } from './reply-desk.js';
import { now, round, type Summary, summarise } from './stats.js';
import type { Target } from './target.js';
import { delta, perRequest } from './trips.js';

const LATENCY_WAIT_S = 60;
// The gateway's longest sync wait (GATEWAY_MAX_SYNC_WAIT_SECONDS in stack.ts).
const HOLDING_WAIT_S = 229;

interface Outcome {
  requests: number;
  errors: number;
  firstError?: string;
  /** Failed requests by kind (HTTP status and problem type, or the socket error). */
  errorKinds: Record<string, number>;
  /** Reply sent → client has the whole response (answered requests only). */
  completion: Summary;
  /** Submit → response. */
  endToEnd: Summary;
}

function outcome(target: Target, samples: readonly Sample[]): Outcome {
  const ok = samples.filter((s) => s.ok);
  const failed = samples.filter((s) => !s.ok);
  const firstError = failed[0]?.error ?? target.desk.sendErrors[0];
  const errorKinds: Record<string, number> = {};
  for (const s of failed) {
    const kind = errorKind(s.error ?? '');
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
  }
  if (target.desk.sendErrors.length) errorKinds['backend could not send the reply'] = target.desk.sendErrors.length;
  return {
    requests: samples.length,
    errors: failed.length + target.desk.sendErrors.length,
    errorKinds,
    ...(firstError !== undefined ? { firstError } : {}),
    completion: summarise(ok.map((s) => s.tDone - (target.desk.replySent.get(s.id) ?? NaN))),
    endToEnd: summarise(ok.map((s) => s.tDone - s.tSubmit)),
  };
}

/** `HTTP 504: {"type":"urn:…:problem:reply-timed-out",…}` → `HTTP 504 reply-timed-out`. */
function errorKind(error: string): string {
  const status = /^HTTP (\d+)/.exec(error)?.[1];
  if (status === undefined) return error.slice(0, 80);
  const problem = /problem:([a-z-]+)/.exec(error)?.[1];
  return `HTTP ${status}${problem ? ` ${problem}` : ''}`;
}

function policyFor(delayMs: number): ReplyPolicy {
  return delayMs > 0 ? { kind: 'delay', ms: delayMs } : { kind: 'immediate' };
}

async function withClient<T>(target: Target, waitSeconds: number, work: (client: LoadClient) => Promise<T>): Promise<T> {
  const client = new LoadClient(target.submitUrl, waitSeconds);
  try {
    return await work(client);
  } finally {
    client.close();
  }
}

export interface LatencyRow extends Outcome {
  target: string;
  clients: number;
  delayMs: number;
  breakdown?: Record<Stage, Summary>;
}

export async function latency(target: Target, options: BenchOptions, log: (line: string) => void): Promise<LatencyRow[]> {
  const rows: LatencyRow[] = [];
  // Warm-up: JIT, connections, containers and SDK links, not counted.
  target.desk.policy = { kind: 'immediate' };
  await withClient(target, LATENCY_WAIT_S, (c) => closedLoop(c, 4, { total: 20 }));
  for (const clients of options.latencyClients) {
    for (const delayMs of options.delaysMs) {
      target.desk.sendErrors.length = 0;
      target.desk.policy = policyFor(delayMs);
      // Every client at least once; more rounds up to 200 samples; a time cap bounds a slow stack.
      const total = Math.max(clients, Math.min(clients * options.rounds, 200), options.minSamples);
      const samples = await withClient(target, LATENCY_WAIT_S, (c) =>
        closedLoop(c, clients, { total, until: now() + options.scenarioCapMs }),
      );
      const row: LatencyRow = { target: target.name, clients, delayMs, ...outcome(target, samples) };
      if (target.managementBase !== undefined) row.breakdown = await breakdown(target, samples, options.breakdownSamples);
      rows.push(row);
      log(
        `${target.name} latency N=${clients} delay=${delayMs}: p50 ${row.completion.p50} ms, p99 ${row.completion.p99} ms (${row.requests} requests, ${row.errors} errors)`,
      );
    }
  }
  return rows;
}

export interface ThroughputRow extends Outcome {
  target: string;
  clients: number;
  windowSeconds: number;
  completedInWindow: number;
  requestsPerSecond: number;
  /** Share of one core each process used during the window (the bench process too). */
  cpuPercent: Record<string, number>;
  /** The Durable view's lag behind the engine when the last client was answered (gateway only). */
  view?: ViewLag;
  /** Engine log writes (group commits) and management API calls per request in the window (gateway only). */
  calls?: { logWrites: number; managementCalls: number; management: Record<string, number> };
}

/** count-calls.ts rewrites its file at most every 100 ms: wait this long before reading it. */
const COUNTS_SETTLE_MS = 300;

/** Log writes and management API calls per answered request between two snapshots. */
function callsPer(before: Map<string, number>, after: Map<string, number>, requests: number): ThroughputRow['calls'] {
  let logWrites = 0;
  let managementCalls = 0;
  // By call as well: which of them grows under load is the question the total can't answer.
  const management: Record<string, number> = {};
  const per = (n: number) => round(n / Math.max(requests, 1));
  for (const [op, n] of delta(before, after)) {
    if (callKind(op) === 'log writes') logWrites += n;
    if (callKind(op) !== 'management API calls') continue;
    managementCalls += n;
    management[op.replace(/^management /, '')] = per(n);
  }
  return { logWrites: per(logWrites), managementCalls: per(managementCalls), management };
}

export interface ViewLag {
  /** Answered instances whose `{hub}Instances` row did not yet show them finished. */
  behindAtEnd: number;
  answered: number;
  /** From the last answer until the view showed every answered instance finished. */
  catchUpSeconds: number;
  /** Set when the view had not caught up within the cap. */
  stillBehind?: number;
}

/** How long the view may take to catch up before the bench stops waiting. */
const VIEW_CATCH_UP_CAP_MS = 60_000;

/** Reads the view until it shows every answered instance finished: the lag, then the catch-up time. */
async function viewLag(target: Target, samples: readonly Sample[]): Promise<ViewLag | undefined> {
  if (!target.viewBehind) return undefined;
  const ids = samples.filter((s) => s.ok).map((s) => s.id);
  const end = now();
  const behindAtEnd = await target.viewBehind(ids);
  let behind = behindAtEnd;
  while (behind > 0 && now() - end < VIEW_CATCH_UP_CAP_MS) {
    await new Promise((r) => setTimeout(r, 100));
    behind = await target.viewBehind(ids);
  }
  return {
    behindAtEnd,
    answered: ids.length,
    catchUpSeconds: round((now() - end) / 1000),
    ...(behind > 0 ? { stillBehind: behind } : {}),
  };
}

function meterFor(target: Target): CpuMeter {
  return new CpuMeter([...target.processes, { name: 'bench process', pid: process.pid }]);
}

export async function throughput(
  target: Target,
  options: BenchOptions,
  clients: number,
  log: (line: string) => void,
): Promise<ThroughputRow> {
  target.desk.sendErrors.length = 0;
  target.desk.policy = { kind: 'immediate' };
  const start = now();
  const from = start + options.warmupMs;
  const to = from + options.durationMs;
  const meter = meterFor(target);
  let cpuPercent: Record<string, number> = {};
  let countsFrom = new Map<string, number>();
  let countsTo = new Map<string, number>();
  setTimeout(() => meter.begin(), from - now());
  setTimeout(() => (cpuPercent = meter.end()), to - now());
  // The counts file lags the host: both ends are read the same COUNTS_SETTLE_MS late, so the
  // counted span is as long as the window.
  setTimeout(() => (countsFrom = target.callCounts?.() ?? countsFrom), from + COUNTS_SETTLE_MS - now());
  setTimeout(() => (countsTo = target.callCounts?.() ?? countsTo), to + COUNTS_SETTLE_MS - now());
  const samples = await withClient(target, LATENCY_WAIT_S, (c) => closedLoop(c, clients, { until: to }));
  await new Promise((r) => setTimeout(r, COUNTS_SETTLE_MS * 2));
  const inWindow = samples.filter((s) => s.ok && s.tDone >= from && s.tDone < to);
  const row: ThroughputRow = {
    target: target.name,
    clients,
    windowSeconds: options.durationMs / 1000,
    completedInWindow: inWindow.length,
    requestsPerSecond: round(inWindow.length / (options.durationMs / 1000)),
    cpuPercent,
    ...outcome(
      target,
      samples.filter((s) => s.tDone >= from),
    ),
  };
  if (target.callCounts) row.calls = callsPer(countsFrom, countsTo, inWindow.length);
  const view = await viewLag(target, samples);
  if (view) row.view = view;
  log(
    `${target.name} throughput: ${row.requestsPerSecond} req/s with ${row.clients} clients (${row.errors} errors); CPU ${JSON.stringify(cpuPercent)}` +
      (row.calls
        ? `; per request: ${row.calls.logWrites} log writes, ${row.calls.managementCalls} management calls ${JSON.stringify(row.calls.management)}`
        : '') +
      (view ? `; view ${view.behindAtEnd}/${view.answered} behind at the end, caught up in ${view.catchUpSeconds} s` : ''),
  );
  return row;
}

export interface ProcessMemory {
  name: string;
  /** RSS just before the first client connected. */
  beforeMiB: number;
  /** RSS once every client was blocked, before any reply. */
  blockedMiB: number;
  /** Highest RSS sampled during the phase (every 250 ms). */
  peakMiB: number;
}

export interface HoldingRow extends Outcome {
  target: string;
  clients: number;
  /** First submit → the backend has seen every request (every client blocked). */
  blockedAfterSeconds: number;
  /** First submit → every instance committed as AwaitingReply (gateway only). */
  settledAfterSeconds: number;
  /** Release of the held replies → the last client answered. */
  drainSeconds: number;
  correct: number;
  memory: ProcessMemory[];
  /** Highest sum over the stack's processes sampled at one instant. */
  stackPeakMiB: number;
  /** CPU from the first submit until every client is blocked (or the wait gave up). */
  rampCpuPercent: Record<string, number>;
  /** CPU while all are held, once the stack has settled (held-cpu.ts): what merely holding the clients costs. */
  heldCpuPercent: Record<string, number>;
  /** How the held figure was taken, and the management calls per second in its window. */
  held?: HeldCpu;
  /** CPU from the release until the last answer (or the drain cap). */
  drainCpuPercent: Record<string, number>;
  /** The bench process (clients and backend simulator; the floor too, for the floor). */
  benchMiB: number;
  /** Set when not every request reached the backend in time (the held replies went anyway). */
  notAllBlocked?: string;
  /** Set when holding ran on a freshly started stack: what the phases before it left in the first (earlier-phases.ts). */
  earlierPhases?: EarlierPhases;
}

/** Samples RSS every 250 ms: per-process peaks and the peak of their sum at one instant. */
class MemorySampler {
  readonly peaks = new Map<string, number>();
  stackPeak = 0;
  benchPeak = 0;
  private readonly timer = setInterval(() => this.sample(), 250);
  constructor(private readonly processes: Target['processes']) {}

  now(): Map<string, number> {
    return new Map(this.processes.map((p) => [p.name, memoryOf(p.pid).rssMiB]));
  }

  sample(): void {
    const current = this.now();
    for (const [name, rss] of current) this.peaks.set(name, Math.max(this.peaks.get(name) ?? 0, rss));
    this.stackPeak = Math.max(
      this.stackPeak,
      [...current.values()].reduce((a, b) => a + b, 0),
    );
    this.benchPeak = Math.max(this.benchPeak, memoryOf(process.pid).rssMiB);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/**
 * Resolves once no instance of the target is still being dispatched: the backend may have a
 * request before the host has committed the episode after it, and until then the host is still
 * working, not merely holding. Reads the management API's list (custom status) once a second.
 */
async function settled(managementBase: string, timeoutMs: number): Promise<void> {
  const giveUpAt = now() + timeoutMs;
  for (;;) {
    let unsettled = 0;
    let continuation: string | null = null;
    try {
      do {
        const res: Response = await fetch(`${managementBase}/instances?runtimeStatus=Pending,Running&showInput=false&top=1000`, {
          headers: continuation ? { 'x-ms-continuation-token': continuation } : {},
        });
        const page = (await res.json()) as Array<{ customStatus?: { stage?: string } | null }>;
        unsettled += page.filter((i) => i.customStatus?.stage !== 'AwaitingReply').length;
        continuation = res.headers.get('x-ms-continuation-token');
      } while (continuation);
    } catch {
      // A busy host may drop a kept-alive connection: count this look as unsettled, look again.
      unsettled = Math.max(unsettled, 1);
    }
    if (unsettled === 0) return;
    if (now() > giveUpAt) throw new Error(`${unsettled} instances still dispatching after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/** Calls in flight to the stack and not yet at the backend during the holding ramp. */
const RAMP_WINDOW = 256;

/** How long the release may take before the clients still waiting are given up (more for more clients). */
function drainCapMs(clients: number): number {
  return Math.max(90_000, clients * 15);
}

/**
 * Open files the holding phase needs in the bench process (one socket per client, the backend's
 * and the stack's own) and in the host (one per held call, twice per concurrent management call,
 * its storage connections): the children inherit the bench's `ulimit -n`, so it is checked here,
 * before anything starts, rather than found as EMFILE halfway through (docs/benchmarks.md).
 */
export function openFilesNeeded(clients: number): number {
  return clients + 2048;
}

export function openFilesProblem(options: BenchOptions): string | undefined {
  if (!options.phases.has('holding')) return undefined;
  const need = openFilesNeeded(options.holdingClients);
  const limit = openFilesLimit();
  if (limit >= need) return undefined;
  return `--holding ${options.holdingClients} needs about ${need} open files per process, and ulimit -n is ${limit}: raise it (ulimit -n ${need}, or more) in the shell that runs the bench`;
}

export async function holding(target: Target, options: BenchOptions, log: (line: string) => void): Promise<HoldingRow> {
  const n = options.holdingClients;
  const desk = target.desk;
  desk.sendErrors.length = 0;
  desk.policy = { kind: 'hold' };
  const seenBefore = desk.seen.size;
  const memory = new MemorySampler(target.processes);
  const before = memory.now();
  let blocked = new Map<string, number>();
  let heldCpuPercent: Record<string, number> = {};
  let held: HeldCpu | undefined;
  const start = now();
  let blockedAfter = NaN;
  let settledAfter = NaN;
  let waitError: string | undefined;
  const client = new LoadClient(target.submitUrl, HOLDING_WAIT_S);
  const rampMeter = meterFor(target);
  rampMeter.begin();
  let rampCpuPercent: Record<string, number> = {};
  try {
    // At most RAMP_WINDOW calls on their way in at a time (load.ts fireAll).
    const answers = fireAll(client, n, { seen: () => desk.seen.size - seenBefore, window: RAMP_WINDOW, stallMs: 30_000 });
    try {
      await desk.waitSeen(seenBefore + n, 30_000 + n * 45).finally(() => (rampCpuPercent = rampMeter.end()));
      blockedAfter = now() - start;
      memory.sample();
      blocked = memory.now();
      const files = [...target.processes, { name: 'bench process', pid: process.pid }].map((p) => `${p.name} ${openFilesOf(p.pid)}`);
      log(`${target.name} holding: ${n} clients blocked after ${round(blockedAfter / 1000)} s; open files: ${files.join(', ')}`);
      if (target.managementBase !== undefined) {
        await settled(target.managementBase, 30_000 + n * 15);
        settledAfter = now() - start;
      }
      const heldIds = [...desk.seen.keys()].slice(seenBefore);
      held = await heldCpu(target, heldIds, options.pollMs, options.quick ? 3_000 : 5_000);
      heldCpuPercent = held.cpuPercent;
      log(`${target.name} holding: held ${JSON.stringify(held)}`);
    } catch (error) {
      // Release what did arrive so the clients that are waiting finish now, not at their deadline.
      waitError = error instanceof Error ? error.message : String(error);
      log(`${target.name} holding: ${waitError}`);
    }
    const released = now();
    const drainMeter = meterFor(target);
    drainMeter.begin();
    desk.policy = { kind: 'immediate' };
    // The cap counts from the release, not from its end: sending 10 000 held replies into a busy
    // Azurite took minutes, which used to stretch the cap by as much.
    const capMs = drainCapMs(n);
    const cap = setTimeout(() => client.abort(`not answered within ${capMs / 1000} s of the release`), capMs);
    await desk.release(64);
    const samples = await answers.finally(() => clearTimeout(cap));
    const drain = now() - released;
    const drainCpuPercent = drainMeter.end();
    const result = outcome(target, samples);
    const row: HoldingRow = {
      target: target.name,
      clients: n,
      blockedAfterSeconds: round(blockedAfter / 1000, 2),
      settledAfterSeconds: round(settledAfter / 1000, 2),
      drainSeconds: round(drain / 1000, 2),
      correct: samples.filter((s) => s.ok).length,
      memory: target.processes.map((p) => ({
        name: p.name,
        beforeMiB: before.get(p.name) ?? NaN,
        blockedMiB: blocked.get(p.name) ?? NaN,
        peakMiB: memory.peaks.get(p.name) ?? NaN,
      })),
      stackPeakMiB: round(memory.stackPeak),
      rampCpuPercent,
      heldCpuPercent,
      ...(held !== undefined ? { held } : {}),
      drainCpuPercent,
      benchMiB: memory.benchPeak,
      ...result,
      ...(waitError !== undefined ? { notAllBlocked: waitError } : {}),
    };
    log(
      `${target.name} holding: ${row.correct}/${n} answered correctly, drained in ${row.drainSeconds} s, stack peak ${row.stackPeakMiB} MiB`,
    );
    return row;
  } finally {
    memory.stop();
    client.close();
  }
}

export interface TripsRow {
  target: string;
  requests: number;
  /** As in ThroughputRow, over the sequential requests (N = 1; includes the idle pollers). */
  cpuPercent: Record<string, number>;
  requestsPerSecond: number;
  /** Storage calls per second with no load (pollers), all services. */
  idlePerSecond: number;
  /** Calls per request, by operation (storage, management API, log writes), idle pollers subtracted. */
  operations: Array<{ op: string; perRequest: number }>;
  /** Storage calls per request, all services. */
  totalPerRequest: number;
  /** The same, split: what the engine's log, the view, reads and the rest cost per request. */
  split: Record<CallKind, number>;
}

export type CallKind = 'log writes' | 'view writes' | 'storage reads' | 'other storage writes' | 'management API calls';

/** Which kind of call a counted operation is (keys from TripCounter and count-calls.ts). */
export function callKind(op: string): CallKind {
  if (op.startsWith('log write')) return 'log writes';
  if (op.startsWith('management ')) return 'management API calls';
  const [, method = '', resource = ''] = op.split(' ');
  if (method === 'GET' || method === 'HEAD') return 'storage reads';
  // The view is the Durable tables: {hub}Instances and {hub}History, and their batches.
  if (op.startsWith('table ') && /(Instances|History|\$batch)/.test(resource)) return 'view writes';
  return 'other storage writes';
}

/** N = 1 sequential requests answered at once, counting the host's storage calls, management calls and log writes. */
export async function trips(
  target: Target,
  snapshot: () => Map<string, number>,
  requests: number,
  log: (line: string) => void,
): Promise<TripsRow> {
  target.desk.policy = { kind: 'immediate' };
  await withClient(target, LATENCY_WAIT_S, (c) => closedLoop(c, 1, { total: 5 }));
  const idleStart = snapshot();
  const idleMs = 3_000;
  await new Promise((r) => setTimeout(r, idleMs));
  const idle = delta(idleStart, snapshot());
  const before = snapshot();
  const meter = meterFor(target);
  meter.begin();
  const t0 = now();
  const samples = await withClient(target, LATENCY_WAIT_S, (c) => closedLoop(c, 1, { total: requests }));
  const cpuPercent = meter.end();
  const requestMs = now() - t0;
  // The view is written in the background: count its writes for these requests too.
  await viewLag(target, samples);
  await new Promise((r) => setTimeout(r, COUNTS_SETTLE_MS));
  const runMs = now() - t0;
  const answered = samples.filter((s) => s.ok).length;
  const operations = perRequest(before, snapshot(), idle, idleMs, runMs, answered);
  const split: Record<CallKind, number> = {
    'log writes': 0,
    'view writes': 0,
    'storage reads': 0,
    'other storage writes': 0,
    'management API calls': 0,
  };
  for (const o of operations) split[callKind(o.op)] = round(split[callKind(o.op)] + o.perRequest);
  const storage = operations.filter((o) => !['log writes', 'management API calls'].includes(callKind(o.op)));
  const idleStorage = [...idle].filter(([op]) => !['log writes', 'management API calls'].includes(callKind(op)));
  const row: TripsRow = {
    target: target.name,
    requests: samples.length,
    cpuPercent,
    requestsPerSecond: round(answered / (requestMs / 1000)),
    idlePerSecond: round((idleStorage.reduce((a, [, n]) => a + n, 0) / idleMs) * 1000),
    operations,
    totalPerRequest: round(storage.reduce((a, o) => a + o.perRequest, 0)),
    split,
  };
  log(
    `${target.name} trips: ${row.totalPerRequest} storage calls per request (idle pollers: ${row.idlePerSecond}/s); ${JSON.stringify(split)}`,
  );
  return row;
}
