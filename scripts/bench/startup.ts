// The `startup` phase: how long the real host process (`node dist/src/host/cli.js`) takes to
// start over a task hub that already holds 10 000 and 100 000 finished instances, from spawn to
// its "Host listening" line and to its first answered status read of one of them. The hub is
// seeded as the engine would have left it after a graceful stop: one checkpoint in the data
// folder, written with the engine's own HubState and checkpoint writer, so the seeding takes
// seconds while the restart measured is the real one (lease, data folder claim, recovery, fronts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { latestCheckpoint, writeCheckpoint } from '../../src/host/durable/checkpoint.js';
import { EventType, event } from '../../src/host/durable/history.js';
import { HubState, InstanceEntry } from '../../src/host/durable/hub-state.js';
import { emptyBook } from '../../src/host/durable/instance-record.js';
import { HOST_NODE_FLAGS } from '../../src/host/node-flags.js';
import { startAzurite } from '../../src/host/storage/azurite.js';
import { memoryOf, Processes } from './processes.js';
import { round } from './stats.js';

export const STARTUP_SIZES = [10_000, 100_000] as const;

export interface StartupRow {
  finished: number;
  /** Size of the checkpoint the host read. */
  checkpointMiB: number;
  /** Spawn → the "Host listening" line. */
  listeningMs: number;
  /** Spawn → the first status read of a seeded instance answered 200 Completed. */
  firstAnswerMs: number;
  /** The host's own figure for reading the checkpoint and the log ("recovered … in N ms"). */
  recoveryMs: number;
  /** The host's RSS once it answered. */
  hostRssMiB: number;
}

export interface StartupResult {
  rows: StartupRow[];
  /** The phase's own Azurite after every restart. */
  azuriteRssMiB: number;
}

/**
 * Replaces the data folder's checkpoint and log with one checkpoint of `n` finished instances,
 * each with the 7-event history of a wait-for-event orchestration (start, event, completion).
 */
export async function seedFinishedInstances(dir: string, n: number): Promise<void> {
  for (const f of fs.readdirSync(dir)) if (/^(checkpoint|log)-/.test(f)) fs.rmSync(path.join(dir, f), { force: true });
  const state = new HubState();
  const at = new Date();
  for (let i = 0; i < n; i++) {
    const instanceId = `done-${i}`;
    const output = `{"got":"${instanceId}"}`;
    const history = [
      event(EventType.OrchestratorStarted, {}, at),
      event(EventType.ExecutionStarted, { Name: 'waitEvent', Input: null }, at),
      event(EventType.OrchestratorCompleted, {}, at),
      event(EventType.OrchestratorStarted, {}, at),
      event(EventType.EventRaised, { Name: 'go', Input: `"${instanceId}"` }, at),
      event(EventType.ExecutionCompleted, { Result: output }, at),
      event(EventType.OrchestratorCompleted, {}, at),
    ].map((e) => ({ ...e, IsPlayed: true }));
    const record = {
      instanceId,
      name: 'waitEvent',
      executionId: `exec-${i}`,
      runtimeStatus: 'Completed' as const,
      input: null,
      output,
      customStatus: '"waiting"',
      createdTime: at.toISOString(),
      lastUpdatedTime: at.toISOString(),
      historyLength: history.length,
      book: emptyBook(),
    };
    state.instances.set(instanceId, new InstanceEntry(record, history));
  }
  await writeCheckpoint(dir, 0, state.snapshot());
}

/** A general Durable app (no gateway): the host's own test fixture. */
const FIXTURE_APP = (root: string) => path.join(root, 'test/fixtures/durable-app');

export async function startup(root: string, sizes: readonly number[], all: Processes, log: (line: string) => void): Promise<StartupResult> {
  const own = new Processes();
  all.track('startup phase', () => own.stopAll());
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-startup-'));
  own.track('startup scratch', () => Promise.resolve(fs.rmSync(scratch, { recursive: true, force: true })));
  try {
    const azurite = await startAzurite({ location: path.join(scratch, 'azurite') });
    own.track('startup Azurite', () => azurite.stop());
    const dataDir = path.join(scratch, 'durable');
    const env = { ...process.env, AzureWebJobsStorage: azurite.connectionString };
    const startHost = async (onLine?: (line: string) => void) => {
      const procs = new Processes();
      const t0 = performance.now();
      const host = await procs.startNode(
        'host (startup)',
        path.join(root, 'dist/src/host/cli.js'),
        [FIXTURE_APP(root), '--port', '0', '--storage', azurite.connectionString, '--no-emulators', '--data-dir', dataDir],
        { env, cwd: root, ready: /Host listening on (http:\/\/[\d.]+:\d+)/, timeoutMs: 120_000, onLine, nodeArgs: [...HOST_NODE_FLAGS] },
      );
      return { procs, t0, listeningMs: performance.now() - t0, url: host.ready[1] as string, pid: host.pid };
    };
    // A first start claims the data folder for this storage (its hub marker), as a real hub's first life does.
    await (await startHost()).procs.stopAll();

    const rows: StartupRow[] = [];
    for (const n of sizes) {
      await seedFinishedInstances(dataDir, n);
      const checkpoint = latestCheckpoint(dataDir);
      const checkpointMiB = checkpoint ? round(fs.statSync(checkpoint.file).size / 2 ** 20) : 0;
      let recoveryMs = NaN;
      const host = await startHost((line) => {
        const m = /instances recovered from .* in (\d+) ms/.exec(line);
        if (m) recoveryMs = Number(m[1]);
      });
      try {
        const res = await fetch(`${host.url}/runtime/webhooks/durabletask/instances/done-${n - 1}`);
        const body = (await res.json()) as { runtimeStatus?: string };
        if (res.status !== 200 || body.runtimeStatus !== 'Completed')
          throw new Error(`startup: done-${n - 1} read ${res.status} ${JSON.stringify(body)} after the restart`);
        const row: StartupRow = {
          finished: n,
          checkpointMiB,
          listeningMs: Math.round(host.listeningMs),
          firstAnswerMs: Math.round(performance.now() - host.t0),
          recoveryMs,
          hostRssMiB: memoryOf(host.pid).rssMiB,
        };
        rows.push(row);
        log(
          `startup with ${n} finished instances (checkpoint ${checkpointMiB} MiB): listening after ${row.listeningMs} ms, first answer ${row.firstAnswerMs} ms (recovery ${recoveryMs} ms)`,
        );
      } finally {
        await host.procs.stopAll();
      }
    }
    return { rows, azuriteRssMiB: memoryOf(azurite.pid).rssMiB };
  } finally {
    await own.stopAll();
  }
}
