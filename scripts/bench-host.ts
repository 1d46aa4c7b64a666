/**
 * Durable host benchmark: N orchestrations wait for an external event at once; we raise the
 * events and measure event raised → status Completed, events per second, and the RSS of the host
 * and Azurite processes. Prints a table; writes bench-results/host.json.
 *
 * Then the start-up time of a host whose data folder holds 10 000 and 100 000 finished instances
 * (a checkpoint of that size), and the commit log's writes per event.
 *
 *   npm run bench:host [-- --sizes 1,200,1000 --samples 50 --startup 10000,100000]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HOST_NODE_FLAGS } from '../src/host/node-flags.js';
import { startAzurite, stopChild } from '../src/host/storage/azurite.js';
import { seedFinishedInstances } from './bench/startup.js';

const root = path.join(__dirname, '../..');
const appDir = path.join(root, 'test/fixtures/durable-app');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round((kb / 1024) * 10) / 10;
}

/** CPU time (user + system) a process has used so far, in ms (clock ticks are 10 ms on Linux). */
function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round((sorted[Math.max(0, i)] as number) * 100) / 100;
}

async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

interface Row {
  waiting: number;
  samples: number;
  p50: number;
  p95: number;
  p99: number;
  eventsPerSecond: number | null;
  rssHostMiB: number;
  rssAzuriteMiB: number;
  rssTotalMiB: number;
  /** CPU ms per event in the bulk phase, per process. */
  hostCpuMsPerEvent: number | null;
  azuriteCpuMsPerEvent: number | null;
}

async function startAndWaitRunning(api: string, id: string): Promise<void> {
  await fetch(`${api}/orchestrators/waitEvent/${id}`, { method: 'POST' });
  for (;;) {
    const s = (await (await fetch(`${api}/instances/${id}`)).json()) as { runtimeStatus: string };
    if (s.runtimeStatus === 'Running') return;
  }
}

async function raiseAndObserve(api: string, id: string): Promise<number> {
  const t = performance.now();
  await fetch(`${api}/instances/${id}/raiseEvent/go`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '"x"' });
  for (;;) {
    const s = (await (await fetch(`${api}/instances/${id}`)).json()) as { runtimeStatus: string };
    if (s.runtimeStatus === 'Completed') return performance.now() - t;
  }
}

