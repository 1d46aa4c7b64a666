// The gateway stack for one reply channel, each part its own process so its RSS can be read:
// Azurite (on disk, as `npm start` runs it), the Service Bus endpoint (servicebus variant only),
// the local Functions host on the built app, plus the backend simulator in the bench process.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { parseConfig } from '../../src/gateway/config.js';
import { readAppConfig } from '../../src/host/app-config.js';
import { HOST_NODE_FLAGS } from '../../src/host/node-flags.js';
import { startAzurite } from '../../src/host/storage/azurite.js';
import { type Backend, startBlobBackend } from './backend-blob.js';
import { startServiceBusBackend } from './backend-servicebus.js';
import type { BenchOptions, Channel } from './options.js';
import { Processes, type Started } from './processes.js';
import { ReplyDesk } from './reply-desk.js';
import type { StackProcess, Target, ViewMark } from './target.js';

export const REPO_ROOT = path.join(__dirname, '../../..');
const HOST_CLI = path.join(REPO_ROOT, 'dist/src/host/cli.js');
const BUS_CLI = path.join(REPO_ROOT, 'dist/scripts/servicebus-emulator.js');
const BUS_CONFIG = path.join(REPO_ROOT, 'servicebus-emulator.json');
// The longest the gateway allows (Azure cuts an HTTP response at 230 s): the holding phase needs it.
const SYNC_WAIT_SECONDS = 229;

export interface GatewayTarget extends Target {
  /** The storage connection the host was given (through the trip counter, if any). */
  readonly storage: string;
  /** The host's warnings and errors while the bench ran. */
  readonly problems: HostProblems;
  /** Management API calls and log writes so far (the host is preloaded with count-calls.ts). */
  callCounts(): Map<string, number>;
  stop(): Promise<void>;
}

export interface HostProblems {
  count: number;
  /** The first few, as printed. */
  first: string[];
  /** Every line counted by its shape (ids, numbers and quoted names blanked), so a kind past the first few still shows. */
  byKind: Record<string, number>;
}

/** A problem line without what varies between requests: its time, ids, numbers, ETags and quoted values. */
export function problemKind(line: string): string {
  return line
    .replace(/^\[[^\]]+\] /, '')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '{id}')
    .replace(/0x[0-9A-F]+/gi, '{etag}')
    .replace(/'[^']*'|"[^"]*"/g, '{…}')
    .replace(/\d+(\.\d+)?/g, 'N')
    .slice(0, 200);
}

// The host prints `[ISO time] level: message`.
const PROBLEM_LINE = /^\[[^\]]+\] (warn|warning|error|critical): /i;

function problemCollector(problems: HostProblems, stopping: () => boolean): (line: string) => void {
  return (line) => {
    // Calls cut short by the bench's own shutdown are not the host's problems.
    if (stopping() || !PROBLEM_LINE.test(line)) return;
    problems.count++;
    if (problems.first.length < 20) problems.first.push(line.slice(0, 500));
    const kind = problemKind(line);
    problems.byKind[kind] = (problems.byKind[kind] ?? 0) + 1;
  };
}

/** Why the Service Bus variant can't run on this build, or undefined when it can. */
export function serviceBusMissing(): string | undefined {
  if (!fs.existsSync(path.join(REPO_ROOT, 'dist/src/functions/serviceBusReply.js')))
    return 'the gateway has no Service Bus reply function (dist/src/functions/serviceBusReply.js)';
  if (!fs.existsSync(BUS_CLI)) return 'dist/scripts/servicebus-emulator.js is missing';
  try {
    parseConfig({
      AzureWebJobsStorage: 'x',
      GATEWAY_REQUEST_CHANNEL: 'servicebus',
      ServiceBusConnection: 'Endpoint=sb://localhost;UseDevelopmentEmulator=true;',
    });
  } catch (error) {
    return `GATEWAY_REQUEST_CHANNEL=servicebus is refused: ${error instanceof Error ? error.message : String(error)}`;
  }
  return undefined;
}

/** The shipped defaults: `local.settings.sample.json`'s Values (what `npm start` begins with). */
export function sampleSettings(): Record<string, string> {
  const sample = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'local.settings.sample.json'), 'utf8')) as {
    Values?: Record<string, unknown>;
  };
  return Object.fromEntries(Object.entries(sample.Values ?? {}).map(([k, v]) => [k, String(v)]));
}

/**
 * Every app setting, explicitly: the sample's, with the stack's connections, the channel and the
 * bench's overrides. The host fills unset keys from local.settings.json, so a developer's own
 * file must not change what is measured. ServiceBusConnection is empty for the blob variant,
 * which leaves the Service Bus reply trigger unregistered.
 */
export function appSettings(channel: Channel, options: BenchOptions, storage: string, bus: string): Record<string, string> {
  return {
    ...sampleSettings(),
    AzureWebJobsStorage: storage,
    ServiceBusConnection: bus,
    GATEWAY_REQUEST_CHANNEL: channel,
    GATEWAY_MAX_SYNC_WAIT_SECONDS: String(SYNC_WAIT_SECONDS),
    GATEWAY_POLL_INTERVAL_MS: String(options.pollMs),
  };
}

function childEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(GATEWAY_|AzureWebJobs|ServiceBus|FUNCTIONS_|WEBSITE_)/i.test(key)) env[key] = value;
  }
  return { ...env, ...settings };
}

const FINISHED = new Set(['Completed', 'Failed', 'Terminated']);

/**
 * Of these instances, how many the `{hub}Instances` view does not yet show finished, or (`waiting`)
 * waiting for their reply (one listing).
 */
