/**
 * Gateway benchmark (`npm run bench`): starts the local stack per reply channel and measures,
 * over real HTTP on loopback, reply → response latency, closed-loop throughput, holding 1000
 * blocked clients with the stack's memory, where the time goes, and storage calls per request,
 * each beside the floor (a plain pending-promise map behind node:http). Writes
 * bench-results/gateway-<date>.json and prints markdown tables. See docs/benchmarks.md.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type EarlierPhases, earlierPhases } from './earlier-phases.js';
import { startFloor } from './floor.js';
import { interruption } from './load.js';
import { type BenchOptions, type Channel, type Phase, parseBenchOptions, USAGE } from './options.js';
import { memoryOf, Processes } from './processes.js';
import { type BenchResults, markdown } from './report.js';
import { holding, latency, openFilesProblem, throughput, trips } from './scenarios.js';
import { REPO_ROOT, sampleSettings, serviceBusMissing, startGateway } from './stack.js';
import { STARTUP_SIZES, startup } from './startup.js';
import type { Target } from './target.js';
import { TripCounter } from './trips.js';

const MEASURES = ['latency', 'throughput', 'holding'] as const;
const TRIP_REQUESTS = 20;

const started = Date.now();
const log = (line: string) => console.error(`[bench +${Math.round((Date.now() - started) / 1000)}s] ${line}`);

/** Which code was measured: the commit, and whether the working tree differed from it. */
function describeBuild(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const changed = git('status', '--porcelain', '--untracked-files=no', '--', 'src', 'scripts') !== '';
    return `${git('log', '-1', '--format=%h %s')}${changed ? ' (+ uncommitted changes in src/ or scripts/)' : ''}`;
  } catch {
    return 'unknown (no git)';
  }
}

function checkInterrupted(): void {
  if (interruption.signal.aborted) throw new Error('interrupted');
}

async function measure(target: Target, measures: readonly Phase[], options: BenchOptions, results: BenchResults): Promise<void> {
  results.settings[target.name] = { ...target.settings };
  if (measures.includes('latency')) results.latency.push(...(await latency(target, options, log)));
  checkInterrupted();
  if (measures.includes('throughput')) {
    for (const clients of options.throughputClients) {
      results.throughput.push(await throughput(target, options, clients, log));
      checkInterrupted();
    }
  }
  checkInterrupted();
  if (measures.includes('holding')) results.holding.push(await holding(target, options, log));
  checkInterrupted();
}

/** Two stacks' problem counts by kind, added up. */
function mergeCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const sum = { ...a };
  for (const [kind, n] of Object.entries(b)) sum[kind] = (sum[kind] ?? 0) + n;
  return sum;
}

async function channelRun(
  channel: Channel,
  measures: readonly Phase[],
  options: BenchOptions,
  procs: Processes,
  results: BenchResults,
): Promise<void> {
  // Holding after other phases runs on a freshly started stack: what those phases' finished
  // instances left in the first one is reported with the row (earlier-phases.ts), not hidden.
  const first = measures.filter((m) => m !== 'holding');
  const freshHolding = measures.includes('holding') && first.length > 0;
  let earlier: EarlierPhases | undefined;
  for (const stage of freshHolding ? [first, ['holding' as const]] : measures.length > 0 ? [measures] : []) {
    log(`starting the ${channel} stack${stage === first || !freshHolding ? '' : ' afresh for the holding phase'}`);
    const gateway = await startGateway(channel, options, procs);
    try {
      await measure(gateway, stage, options, results);
      if (earlier) {
        const row = results.holding.at(-1);
        if (row) row.earlierPhases = earlier;
      }
      if (freshHolding && stage === first) earlier = await earlierPhases(gateway);
      results.rssAtEnd[channel] = Object.fromEntries(gateway.processes.map((p) => [p.name, memoryOf(p.pid).rssMiB]));
    } finally {
      await gateway.stop();
      const seen = results.hostProblems[channel];
      results.hostProblems[channel] = seen
        ? {
            count: seen.count + gateway.problems.count,
            first: [...seen.first, ...gateway.problems.first],
            byKind: mergeCounts(seen.byKind, gateway.problems.byKind),
          }
        : gateway.problems;
    }
  }
  if (options.phases.has('trips')) {
    log(`starting the ${channel} stack behind the storage call counter`);
    const counter = new TripCounter();
    procs.track('trip counter', () => counter.stop());
    const gateway = await startGateway(channel, options, procs, { storageFor: (azurite) => counter.start(azurite) });
    try {
      const snapshot = () => new Map([...counter.snapshot(), ...gateway.callCounts()]);
      results.trips.push(await trips(gateway, snapshot, TRIP_REQUESTS, log));
    } finally {
      await gateway.stop();
      await counter.stop();
    }
  }
}

async function main(procs: Processes): Promise<void> {
  const parsed = parseBenchOptions(process.argv.slice(2), Number(sampleSettings().GATEWAY_POLL_INTERVAL_MS ?? 500));
  if (parsed === 'help') return console.log(USAGE);
  const options = parsed;
  const files = openFilesProblem(options);
  if (files !== undefined) throw new Error(files);
  if (!fs.existsSync(path.join(REPO_ROOT, 'dist/src/functions/submitRequest.js')))
    throw new Error('dist/ is missing: run "npm run build" first (npm run bench does)');
  const results: BenchResults = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? '?', node: process.version, loadAverageBefore: os.loadavg() },
    build: describeBuild(),
    options: { ...options, phases: [...options.phases] },
    settings: {},
    latency: [],
    throughput: [],
    holding: [],
    trips: [],
    hostProblems: {},
    rssAtEnd: {},
    skipped: [],
  };
  const measures = MEASURES.filter((m) => options.phases.has(m));

  if (options.phases.has('floor')) {
    const floor = await startFloor();
    procs.track('floor', () => floor.stop());
    try {
      await measure(floor, measures.length > 0 ? measures : MEASURES, options, results);
    } finally {
      await floor.stop();
    }
  }
  for (const channel of options.channels) {
    const missing = channel === 'servicebus' ? serviceBusMissing() : undefined;
    if (missing !== undefined) {
      results.skipped.push(`servicebus: ${missing}`);
      log(`skipping servicebus: ${missing}`);
      continue;
    }
    await channelRun(channel, measures, options, procs, results);
    checkInterrupted();
  }
  if (options.phases.has('startup')) results.startup = await startup(REPO_ROOT, STARTUP_SIZES, procs, log);

  results.machine.loadAverageAfter = os.loadavg();
  results.durationSeconds = Math.round((Date.now() - started) / 1000);
  const outDir = path.resolve(REPO_ROOT, options.outDir);
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `gateway-${results.date.replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(results, null, 2));
  console.log(markdown(results));
  log(`wrote ${path.relative(REPO_ROOT, file)}`);
}

const procs = new Processes();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interruption.abort();
    log(`${signal}: stopping every process the bench started`);
    void procs.stopAll().finally(() => process.exit(130));
  });
}
main(procs)
  .catch((error: unknown) => {
    if (interruption.signal.aborted) return;
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exitCode = 1;
  })
  .finally(async () => {
    // On Ctrl-C the signal handler stops everything and exits.
    if (interruption.signal.aborted) return;
    await procs.stopAll();
    // Sockets and SDK timers of a failed run must not keep the process alive.
    process.exit();
  });