async function main(): Promise<void> {
  const sizes = arg('sizes', '1,200,1000').split(',').map(Number);
  const samples = Number(arg('samples', '50'));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-azurite-'));
  const azurite = await startAzurite(process.argv.includes('--in-memory') ? {} : { location: dataDir });
  const durableDir = path.join(dataDir, 'durable');
  const { child: host, base } = await startHostCli(azurite.connectionString, durableDir);
  const api = `${base}/runtime/webhooks/durabletask`;
  const results: Row[] = [];
  try {
    for (const n of sizes) {
      const run = `n${n}-${Date.now()}`;
      const ids = Array.from({ length: n }, (_, i) => `${run}-${i}`);
      await pool(ids, 32, async (id) => {
        const res = await fetch(`${api}/orchestrators/waitEvent/${id}`, { method: 'POST' });
        if (res.status !== 202) throw new Error(`start ${id}: ${res.status}`);
      });
      // Wait until every instance is really waiting (Running), then measure memory at rest.
      for (;;) {
        const res = await fetch(`${api}/instances/?runtimeStatus=Pending`);
        const pending = ((await res.json()) as unknown[]).length;
        if (pending === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const rssHost = rssMiB(host.pid as number);
      const rssAzurite = rssMiB(azurite.pid);

      const latencies: number[] = [];
      // Latency: one event at a time, status polled as fast as the API answers. With one waiting
      // instance, each sample is a fresh instance so that N stays 1.
      const probe = ids.slice(0, Math.min(samples, n));
      const probeIds = n === 1 ? Array.from({ length: samples }, (_, i) => (i === 0 ? (ids[0] as string) : `${run}-solo-${i}`)) : probe;
      for (const id of probeIds) {
        if (id !== ids[0] && n === 1) await startAndWaitRunning(api, id);
        latencies.push(await raiseAndObserve(api, id));
      }
      // Throughput: all remaining events at once (64 in flight), until the last instance completes.
      const rest = ids.slice(probe.length);
      const t0 = performance.now();
      const cpu0 = { host: cpuMs(host.pid as number), azurite: cpuMs(azurite.pid) };
      await pool(rest, 64, async (id) => {
        await fetch(`${api}/instances/${id}/raiseEvent/go`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '"x"',
        });
      });
      for (;;) {
        const res = await fetch(`${api}/instances/?runtimeStatus=Running`);
        const running = ((await res.json()) as { instanceId: string }[]).filter((s) => s.instanceId.startsWith(run)).length;
        if (running === 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const seconds = (performance.now() - t0) / 1000;
      const perEvent = (ms: number): number | null => (rest.length ? Math.round((ms / rest.length) * 100) / 100 : null);
      const hostCpu = perEvent(cpuMs(host.pid as number) - cpu0.host);
      const azuriteCpu = perEvent(cpuMs(azurite.pid) - cpu0.azurite);
      latencies.sort((a, b) => a - b);
      results.push({
        waiting: n,
        samples: latencies.length,
        p50: percentile(latencies, 50),
        p95: percentile(latencies, 95),
        p99: percentile(latencies, 99),
        eventsPerSecond: rest.length ? Math.round(rest.length / seconds) : null,
        rssHostMiB: rssHost,
        rssAzuriteMiB: rssAzurite,
        rssTotalMiB: Math.round((rssHost + rssAzurite) * 10) / 10,
        hostCpuMsPerEvent: hostCpu,
        azuriteCpuMsPerEvent: azuriteCpu,
      });
    }
  } finally {
    await stopChild(host);
  }
  const startup: { finished: number; listeningMs: number; recoveredMs: number }[] = [];
  try {
    for (const n of arg('startup', '10000,100000').split(',').filter(Boolean).map(Number))
      startup.push(await startupTime(azurite.connectionString, durableDir, n));
  } finally {
    await azurite.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  const header =
    '| waiting instances | latency samples | event → Completed p50 (ms) | p95 | p99 | events/s (bulk) | host CPU ms/event | Azurite CPU ms/event | RSS host (MiB) | RSS Azurite (MiB) | RSS total |';
  const rows = results.map(
    (r) =>
      `| ${r.waiting} | ${r.samples} | ${r.p50} | ${r.p95} | ${r.p99} | ${r.eventsPerSecond === null ? '–' : r.eventsPerSecond} | ${r.hostCpuMsPerEvent ?? '–'} | ${r.azuriteCpuMsPerEvent ?? '–'} | ${r.rssHostMiB} | ${r.rssAzuriteMiB} | ${r.rssTotalMiB} |`,
  );
  console.log([header, '|---|---|---|---|---|---|---|---|---|---|---|', ...rows].join('\n'));
  console.log(
    [
      '',
      '| finished instances in the data folder | host start → listening (ms) | of which recovery (ms) |',
      '|---|---|---|',
      ...startup.map((r) => `| ${r.finished} | ${r.listeningMs} | ${r.recoveredMs} |`),
    ].join('\n'),
  );
  fs.mkdirSync(path.join(root, 'bench-results'), { recursive: true });
  fs.writeFileSync(
    path.join(root, 'bench-results/host.json'),
    JSON.stringify({ date: new Date().toISOString(), cpus: os.cpus().length, results, startup }, null, 2),
  );
}

async function startHostCli(
  storage: string,
  durableDir: string,
): Promise<{ child: ReturnType<typeof spawn>; base: string; out: () => string }> {
  const child = spawn(
    process.execPath,
    [...HOST_NODE_FLAGS, path.join(root, 'dist/src/host/cli.js'), appDir, '--port', '0', '--storage', storage, '--data-dir', durableDir],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  const base = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /Host listening on (http:\/\/[\d.]+:\d+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`host exited ${code}:\n${out}`)));
  });
  return { child, base, out: () => out };
}

/** A data folder holding `n` finished instances as one checkpoint, the hub marker copied from the real folder; then the time a host takes to listen. */
async function startupTime(
  storage: string,
  realDir: string,
  n: number,
): Promise<{ finished: number; listeningMs: number; recoveredMs: number }> {
  const dir = `${realDir}-startup-${n}`;
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(realDir, 'hub-id'), path.join(dir, 'hub-id'));
  await seedFinishedInstances(dir, n);
  const t0 = performance.now();
  const { child, out } = await startHostCli(storage, dir);
  const listeningMs = Math.round(performance.now() - t0);
  const recoveredMs = Number(/recovered from .* in (\d+) ms/.exec(out())?.[1] ?? NaN);
  await stopChild(child);
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(`start-up with ${n} finished instances: listening after ${listeningMs} ms (recovery ${recoveredMs} ms)`);
  return { finished: n, listeningMs, recoveredMs };
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