async function viewBehind(view: TableClient, ids: readonly string[], until: ViewMark = 'finished'): Promise<number> {
  const shown = new Set<string>();
  const rows = view.listEntities<{ RuntimeStatus?: string; CustomStatus?: string }>({
    queryOptions: { select: ['PartitionKey', 'RuntimeStatus', 'CustomStatus'] },
  });
  for await (const row of rows) {
    const waiting = row.RuntimeStatus === 'Running' && (row.CustomStatus ?? '').includes('"AwaitingReply"');
    if (until === 'finished' ? FINISHED.has(row.RuntimeStatus ?? '') : waiting) shown.add(row.partitionKey ?? '');
  }
  return ids.filter((id) => !shown.has(id)).length;
}

export interface StackOptions {
  /** Put this between the host and Azurite (the trip counter); gets Azurite's connection string. */
  storageFor?: (azurite: string) => Promise<string>;
}

const COUNT_CALLS = path.join(REPO_ROOT, 'dist/scripts/bench/count-calls.js');

function readCounts(file: string): Map<string, number> {
  if (!fs.existsSync(file)) return new Map();
  return new Map(Object.entries(JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, number>));
}

export async function startGateway(
  channel: Channel,
  options: BenchOptions,
  all: Processes,
  extra: StackOptions = {},
): Promise<GatewayTarget> {
  // The stack's own registry, so one channel's stack can go before the next starts; the run's
  // registry stops it too if anything fails on the way.
  const own = new Processes();
  all.track(`${channel} stack`, () => own.stopAll());
  const processes: StackProcess[] = [];
  let backend: Backend | undefined;
  try {
    const dataDir = options.inMemory ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'bench-azurite-'));
    if (dataDir) own.track('Azurite data', () => Promise.resolve(fs.rmSync(dataDir, { recursive: true, force: true })));
    const azurite = await startAzurite(dataDir ? { location: dataDir } : {});
    own.track('Azurite', () => azurite.stop());
    processes.push({ name: 'Azurite', pid: azurite.pid });
    const storage = extra.storageFor ? await extra.storageFor(azurite.connectionString) : azurite.connectionString;

    let bus = '';
    if (channel === 'servicebus') {
      const started: Started = await own.startNode(
        'Service Bus endpoint',
        BUS_CLI,
        ['--port', '0', ...(fs.existsSync(BUS_CONFIG) ? ['--config', BUS_CONFIG] : [])],
        {
          ready: /Connection string: (\S+)/,
        },
      );
      bus = started.ready[1] as string;
      processes.push({ name: 'Service Bus endpoint', pid: started.pid });
    }

    const settings = appSettings(channel, options, storage, bus);
    const hostArgs = [REPO_ROOT, '--port', '0', '--storage', storage, '--no-emulators'];
    // The Service Bus variant keeps the host's default blob poll (1 s), as `npm start` has it.
    if (channel === 'blob') hostArgs.push('--blob-poll-ms', String(options.blobPollMs));
    const problems: HostProblems = { count: 0, first: [], byKind: {} };
    const collect = problemCollector(problems, () => stopping);
    // BENCH_HOST_LOG=<file>: every line the host prints, appended (the report keeps only counts and the first few).
    const hostLog = process.env.BENCH_HOST_LOG ? fs.createWriteStream(process.env.BENCH_HOST_LOG, { flags: 'a' }) : undefined;
    if (hostLog) own.track('host log', () => new Promise<void>((resolve) => hostLog.end(resolve)));
    let stopping = false;
    const countsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-counts-')), 'counts.json');
    own.track('call counts', () => Promise.resolve(fs.rmSync(path.dirname(countsFile), { recursive: true, force: true })));
    const host = await own.startNode('host', HOST_CLI, hostArgs, {
      // The flags `npm start` gives the host, so the bench measures the process users run.
      nodeArgs: [...HOST_NODE_FLAGS, '--require', COUNT_CALLS],
      env: { ...childEnv(settings), BENCH_COUNTS_FILE: countsFile },
      cwd: REPO_ROOT,
      ready: /Host listening on (http:\/\/[\d.]+:\d+)/,
      onLine: hostLog ? (line) => (hostLog.write(`${line}\n`), collect(line)) : collect,
    });
    processes.unshift({ name: 'host', pid: host.pid });
    const url = host.ready[1] as string;

    const desk = new ReplyDesk();
    backend =
      channel === 'blob'
        ? await startBlobBackend(desk, {
            connection: azurite.connectionString,
            requests: 'requests',
            replies: 'replies',
            pollMs: options.backendPollMs,
          })
        : await startServiceBusBackend(desk, { connection: bus, requestTopic: 'requests', subscription: 'backend', replyTopic: 'replies' });
    const running = backend;
    // Straight to Azurite: the bench's own reads of the view are not the host's storage calls.
    const view = TableClient.fromConnectionString(azurite.connectionString, `${readAppConfig(REPO_ROOT).hubName}Instances`, {
      allowInsecureConnection: true,
    });
    return {
      name: channel,
      submitUrl: `${url}/api/requests/bench`,
      managementBase: `${url}/runtime/webhooks/durabletask`,
      viewBehind: (ids, until) => viewBehind(view, ids, until),
      callCounts: () => readCounts(countsFile),
      desk,
      processes,
      storage,
      problems,
      settings: {
        GATEWAY_POLL_INTERVAL_MS: options.pollMs,
        ...(channel === 'blob'
          ? { 'host --blob-poll-ms': options.blobPollMs, 'backend request poll (ms)': options.backendPollMs }
          : { 'host --blob-poll-ms': '1000 (default; unused)' }),
        azurite: options.inMemory ? 'in memory' : 'on disk',
      },
      async stop() {
        stopping = true;
        await desk.drain();
        await running.stop();
        await own.stopAll();
      },
    };
  } catch (error) {
    await backend?.stop().catch(() => undefined);
    await own.stopAll();
    throw error;
  }
}
