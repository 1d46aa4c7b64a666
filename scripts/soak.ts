/**
 * Soak (`npm run soak -- --minutes N`): the local stack of one channel under steady load for N
 * minutes, to show it stays healthy and its memory stays flat. Each part its own process, as
 * the bench starts them (scripts/bench/stack.ts: Azurite on disk, the Service Bus endpoint for
 * that channel, the host on the built app, the backend simulator in this process); closed-loop
 * sync clients, each sending its next request when the last is answered. Every `--every`
 * seconds a line: requests and errors in that window, latency percentiles, RSS of each process;
 * at the end the totals and each process's RSS change from the first reading after warm-up to
 * the last. Not part of CI: it takes minutes by design.
 */
import { parseArgs } from 'node:util';
import { interruption, LoadClient, type Sample } from './bench/load.js';
import { type BenchOptions, CHANNELS, type Channel, parseBenchOptions } from './bench/options.js';
import { memoryOf, Processes } from './bench/processes.js';
import { sampleSettings, serviceBusMissing, startGateway } from './bench/stack.js';
import { now, summarise } from './bench/stats.js';

const USAGE = `Usage: npm run soak -- [options]

  --minutes N     how long the load runs (default 5)
  --channel C     ${CHANNELS.join(' or ')} (default blob)
  --clients N     concurrent closed-loop sync clients (default 20)
  --every S       seconds between report lines (default 10)`;

interface SoakOptions {
  minutes: number;
  channel: Channel;
  clients: number;
  everyMs: number;
}

function positive(raw: string | undefined, flag: string, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${flag}: expected a positive number, got "${raw}"`);
  return value;
}

function parseSoakOptions(argv: string[]): SoakOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      minutes: { type: 'string' },
      channel: { type: 'string' },
      clients: { type: 'string' },
      every: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const channel = (values.channel ?? 'blob') as Channel;
  if (!CHANNELS.includes(channel)) throw new Error(`--channel: expected ${CHANNELS.join(' or ')}, got "${values.channel}"`);
  return {
    minutes: positive(values.minutes, '--minutes', 5),
    channel,
    clients: Math.round(positive(values.clients, '--clients', 20)),
    everyMs: positive(values.every, '--every', 10) * 1000,
  };
}

const started = Date.now();
const log = (line: string) => console.log(`[soak +${String(Math.round((Date.now() - started) / 1000)).padStart(4)}s] ${line}`);

/** One report window: what was answered in it. */
class Window {
  latencies: number[] = [];
  errors = new Map<string, number>();
  add(sample: Sample): void {
    if (sample.ok) this.latencies.push(sample.tDone - sample.tSubmit);
    else {
      // Errors are grouped by their kind (status and first words), not their per-request text.
      const kind = (sample.error ?? 'error').replace(/[0-9a-f-]{36}/g, '<id>').slice(0, 80);
      this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
    }
  }
  get errorCount(): number {
    return [...this.errors.values()].reduce((a, b) => a + b, 0);
  }
}

async function soak(options: SoakOptions, procs: Processes): Promise<number> {
  const missing = options.channel === 'servicebus' ? serviceBusMissing() : undefined;
  if (missing) throw new Error(`the servicebus channel can't run: ${missing}`);
  const bench = parseBenchOptions([], Number(sampleSettings().GATEWAY_POLL_INTERVAL_MS ?? 500));
  if (bench === 'help') throw new Error('unreachable');
  const stackOptions: BenchOptions = bench;
  log(`starting the ${options.channel} stack (Azurite on disk, host on dist/)`);
  const gateway = await startGateway(options.channel, stackOptions, procs);
  const names = gateway.processes.map((p) => p.name);
  log(`processes: ${gateway.processes.map((p) => `${p.name} pid ${p.pid}`).join(', ')}`);
  log(`load: ${options.clients} closed-loop sync clients for ${options.minutes} min; a line every ${options.everyMs / 1000} s`);

  const client = new LoadClient(gateway.submitUrl, 60);
  const until = now() + options.minutes * 60_000;
  let window = new Window();
  const total = new Window();
  const rss: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const rssSelf: number[] = [];
  let n = 0;
  const report = (): void => {
    const w = window;
    window = new Window();
    const s = summarise(w.latencies);
    const mem = gateway.processes.map((p) => {
      const m = memoryOf(p.pid).rssMiB;
      rss[p.name]?.push(m);
      return `${p.name} ${m}`;
    });
    const self = Math.round((process.memoryUsage.rss() / 1024 / 1024) * 10) / 10;
    rssSelf.push(self);
    const errors = w.errorCount === 0 ? '0' : `${w.errorCount} (${[...w.errors].map(([k, c]) => `${c}× ${k}`).join('; ')})`;
    log(
      `${String(w.latencies.length + w.errorCount).padStart(5)} req, errors ${errors}, ` +
        `ms p50 ${s.p50} p95 ${s.p95} p99 ${s.p99} max ${s.max} | RSS MiB ${mem.join(', ')}, soak ${self}`,
    );
  };
  const ticker = setInterval(report, options.everyMs);
  try {
    await Promise.all(
      Array.from({ length: options.clients }, async () => {
        while (now() < until && !interruption.signal.aborted) {
          const sample = await client.submit(n++);
          window.add(sample);
          total.add(sample);
        }
      }),
    );
  } finally {
    clearInterval(ticker);
    client.close();
  }
  report();
  const all = summarise(total.latencies);
  log(
    `total: ${total.latencies.length + total.errorCount} requests, ${total.errorCount} errors; ms p50 ${all.p50} p95 ${all.p95} p99 ${all.p99} max ${all.max}`,
  );
  for (const [kind, count] of total.errors) log(`  error ${count}× ${kind}`);
  // From the second reading (the first window includes start-up and JIT warm-up) to the last.
  for (const [name, readings] of [...Object.entries(rss), ['soak (load + backend)', rssSelf] as const]) {
    const first = readings[1] ?? readings[0] ?? NaN;
    const last = readings[readings.length - 1] ?? NaN;
    const peak = Math.max(...readings);
    log(
      `RSS ${name}: ${first} → ${last} MiB after warm-up (${last - first >= 0 ? '+' : ''}${Math.round((last - first) * 10) / 10}), peak ${peak}`,
    );
  }
  if (gateway.problems.count > 0)
    log(`host logged ${gateway.problems.count} warnings/errors; first: ${gateway.problems.first.slice(0, 3).join(' | ')}`);
  await gateway.stop();
  return total.errorCount;
}

async function main(): Promise<void> {
  const parsed = parseSoakOptions(process.argv.slice(2));
  if (parsed === 'help') {
    console.log(USAGE);
    return;
  }
  const procs = new Processes();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping the load, then every process`);
      interruption.abort();
    });
  }
  try {
    const errors = await soak(parsed, procs);
    process.exitCode = errors === 0 ? 0 : 1;
  } finally {
    await procs.stopAll();
  }
}

main().catch((error: unknown) => {
  console.error(`soak: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
