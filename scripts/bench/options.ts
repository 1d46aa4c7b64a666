// Command-line flags of `npm run bench`, parsed once into a frozen plan. Defaults are sized so
// the whole run ends well under ten minutes on a 2-core machine.
import { parseArgs } from 'node:util';

export const PHASES = ['latency', 'throughput', 'holding', 'floor', 'trips', 'startup'] as const;
export type Phase = (typeof PHASES)[number];
// `trips` restarts each stack behind a counting proxy; its counts do not change with load, so
// it is asked for rather than spent on every run.
const DEFAULT_PHASES: readonly Phase[] = ['latency', 'throughput', 'holding', 'floor', 'startup'];
export const CHANNELS = ['servicebus', 'blob'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface BenchOptions {
  readonly phases: ReadonlySet<Phase>;
  readonly channels: readonly Channel[];
  readonly quick: boolean;
  /** Concurrent blocked clients for the latency scenarios. */
  readonly latencyClients: readonly number[];
  /** The fixed backend delays of the latency scenarios (0 = reply at once). */
  readonly delaysMs: readonly number[];
  /** Closed-loop rounds per client in a latency scenario (at most 200 requests, at least `minSamples`). */
  readonly rounds: number;
  readonly minSamples: number;
  /** No new requests in a latency scenario after this long (what was answered still counts). */
  readonly scenarioCapMs: number;
  /** Closed-loop clients of each throughput window: the goal is at 50, and it must hold at 200. */
  readonly throughputClients: readonly number[];
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly holdingClients: number;
  /** GATEWAY_POLL_INTERVAL_MS: how often a blocked submit call re-reads the instance status. */
  readonly pollMs: number;
  /** The host's blob trigger poll interval for the blob variant (`--blob-poll-ms`). */
  readonly blobPollMs: number;
  /** How often the blob backend simulator lists the requests container. */
  readonly backendPollMs: number;
  /** Requests per scenario whose Durable history is read for the stage breakdown. */
  readonly breakdownSamples: number;
  readonly inMemory: boolean;
  readonly outDir: string;
}

export const USAGE = `Usage: npm run bench -- [options]

  --only a,b        phases: ${PHASES.join(', ')} (default: all but trips);
                    startup restarts a host over 10 000 and 100 000 finished instances;
                    floor alone runs the floor through all three measurements
  --channels a,b    gateway channels, requests and replies both over it: ${CHANNELS.join(', ')} (default: both)
  --quick           fewer samples, shorter windows, 300 held clients (a smoke run, ~2 min)
  --holding N       blocked clients in the holding phase (default 1000; 10000 is the stretch)
  --duration S      throughput window in seconds (default 10)
  --poll-ms N       GATEWAY_POLL_INTERVAL_MS (default: local.settings.sample.json's)
  --blob-poll-ms N  the host's blob trigger poll for the blob variant (default 50)
  --in-memory       Azurite in memory instead of on disk (npm start uses disk)
  --out DIR         where the JSON goes (default bench-results)`;

function list<T extends string>(raw: string | undefined, allowed: readonly T[], flag: string): T[] | undefined {
  if (raw === undefined) return undefined;
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const wrong = items.find((i) => !allowed.includes(i as T));
  if (wrong !== undefined || items.length === 0) throw new Error(`${flag}: expected some of ${allowed.join(', ')}, got "${raw}"`);
  return items as T[];
}

function whole(raw: string | undefined, flag: string, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(`${flag}: expected a whole number ${min}-${max}, got "${raw}"`);
  return value;
}

/** `shippedPollMs`: the sample settings' GATEWAY_POLL_INTERVAL_MS, so the default follows the product's. */
export function parseBenchOptions(argv: readonly string[], shippedPollMs: number): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      only: { type: 'string' },
      channels: { type: 'string' },
      quick: { type: 'boolean' },
      holding: { type: 'string' },
      duration: { type: 'string' },
      'poll-ms': { type: 'string' },
      'blob-poll-ms': { type: 'string' },
      'in-memory': { type: 'boolean' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const quick = values.quick ?? false;
  return Object.freeze({
    phases: new Set(list(values.only, PHASES, '--only') ?? DEFAULT_PHASES),
    channels: list(values.channels, CHANNELS, '--channels') ?? [...CHANNELS],
    quick,
    latencyClients: [1, 50, 200],
    delaysMs: [0, 100],
    rounds: quick ? 1 : 2,
    minSamples: quick ? 15 : 40,
    scenarioCapMs: quick ? 15_000 : 30_000,
    throughputClients: [50, 200],
    warmupMs: quick ? 1_000 : 3_000,
    durationMs: whole(values.duration, '--duration', quick ? 4 : 10, 1, 120) * 1000,
    holdingClients: whole(values.holding, '--holding', quick ? 300 : 1000, 1, 10_000),
    pollMs: whole(values['poll-ms'], '--poll-ms', shippedPollMs, 10, 60_000),
    blobPollMs: whole(values['blob-poll-ms'], '--blob-poll-ms', 50, 1, 60_000),
    backendPollMs: 20,
    breakdownSamples: quick ? 10 : 30,
    inMemory: values['in-memory'] ?? false,
    outDir: values.out ?? 'bench-results',
  });
}
